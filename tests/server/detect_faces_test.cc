// DetectFaces on gRPC and REST at parity with the cloud endpoint's
// DetectFace: the cloud's option names (need_quality_detection,
// need_face_attributes), five landmarks per face in image pixels, and the
// same quality and attributes the cloud endpoint answers, on one real server.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "attribute_test_util.h"
#include "one_port_test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::PhotoBase64;
using testing::PhotoBytes;
namespace v1 = ::facekit::v1;
using Stub = v1::FaceKit::Stub;

class DetectFacesTest : public testing::OnePortServerTest {
 protected:
  void ConfigureService(service::FaceService* service) override {
    service->SetAttributeModels(&testing::SharedAttributeModels(), &testing::SharedFaceMesh());
  }
  json Rest(const json& body) {
    const auto a = Http(RestBearer("POST", "/v1/detect", body));
    EXPECT_EQ(a.status, 200) << a.body;
    json j = a.Json();
    return j.is_object() ? j : json::object();
  }
  json CloudResponse(const json& params) {
    const auto a = Cloud("DetectFace", params, "en-US");
    json j = a.Json();
    EXPECT_TRUE(j.is_object() && j.contains("Response") && !j["Response"].contains("Error")) << a.body;
    return j.is_object() && j.contains("Response") ? j["Response"] : json::object();
  }
};

TEST_F(DetectFacesTest, RestAnswersLandmarksQualityAndAttributesAsTheCloudDoes) {
  const std::string image = PhotoBase64("obama_and_biden.jpg");  // 2000x1428: detected downscaled, mapped back
  const json rest =
      Rest({{"image", image}, {"max_face_num", 5}, {"need_quality_detection", true}, {"need_face_attributes", true}});
  const json cloud =
      CloudResponse({{"Image", image}, {"MaxFaceNum", 5}, {"NeedQualityDetection", 1}, {"NeedFaceAttributes", 1}});
  ASSERT_GE(rest["faces"].size(), 2u) << rest;
  ASSERT_EQ(rest["faces"].size(), cloud["FaceInfos"].size()) << cloud;
  EXPECT_EQ(rest["image_width"], cloud["ImageWidth"]);

  // The engine's own detection of the decoded image: the points must be its
  // landmarks, in the image's pixels.
  const Image decoded = testing::MustLoad(testing::Photo("obama_and_biden.jpg"));
  auto boxes = testing::SharedEngine().Detect(decoded);
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();

  for (std::size_t i = 0; i < rest["faces"].size(); ++i) {
    const json& f = rest["faces"][i];
    const json& c = cloud["FaceInfos"][i];
    SCOPED_TRACE(f.dump());
    EXPECT_EQ(f["rect"]["x"], c["X"]);
    EXPECT_EQ(f["rect"]["width"], c["Width"]);

    ASSERT_EQ(f["landmarks"].size(), 5u);
    const double x0 = f["rect"]["x"].get<double>(), y0 = f["rect"]["y"].get<double>();
    const double w = f["rect"]["width"].get<double>(), h = f["rect"]["height"].get<double>();
    for (const json& p : f["landmarks"]) {
      EXPECT_GT(p["x"].get<double>(), x0);
      EXPECT_LT(p["x"].get<double>(), x0 + w);
      EXPECT_GT(p["y"].get<double>(), y0);
      EXPECT_LT(p["y"].get<double>(), y0 + h);
    }
    EXPECT_LT(f["landmarks"][0]["x"].get<double>(), f["landmarks"][1]["x"].get<double>());  // left eye, right eye
    EXPECT_LT(f["landmarks"][0]["y"].get<double>(), f["landmarks"][3]["y"].get<double>());  // eye above mouth
    const auto same_box = std::find_if(boxes->begin(), boxes->end(), [&](const FaceBox& b) {
      return std::lround(b.x) == f["rect"]["x"].get<long>() && std::lround(b.y) == f["rect"]["y"].get<long>();
    });
    ASSERT_NE(same_box, boxes->end());
    for (std::size_t k = 0; k < 5; ++k) {
      EXPECT_NEAR(f["landmarks"][k]["x"].get<double>(), same_box->landmarks[k].x, 1e-3);
      EXPECT_NEAR(f["landmarks"][k]["y"].get<double>(), same_box->landmarks[k].y, 1e-3);
    }

    // Quality: the cloud's FaceQualityInfo, plus the level.
    EXPECT_EQ(f["quality"]["score"], c["FaceQualityInfo"]["Score"]);
    EXPECT_EQ(f["quality"]["sharpness"], c["FaceQualityInfo"]["Sharpness"]);
    EXPECT_EQ(f["quality"]["brightness"], c["FaceQualityInfo"]["Brightness"]);
    EXPECT_EQ(f["quality"]["score"].get<int>(), 25 * f["quality"]["level"].get<int>());

    // Attributes: the head pose, age, gender, expression and eye openness
    // (the cloud rounds them to its integer fields and 0-100 scales); glasses,
    // hat, mask, beauty and hair are claimed on neither surface.
    const json& a = f["attributes"];
    const json& ca = c["FaceAttributesInfo"];
    EXPECT_EQ(std::lround(a["age"].get<double>()), ca["Age"].get<long>());
    EXPECT_EQ(std::lround(100 * a["male_probability"].get<double>()), ca["Gender"].get<long>());
    ASSERT_EQ(a["expression"].size(), 7u);
    for (const json& e : a["expression"]) {
      if (e["label"] == "happy") {
        EXPECT_EQ(std::lround(100 * e["probability"].get<double>()), ca["Expression"].get<long>());
      }
    }
    if (a.contains("eyes_open")) {
      EXPECT_EQ(a["eyes_open"], ca["EyeOpen"]);
      EXPECT_EQ(a["eyes_open"].get<bool>(), a["eye_openness"].get<double>() >= kEyesOpenMinRatio);
    }
    for (const char* absent : {"Glass", "Hat", "Mask", "Beauty", "Hair"}) EXPECT_FALSE(ca.contains(absent)) << absent;
    if (i < 2) {  // Obama and Biden
      EXPECT_GT(a["male_probability"].get<double>(), 0.5);
      EXPECT_GE(ca["Age"].get<int>(), 18);  // adults (the model's ages run low: docs/attributes.md)
      EXPECT_EQ(ca["EyeOpen"], true);
    }
    EXPECT_EQ(std::lround(f["attributes"]["yaw"].get<double>()), c["FaceAttributesInfo"]["Yaw"].get<long>());
    EXPECT_EQ(std::lround(f["attributes"]["pitch"].get<double>()), c["FaceAttributesInfo"]["Pitch"].get<long>());
    EXPECT_EQ(std::lround(f["attributes"]["roll"].get<double>()), c["FaceAttributesInfo"]["Roll"].get<long>());
    EXPECT_EQ(f["attributes"]["yaw"], f["yaw"]);
  }
}

TEST_F(DetectFacesTest, QualityAndAttributesOnlyWhenAskedLandmarksAlways) {
  const std::string image = PhotoBase64("obama.jpg");
  const json rest = Rest({{"image", image}});
  ASSERT_EQ(rest["faces"].size(), 1u) << rest;
  EXPECT_EQ(rest["faces"][0]["landmarks"].size(), 5u);
  EXPECT_FALSE(rest["faces"][0].contains("quality")) << rest;
  EXPECT_FALSE(rest["faces"][0].contains("attributes")) << rest;
  const json cloud = CloudResponse({{"Image", image}});
  EXPECT_FALSE(cloud["FaceInfos"][0].contains("FaceQualityInfo")) << cloud;
  EXPECT_FALSE(cloud["FaceInfos"][0].contains("FaceAttributesInfo")) << cloud;

  // lowerCamelCase names are the same options.
  const json camel = Rest({{"image", image}, {"needQualityDetection", true}, {"needFaceAttributes", true}});
  EXPECT_TRUE(camel["faces"][0].contains("quality")) << camel;
  EXPECT_TRUE(camel["faces"][0].contains("attributes")) << camel;
}

TEST_F(DetectFacesTest, NeedQualityStaysADeprecatedAlias) {
  const json rest = Rest({{"image", PhotoBase64("obama.jpg")}, {"need_quality", true}});
  EXPECT_TRUE(rest["faces"][0].contains("quality")) << rest;
  EXPECT_FALSE(rest["faces"][0].contains("attributes")) << rest;

  v1::DetectFacesRequest q;
  q.set_image(PhotoBytes("obama.jpg"));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  q.set_need_quality(true);
#pragma GCC diagnostic pop
  v1::DetectFacesResponse out;
  const auto r = Rpc(&Stub::DetectFaces, "DetectFaces", q, &out);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  ASSERT_EQ(out.faces_size(), 1);
  EXPECT_TRUE(out.faces(0).has_quality());
}

TEST_F(DetectFacesTest, GrpcAnswersTheSameFields) {
  v1::DetectFacesRequest q;
  q.set_image(PhotoBytes("obama_and_biden.jpg"));
  q.set_max_face_num(5);
  q.set_need_face_attributes(true);
  v1::DetectFacesResponse out;
  const auto r = Rpc(&Stub::DetectFaces, "DetectFaces", q, &out);
  ASSERT_TRUE(r.ok()) << r.status.error_message();
  ASSERT_GE(out.faces_size(), 2);
  for (const auto& f : out.faces()) {
    EXPECT_EQ(f.landmarks_size(), 5);
    EXPECT_FALSE(f.has_quality());
    ASSERT_TRUE(f.has_attributes());
    EXPECT_FLOAT_EQ(f.attributes().yaw(), f.yaw());
    EXPECT_FLOAT_EQ(f.attributes().pitch(), f.pitch());
    EXPECT_FLOAT_EQ(f.attributes().roll(), f.roll());
    EXPECT_TRUE(f.attributes().has_age());
    EXPECT_TRUE(f.attributes().has_male_probability());
    EXPECT_EQ(f.attributes().expression_size(), 7);
  }
  EXPECT_GT(out.faces(0).attributes().male_probability(), 0.5f);
}

TEST_F(DetectFacesTest, CloudDetectFaceAttributesAnswersTheAskedTypes) {
  const auto a = Cloud("DetectFaceAttributes",
                       {{"Image", PhotoBase64("obama.jpg")}, {"FaceAttributesType", "gender,Age,headpose,Eye,Hat"}},
                       "en-US");
  const json j = a.Json();
  ASSERT_TRUE(j.contains("Response") && !j["Response"].contains("Error")) << a.body;
  const json& faces = j["Response"]["FaceDetailInfos"];
  ASSERT_EQ(faces.size(), 1u) << a.body;
  const json& d = faces[0]["FaceDetailAttributesInfo"];
  EXPECT_EQ(d["Gender"]["Type"], 0) << d;  // 0 = male
  // The engine's own estimate of the same face, in the action's [0, 65].
  const Image decoded = testing::MustLoad(testing::Photo("obama.jpg"));
  auto boxes = testing::SharedEngine().Detect(decoded);
  ASSERT_TRUE(boxes.ok() && !boxes->empty());
  auto own = testing::SharedAttributeModels().Run(decoded, (*boxes)[0]);
  ASSERT_TRUE(own.ok() && own->age);
  EXPECT_EQ(d["Age"].get<long>(), std::clamp(std::lround(*own->age), 0L, 65L));
  EXPECT_GE(d["Age"].get<int>(), 18);
  EXPECT_EQ(d["Eye"]["EyeOpen"]["Type"], 0);  // open
  EXPECT_TRUE(d.contains("HeadPose"));
  EXPECT_FALSE(d.contains("Hat")) << d;  // asked, but not computed: left out
  EXPECT_FALSE(d.contains("Emotion")) << d;  // not asked
  const auto bad = Cloud("DetectFaceAttributes", {{"Image", PhotoBase64("obama.jpg")}, {"FaceAttributesType", "Age,Tail"}},
                         "en-US");
  EXPECT_EQ(bad.Json()["Response"]["Error"]["Code"], "InvalidParameterValue") << bad.body;
}

}  // namespace
}  // namespace facekit::server
