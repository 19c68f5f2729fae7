// The cloud endpoint's request decoder (every form), the flat-to-typed
// parameter tree, and malformed requests through CloudApi::Handle: each gets
// its error code in an HTTP 200 envelope, never a 500 or a crash.
#include "server/cloud_request.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "cloud_test_util.h"
#include "server/cloud_param_tree.h"
#include "server/v1_signature.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::CodeOf;
using testing::ResponseOf;

HttpRequest Request(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers,
                    std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  r.headers.emplace_back("host", "iai.facekit.test:8080");
  r.body = std::move(body);
  r.received = std::chrono::steady_clock::now();
  return r;
}

std::string CodeOf(const service::ApiResult<CloudRequest>& r) { return r.ok() ? "OK" : r.error().code; }

const std::vector<std::pair<std::string, std::string>> kTc3 = {
    {"authorization",
     "TC3-HMAC-SHA256 Credential=x/2023-11-14/iai/tc3_request, SignedHeaders=content-type;host, "
     "Signature=0000000000000000000000000000000000000000000000000000000000000000"},
    {"x-tc-action", "GetGroupList"},
    {"x-tc-version", "2018-03-01"},
    {"x-tc-language", "en-US"}};

std::vector<std::pair<std::string, std::string>> Tc3With(std::string content_type) {
  auto h = kTc3;
  h.emplace_back("content-type", std::move(content_type));
  return h;
}

const std::string kForm = "application/x-www-form-urlencoded";

TEST(CloudRequestTest, TellsTheFormsApart) {
  auto json_post = DecodeCloudRequest(Request("POST", "/", Tc3With("application/json; charset=utf-8"), "{}"));
  ASSERT_TRUE(json_post.ok());
  EXPECT_EQ(json_post->form, CloudRequestForm::kTc3Json);
  EXPECT_EQ(json_post->action, "GetGroupList");
  EXPECT_EQ(json_post->version, "2018-03-01");
  EXPECT_EQ(json_post->language, "en-US");
  EXPECT_EQ(json_post->json_body, "{}");

  auto get = DecodeCloudRequest(Request("GET", "/?Limit=5&GroupIds.0=a%20b", Tc3With(kForm)));
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->form, CloudRequestForm::kTc3Get);
  ASSERT_EQ(get->params.size(), 2u);
  EXPECT_EQ(get->params[1].name, "GroupIds.0");
  EXPECT_EQ(get->params[1].value, "a b");

  const std::string body =
      "--XB\r\nContent-Disposition: form-data; name=\"Limit\"\r\n\r\n5\r\n"
      "--XB\r\nContent-Disposition: form-data; name=\"Image\"\r\nContent-Type: "
      "application/octet-stream\r\n\r\n\x01\x02\r\n"
      "--XB--\r\n";
  auto multipart = DecodeCloudRequest(Request("POST", "/", Tc3With("multipart/form-data; boundary=XB"), body));
  ASSERT_TRUE(multipart.ok()) << multipart.error().message;
  EXPECT_EQ(multipart->form, CloudRequestForm::kTc3Multipart);
  ASSERT_EQ(multipart->params.size(), 2u);
  EXPECT_FALSE(multipart->params[0].binary);
  EXPECT_TRUE(multipart->params[1].binary);
  EXPECT_EQ(multipart->params[1].value, "\x01\x02");
  // With no number part, the Node SDK's digest is the body's.
  EXPECT_EQ(NodeMultipartDigest(multipart.value(), "XB", [](const FlatParam&) { return false; }), Sha256Hex(body));
  EXPECT_NE(NodeMultipartDigest(multipart.value(), "XB", [](const FlatParam& p) { return p.name == "Limit"; }),
            Sha256Hex(body));

  const std::string v1 = "Action=GetGroupList&Version=2020-03-03&Language=zh-CN&Limit=5&Nonce=1&Timestamp=2&SecretId=a";
  auto v1_get = DecodeCloudRequest(Request("GET", "/?" + v1, {}));
  ASSERT_TRUE(v1_get.ok());
  EXPECT_EQ(v1_get->form, CloudRequestForm::kV1Get);
  EXPECT_EQ(v1_get->language, "zh-CN");
  ASSERT_EQ(v1_get->params.size(), 1u);  // Limit; the rest are common parameters
  EXPECT_EQ(v1_get->v1.params.size(), 7u);
  EXPECT_EQ(v1_get->v1.host, "iai.facekit.test:8080");
  auto v1_post = DecodeCloudRequest(Request("POST", "/", {{"content-type", kForm}}, v1));
  ASSERT_TRUE(v1_post.ok());
  EXPECT_EQ(v1_post->form, CloudRequestForm::kV1Post);
  EXPECT_EQ(v1_post->v1.method, "POST");
}

TEST(CloudRequestTest, MalformedAndAmbiguousRequestsGetTheirCodes) {
  const std::vector<std::pair<std::string, std::string>> form = {{"content-type", kForm}};
  struct Case {
    const char* what;
    HttpRequest request;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"PUT", Request("PUT", "/", Tc3With("application/json"), "{}"), "UnsupportedProtocol"},
      {"duplicate V1 parameter", Request("GET", "/?Action=A&Action=B&Version=2020-03-03", {}), "InvalidParameter"},
      {"duplicate TC3 GET parameter", Request("GET", "/?Limit=1&Limit=2", Tc3With(kForm)), "InvalidParameter"},
      {"bad percent-encoding", Request("GET", "/?Action=Get%ZZ&Version=2020-03-03", {}), "InvalidParameter"},
      {"truncated percent-encoding", Request("POST", "/", form, "Action=Get%4"), "InvalidParameter"},
      {"parameter without a name", Request("GET", "/?=x&Action=A&Version=2020-03-03", {}), "InvalidParameter"},
      {"V1 without Action", Request("GET", "/?Version=2020-03-03&Nonce=1", {}), "MissingParameter"},
      {"V1 without Version", Request("POST", "/", form, "Action=GetGroupList"), "MissingParameter"},
      {"JSON body with a form Content-Type", Request("POST", "/", form, "{\"Action\":\"GetGroupList\"}"),
       "InvalidParameter"},
      {"TC3 JSON body with a form Content-Type", Request("POST", "/", Tc3With(kForm), "{}"), "InvalidParameter"},
      {"TC3 with a form body", Request("POST", "/", Tc3With(kForm), "Limit=1"), "InvalidParameter"},
      {"POST with a query string", Request("POST", "/?Action=A", form, "Version=2020-03-03"), "InvalidParameter"},
      {"GET with a body", Request("GET", "/?Action=A&Version=B", {}, "Limit=1"), "InvalidParameter"},
      {"X-TC-Version contradicting Version",
       Request("GET", "/?Action=A&Version=2020-03-03", {{"x-tc-version", "2018-03-01"}}), "InvalidParameter"},
      {"TC3 header beside a V1 Signature", Request("GET", "/?Signature=abc", Tc3With(kForm)), "InvalidParameter"},
      {"X-TC-Action contradicting Action",
       Request("GET", "/?Action=DeleteGroup&Version=2020-03-03", {{"x-tc-action", "GetGroupList"}}),
       "InvalidParameter"},
      {"V1 body over 1 MB", Request("POST", "/", form, "Action=A&Version=B&Image=" + std::string(1024 * 1024, 'a')),
       "RequestSizeLimitExceeded"},
      {"other Content-Type", Request("POST", "/", Tc3With("text/plain"), "{}"), "InvalidParameter"},
      {"TC3 without X-TC-Action", Request("POST", "/", {kTc3[0], {"content-type", "application/json"}}, "{}"),
       "MissingParameter"},
      {"multipart without boundary", Request("POST", "/", Tc3With("multipart/form-data"), "--x--"), "InvalidParameter"},
      {"multipart not closed",
       Request("POST", "/", Tc3With("multipart/form-data; boundary=B"),
               "--B\r\nContent-Disposition: form-data; name=\"Limit\"\r\n\r\n5"),
       "InvalidParameter"},
      {"multipart part without name",
       Request("POST", "/", Tc3With("multipart/form-data; boundary=B"),
               "--B\r\nContent-Disposition: form-data\r\n\r\n5\r\n--B--\r\n"),
       "InvalidParameter"},
      {"multipart duplicate part",
       Request("POST", "/", Tc3With("multipart/form-data; boundary=B"),
               "--B\r\nContent-Disposition: form-data; name=\"L\"\r\n\r\n5\r\n"
               "--B\r\nContent-Disposition: form-data; name=\"L\"\r\n\r\n6\r\n--B--\r\n"),
       "InvalidParameter"},
      {"multipart with trailing data",
       Request("POST", "/", Tc3With("multipart/form-data; boundary=B"),
               "--B\r\nContent-Disposition: form-data; name=\"L\"\r\n\r\n5\r\n--B--\r\njunk"),
       "InvalidParameter"},
  };
  for (const auto& c : cases) EXPECT_EQ(CodeOf(DecodeCloudRequest(c.request)), c.code) << c.what;
}

CloudRequest Flat(std::vector<std::pair<std::string, std::string>> params) {
  CloudRequest r;
  r.form = CloudRequestForm::kV1Get;
  for (auto& [k, v] : params) r.params.push_back({std::move(k), std::move(v), false});
  return r;
}

TEST(CloudParamTreeTest, FlatParametersBecomeTheTreeAJsonBodyGives) {
  const ActionSchema* create = FindActionSchema("CreatePerson");
  ASSERT_NE(create, nullptr);
  auto tree = BuildParamTree(Flat({{"GroupId", "g"},
                                   {"Gender", "1"},
                                   {"PersonExDescriptionInfos.1.PersonExDescription", "b"},
                                   {"PersonExDescriptionInfos.0.PersonExDescriptionIndex", "0"},
                                   {"PersonExDescriptionInfos.0.PersonExDescription", "a"},
                                   {"PersonExDescriptionInfos.1.PersonExDescriptionIndex", "1"}}),
                             *create, ApiVersion::k2018_03_01);
  ASSERT_TRUE(tree.ok()) << tree.error().message;
  EXPECT_EQ(tree.value(), json::parse(R"({"GroupId": "g", "Gender": 1, "PersonExDescriptionInfos": [
      {"PersonExDescriptionIndex": 0, "PersonExDescription": "a"},
      {"PersonExDescriptionIndex": 1, "PersonExDescription": "b"}]})"));

  CloudRequest twice;
  twice.json_body = R"({"GroupId": "a", "Gender": 1, "GroupId": "b"})";
  EXPECT_EQ(BuildParamTree(twice, *create, ApiVersion::k2020_03_03).error().code, "InvalidParameter");
  twice.json_body = R"({"PersonExDescriptionInfos": [{"PersonExDescription": "a", "PersonExDescription": "b"}]})";
  EXPECT_EQ(BuildParamTree(twice, *create, ApiVersion::k2020_03_03).error().code, "InvalidParameter");
  twice.json_body = R"({"PersonExDescriptionInfos": [{"PersonExDescription": "a"}, {"PersonExDescription": "b"}]})";
  EXPECT_TRUE(BuildParamTree(twice, *create, ApiVersion::k2020_03_03).ok());

  const ActionSchema* face = FindActionSchema("CreateFace");
  auto urls = BuildParamTree(Flat({{"Urls.1", "b"}, {"Urls.0", "a"}, {"FaceMatchThreshold", "60.5"}}), *face,
                             ApiVersion::k2020_03_03);
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls.value(), json::parse(R"({"Urls": ["a", "b"], "FaceMatchThreshold": 60.5})"));

  auto code = [&](const ActionSchema& s, std::vector<std::pair<std::string, std::string>> p,
                  ApiVersion v = ApiVersion::k2020_03_03) {
    auto r = BuildParamTree(Flat(std::move(p)), s, v);
    return r.ok() ? std::string("OK") : r.error().code;
  };
  EXPECT_EQ(code(*face, {{"Urls.1", "b"}}), "InvalidParameter");      // Urls.0 missing
  EXPECT_EQ(code(*face, {{"Urls", "a"}}), "InvalidParameter");        // a list without index
  EXPECT_EQ(code(*face, {{"Urls.01", "a"}}), "InvalidParameter");     // leading zero
  EXPECT_EQ(code(*face, {{"Urls.0.x", "a"}}), "InvalidParameter");    // strings have no fields
  EXPECT_EQ(code(*face, {{"PersonId.0", "a"}}), "InvalidParameter");  // not a list
  EXPECT_EQ(code(*face, {{"FaceMatchThreshold", "high"}}), "InvalidParameter");
  EXPECT_EQ(code(*face, {{"FaceMatchThreshold", "inf"}}), "InvalidParameter");
  EXPECT_EQ(code(*face, {{"Url", "a"}}), "UnknownParameter");
  EXPECT_EQ(code(*create, {{"PersonExDescriptionInfos.0.Index", "0"}}), "UnknownParameter");
  const ActionSchema* compare = FindActionSchema("CompareFace");
  EXPECT_EQ(code(*compare, {{"FaceMatchingStrategy", "1"}}), "OK");
  EXPECT_EQ(code(*compare, {{"FaceMatchingStrategy", "1"}}, ApiVersion::k2018_03_01), "UnknownParameter");

  // A multipart image sent as bytes is the image: its base64 goes into the tree.
  CloudRequest binary = Flat({{"Image", std::string("\xff\xd8\xff", 3)}});
  binary.form = CloudRequestForm::kTc3Multipart;
  binary.params[0].binary = true;
  auto image = BuildParamTree(binary, *FindActionSchema("DetectFace"), ApiVersion::k2020_03_03);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.value()["Image"], "/9j/");
}

// Malformed V1 requests through the whole endpoint: an envelope with the code, HTTP 200.
class CloudRequestApiTest : public ::testing::Test {
 protected:
  CloudRequestApiTest() {
    auto svc = service::OpenFaceService(dir_.path(), testing::SharedEngine());
    EXPECT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc.value());
    keys_.Add("AKIDadmin", KeyRole::kAdmin);
    keys_.Add("AKIDreader", KeyRole::kReadOnly);
    keys_.Add("AKIDstaff", KeyRole::kReadWrite).groups = {"staff"};
    CloudApiOptions o;
    o.now_s = [] { return kNow; };
    o.default_rate_limit = 0;
    api_ = std::make_unique<CloudApi>(*service_, keys_, nullptr, nullptr, o);
  }

  // A V1 GET signed with HmacSHA256 by `key`, with `nonce` and the action's parameters.
  json V1(const std::string& action, std::vector<V1Param> params, const std::string& key = "AKIDadmin",
          const std::string& version = "2020-03-03") {
    params.insert(params.end(), {{"Action", action},
                                 {"Version", version},
                                 {"Nonce", std::to_string(++nonce_)},
                                 {"Timestamp", std::to_string(kNow)},
                                 {"SecretId", key},
                                 {"SignatureMethod", "HmacSHA256"},
                                 {"Language", "en-US"}});
    const std::string to_sign = V1StringToSign("GET", "iai.facekit.test:8080", "/", params);
    params.emplace_back("Signature", V1Signature("secret-of-" + key, to_sign, V1SignatureMethod::kHmacSha256));
    std::string query;
    for (const auto& [k, v] : params) {
      query += (query.empty() ? "" : "&") + k + "=";
      for (unsigned char c : v) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
          query += static_cast<char>(c);
        } else {
          query += {'%', kHex[c >> 4], kHex[c & 15]};
        }
      }
    }
    const HttpResponse r = api_->Handle(Request("GET", "/?" + query, {}));
    EXPECT_EQ(r.status, 200);
    return ResponseOf(r);
  }

  static constexpr std::int64_t kNow = 1700000000;
  testing::TempDir dir_;
  std::unique_ptr<service::FaceService> service_;
  testing::MemoryKeys keys_;
  std::unique_ptr<CloudApi> api_;
  int nonce_ = 0;
};

TEST_F(CloudRequestApiTest, V1RequestsGetTheSameKeysRolesScopesAndVersions) {
  json r = V1("CreateGroup", {{"GroupId", "staff"}, {"GroupName", "Staff"}, {"GroupExDescriptions.0", "desk"}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  r = V1("GetGroupInfo", {{"GroupId", "staff"}}, "AKIDadmin", "2018-03-01");
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_EQ(r["GroupExDescriptions"], json::array({"desk"}));
  EXPECT_EQ(CodeOf(V1("CreateGroup", {{"GroupId", "x"}, {"GroupName", "X"}}, "AKIDreader")),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(CodeOf(V1("CreateGroup", {{"GroupId", "other"}, {"GroupName", "O"}}, "AKIDstaff")),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(CodeOf(V1("GetGroupList", {{"Limit", "5"}}, "AKIDstaff")), "OK");
  EXPECT_EQ(CodeOf(V1("GetGroupList", {}, "AKIDnobody")), "AuthFailure.SecretIdNotFound");

  EXPECT_EQ(CodeOf(V1("GetGroupList", {}, "AKIDadmin", "2017-01-01")), "NoSuchVersion");
  EXPECT_EQ(CodeOf(V1("DetectLiveFaceAccurate", {{"Image", "x"}}, "AKIDadmin", "2018-03-01")), "InvalidAction");
  EXPECT_EQ(CodeOf(V1("CompareFace", {{"FaceMatchingStrategy", "1"}}, "AKIDadmin", "2018-03-01")), "UnknownParameter");
  EXPECT_EQ(CodeOf(V1("NoSuchAction", {{"GroupId", "g"}})), "InvalidAction");
  // Answered since the face model versions (FaceModelVersion is required).
  EXPECT_EQ(CodeOf(V1("UpgradeGroupFaceModelVersion", {{"GroupId", "g"}})), "MissingParameter");
  EXPECT_EQ(CodeOf(V1("DetectFaceAttributes", {})), "InvalidParameterValue.ImageEmpty");  // reaches the action
  EXPECT_EQ(CodeOf(V1("CompareMaskFace", {{"ImageA", "x"}}, "AKIDadmin", "2018-03-01")), "InvalidAction");
  EXPECT_EQ(CodeOf(V1("GetGroupList", {{"Limit", "ten"}})), "InvalidParameter");
  EXPECT_EQ(CodeOf(V1("GetGroupList", {{"Limit", "1.5"}})), "InvalidParameter");  // an integer parameter
  EXPECT_EQ(CodeOf(V1("GetGroupList", {{"Ofset", "1"}})), "UnknownParameter");
  EXPECT_EQ(CodeOf(V1("CreateGroup", {{"GroupId", "g2"}})), "MissingParameter");

  // Malformed requests never reach the action, and are answered in the envelope.
  for (const auto& [target, code] : std::vector<std::pair<std::string, std::string>>{
           {"/?Action=GetGroupList&Version=2020-03-03&Nonce=1&Timestamp=1700000000&SecretId=AKIDadmin"
            "&SignatureMethod=HmacMD5&Signature=x",
            "InvalidParameterValue"},
           {"/?Action=GetGroupList&Version=2020-03-03&Nonce=1&Timestamp=1700000000&SecretId=AKIDadmin",
            "MissingParameter"},
           {"/?Action=GetGroupList&Version=2020-03-03&Nonce=1&Timestamp=1&SecretId=AKIDadmin&Signature=x",
            "AuthFailure.SignatureExpire"},
           {"/?Action=GetGroupList&Action=GetGroupList&Version=2020-03-03", "InvalidParameter"},
           {"/?Action=%GG", "InvalidParameter"}}) {
    const HttpResponse resp = api_->Handle(Request("GET", target, {}));
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(CodeOf(ResponseOf(resp)), code) << target;
  }
}

}  // namespace
}  // namespace facekit::server

namespace facekit::server {
namespace {

// Mutated requests of every form (fixed seed): the decoder and the parameter
// tree answer each with a value or one of the documented codes, never a crash.
TEST(CloudRequestTest, MutatedRequestsOfEveryFormGetACodeNotACrash) {
  const std::string multipart =
      "--B\r\nContent-Disposition: form-data; name=\"Urls.0\"\r\n\r\nhttp://a/b\r\n"
      "--B\r\nContent-Disposition: form-data; name=\"Image\"\r\nContent-Type: application/octet-stream\r\n\r\nxy\r\n"
      "--B--\r\n";
  const std::vector<HttpRequest> seeds = {
      Request("GET", "/?GroupIds.0=a&MaxFaceNum=5&PersonExDescriptionInfos.0.PersonExDescriptionIndex=0",
              Tc3With(kForm)),
      Request("POST", "/", Tc3With("multipart/form-data; boundary=B"), multipart),
      Request("GET", "/?Action=SearchFaces&Version=2018-03-01&GroupIds.0=a%20b&Nonce=1&Timestamp=2&SecretId=x", {}),
      Request("POST", "/", {{"content-type", kForm}}, "Action=CreateFace&Version=2020-03-03&Urls.0=u&Urls.1=v"),
  };
  const std::set<std::string> codes = {"OK",
                                       "InvalidParameter",
                                       "MissingParameter",
                                       "UnknownParameter",
                                       "UnsupportedProtocol",
                                       "RequestSizeLimitExceeded"};
  std::mt19937 rng(20);
  const std::string alphabet = "%&=.0123456789-\r\n\"; AZaz";
  int decoded = 0;
  for (int i = 0; i < 4000; ++i) {
    HttpRequest r = seeds[static_cast<std::size_t>(i) % seeds.size()];
    std::string& text = r.method == "GET" ? r.target : r.body;
    for (int m = 0; m < 1 + static_cast<int>(rng() % 3); ++m) {
      const std::size_t at = 1 + rng() % (text.size() - 1);
      switch (rng() % 3) {
        case 0:
          text[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.erase(at, 1 + rng() % 4);
          break;
        default:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
      if (text.size() < 2) text = "/?";
    }
    auto request = DecodeCloudRequest(r);
    std::string code = CodeOf(request);
    if (request.ok()) {
      ++decoded;
      for (const char* action : {"SearchFaces", "CreateFace", "CreatePerson"}) {
        for (ApiVersion v : {ApiVersion::k2018_03_01, ApiVersion::k2020_03_03}) {
          auto tree = BuildParamTree(request.value(), *FindActionSchema(action), v);
          code = tree.ok() ? "OK" : tree.error().code;
          EXPECT_TRUE(codes.count(code)) << code;
        }
      }
    }
    EXPECT_TRUE(codes.count(code)) << code << " for " << text;
  }
  EXPECT_GT(decoded, 100);  // the mutations reach the parameter tree, not only the decoder
}

}  // namespace
}  // namespace facekit::server
