#include "server/cloud_api.h"

#include <gtest/gtest.h>

#include "cloud_test_util.h"
#include "server/url_fetcher.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::CodeOf;
using testing::PhotoBase64;
using testing::ResponseOf;

class CloudApiTest : public ::testing::Test {
 protected:
  CloudApiTest() {
    auto svc = service::OpenFaceService(dir_.path(), testing::SharedEngine());
    EXPECT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc.value());
    keys_.Add("AKIDadmin", KeyRole::kAdmin);
    keys_.Add("AKIDreader", KeyRole::kReadOnly);
    keys_.Add("AKIDwriter", KeyRole::kReadWrite);
    CloudApiOptions o;
    o.now_s = [this] { return now_s_; };
    o.steady_ms = [this] { return steady_ms_; };
    o.request_id = [this] { return "req-" + std::to_string(++requests_); };
    o.default_rate_limit = 1000;
    api_ = std::make_unique<CloudApi>(*service_, keys_, [this](const std::string& url) { return Fetch(url); },
                                      &metrics_, o);
  }

  // Url inputs: "http://photos.test/NAME" serves the shared photo NAME; anything else is refused.
  Result<std::vector<std::uint8_t>> Fetch(const std::string& url) {
    const std::string prefix = "http://photos.test/";
    if (url.rfind(prefix, 0) != 0) return Status(StatusCode::kInvalidArgument, "refused address for " + url);
    return ReadFileBytes(testing::Photo(url.substr(prefix.size())));
  }

  json Call(const std::string& action, json params, const std::string& key = "AKIDadmin") {
    testing::SignedRequest r;
    r.action = action;
    r.params = std::move(params);
    r.secret_id = key;
    r.secret_key = "secret-of-" + key;
    r.timestamp = now_s_;
    r.language = "en-US";
    return ResponseOf(api_->Handle(r.Build()));
  }

  testing::TempDir dir_;
  std::unique_ptr<service::FaceService> service_;
  testing::MemoryKeys keys_;
  Metrics metrics_;
  std::unique_ptr<CloudApi> api_;
  std::int64_t now_s_ = 1700000000;
  std::int64_t steady_ms_ = 0;
  int requests_ = 0;
};

TEST_F(CloudApiTest, CheckInFlowWithEnvelopes) {
  json r = Call("CreateGroup", {{"GroupId", "staff"}, {"GroupName", "Staff"}, {"GroupExDescriptions", {"desk"}}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_EQ(r["FaceModelVersion"], "3.0");
  EXPECT_EQ(r["RequestId"], "req-1");

  r = Call("CreatePerson", {{"GroupId", "staff"},
                            {"PersonId", "obama"},
                            {"PersonName", "Barack"},
                            {"Gender", 1},
                            {"PersonExDescriptionInfos", {{{"PersonExDescriptionIndex", 0}, {"PersonExDescription", "A1"}}}},
                            {"Image", PhotoBase64("obama.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_TRUE(r["FaceId"].is_string());
  EXPECT_GT(r["FaceRect"]["Width"].get<int>(), 20);
  EXPECT_EQ(r["SimilarPersonId"], "");

  // The data URL header the cloud API's users often leave on is tolerated.
  r = Call("CreatePerson", {{"GroupId", "staff"},
                            {"PersonId", "biden"},
                            {"PersonName", "Joe"},
                            {"Image", "data:image/jpeg;base64," + PhotoBase64("biden.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;

  r = Call("CreateFace", {{"PersonId", "obama"}, {"Images", {PhotoBase64("obama2.jpg"), "not base64!"}}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_EQ(r["SucFaceNum"], 1);
  EXPECT_EQ(r["RetCode"], json({0, -1102}));
  EXPECT_EQ(r["SucIndexes"], json({0}));

  r = Call("SearchFaces", {{"GroupIds", {"staff"}}, {"Url", "http://photos.test/obama3.jpg"}, {"NeedPersonInfo", 1}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  ASSERT_EQ(r["Results"].size(), 1u);
  const json& best = r["Results"][0]["Candidates"][0];
  EXPECT_EQ(best["PersonId"], "obama");
  EXPECT_GE(best["Score"].get<double>(), 80.0);
  EXPECT_EQ(best["PersonName"], "Barack");
  EXPECT_EQ(best["PersonGroupInfos"][0]["PersonExDescriptions"], json({"A1"}));
  EXPECT_EQ(r["FaceNum"], 3);

  r = Call("SearchPersonsReturnsByGroup", {{"GroupIds", {"staff"}}, {"Image", PhotoBase64("obama3.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_EQ(r["ResultsReturnsByGroup"][0]["GroupCandidates"][0]["Candidates"][0]["PersonId"], "obama");
  EXPECT_TRUE(r["ResultsReturnsByGroup"][0]["GroupCandidates"][0]["Candidates"][0]["FaceId"].is_null());
  EXPECT_EQ(r["PersonNum"], 2);

  r = Call("VerifyFace", {{"PersonId", "obama"}, {"Image", PhotoBase64("obama3.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_TRUE(r["IsMatch"].get<bool>());
  r = Call("VerifyPerson", {{"PersonId", "biden"}, {"Image", PhotoBase64("obama3.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_FALSE(r["IsMatch"].get<bool>());

  r = Call("CompareFace", {{"ImageA", PhotoBase64("obama.jpg")}, {"ImageB", PhotoBase64("obama2.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_GT(r["Score"].get<double>(), 60.0);

  r = Call("DetectFace", {{"Image", PhotoBase64("obama_and_biden.jpg")},
                          {"MaxFaceNum", 5},
                          {"NeedQualityDetection", 1},
                          {"NeedFaceAttributes", 1}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_EQ(r["FaceInfos"].size(), 3u);  // the two of them and a third person lower right
  EXPECT_TRUE(r["FaceInfos"][0].contains("FaceQualityInfo"));
  EXPECT_TRUE(r["FaceInfos"][0]["FaceAttributesInfo"].contains("Yaw"));
  // This service has no attribute models: age and the rest are left out, not invented.
  EXPECT_FALSE(r["FaceInfos"][0]["FaceAttributesInfo"].contains("Age"));
  EXPECT_GT(r["ImageWidth"].get<int>(), 0);

  r = Call("DetectLiveFace", {{"Image", PhotoBase64("obama.jpg")}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_TRUE(r["Score"].is_number());
  EXPECT_TRUE(r["IsLiveness"].is_boolean());

  r = Call("GetPersonList", {{"GroupId", "staff"}});
  ASSERT_EQ(CodeOf(r), "OK") << r;
  EXPECT_EQ(r["PersonNum"], 2);
  EXPECT_EQ(r["FaceNum"], 3);
  r = Call("GetGroupList", json::object());
  EXPECT_EQ(r["GroupNum"], 1);
  EXPECT_EQ(r["GroupInfos"][0]["GroupExDescriptions"], json({"desk"}));

  EXPECT_EQ(CodeOf(Call("DeletePerson", {{"PersonId", "obama"}})), "OK");
  EXPECT_EQ(CodeOf(Call("DeleteGroup", {{"GroupId", "staff"}})), "OK");
  EXPECT_EQ(CodeOf(Call("GetPersonBaseInfo", {{"PersonId", "biden"}})), "InvalidParameterValue.PersonIdNotExist");
}

TEST_F(CloudApiTest, ProtocolErrors) {
  EXPECT_EQ(CodeOf(Call("NoSuchThing", json::object())), "InvalidAction");
  EXPECT_EQ(CodeOf(Call("GetGroupList", {{"Offset", "0"}})), "InvalidParameter");
  EXPECT_EQ(CodeOf(Call("GetGroupList", {{"Ofset", 0}})), "UnknownParameter");
  EXPECT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "g"}})), "MissingParameter");
  EXPECT_EQ(CodeOf(Call("GetGroupInfo", {{"GroupId", "nope"}})), "InvalidParameterValue.GroupIdNotExist");
  EXPECT_EQ(CodeOf(Call("CompareFace", {{"ImageA", "@@@"}, {"ImageB", "@@@"}})), "FailedOperation.ImageDecodeFailed");
  EXPECT_EQ(CodeOf(Call("DetectFace", json::object())), "InvalidParameterValue.ImageEmpty");
  EXPECT_EQ(CodeOf(Call("DetectFace", {{"Url", "http://169.254.169.254/latest"}})), "InvalidParameterValue.UrlIllegal");
  EXPECT_EQ(CodeOf(Call("DetectFace", {{"Image", PhotoBase64("white.png")}})), "InvalidParameterValue.NoFaceInPhoto");

  testing::SignedRequest r;
  r.action = "GetGroupList";
  r.secret_id = "AKIDadmin";
  r.secret_key = "secret-of-AKIDadmin";
  r.timestamp = now_s_;
  r.version = "2019-01-01";
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(r.Build()))), "NoSuchVersion");

  // Body not JSON.
  r.version = "2020-03-03";
  HttpRequest bad = r.Build();
  bad.body = "{not json";
  // The signature covers the body: re-sign it.
  Tc3SignInput in;
  in.content_type = "application/json";
  in.host = "iai.facekit.test";
  in.payload_hash = Sha256Hex(bad.body);
  in.timestamp = now_s_;
  in.service = "iai";
  for (auto& [k, v] : bad.headers) {
    if (k == "authorization") v = Tc3Authorization("AKIDadmin", "secret-of-AKIDadmin", in);
  }
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(bad))), "InvalidParameter");
}

TEST_F(CloudApiTest, AuthenticationFailures) {
  testing::SignedRequest r;
  r.action = "GetGroupList";
  r.secret_id = "AKIDadmin";
  r.secret_key = "wrong";
  r.timestamp = now_s_;
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(r.Build()))), "AuthFailure.SignatureFailure");
  r.secret_id = "AKIDnobody";
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(r.Build()))), "AuthFailure.SecretIdNotFound");
  r.secret_id = "AKIDadmin";
  r.secret_key = "secret-of-AKIDadmin";
  r.timestamp = now_s_ - 301;
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(r.Build()))), "AuthFailure.SignatureExpire");
  r.timestamp = now_s_;
  HttpRequest unsigned_request = r.Build();
  std::erase_if(unsigned_request.headers, [](const auto& h) { return h.first == "authorization"; });
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(unsigned_request))), "AuthFailure.InvalidAuthorization");

  // An identical read within the same second is answered (clients do send
  // them: same body and timestamp give the same signature)...
  const HttpRequest read = r.Build();
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(read))), "OK");
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(read))), "OK");
  // ...as is another action with the same body in the same second (the SDKs
  // do not sign the action), but not later: a captured signature cannot be
  // replayed as another action.
  HttpRequest other_action = read;
  for (auto& [k, v] : other_action.headers) {
    if (k == "x-tc-action") v = "GetPersonListNum";
  }
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(other_action))), "MissingParameter");  // reached the action
  for (auto& [k, v] : other_action.headers) {
    if (k == "x-tc-action") v = "DeleteGroup";
  }
  now_s_ += 2;
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(other_action))), "AuthFailure.SignatureFailure");
  now_s_ -= 2;
  // An identical write within the same second (an SDK's retry, a kiosk
  // sending one frame twice) gets the action's own answer each time, as the
  // cloud gives it: here the second CreateGroup says the group exists.
  r.action = "CreateGroup";
  r.params = {{"GroupId", "twice"}, {"GroupName", "Twice"}};
  const HttpRequest write = r.Build();
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(write))), "OK");
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(write))), "InvalidParameterValue.GroupIdAlreadyExist");
  now_s_ += 1;  // still answered a second later
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(write))), "InvalidParameterValue.GroupIdAlreadyExist");
  now_s_ -= 1;
  r.action = "GetGroupList";
  r.params = json::object();

  // A revoked key stops working.
  keys_.Add("AKIDgone", KeyRole::kAdmin).revoked_ms = 1;
  r.secret_id = "AKIDgone";
  r.secret_key = "secret-of-AKIDgone";
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(r.Build()))), "AuthFailure.SecretIdNotFound");

  // The C++ and Python SDKs sign the host with its port; the Node SDK uses
  // the endpoint's first label as the service ("127" for 127.0.0.1:8080).
  r.secret_id = "AKIDadmin";
  r.secret_key = "secret-of-AKIDadmin";
  r.host = "127.0.0.1:8080";
  r.service = "127";
  r.timestamp = now_s_ + 1;
  EXPECT_EQ(CodeOf(ResponseOf(api_->Handle(r.Build()))), "OK");
}

TEST_F(CloudApiTest, LanguageOfMessages) {
  testing::SignedRequest r;
  r.action = "GetGroupInfo";
  r.params = {{"GroupId", "missing"}};
  r.secret_id = "AKIDadmin";
  r.secret_key = "secret-of-AKIDadmin";
  r.timestamp = now_s_;
  r.language = "zh-CN";
  json zh = ResponseOf(api_->Handle(r.Build()));
  EXPECT_NE(zh["Error"]["Message"].get<std::string>().find("人员库不存在"), std::string::npos) << zh;
  r.language = "en-US";
  r.timestamp = now_s_ + 1;
  json en = ResponseOf(api_->Handle(r.Build()));
  EXPECT_EQ(en["Error"]["Message"], "GroupId missing does not exist");
}

TEST_F(CloudApiTest, RolesActionsAndGroups) {
  ASSERT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "a"}, {"GroupName", "A"}})), "OK");
  ASSERT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "b"}, {"GroupName", "B"}})), "OK");
  ASSERT_EQ(CodeOf(Call("CreatePerson", {{"GroupId", "b"}, {"PersonId", "p"}, {"PersonName", "P"},
                                         {"Image", PhotoBase64("obama.jpg")}})),
            "OK");

  // Read-only keys read but cannot write.
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDreader")), "OK");
  EXPECT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "c"}, {"GroupName", "C"}}, "AKIDreader")),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(CodeOf(Call("DeletePerson", {{"PersonId", "p"}}, "AKIDreader")), "AuthFailure.UnauthorizedOperation");

  // An action allow-list.
  keys_.Add("AKIDsearch", KeyRole::kReadWrite).actions = {"SearchFaces"};
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDsearch")), "AuthFailure.UnauthorizedOperation");

  // A key limited to group a sees only a.
  keys_.Add("AKIDa", KeyRole::kReadWrite).groups = {"a"};
  json r = Call("GetGroupList", json::object(), "AKIDa");
  ASSERT_EQ(CodeOf(r), "OK");
  EXPECT_EQ(r["GroupNum"], 1);
  EXPECT_EQ(r["GroupInfos"][0]["GroupId"], "a");
  EXPECT_EQ(CodeOf(Call("GetPersonList", {{"GroupId", "b"}}, "AKIDa")), "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(CodeOf(Call("SearchFaces", {{"GroupIds", {"a", "b"}}, {"Image", PhotoBase64("obama2.jpg")}}, "AKIDa")),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(CodeOf(Call("GetPersonBaseInfo", {{"PersonId", "p"}}, "AKIDa")), "InvalidParameterValue.PersonIdNotExist");
  EXPECT_EQ(CodeOf(Call("DeletePerson", {{"PersonId", "p"}}, "AKIDa")), "InvalidParameterValue.PersonIdNotExist");
  // Copying p into a would need to see p (it is only in b).
  EXPECT_EQ(CodeOf(Call("CopyPerson", {{"PersonId", "p"}, {"GroupIds", {"a"}}}, "AKIDa")),
            "InvalidParameterValue.PersonIdNotExist");
  // Once p is also in a, the limited key sees p but may not delete it (it is still in b).
  ASSERT_EQ(CodeOf(Call("CopyPerson", {{"PersonId", "p"}, {"GroupIds", {"a"}}})), "OK");
  r = Call("GetPersonGroupInfo", {{"PersonId", "p"}}, "AKIDa");
  EXPECT_EQ(r["GroupNum"], 1);
  EXPECT_EQ(CodeOf(Call("DeletePerson", {{"PersonId", "p"}}, "AKIDa")), "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(CodeOf(Call("DeletePersonFromGroup", {{"PersonId", "p"}, {"GroupId", "a"}}, "AKIDa")), "OK");
}

TEST_F(CloudApiTest, RateLimitPerKey) {
  keys_.Add("AKIDslow", KeyRole::kReadOnly).rate_limit = 2;  // burst 2, then 2 per second
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDslow")), "OK");
  now_s_ += 1;  // the wall clock does not refill the bucket: the rate clock is steady_ms_
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDslow")), "OK");
  now_s_ += 1;
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDslow")), "RequestLimitExceeded");
  // Other keys are not affected.
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDreader")), "OK");
  steady_ms_ += 500;  // one token back
  now_s_ += 1;
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDslow")), "OK");
  now_s_ += 1;
  EXPECT_EQ(CodeOf(Call("GetGroupList", json::object(), "AKIDslow")), "RequestLimitExceeded");
}

TEST_F(CloudApiTest, MetricsCountActionsAndCodes) {
  (void)Call("GetGroupList", json::object());
  (void)Call("GetGroupInfo", {{"GroupId", "x"}});
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find("facekit_requests_total{surface=\"cloud\",action=\"GetGroupList\",code=\"OK\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("action=\"GetGroupInfo\",code=\"InvalidParameterValue.GroupIdNotExist\"} 1"), std::string::npos);
  EXPECT_NE(text.find("facekit_request_duration_seconds_count{surface=\"cloud\",action=\"GetGroupList\"} 1"),
            std::string::npos);
}

// The fetcher `facekit serve` wires in, with its default policy: loopback and
// the cloud metadata address are refused before any connection is made.
TEST_F(CloudApiTest, RealUrlFetcherRefusesLoopbackAndMetadataAddresses) {
  auto fetcher = std::make_shared<UrlFetcher>(UrlFetchOptions{});
  CloudApiOptions o;
  o.now_s = [this] { return now_s_; };
  api_ = std::make_unique<CloudApi>(*service_, keys_,
                                    [fetcher](const std::string& url) { return fetcher->Fetch(url); }, &metrics_, o);
  for (const char* url : {"http://127.0.0.1:8080/photo.jpg", "http://169.254.169.254/latest/meta-data/",
                          "http://localhost/x.jpg", "http://10.0.0.1/x.jpg", "file:///etc/passwd"}) {
    json r = Call("DetectFace", {{"Url", url}});
    EXPECT_EQ(CodeOf(r), "InvalidParameterValue.UrlIllegal") << url << " " << r;
    now_s_ += 1;
  }
}

}  // namespace
}  // namespace facekit::server
