// Conformance of a FaceKit server with the official Tencent Cloud Node SDK:
// every action FaceKit answers, through both version clients (v20180301,
// v20200303) and every request form the SDK sends:
//   TC3-HMAC-SHA256 over POST (JSON), GET and POST multipart/form-data,
//   HmacSHA256 and HmacSHA1 (signature V1) over GET and POST.
// Each answer is checked against the version's own model file
// (iai_models.d.ts): every field FaceKit answers must be declared there with
// its type; the declared fields FaceKit leaves out are listed.
//   FACEKIT_ENDPOINT=127.0.0.1:PORT FACEKIT_SECRET_ID=.. FACEKIT_SECRET_KEY=.. FACES=DIR node conformance.js
// FACES holds a1.jpg and a2.jpg (one person) and b1.jpg (another), small
// enough for a GET query (the cloud API's 32 KB). Prints one line per
// failure and, last, a JSON summary; exits non-zero when anything failed.
"use strict";
const fs = require("fs");
const path = require("path");

const { modelsOf } = require("./models_json");

const sdkRoot = path.dirname(require.resolve("tencentcloud-sdk-nodejs/package.json"));
const VERSIONS = {
  "2018-03-01": "v20180301",
  "2020-03-03": "v20200303",
};
const FORMS = [
  { name: "TC3 POST JSON", signMethod: "TC3-HMAC-SHA256", reqMethod: "POST" },
  { name: "TC3 GET", signMethod: "TC3-HMAC-SHA256", reqMethod: "GET" },
  { name: "TC3 multipart", signMethod: "TC3-HMAC-SHA256", reqMethod: "POST", multipart: true },
  { name: "HmacSHA256 POST", signMethod: "HmacSHA256", reqMethod: "POST" },
  { name: "HmacSHA256 GET", signMethod: "HmacSHA256", reqMethod: "GET" },
  { name: "HmacSHA1 POST", signMethod: "HmacSHA1", reqMethod: "POST" },
  { name: "HmacSHA1 GET", signMethod: "HmacSHA1", reqMethod: "GET" },
];

// Problems of `value` against the d.ts `type`; `missing` collects declared fields left out.
function check(models, type, value, where, problems, missing) {
  if (value === null) return;  // the models allow null ("此字段可能返回 null")
  const list = /^Array<(.+)>$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) return problems.push(`${where}: not an array`);
    value.forEach((v, i) => check(models, list[1], v, `${where}[${i}]`, problems, missing));
    return;
  }
  const scalars = type.split(" | ");  // "number | bigint"
  if (scalars.every((t) => ["number", "bigint", "string", "boolean"].includes(t))) {
    if (!scalars.includes(typeof value)) problems.push(`${where}: ${typeof value}, declared ${type}`);
    return;
  }
  const fields = models[type];
  if (!fields) return problems.push(`${where}: undeclared type ${type}`);
  if (typeof value !== "object" || Array.isArray(value)) return problems.push(`${where}: not an object (${type})`);
  for (const [k, v] of Object.entries(value)) {
    if (!(k in fields)) problems.push(`${where}.${k}: not declared in ${type}`);
    else check(models, fields[k], v, `${where}.${k}`, problems, missing);
  }
  for (const k of Object.keys(fields)) if (!(k in value)) missing.add(`${type}.${k}`);
}

// The SDK's own flattening (mergeData), for multipart: form-data cannot send arrays.
function flatten(data, prefix = "", out = {}) {
  for (const [k, v] of Object.entries(data)) {
    if (v !== null && typeof v === "object" && !Buffer.isBuffer(v)) flatten(v, `${prefix}${k}.`, out);
    else out[prefix + k] = v;
  }
  return out;
}

const faces = process.env.FACES;
const image = (name) => fs.readFileSync(path.join(faces, name)).toString("base64");
const A1 = image("a1.jpg"), A2 = image("a2.jpg"), B1 = image("b1.jpg");

const results = [];   // {version, form, action, ok, detail}
const missingByAction = {};
let failures = 0;

async function runForm(version, form) {
  const dir = VERSIONS[version];
  const { Client } = require(`${sdkRoot}/tencentcloud/services/iai/${dir}/iai_client`);
  const models = modelsOf(dir);
  const client = new Client({
    credential: { secretId: process.env.FACEKIT_SECRET_ID, secretKey: process.env.FACEKIT_SECRET_KEY },
    region: "ap-guangzhou",
    profile: {
      signMethod: form.signMethod,
      httpProfile: { endpoint: process.env.FACEKIT_ENDPOINT, protocol: "http://", reqMethod: form.reqMethod, reqTimeout: 60 },
      language: "en-US",
    },
  });
  const tag = `${dir}-${form.name.replace(/\W+/g, "").toLowerCase()}-${Date.now() % 100000}`;
  const G = `g-${tag}`, G2 = `g2-${tag}`, P1 = `p1-${tag}`, P2 = `p2-${tag}`;

  // One call; `expect(answer)` returns "" when it is right. An action missing from the
  // version's client (DetectLiveFace, any 2020-only action in 2018) goes through request().
  async function call(action, params, expect, opts = {}) {
    let answer, error;
    const useMultipart = form.multipart && !opts.noMultipart;
    try {
      if (useMultipart) answer = await client.request(action, flatten(params), { multipart: true });
      else if (typeof client[action] === "function") answer = await client[action](params);
      else answer = await client.request(action, params);
    } catch (e) {
      error = e;
    }
    let detail = "";
    if (opts.expectError) {
      detail = error && error.code === opts.expectError ? "" : `expected ${opts.expectError}, got ${error ? error.code : "an answer"}`;
    } else if (error) {
      detail = `${error.code || ""} ${error.message}`;
    } else {
      const problems = [];
      const missing = new Set();
      const responseType = `${action}Response`;
      if (models[responseType]) check(models, responseType, answer, action, problems, missing);
      else if (action !== "DetectLiveFace") problems.push(`${responseType} is not in ${dir}`);
      detail = problems.join("; ") || expect(answer) || "";
      const m = (missingByAction[action] = missingByAction[action] || {});
      for (const f of missing) m[f] = (m[f] || new Set()).add(version);
    }
    const ok = detail === "";
    if (!ok) {
      failures++;
      console.log(`FAILED ${version} ${form.name} ${action}: ${detail}`);
    }
    results.push({ version, form: form.name, action, ok });
    return answer || {};
  }
  const need = (cond, what) => (cond ? "" : what);

  await call("CreateGroup", { GroupId: G, GroupName: `Group ${tag}`, GroupExDescriptions: ["desk"], Tag: "t" },
             (r) => need(r.FaceModelVersion === "3.0", "FaceModelVersion"));
  await call("ModifyGroup", { GroupId: G, Tag: "front desk", GroupExDescriptionInfos: [{ GroupExDescriptionIndex: 0, GroupExDescription: "lobby" }] },
             () => "");
  await call("GetGroupInfo", { GroupId: G }, (r) => need(r.Tag === "front desk" && r.GroupExDescriptions[0] === "lobby", "Tag/descriptions"));
  await call("GetGroupList", { Offset: 0, Limit: 1000 }, (r) => need(r.GroupInfos.some((g) => g.GroupId === G), "group listed"));
  const p1 = await call("CreatePerson", { GroupId: G, PersonId: P1, PersonName: "A", Gender: 1, Image: A1,
                                          PersonExDescriptionInfos: [{ PersonExDescriptionIndex: 0, PersonExDescription: "7" }] },
                        (r) => need(typeof r.FaceId === "string" && r.FaceRect.Width > 20, "FaceId/FaceRect"));
  await call("CreatePerson", { GroupId: G, PersonId: P2, PersonName: "B", Image: B1 }, (r) => need(typeof r.FaceId === "string", "FaceId"));
  await call("GetPersonBaseInfo", { PersonId: P1 }, (r) => need(r.PersonName === "A" && r.FaceIds.length === 1, "name/faces"));
  await call("ModifyPersonBaseInfo", { PersonId: P1, PersonName: "A2", Gender: 2 }, () => "");
  await call("ModifyPersonGroupInfo", { GroupId: G, PersonId: P1,
                                        PersonExDescriptionInfos: [{ PersonExDescriptionIndex: 0, PersonExDescription: "8" }] }, () => "");
  await call("GetPersonGroupInfo", { PersonId: P1, Offset: 0, Limit: 10 },
             (r) => need(r.PersonGroupInfos[0].PersonExDescriptions[0] === "8", "descriptions"));
  await call("GetPersonList", { GroupId: G, Offset: 0, Limit: 10 }, (r) => need(r.PersonNum === 2 && r.FaceNum === 2, "counts"));
  await call("GetPersonListNum", { GroupId: G }, (r) => need(r.PersonNum === 2, "PersonNum"));
  const f = await call("CreateFace", { PersonId: P1, Images: [A2], FaceMatchThreshold: 40.5 },
                       (r) => need(r.SucFaceNum === 1 && r.RetCode[0] === 0, "SucFaceNum/RetCode"));
  const search = { GroupIds: [G], Image: A2, MaxFaceNum: 1, MaxPersonNum: 2, NeedPersonInfo: 1 };
  const best = (r) => need(r.Results[0].Candidates[0].PersonId === P1, "best candidate");
  const bestByGroup = (r) => need(r.ResultsReturnsByGroup[0].GroupCandidates[0].Candidates[0].PersonId === P1, "best candidate");
  await call("SearchFaces", search, best);
  await call("SearchPersons", search, best);
  const byGroup = { GroupIds: [G], Image: A2, MaxPersonNumPerGroup: 2, NeedPersonInfo: 1 };
  await call("SearchFacesReturnsByGroup", byGroup, bestByGroup);
  await call("SearchPersonsReturnsByGroup", byGroup, bestByGroup);
  await call("VerifyFace", { PersonId: P1, Image: A2 }, (r) => need(r.IsMatch === true, "IsMatch"));
  await call("VerifyPerson", { PersonId: P1, Image: A2 }, (r) => need(r.IsMatch === true, "IsMatch"));
  await call("CompareFace", { ImageA: A1, ImageB: B1 }, (r) => need(r.Score < 40, "Score of two people"));
  if (version === "2020-03-03") {
    await call("CompareFace", { ImageA: A1, ImageB: A2, FaceMatchingStrategy: 1 }, (r) => need(r.Score >= 60, "Score of one person"));
  } else {
    await call("CompareFace", { ImageA: A1, ImageB: A2, FaceMatchingStrategy: 1 }, () => "", { expectError: "UnknownParameter" });
  }
  // A1 is Tony Blair: a man (Gender 50-100), eyes open, an adult.
  await call("DetectFace", { Image: A1, MaxFaceNum: 5, NeedQualityDetection: 1, NeedFaceAttributes: 1 },
             (r) => need(r.FaceInfos.length === 1 && r.FaceInfos[0].FaceQualityInfo.Score >= 0, "FaceInfos") ||
                    need(r.FaceInfos[0].FaceAttributesInfo.Gender >= 50 && r.FaceInfos[0].FaceAttributesInfo.Gender <= 100, "Gender") ||
                    need(r.FaceInfos[0].FaceAttributesInfo.Age >= 20 && r.FaceInfos[0].FaceAttributesInfo.Age <= 100, "Age") ||
                    need(r.FaceInfos[0].FaceAttributesInfo.Expression >= 0, "Expression") ||
                    need(r.FaceInfos[0].FaceAttributesInfo.EyeOpen === true, "EyeOpen"));
  await call("DetectFaceAttributes", { Image: A1, MaxFaceNum: 2, FaceAttributesType: "Age,Gender,Emotion,Smile,Headpose,Eye,Mask" },
             (r) => need(r.FaceDetailInfos.length === 1 && r.FaceDetailInfos[0].FaceRect.Width > 20, "FaceDetailInfos") ||
                    need(r.FaceDetailInfos[0].FaceDetailAttributesInfo.Gender.Type === 0, "Gender (0 = male)") ||
                    need(r.FaceDetailInfos[0].FaceDetailAttributesInfo.Age >= 20 && r.FaceDetailInfos[0].FaceDetailAttributesInfo.Age <= 65, "Age") ||
                    need(r.FaceDetailInfos[0].FaceDetailAttributesInfo.Emotion.Type >= 0 && r.FaceDetailInfos[0].FaceDetailAttributesInfo.Emotion.Type <= 6, "Emotion") ||
                    need(r.FaceDetailInfos[0].FaceDetailAttributesInfo.Eye.EyeOpen.Type === 0, "EyeOpen (0 = open)") ||
                    need(!("Mask" in r.FaceDetailInfos[0].FaceDetailAttributesInfo), "Mask is not computed"));
  await call("DetectFaceAttributes", { Image: A1, FaceAttributesType: "Age,Wings" }, () => "", { expectError: "InvalidParameterValue" });
  if (form.multipart) {  // the image as bytes, not base64: a binary part
    await call("DetectFace", { Image: fs.readFileSync(path.join(faces, "a1.jpg")), MaxFaceNum: 1 },
               (r) => need(r.FaceInfos.length === 1, "FaceInfos from a binary part"));
  }
  await call("DetectLiveFace", { Image: A1 }, (r) => need(typeof r.Score === "number", "Score"));
  if (version === "2020-03-03") {
    await call("DetectLiveFaceAccurate", { Image: A1 }, (r) => need(typeof r.Score === "number" && !("IsLiveness" in r), "Score only"));
  } else {
    await call("DetectLiveFaceAccurate", { Image: A1 }, () => "", { expectError: "InvalidAction" });
  }
  // The contours from the face mesh (docs/face-shape.md): the model file's counts, left eye left of right.
  const meanX = (pts) => pts.reduce((s, p) => s + p.X, 0) / pts.length;
  const FACE_SHAPE = { FaceProfile: 21, LeftEye: 8, RightEye: 8, LeftEyeBrow: 8, RightEyeBrow: 8, Mouth: 22, Nose: 13,
                       LeftPupil: 1, RightPupil: 1 };
  await call("AnalyzeFace", { Image: A1, Mode: 1 }, (r) => {
    const s = (r.FaceShapeSet || [])[0];
    if (r.FaceShapeSet.length !== 1 || !s) return "one FaceShape";
    for (const [group, n] of Object.entries(FACE_SHAPE)) if ((s[group] || []).length !== n) return `${group} has ${(s[group] || []).length} points`;
    return need(meanX(s.LeftEye) < meanX(s.RightEye) && r.ImageWidth === 160, "LeftEye left of RightEye, ImageWidth");
  });
  await call("AnalyzeFace", { Image: A1, Mode: 2 }, () => "", { expectError: "InvalidParameterValue" });
  await call("AnalyzeDenseLandmarks", { Image: A1 }, (r) => {
    const s = (r.DenseFaceShapeSet || [])[0];
    return need(r.DenseFaceShapeSet.length === 1 && s.Width > 20 && s.MouthOutside.length === 20 && s.LeftPupil.length === 5 &&
                meanX(s.LeftEye) < meanX(s.RightEye), "one DenseFaceShape with its groups");
  });
  if (version === "2020-03-03") {
    await call("CompareMaskFace", { ImageA: A1, ImageB: A2 }, (r) => need(r.Score >= 60 && r.FaceModelVersion === "3.0", "Score of one person"));
    await call("CompareMaskFace", { ImageA: A1, ImageB: B1, QualityControl: 0 }, (r) => need(r.Score < 40, "Score of two people"));
    await call("DetectFaceSimilarity", { ImageA: A1, ImageB: A2 }, (r) => need(r.Score >= 70, "Score of one person (70 = same)"));
    await call("DetectFaceSimilarity", { ImageA: A1, ImageB: B1 }, (r) => need(r.Score < 70, "Score of two people"));
  } else {
    await call("CompareMaskFace", { ImageA: A1, ImageB: A2 }, () => "", { expectError: "InvalidAction" });
    await call("DetectFaceSimilarity", { ImageA: A1, ImageB: A2 }, () => "", { expectError: "InvalidAction" });
  }
  // Face model versions: a group upgraded from 3.0 (MobileFaceNet) to 3.1
  // (face-api's ResNet-128) by a background job, searched, listed, reverted.
  const G3 = `g3-${tag}`, P3 = `p3-${tag}`;
  await call("CreateGroup", { GroupId: G3, GroupName: `Third ${tag}` }, () => "");
  await call("CreatePerson", { GroupId: G3, PersonId: P3, PersonName: "C", Image: A1 }, () => "");
  const job = await call("UpgradeGroupFaceModelVersion", { GroupId: G3, FaceModelVersion: "3.1" },
    (r) => need(typeof r.JobId === "string" && r.JobId.length > 0, "JobId"));
  let status = 0;
  for (let i = 0; i < 600 && status === 0; i++) {
    const r = await call("GetUpgradeGroupFaceModelVersionResult", { JobId: job.JobId }, () => "");
    status = r.Status === undefined ? -1 : r.Status;
    if (status === 0) await new Promise((done) => setTimeout(done, 100));
  }
  await call("GetUpgradeGroupFaceModelVersionResult", { JobId: job.JobId },
    (r) => need(r.Status === 1 && r.Progress === 100 && r.FromFaceModelVersion === "3.0" &&
                r.ToFaceModelVersion === "3.1" && r.GroupId === G3 && r.EndTimestamp >= r.StartTime, "upgraded job"));
  await call("GetUpgradeGroupFaceModelVersionJobList", { Offset: 0, Limit: 1000 },
    (r) => need(r.JobNum >= 1 && r.JobInfos.some((j) => j.JobId === job.JobId && j.Status === 1), "job listed"));
  await call("GetGroupInfo", { GroupId: G3 }, (r) => need(r.FaceModelVersion === "3.1", "FaceModelVersion 3.1"));
  await call("SearchFaces", { GroupIds: [G3], Image: A2 },
    (r) => need(r.FaceModelVersion === "3.1" && r.Results[0].Candidates[0].PersonId === P3, "3.1 search"));
  await call("UpgradeGroupFaceModelVersion", { GroupId: G3, FaceModelVersion: "3.0" }, () => "",
    { expectError: "InvalidParameterValue.FaceModelVersionIllegal" });
  await call("RevertGroupFaceModelVersion", { JobId: job.JobId }, () => "");
  await call("GetGroupInfo", { GroupId: G3 }, (r) => need(r.FaceModelVersion === "3.0", "reverted to 3.0"));
  await call("RevertGroupFaceModelVersion", { JobId: job.JobId }, () => "", { expectError: "UnsupportedOperation" });
  await call("GetUpgradeGroupFaceModelVersionResult", { JobId: "no-such-job" }, () => "", { expectError: "ResourceNotFound" });
  await call("DeleteGroup", { GroupId: G3 }, () => "");
  await call("CreateGroup", { GroupId: G2, GroupName: `Second ${tag}` }, () => "");
  await call("CopyPerson", { PersonId: P1, GroupIds: [G2] }, (r) => need(r.SucGroupNum === 1, "SucGroupNum"));
  await call("DeletePersonFromGroup", { PersonId: P1, GroupId: G2 }, () => "");
  const faceId = (f.SucFaceIds || [])[0] || (p1.FaceId || "none");
  await call("DeleteFace", { PersonId: P1, FaceIds: [faceId] }, (r) => need(r.SucDeletedNum === 1, "SucDeletedNum"));
  await call("DeletePerson", { PersonId: P2 }, () => "");
  await call("DeleteGroup", { GroupId: G2 }, () => "");
  await call("DeleteGroup", { GroupId: G }, () => "");
  // An error through the SDK: the group is gone.
  await call("GetGroupInfo", { GroupId: G }, () => "", { expectError: "InvalidParameterValue.GroupIdNotExist" });
}

async function main() {
  for (const version of Object.keys(VERSIONS)) {
    for (const form of FORMS) await runForm(version, form);
  }
  const missing = {};
  for (const [action, fields] of Object.entries(missingByAction)) {
    const list = Object.entries(fields).map(([field, versions]) => `${field}${versions.size === 2 ? "" : ` (${[...versions]})`}`);
    if (list.length) missing[action] = list.sort();
  }
  const actions = [...new Set(results.map((r) => r.action))].sort();
  console.log(JSON.stringify({ calls: results.length, failures, actions, forms: FORMS.map((f) => f.name),
                               versions: Object.keys(VERSIONS), missing }));
  process.exit(failures ? 1 : 0);
}

main().catch((e) => {
  console.error("FAILED:", e && (e.stack || e));
  process.exit(1);
});
