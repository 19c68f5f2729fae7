// The cloud API's attribute shapes: FaceAttributesType parsing, DetectFace's
// FaceAttributesInfo and DetectFaceAttributes' FaceDetailAttributesInfo
// (value ranges of the SDKs' iai_models.d.ts), and what is left out.
#include "server/cloud_attributes.h"

#include <gtest/gtest.h>

namespace facekit::server {
namespace {

service::FaceAttributesInfo Computed() {
  service::FaceAttributesInfo a;
  a.yaw = -12.6f, a.pitch = 3.4f, a.roll = 0.5f;
  a.age = 71.6f;
  a.male_probability = 0.2f;
  for (const auto& [label, p] : std::vector<std::pair<std::string, float>>{{"angry", 0.05f},
                                                                           {"disgust", 0.01f},
                                                                           {"fear", 0.02f},
                                                                           {"happy", 0.634f},
                                                                           {"sad", 0.05f},
                                                                           {"surprise", 0.2f},
                                                                           {"neutral", 0.036f}}) {
    a.expression.push_back({label, p});
  }
  a.eye_openness = 0.05f;
  a.eyes_open = false;
  return a;
}

TEST(CloudAttributes, FaceAttributesTypeIsCommaSeparatedAndCaseInsensitive) {
  auto t = ParseFaceAttributesType(" Age,GENDER , emotion,,Eye,None");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value(), (std::set<std::string>{"age", "gender", "emotion", "eye"}));
  EXPECT_TRUE(ParseFaceAttributesType("").value().empty());
  EXPECT_TRUE(ParseFaceAttributesType("None").value().empty());
  auto bad = ParseFaceAttributesType("Age,Glasses");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidParameterValue");
  EXPECT_NE(bad.error().message.find("glasses"), std::string::npos);
  const service::AttributeSelection s = SelectionFor({"smile", "headpose"});
  EXPECT_FALSE(s.age_gender);
  EXPECT_TRUE(s.expression);
  EXPECT_FALSE(s.eyes);
  EXPECT_TRUE(SelectionFor({"gender"}).age_gender);
  EXPECT_TRUE(SelectionFor({"eye"}).eyes);
}

TEST(CloudAttributes, DetectFacesAttributesInfoInTheCloudsRanges) {
  const nlohmann::json j = FaceAttributesInfoJson(Computed());
  EXPECT_EQ(j["Yaw"], -13);
  EXPECT_EQ(j["Pitch"], 3);
  EXPECT_EQ(j["Roll"], 1);
  EXPECT_EQ(j["Gender"], 20);  // 0-49 female
  EXPECT_EQ(j["Age"], 72);
  EXPECT_EQ(j["Expression"], 63);  // 100 x P(happy)
  EXPECT_EQ(j["EyeOpen"], false);
  for (const char* absent : {"Glass", "Hat", "Mask", "Beauty", "Hair"}) EXPECT_FALSE(j.contains(absent)) << absent;
  service::FaceAttributesInfo pose_only;
  pose_only.yaw = 1;
  EXPECT_EQ(FaceAttributesInfoJson(pose_only).size(), 3u);
}

TEST(CloudAttributes, FaceDetailAttributesOnlyWhatWasAskedAndComputed) {
  const std::set<std::string> all = {"age",  "beauty", "emotion",  "eye",  "eyebrow", "gender",
                                     "hair", "hat",    "headpose", "mask", "mouth",   "moustache",
                                     "nose", "shape",  "skin",     "smile"};
  const nlohmann::json j = FaceDetailAttributesJson(Computed(), all);
  EXPECT_EQ(j["Age"], 65);            // [0,65], 65 = 65 and over
  EXPECT_EQ(j["Gender"]["Type"], 1);  // 1 = female
  EXPECT_NEAR(j["Gender"]["Probability"].get<double>(), 0.8, 1e-6);
  EXPECT_EQ(j["Emotion"]["Type"], 1);  // 1 = happy
  EXPECT_NEAR(j["Emotion"]["Probability"].get<double>(), 0.634, 1e-6);
  EXPECT_EQ(j["Smile"], 63);
  EXPECT_EQ(j["HeadPose"], (nlohmann::json{{"Pitch", 3}, {"Yaw", -13}, {"Roll", 1}}));
  EXPECT_EQ(j["Eye"]["EyeOpen"]["Type"], 1);  // 1 = closed
  EXPECT_FALSE(j["Eye"]["EyeOpen"].contains("Probability"));
  for (const char* absent :
       {"Beauty", "Eyebrow", "Hair", "Hat", "Mask", "Mouth", "Moustache", "Nose", "Shape", "Skin"}) {
    EXPECT_FALSE(j.contains(absent)) << absent;
  }
  const nlohmann::json some = FaceDetailAttributesJson(Computed(), {"gender"});
  EXPECT_EQ(some.size(), 1u);
  EXPECT_TRUE(FaceDetailAttributesJson(Computed(), {}).empty());
  service::FaceAttributesInfo neutral = Computed();
  neutral.expression = {{"happy", 0.1f}, {"neutral", 0.9f}};
  EXPECT_EQ(FaceDetailAttributesJson(neutral, {"emotion"})["Emotion"]["Type"], 0);  // 0 = neutral
}

}  // namespace
}  // namespace facekit::server
