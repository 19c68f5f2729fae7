// Phone photos on the real server: REST and gRPC accept them up to the pixel
// budget and answer in original coordinates; the cloud endpoint keeps the
// cloud API's documented limits unless the server relaxes them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "common/base64.h"
#include "one_port_test_util.h"
#include "phone_photo.h"
#include "serve_process.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using Stub = v1::FaceKit::Stub;

// The 4352x2903 JPEG, from a shared photo, and where its face is.
struct Phone {
  testing::PhonePhoto photo;
  FaceBox face;  // the largest face, in the phone photo's pixels
};

const Phone& PhonePhoto() {
  static const Phone phone = [] {
    Phone p;
    p.photo = testing::MakePhonePhoto("obama-720p.jpg", 4352, 2903);
    auto small = testing::SharedEngine().Detect(testing::MustLoad(testing::Photo("obama-720p.jpg")));
    EXPECT_TRUE(small.ok() && !small->empty());
    if (small.ok() && !small->empty())
      p.face = p.photo.FromOriginal((*small)[static_cast<size_t>(LargestFace(*small))]);
    return p;
  }();
  return phone;
}

// A rectangle of a JSON answer, named by its four fields.
FaceBox Box(const json& r, const char* x, const char* y, const char* w, const char* h) {
  return {.x = r[x].get<float>(), .y = r[y].get<float>(), .width = r[w].get<float>(), .height = r[h].get<float>()};
}

class LargeImageServerTest : public testing::OnePortServerTest {
 protected:
  void Configure(service::DataDirOptions* data, ServerOptions* server) override {
    // The service reads the photo at 1/2 scale: the answers must still be in
    // the original pixels.
    data->service.image_limits.working_long_side = 1280;
    if (relaxed_) {  // what `serve --cloud-image-limits relaxed` sets
      server->cloud.max_image_base64_bytes = 0;
      server->cloud.image_limits.reset();
    }
  }

  // DetectFace on the cloud endpoint with the phone photo.
  json CloudDetect() { return CloudDetect(Base64Encode(PhonePhoto().photo.jpeg)); }
  json CloudDetect(const std::string& base64) {
    auto a = Http(CloudSigned("DetectFace", {{"Image", base64}, {"MaxFaceNum", 5}}));
    EXPECT_EQ(a.status, 200) << a.body;
    json j = a.Json();
    return j.contains("Response") ? j["Response"] : json::object();
  }

  bool relaxed_ = false;
};

class RelaxedCloudServerTest : public LargeImageServerTest {
 protected:
  RelaxedCloudServerTest() { relaxed_ = true; }
};

TEST_F(LargeImageServerTest, GrpcAndRestAcceptPhonePhotosAndAnswerInOriginalPixels) {
  const Phone& phone = PhonePhoto();
  ASSERT_LT(phone.photo.jpeg.size() * 4 / 3, std::size_t{5} * 1024 * 1024);  // under the cloud's base64 limit too

  v1::DetectFacesRequest detect;
  detect.set_image(std::string(phone.photo.jpeg.begin(), phone.photo.jpeg.end()));
  v1::DetectFacesResponse faces;
  auto r = Rpc(&Stub::DetectFaces, "DetectFaces", detect, &faces);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  EXPECT_EQ(faces.image_width(), 4352);
  EXPECT_EQ(faces.image_height(), 2903);
  ASSERT_GE(faces.faces_size(), 1);
  const auto& rect = faces.faces(0).rect();
  const FaceBox grpc_box{.x = static_cast<float>(rect.x()),
                         .y = static_cast<float>(rect.y()),
                         .width = static_cast<float>(rect.width()),
                         .height = static_cast<float>(rect.height())};
  EXPECT_GT(testing::BoxIou(grpc_box, phone.face), 0.85);

  json body = {{"image", Base64Encode(phone.photo.jpeg)}};
  testing::HttpAnswer a = Http(RestBearer("POST", "/v1/detect", body));
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.Json();
  EXPECT_EQ(j["image_width"], 4352);
  EXPECT_EQ(j["image_height"], 2903);
  ASSERT_FALSE(j["faces"].empty());
  const json& jr = j["faces"][0]["rect"];
  EXPECT_GT(testing::BoxIou(Box(jr, "x", "y", "width", "height"), phone.face), 0.85) << j;

  // Enrol it and search with the small original: same person, face rect of
  // the enrolment in the phone photo's pixels.
  ASSERT_EQ(Http(RestBearer("POST", "/v1/groups", {{"group_id", "g"}, {"group_name", "G"}})).status, 200);
  a = Http(RestBearer("POST", "/v1/groups/g/persons",
                      {{"person_id", "p"}, {"person_name", "P"}, {"image", Base64Encode(phone.photo.jpeg)}}));
  ASSERT_EQ(a.status, 200) << a.body;
  const json person = a.Json();
  EXPECT_GT(testing::BoxIou(Box(person["face_rect"], "x", "y", "width", "height"), phone.face), 0.85) << a.body;
  a = Http(RestBearer("POST", "/v1/search", {{"group_ids", {"g"}}, {"image", testing::PhotoBase64("obama-720p.jpg")}}));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_GE(a.Json()["results"][0]["candidates"][0]["score"].get<double>(), 80) << a.body;
}

TEST_F(LargeImageServerTest, PixelBudgetRefusesOnEverySurface) {
  // 12000 x 9000 (108 MP) claimed by a JPEG's frame header: over the 100 MP
  // budget, refused from the header alone.
  std::vector<std::uint8_t> jpeg = PhonePhoto().photo.jpeg;
  for (std::size_t i = 2; i + 8 < jpeg.size();) {  // segments up to the baseline frame header
    if (jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = 9000 >> 8;
      jpeg[i + 6] = 9000 & 0xFF;
      jpeg[i + 7] = 12000 >> 8;
      jpeg[i + 8] = 12000 & 0xFF;
      break;
    }
    i += 2 + static_cast<std::size_t>((jpeg[i + 2] << 8) | jpeg[i + 3]);
  }
  v1::DetectFacesRequest detect;
  detect.set_image(std::string(jpeg.begin(), jpeg.end()));
  v1::DetectFacesResponse faces;
  auto r = Rpc(&Stub::DetectFaces, "DetectFaces", detect, &faces);
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.code, "FailedOperation.ImageResolutionExceed");
  EXPECT_NE(r.status.error_message().find("pixel budget"), std::string::npos) << r.status.error_message();
  testing::HttpAnswer a = Http(RestBearer("POST", "/v1/detect", {{"image", Base64Encode(jpeg)}}));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.Json()["code"], "FailedOperation.ImageResolutionExceed") << a.body;
}

TEST_F(LargeImageServerTest, CloudEndpointKeepsTheCloudLimitsByDefault) {
  json r = CloudDetect();
  ASSERT_TRUE(r.contains("Error")) << r;
  EXPECT_EQ(r["Error"]["Code"], "FailedOperation.ImageResolutionExceed");
  // The same photo cut to the cloud's 4000 px is answered.
  const Phone& phone = PhonePhoto();
  cv::Mat full = cv::imdecode(phone.photo.jpeg, cv::IMREAD_COLOR);
  std::vector<std::uint8_t> cut;
  ASSERT_TRUE(cv::imencode(".jpg", full(cv::Rect(0, 0, 4000, 2903)), cut));
  auto a = Http(CloudSigned("DetectFace", {{"Image", Base64Encode(cut)}}));
  const json ok = a.Json()["Response"];
  EXPECT_FALSE(ok.contains("Error")) << ok;
  EXPECT_EQ(ok["ImageWidth"], 4000);
  // base64 over 5 MB is refused for its size.
  EXPECT_EQ(CloudDetect(std::string(6 << 20, 'A'))["Error"]["Code"], "FailedOperation.ImageSizeExceed");
}

TEST_F(RelaxedCloudServerTest, CloudEndpointAcceptsPhonePhotosWhenRelaxed) {
  json r = CloudDetect();
  ASSERT_FALSE(r.contains("Error")) << r;
  EXPECT_EQ(r["ImageWidth"], 4352);
  EXPECT_EQ(r["ImageHeight"], 2903);
  ASSERT_FALSE(r["FaceInfos"].empty());
  const json& f = r["FaceInfos"][0];
  EXPECT_GT(testing::BoxIou(Box(f, "X", "Y", "Width", "Height"), PhonePhoto().face), 0.85) << r;
  // No base64 size limit but the body's: 6 MB of zeros is read, and is no image.
  EXPECT_EQ(CloudDetect(std::string(6 << 20, 'A'))["Error"]["Code"], "FailedOperation.ImageDecodeFailed");
}

// `facekit serve` passes its flags on: --max-image-pixels is the budget of
// REST (and gRPC), --cloud-image-limits relaxed lets the cloud endpoint take
// the photo the cloud API's limits refuse.
TEST(ServeImageFlags, PixelBudgetAndCloudLimitsReachTheEndpoints) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  auto [rc, key_json] =
      testing::RunCommand(::facekit::testing::CliPath() + " keys create --data " + data + " --role admin --json");
  ASSERT_EQ(rc, 0) << key_json;
  const json key = json::parse(key_json, nullptr, false);
  ASSERT_TRUE(key.contains("secret_id")) << key_json;
  const std::string id = key["secret_id"], secret = key["secret_key"];
  const std::vector<std::uint8_t>& jpeg = PhonePhoto().photo.jpeg;  // 4352 x 2903 = 12.6 MP
  struct Run {
    std::vector<std::string> flags;
    std::string rest_code, cloud_code;  // empty = answered
  };
  for (const Run& run : {Run{{"--max-image-pixels", "10000000"},
                             "FailedOperation.ImageResolutionExceed",
                             "FailedOperation.ImageResolutionExceed"},
                         Run{{"--cloud-image-limits", "relaxed", "--working-size", "1280"}, "", ""}}) {
    testing::ServeProcess server(data, run.flags);
    const std::string port = server.port();
    ASSERT_FALSE(port.empty()) << "the server did not report its port";
    const auto port_number = static_cast<std::uint16_t>(std::stoi(port));
    const std::string body = json{{"image", Base64Encode(jpeg)}}.dump();
    const testing::HttpAnswer rest = testing::HttpExchange(
        port_number, "POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + id + ":" + secret +
                         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body);
    const testing::HttpAnswer cloud = testing::HttpExchange(
        port_number,
        testing::SignedCloudHttp("127.0.0.1:" + port, "DetectFace", {{"Image", Base64Encode(jpeg)}}, id, secret));
    if (run.rest_code.empty()) {
      EXPECT_EQ(rest.status, 200) << rest.body;
      EXPECT_EQ(rest.Json()["image_width"], 4352) << rest.body;
      EXPECT_EQ(cloud.Json()["Response"]["ImageWidth"], 4352) << cloud.body;
    } else {
      EXPECT_EQ(rest.Json()["code"], run.rest_code) << rest.body;
      EXPECT_NE(rest.body.find("10000000"), std::string::npos) << rest.body;
      EXPECT_EQ(cloud.Json()["Response"]["Error"]["Code"], run.cloud_code) << cloud.body;
    }
    const int status = server.Stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
}

}  // namespace
}  // namespace facekit::server
