// The OpenAPI document generated from the proto at build time, as the real
// server serves it at GET /v1/openapi.json: valid JSON, Swagger 2.0, every
// REST route of the gateway with its method, the security scheme, and the
// DetectFaces fields.
#include "server/openapi_document.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "one_port_test_util.h"
#include "server/grpc_service.h"
#include "server/rest_gateway.h"

namespace facekit::server {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class OpenApiTest : public testing::OnePortServerTest {};

TEST_F(OpenApiTest, ServedWithoutAKeyAndListsEveryRestRoute) {
  // No Authorization header: the document is public.
  const auto a = Http("GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(a.status, 200) << a.head << "\n" << a.body.substr(0, 500);
  EXPECT_NE(a.head.find("Content-Type: application/json"), std::string::npos) << a.head;
  const json doc = json::parse(a.body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "not JSON";
  EXPECT_EQ(a.body, OpenApiDocument());

  EXPECT_EQ(doc["swagger"], "2.0");
  EXPECT_EQ(doc["info"]["title"], "FaceKit REST API");
  ASSERT_TRUE(doc["paths"].is_object());
  EXPECT_TRUE(doc["paths"].contains("/v1/detect"));
  EXPECT_TRUE(doc["paths"]["/v1/groups/{group_id}"].contains("get"));
  EXPECT_TRUE(doc["paths"]["/v1/groups/{group_id}"].contains("delete"));
  EXPECT_TRUE(doc["paths"]["/v1/groups/{group_id}"].contains("patch"));

  // Every route the gateway serves, and nothing else.
  auto gateway = RestGateway::Create(FaceKitGrpcService::Descriptor(), nullptr, "token", nullptr);
  ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
  std::size_t operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, (*gateway)->routes().size());
  for (const auto& r : (*gateway)->routes()) {
    const std::string method = Lower(r.http_method);
    ASSERT_TRUE(doc["paths"].contains(r.path.text())) << r.path.text();
    ASSERT_TRUE(doc["paths"][r.path.text()].contains(method)) << r.http_method << " " << r.path.text();
    EXPECT_EQ(doc["paths"][r.path.text()][method]["operationId"], r.method->name());
  }

  // GetFaceCrop answers a JPEG, not JSON.
  const json& crop = doc["paths"]["/v1/faces/{face_id}/crop"]["get"]["responses"]["200"];
  EXPECT_FALSE(crop["schema"].contains("$ref")) << crop;  // not the HttpBody message as JSON
  EXPECT_NE(crop.value("description", "").find("image/jpeg"), std::string::npos) << crop;

  // The security scheme every operation needs.
  EXPECT_EQ(doc["securityDefinitions"]["Authorization"]["type"], "apiKey");
  EXPECT_EQ(doc["securityDefinitions"]["Authorization"]["in"], "header");
  EXPECT_EQ(doc["securityDefinitions"]["Authorization"]["name"], "Authorization");
  EXPECT_EQ(doc["security"], json::parse(R"([{"Authorization": []}])"));

  // The DetectFaces messages as they are now.
  const json& request = doc["definitions"]["v1DetectFacesRequest"]["properties"];
  EXPECT_TRUE(request.contains("need_quality_detection")) << request;
  EXPECT_TRUE(request.contains("need_face_attributes")) << request;
  EXPECT_TRUE(request.contains("need_quality")) << request;
  const json& face = doc["definitions"]["v1DetectedFace"]["properties"];
  EXPECT_EQ(face["landmarks"]["items"]["$ref"], "#/definitions/v1Point") << face;
  EXPECT_EQ(face["attributes"]["$ref"], "#/definitions/v1FaceAttributes") << face;
}

TEST_F(OpenApiTest, OnlyGetAndHead) {
  const auto head = Http("HEAD /v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.status, 200);
  const auto post = Http("POST /v1/openapi.json HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  EXPECT_NE(post.head.find("Allow: GET, HEAD"), std::string::npos) << post.head;
}

}  // namespace
}  // namespace facekit::server
