// REST/JSON, transcoded from the google.api.http annotations, on the real
// server's one port (the same port gRPC is served on), with a raw HTTP client.
#include "server/rest_gateway.h"

#include <gtest/gtest.h>

#include "common/base64.h"
#include "one_port_test_util.h"
#include "server/grpc_service.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::PhotoBase64;

class RestGatewayTest : public testing::OnePortServerTest {
 protected:
  // The answer as JSON, with its HTTP status checked.
  json Expect(int status, const testing::HttpAnswer& a) {
    EXPECT_EQ(a.status, status) << a.head << "\n" << a.body;
    EXPECT_NE(a.head.find("Content-Type: application/json"), std::string::npos) << a.head;
    json j = a.Json();
    EXPECT_TRUE(j.is_object()) << a.body;
    return j.is_object() ? j : json::object();
  }
  // An error answer: its status, and the code of {"code","message","status"}.
  std::string ErrorCode(int status, const testing::HttpAnswer& a) {
    json j = Expect(status, a);
    EXPECT_TRUE(j.contains("message") && j["message"].is_string()) << j;
    EXPECT_TRUE(j.contains("status") && j["status"].is_string()) << j;
    return j.value("code", "");
  }
};

TEST_F(RestGatewayTest, EnrolSearchVerifyListDeleteOverJson) {
  json g = Expect(200, Http(RestBearer("POST", "/v1/groups", {{"group_id", "staff"}, {"group_name", "Staff"}})));
  EXPECT_EQ(g["group_id"], "staff");
  EXPECT_EQ(g["face_model_version"], "3.0");
  EXPECT_TRUE(g["creation_timestamp"].is_string());  // int64 in the proto3 JSON mapping
  EXPECT_EQ(g["ex_descriptions"], json::array());   // defaults are printed

  json p = Expect(200, Http(RestBearer("POST", "/v1/groups/staff/persons",
                                       {{"person_id", "obama"},
                                        {"person_name", "Barack"},
                                        {"gender", 1},
                                        {"image", PhotoBase64("obama.jpg")}})));
  const std::string face_id = p.value("face_id", "");
  EXPECT_FALSE(face_id.empty()) << p;
  EXPECT_GT(p["face_rect"]["width"].get<int>(), 20);

  json s = Expect(200, Http(RestBearer("POST", "/v1/search",
                                       {{"group_ids", {"staff"}}, {"image", PhotoBase64("obama2.jpg")}})));
  ASSERT_EQ(s["results"].size(), 1u) << s;
  ASSERT_GE(s["results"][0]["candidates"].size(), 1u) << s;
  EXPECT_EQ(s["results"][0]["candidates"][0]["person_id"], "obama");
  EXPECT_GE(s["results"][0]["candidates"][0]["score"].get<double>(), 80.0);
  // lowerCamelCase names are accepted on input too.
  s = Expect(200, Http(RestBearer("POST", "/v1/search/persons",
                                  {{"groupIds", {"staff"}}, {"image", PhotoBase64("obama2.jpg")}, {"byGroup", true}})));
  EXPECT_EQ(s["results"][0]["group_candidates"][0]["candidates"][0]["person_id"], "obama") << s;

  json v = Expect(200, Http(RestBearer("POST", "/v1/persons/obama:verifyFace", {{"image", PhotoBase64("obama2.jpg")}})));
  EXPECT_EQ(v["is_match"], true);
  json c = Expect(200, Http(RestBearer("POST", "/v1/compare",
                                       {{"image_a", PhotoBase64("obama.jpg")}, {"image_b", PhotoBase64("obama2.jpg")}})));
  EXPECT_GE(c["score"].get<double>(), 60.0);
  json d = Expect(200, Http(RestBearer("POST", "/v1/detect", {{"image", PhotoBase64("obama.jpg")}})));
  EXPECT_EQ(d["faces"].size(), 1u);

  // A second face (repeated bytes in JSON), then deleted by a repeated query parameter.
  json f = Expect(200, Http(RestBearer("POST", "/v1/persons/obama/faces", {{"images", {PhotoBase64("obama3.jpg")}}})));
  ASSERT_EQ(f["suc_face_num"], 1) << f;
  const std::string second = f["suc_face_ids"][0];

  json l = Expect(200, Http(RestBearer("GET", "/v1/groups/staff/persons?limit=5&offset=0")));
  ASSERT_EQ(l["persons"].size(), 1u) << l;
  EXPECT_EQ(l["persons"][0]["person_id"], "obama");
  EXPECT_EQ(l["persons"][0]["face_ids"].size(), 2u);
  json n = Expect(200, Http(RestBearer("GET", "/v1/groups/staff/persons:count")));
  EXPECT_EQ(n["person_num"], 1);
  EXPECT_EQ(n["face_num"], 2);

  json del = Expect(200, Http(RestBearer("DELETE", "/v1/persons/obama/faces?face_ids=" + second + "&face_ids=nope")));
  EXPECT_EQ(del["suc_deleted_num"], 1) << del;

  Expect(200, Http(RestBearer("PATCH", "/v1/persons/obama", {{"person_name", "B. Obama"}})));
  json got = Expect(200, Http(RestBearer("GET", "/v1/persons/obama")));
  EXPECT_EQ(got["person_name"], "B. Obama");
  EXPECT_EQ(got["face_ids"], json::array({face_id}));

  EXPECT_EQ(Expect(200, Http(RestBearer("DELETE", "/v1/persons/obama"))), json::object());
  Expect(200, Http(RestBearer("DELETE", "/v1/groups/staff")));
  EXPECT_EQ(ErrorCode(404, Http(RestBearer("GET", "/v1/groups/staff"))), "InvalidParameterValue.GroupIdNotExist");
}

TEST_F(RestGatewayTest, ErrorsMapToHttpStatusesWithAJsonBody) {
  json e = Expect(404, Http(RestBearer("GET", "/v1/groups/nope/persons")));
  EXPECT_EQ(e["code"], "InvalidParameterValue.GroupIdNotExist");
  EXPECT_EQ(e["status"], "NOT_FOUND");
  EXPECT_FALSE(e["message"].get<std::string>().starts_with("InvalidParameterValue")) << e;

  EXPECT_EQ(ErrorCode(403, Http(RestBearer("POST", "/v1/groups", {{"group_id", "g"}, {"group_name", "G"}},
                                           "AKIDreader"))),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(ErrorCode(401, Http("GET /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer AKIDadmin:guess\r\n"
                                "Connection: close\r\n\r\n")),
            "AuthFailure.SignatureFailure");
  EXPECT_EQ(ErrorCode(401, Http("GET /v1/groups HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
            "AuthFailure.InvalidAuthorization");

  Expect(200, Http(RestBearer("POST", "/v1/groups", {{"group_id", "g"}, {"group_name", "G"}})));
  EXPECT_EQ(ErrorCode(409, Http(RestBearer("POST", "/v1/groups", {{"group_id", "g"}, {"group_name", "G2"}}))),
            "InvalidParameterValue.GroupIdAlreadyExist");
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("POST", "/v1/detect", {{"image", Base64Encode(std::vector<std::uint8_t>(
                                                                                 {'n', 'o', 'p', 'e'}))}}))),
            "FailedOperation.ImageDecodeFailed");
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("POST", "/v1/groups", {{"group_id", "h"}}))), "MissingParameter");
  EXPECT_EQ(ErrorCode(429, [&] {
              Http(RestBearer("GET", "/v1/groups", nullptr, "AKIDslow"));
              return Http(RestBearer("GET", "/v1/groups", nullptr, "AKIDslow"));
            }()),
            "RequestLimitExceeded");
}

TEST_F(RestGatewayTest, RoutingAndParsingErrorsAreRefusedBeforeTheService) {
  EXPECT_EQ(ErrorCode(404, Http(RestBearer("GET", "/v1/nothing/here"))), "NOT_FOUND");
  const auto wrong_method = Http(RestBearer("PUT", "/v1/groups", json::object()));
  EXPECT_EQ(ErrorCode(405, wrong_method), "UNIMPLEMENTED");
  EXPECT_NE(wrong_method.head.find("Allow: GET, POST"), std::string::npos) << wrong_method.head;

  const std::string malformed = "POST /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer AKIDadmin:secret-of-AKIDadmin"
                                "\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                                "{\"group_i";
  EXPECT_EQ(ErrorCode(400, Http(malformed)), "INVALID_ARGUMENT");
  // Unknown fields are errors, not silently dropped.
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("POST", "/v1/groups", {{"group_idd", "g"}, {"group_name", "G"}}))),
            "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("GET", "/v1/groups?limitt=3"))), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("GET", "/v1/groups?limit=three"))), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("GET", "/v1/groups?limit=3&limit=4"))), "INVALID_ARGUMENT");
  // Body "*" routes take every field in the body; GET routes take no body.
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("POST", "/v1/search?max_face_num=2", json::object()))), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("GET", "/v1/groups", {{"limit", 3}}))), "INVALID_ARGUMENT");
  // The path and the body must not disagree.
  EXPECT_EQ(ErrorCode(400, Http(RestBearer("POST", "/v1/groups/a/persons",
                                           {{"group_id", "b"}, {"person_id", "p"}, {"person_name", "P"}}))),
            "INVALID_ARGUMENT");

  const std::string metrics = Http("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").body;
  EXPECT_NE(metrics.find("surface=\"rest\",action=\"unknown\",code=\"NOT_FOUND\"} 1"), std::string::npos) << metrics;
}

TEST_F(RestGatewayTest, Tc3SignedRequestsCoverMethodPathQueryAndBody) {
  const std::string create = json{{"group_id", "signed"}, {"group_name", "Signed"}}.dump();
  const std::int64_t now = testing::NowSeconds();
  EXPECT_EQ(Expect(200, Http(RestSigned("POST", "/v1/groups", create, "AKIDadmin", {}, now)))["group_id"], "signed");
  // The same signed write again (a client's retry) gets the action's own answer.
  EXPECT_EQ(ErrorCode(409, Http(RestSigned("POST", "/v1/groups", create, "AKIDadmin", {}, now))),
            "InvalidParameterValue.GroupIdAlreadyExist");
  json l = Expect(200, Http(RestSigned("GET", "/v1/groups?limit=5", "")));
  EXPECT_EQ(l["group_num"], 1);
  EXPECT_EQ(ErrorCode(401, Http(RestSigned("GET", "/v1/groups", "", "AKIDadmin", "wrong-secret"))),
            "AuthFailure.SignatureFailure");
  // A signature for one query does not cover another.
  std::string tampered = RestSigned("GET", "/v1/groups?limit=5", "");
  tampered.replace(tampered.find("limit=5"), 7, "limit=6");
  EXPECT_EQ(ErrorCode(401, Http(tampered)), "AuthFailure.SignatureFailure");
  // A timestamp far from now is refused.
  EXPECT_EQ(ErrorCode(401, Http(RestSigned("GET", "/v1/groups", "", "AKIDadmin", {}, now - 3600))),
            "AuthFailure.SignatureExpire");
}

TEST_F(RestGatewayTest, KeysLimitedToAGroupSeeOnlyThatGroup) {
  Expect(200, Http(RestBearer("POST", "/v1/groups", {{"group_id", "a"}, {"group_name", "A"}})));
  Expect(200, Http(RestBearer("POST", "/v1/groups", {{"group_id", "b"}, {"group_name", "B"}})));
  EXPECT_EQ(ErrorCode(403, Http(RestBearer("GET", "/v1/groups/b/persons", nullptr, "AKIDscoped"))),
            "AuthFailure.UnauthorizedOperation");
  Expect(200, Http(RestBearer("GET", "/v1/groups/a/persons", nullptr, "AKIDscoped")));
  json groups = Expect(200, Http(RestBearer("GET", "/v1/groups", nullptr, "AKIDscoped")));
  ASSERT_EQ(groups["groups"].size(), 1u) << groups;
  EXPECT_EQ(groups["groups"][0]["group_id"], "a");
}

TEST_F(RestGatewayTest, CloudApiAndPingShareThePort) {
  EXPECT_EQ(Http("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").body, "pong");
  json answer = Expect(200, Cloud("CreateGroup", {{"GroupId", "cloud"}, {"GroupName", "Cloud"}}));
  EXPECT_FALSE(answer["Response"].contains("Error")) << answer;
  // The group made through the cloud API is there over REST.
  EXPECT_EQ(Expect(200, Http(RestBearer("GET", "/v1/groups/cloud")))["group_name"], "Cloud");
}

TEST_F(RestGatewayTest, GrpcTimeoutHeaderSetsTheCallDeadlineOrIsRefused) {
  // The header goes right after the request line.
  auto with_timeout = [](std::string request, const std::string& value) {
    request.insert(request.find("\r\n") + 2, "Grpc-Timeout: " + value + "\r\n");
    return request;
  };
  Expect(200, Http(with_timeout(RestBearer("GET", "/v1/groups"), "5S")));
  Expect(200, Http(with_timeout(RestBearer("GET", "/v1/groups"), "30000m")));
  for (const char* bad : {"soon", "5", "S", "123456789S", "5s", "-5S", "5 S"}) {
    EXPECT_EQ(ErrorCode(400, Http(with_timeout(RestBearer("GET", "/v1/groups"), bad))), "INVALID_ARGUMENT") << bad;
  }
}

TEST(GrpcTimeout, ParsesGrpcsWireFormat) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseGrpcTimeout("1H"), nanoseconds(3'600'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("2M"), nanoseconds(120'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("5S"), nanoseconds(5'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("500m"), nanoseconds(500'000'000));
  EXPECT_EQ(ParseGrpcTimeout("250u"), nanoseconds(250'000));
  EXPECT_EQ(ParseGrpcTimeout("99999999n"), nanoseconds(99'999'999));
  EXPECT_EQ(ParseGrpcTimeout("0m"), nanoseconds(0));
  for (const char* bad : {"", "m", "5", "5s", "5x", "123456789S", "+5S", "5.0S", " 5S"}) {
    EXPECT_FALSE(ParseGrpcTimeout(bad).has_value()) << bad;
  }
}

TEST(RestGatewayRoutesTest, EveryRpcHasARouteAndTheTemplatesCompile) {
  auto gateway = RestGateway::Create(FaceKitGrpcService::Descriptor(), nullptr, "token", nullptr);
  ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
  EXPECT_EQ((*gateway)->routes().size(), static_cast<std::size_t>(FaceKitGrpcService::Descriptor()->method_count()));
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& r : (*gateway)->routes()) {
    EXPECT_TRUE(seen.insert({r.http_method, r.path.text()}).second) << r.http_method << " " << r.path.text();
  }
  EXPECT_TRUE(seen.count({"POST", "/v1/groups"}));
  EXPECT_TRUE(seen.count({"GET", "/v1/groups/{group_id}/persons"}));
  EXPECT_TRUE(seen.count({"POST", "/v1/search"}));
}

}  // namespace
}  // namespace facekit::server
