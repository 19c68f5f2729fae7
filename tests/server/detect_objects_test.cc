// DetectObjects (FaceKit's own rpc, REST POST /v1/objects): the CenterNet
// object detector behind the same keys, errors and image handling as the
// face rpcs.
#include <gtest/gtest.h>

#include <set>

#include "one_port_test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;
namespace v1 = ::facekit::v1;

std::string CocoImage(const std::string& id) {
  return testing::DataDir() + "/detection/coco128-train/images/train2017/" + id + ".jpg";
}

std::string Base64File(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? Base64Encode(*bytes) : std::string();
}

class DetectObjectsTest : public testing::OnePortServerTest {
 protected:
  void WithDetector() {
    ObjectDetectorOptions o;
    o.models_dir = testing::ModelsDir();
    auto d = ObjectDetector::Create(o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    detector_ = std::move(d.value());
    service_->SetObjectDetector(detector_.get(), detector_->model_version());
  }
  std::unique_ptr<ObjectDetector> detector_;
};

TEST_F(DetectObjectsTest, WithoutAnObjectModelItIsUnsupported) {
  const auto a = Http(RestBearer("POST", "/v1/objects", {{"image", Base64File(CocoImage("000000000536"))}}));
  EXPECT_EQ(a.status, 501) << a.body;
  EXPECT_EQ(a.Json()["code"], "UnsupportedOperation") << a.body;
}

TEST_F(DetectObjectsTest, RestAndGrpcFindTheCocoObjectsAndFilterByClass) {
  WithDetector();
  const std::string image = Base64File(CocoImage("000000000536"));  // 3 persons, 3 cell phones (YOLO labels)
  auto a = Http(RestBearer("POST", "/v1/objects", {{"image", image}}));
  ASSERT_EQ(a.status, 200) << a.body;
  json all = a.Json();
  EXPECT_EQ(all["model_version"], "centernet 3.3.6");
  EXPECT_EQ(all["image_width"], 448);  // 448x336
  std::set<std::string> labels;
  float last = 2.f;
  for (const json& o : all["objects"]) {
    labels.insert(o["label"].get<std::string>());
    EXPECT_LE(o["score"].get<float>(), last) << "highest score first";
    last = o["score"].get<float>();
    EXPECT_GT(o["rect"]["width"].get<int>(), 0);
  }
  EXPECT_TRUE(labels.count("person")) << all;

  a = Http(RestBearer("POST", "/v1/objects", {{"image", image}, {"classes", {"cell phone"}}}));
  ASSERT_EQ(a.status, 200) << a.body;
  json phones = a.Json();
  ASSERT_FALSE(phones["objects"].empty()) << phones;
  for (const json& o : phones["objects"]) {
    EXPECT_EQ(o["label"], "cell phone");
    EXPECT_EQ(o["class_id"], 67);
  }
  a = Http(RestBearer("POST", "/v1/objects", {{"image", image}, {"max_objects", 1}}));
  EXPECT_EQ(a.Json()["objects"].size(), 1u) << a.body;

  a = Http(RestBearer("POST", "/v1/objects", {{"image", image}, {"classes", {"unicorn"}}}));
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_EQ(a.Json()["code"], "InvalidParameterValue.ObjectClassIllegal") << a.body;
  a = Http(RestBearer("POST", "/v1/objects", {{"image", Base64Encode(std::vector<std::uint8_t>{1, 2, 3})}}));
  EXPECT_EQ(a.Json()["code"], "FailedOperation.ImageDecodeFailed") << a.body;

  // gRPC, the same rpc; a read-only key may call it (a read).
  v1::DetectObjectsRequest q;
  auto bytes = ReadFileBytes(CocoImage("000000000536"));
  ASSERT_TRUE(bytes.ok());
  q.set_image(std::string(bytes->begin(), bytes->end()));
  q.add_classes("person");
  v1::DetectObjectsResponse r;
  auto out = Rpc(&v1::FaceKit::Stub::DetectObjects, "DetectObjects", q, &r, "AKIDreader");
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  ASSERT_GT(r.objects_size(), 0);
  for (const auto& o : r.objects()) EXPECT_EQ(o.label(), "person");
}

}  // namespace
}  // namespace facekit::server
