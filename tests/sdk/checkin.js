// A check-in flow with the official Tencent Cloud Node SDK, pointed at a
// FaceKit server: only the endpoint, the protocol and the key change.
//   FACEKIT_ENDPOINT=127.0.0.1:PORT FACEKIT_SECRET_ID=... FACEKIT_SECRET_KEY=... PHOTOS=DIR node checkin.js
// FACEKIT_PROTOCOL=https:// for a server with TLS (NODE_EXTRA_CA_CERTS=CERT.pem
// when its certificate is self-signed).
// Prints one line per step and exits non-zero on the first failed expectation.
"use strict";
const fs = require("fs");
const path = require("path");
const { Client } = require("tencentcloud-sdk-nodejs/tencentcloud/services/iai/v20200303/iai_client");

const endpoint = process.env.FACEKIT_ENDPOINT;
const protocol = process.env.FACEKIT_PROTOCOL || "http://";
const photos = process.env.PHOTOS;
const image = (name) => fs.readFileSync(path.join(photos, name)).toString("base64");

function client(secretId, secretKey) {
  return new Client({
    credential: { secretId, secretKey },
    region: "ap-guangzhou",
    profile: { httpProfile: { endpoint, protocol, reqMethod: "POST", reqTimeout: 60 }, language: "en-US" },
  });
}

function expect(cond, what, value) {
  if (!cond) {
    console.error(`FAILED: ${what}: ${JSON.stringify(value)}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

async function main() {
  const c = client(process.env.FACEKIT_SECRET_ID, process.env.FACEKIT_SECRET_KEY);
  const group = "checkin-" + Date.now();

  let r = await c.CreateGroup({ GroupId: group, GroupName: "Check-in " + group, GroupExDescriptions: ["desk"] });
  expect(r.FaceModelVersion === "3.0" && /^[0-9a-f-]{36}$/.test(r.RequestId), "CreateGroup", r);

  // The same write sent twice at once (an SDK retry, a kiosk sending one frame twice): both are signed in
  // the same second with the same signature, and both get the action's own answer.
  const twice = await Promise.all([0, 1].map(() => c.ModifyGroup({ GroupId: group, Tag: "front desk" })));
  expect(twice.every((x) => typeof x.RequestId === "string"), "the same ModifyGroup twice at once", twice);

  r = await c.CreatePerson({ GroupId: group, PersonId: "obama", PersonName: "Barack Obama", Gender: 1,
                             Image: image("obama.jpg") });
  expect(typeof r.FaceId === "string" && r.FaceRect.Width > 20, "CreatePerson with a photo", r);
  r = await c.CreatePerson({ GroupId: group, PersonId: "biden", PersonName: "Joe Biden", Image: image("biden.jpg") });
  expect(typeof r.FaceId === "string", "CreatePerson (a second person)", r);

  r = await c.CreateFace({ PersonId: "obama", Images: [image("obama2.jpg")] });
  expect(r.SucFaceNum === 1 && r.RetCode[0] === 0, "CreateFace", r);

  r = await c.SearchFaces({ GroupIds: [group], Image: image("obama3.jpg"), MaxPersonNum: 2, NeedPersonInfo: 1 });
  const best = r.Results[0].Candidates[0];
  expect(best.PersonId === "obama" && best.Score >= 80 && best.PersonName === "Barack Obama",
         "SearchFaces finds the right person first with score >= 80 on a different photo", best);

  r = await c.VerifyFace({ PersonId: "obama", Image: image("obama3.jpg") });
  expect(r.IsMatch === true, "VerifyFace", r);

  r = await c.CompareFace({ ImageA: image("obama.jpg"), ImageB: image("biden.jpg") });
  expect(typeof r.Score === "number" && r.Score < 40, "CompareFace (two people)", r);

  r = await c.DetectFace({ Image: image("obama_and_biden.jpg"), MaxFaceNum: 5, NeedQualityDetection: 1 });
  expect(r.FaceInfos.length >= 2 && r.FaceInfos[0].FaceQualityInfo.Score >= 0, "DetectFace", r);

  // DetectLiveFace is no longer a method of this SDK version; its generic request() still sends it.
  r = await c.request("DetectLiveFace", { Image: image("obama.jpg") });
  expect(typeof r.Score === "number" && typeof r.IsLiveness === "boolean", "DetectLiveFace", r);

  r = await c.GetPersonList({ GroupId: group });
  expect(r.PersonNum === 2 && r.FaceNum === 3, "GetPersonList", r);

  r = await c.DeletePerson({ PersonId: "obama" });
  expect(typeof r.RequestId === "string", "DeletePerson", r);
  r = await c.DeleteGroup({ GroupId: group });
  expect(typeof r.RequestId === "string", "DeleteGroup", r);

  // A wrong key is refused with the cloud API's own error code.
  try {
    await client(process.env.FACEKIT_SECRET_ID, "wrong-secret").GetGroupList({});
    expect(false, "a wrong key is refused", "accepted");
  } catch (e) {
    expect(e.code === "AuthFailure.SignatureFailure", "a wrong key is refused with AuthFailure.SignatureFailure",
           e.code + " " + e.message);
  }
  // An unknown group, through the SDK's error path.
  try {
    await c.GetGroupInfo({ GroupId: group });
    expect(false, "a deleted group is gone", "found");
  } catch (e) {
    expect(e.code === "InvalidParameterValue.GroupIdNotExist", "a deleted group is gone", e.code);
  }
}

main().catch((e) => {
  console.error("FAILED:", e && (e.code || "") + " " + (e.message || e));
  process.exit(1);
});
