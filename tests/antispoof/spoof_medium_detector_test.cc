// SpoofMediumDetector: the object cue's overlap rule on given detections,
// options checking, and the whole detector (CenterNet included) on the
// shared 640x480 sample frames.
#include "facekit/spoof_medium_detector.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace facekit {
namespace {

DetectedObject Object(const char* label, float score, float x, float y, float w, float h) {
  return DetectedObject{x, y, w, h, score, 0, label};
}

std::unique_ptr<SpoofMediumDetector> WithoutObjects(SpoofMediumOptions o = {}) {
  o.detect_objects = false;
  auto d = SpoofMediumDetector::Create(o);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

Image Grey(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.bgr.assign(static_cast<std::size_t>(w * h * 3), 128);
  return img;
}

TEST(SpoofMedium, ContainmentIsTheShareOfTheFaceInsideTheObject) {
  const FaceBox face = FaceBox{.x = 100, .y = 100, .width = 50, .height = 60};
  EXPECT_FLOAT_EQ(FaceContainment(face, Object("tv", 1, 0, 0, 400, 400)), 1.f);
  EXPECT_FLOAT_EQ(FaceContainment(face, Object("tv", 1, 125, 0, 400, 400)), 0.5f);
  EXPECT_FLOAT_EQ(FaceContainment(face, Object("tv", 1, 300, 0, 50, 50)), 0.f);
  EXPECT_FLOAT_EQ(FaceContainment(FaceBox{.x = 0, .y = 0, .width = 0, .height = 10}, Object("tv", 1, 0, 0, 50, 50)),
                  0.f);
}

TEST(SpoofMedium, TheObjectCueFiresForAFaceMostlyInsideALargerMediumBox) {
  auto d = WithoutObjects();
  ASSERT_NE(d, nullptr);
  const Image image = Grey(640, 480);
  const FaceBox face = FaceBox{.x = 200, .y = 150, .width = 80, .height = 90};
  struct Case {
    DetectedObject object;
    bool around;  // the overlap rule holds
    bool fires;
  };
  const Case cases[] = {
      {Object("cell phone", 0.5f, 170, 100, 150, 260), true, true},    // around the face
      {Object("cell phone", 0.05f, 170, 100, 150, 260), true, false},  // too weak (threshold 0.12)
      {Object("tv", 0.4f, 100, 50, 400, 300), true, true},
      {Object("laptop", 0.4f, 230, 100, 300, 300), false, false},    // covers 62 % of the face (< 70 %)
      {Object("cell phone", 0.5f, 205, 155, 70, 80), false, false},  // inside the face: smaller than 1.2 faces
      {Object("person", 0.9f, 100, 50, 400, 400), false, false},     // not a medium class
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.object.label + " " + std::to_string(c.object.score));
    const std::vector<DetectedObject> media = {c.object};
    auto e = d->Analyze(image, face, &media);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    const SpoofCue* cue = e->Find(kCueObject);
    ASSERT_NE(cue, nullptr);
    EXPECT_TRUE(cue->measured);
    EXPECT_EQ(cue->fired(), c.fires);
    EXPECT_EQ(e->flagged, c.fires);
    EXPECT_EQ(e->medium.has_value(), c.around);
  }
}

TEST(SpoofMedium, EveryCueIsReportedDecisiveOnesFlag) {
  SpoofMediumOptions o;
  o.decisive = {"object"};
  auto d = WithoutObjects(o);
  ASSERT_NE(d, nullptr);
  const Image image = Grey(640, 480);
  auto e =
      d->Analyze(image, FaceBox{.x = 200, .y = 150, .width = 80, .height = 90});  // no detections given, none loaded
  ASSERT_TRUE(e.ok());
  std::vector<std::string> names;
  for (const SpoofCue& c : e->cues) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"object", "bezel", "moire", "glare", "blue_red", "black_level",
                                             "low_saturation", "low_contrast"}));
  EXPECT_FALSE(e->Find(kCueObject)->measured);
  EXPECT_TRUE(e->Find(kCueObject)->decisive);
  EXPECT_FALSE(e->Find(kCueBezel)->decisive);
  EXPECT_FALSE(e->Find(kCueBlueRed)->measured);  // a grey image
  // low_contrast fires on a flat grey face, but it is not decisive.
  EXPECT_TRUE(e->Find(kCueLowContrast)->fired());
  EXPECT_FALSE(e->flagged);
}

TEST(SpoofMedium, BadOptionsAndCallsAreErrors) {
  SpoofMediumOptions o;
  o.detect_objects = false;
  o.decisive = {"bezel", "sparkle"};
  auto bad = SpoofMediumDetector::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sparkle"), std::string::npos);
  EXPECT_EQ(SetSpoofCueThreshold(&o, "sparkle", 1).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(SetSpoofCueThreshold(&o, "moire", 3.5f).ok());
  EXPECT_FLOAT_EQ(o.moire_threshold, 3.5f);

  auto d = WithoutObjects();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->DetectMedia(Grey(64, 64)).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(d->Analyze(Image{}, FaceBox{.x = 0, .y = 0, .width = 10, .height = 10}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(d->Analyze(Grey(64, 64), FaceBox{.x = 0, .y = 0, .width = 0, .height = 10}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SpoofMedium, SampleFramesLiveAndPhoneReplay) {
  SpoofMediumOptions o;
  o.models_dir = testing::ModelsDir();
  auto d = SpoofMediumDetector::Create(o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const FaceEngine& engine = testing::SharedEngine();
  for (const auto& [name, flagged] : {std::pair{"image_T1.jpg", false}, std::pair{"image_F2.jpg", true}}) {
    SCOPED_TRACE(name);
    const Image image = testing::MustLoad(testing::DataDir() + "/liveness/samples/" + name);
    auto faces = engine.Detect(image);
    ASSERT_TRUE(faces.ok());
    ASSERT_EQ(faces->size(), 1u);
    auto e = (*d)->Analyze(image, faces->front());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_TRUE(e->Find(kCueObject)->measured);
    EXPECT_EQ(e->flagged, flagged);
  }
}

}  // namespace
}  // namespace facekit
