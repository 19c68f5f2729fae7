#include "face/face_quality.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"
#include "test_util.h"

namespace facekit::face {
namespace {

// The 112x112 alignment template, with the nose moved to the frontal ratio
// the pose model assumes.
std::array<Point2f, 5> Frontal() {
  return {Point2f{38.29f, 51.60f}, Point2f{73.53f, 51.60f}, Point2f{55.91f, 51.60f + 0.526f * 40.7f},
          Point2f{41.55f, 92.30f}, Point2f{70.73f, 92.30f}};
}

std::array<Point2f, 5> Rotate(std::array<Point2f, 5> l, float degrees) {
  const float a = degrees / 57.29578f, c = std::cos(a), s = std::sin(a);
  for (Point2f& p : l) p = {c * p.x - s * p.y + 200.f, s * p.x + c * p.y + 100.f};
  return l;
}

TEST(FaceQuality, PoseOfFrontalRotatedAndTurnedFaces) {
  Pose f = EstimatePose(Frontal());
  EXPECT_NEAR(f.yaw, 0, 0.5);
  EXPECT_NEAR(f.pitch, 0, 0.5);
  EXPECT_NEAR(f.roll, 0, 0.5);
  // In-plane rotation changes roll only.
  Pose r = EstimatePose(Rotate(Frontal(), 25.f));
  EXPECT_NEAR(r.roll, 25, 0.1);
  EXPECT_NEAR(r.yaw, 0, 0.5);
  EXPECT_NEAR(r.pitch, 0, 0.5);
  // Nose towards the image's right: positive yaw; nose up: positive pitch.
  auto turned = Frontal();
  turned[2].x += 10;
  EXPECT_GT(EstimatePose(turned).yaw, 20);
  auto up = Frontal();
  up[2].y -= 6;
  EXPECT_GT(EstimatePose(up).pitch, 10);
  // Degenerate landmarks do not produce NaN.
  std::array<Point2f, 5> same{};
  Pose z = EstimatePose(same);
  EXPECT_FALSE(std::isnan(z.yaw) || std::isnan(z.pitch) || std::isnan(z.roll));
}

TEST(FaceQuality, LevelsFollowTheRules) {
  FaceQuality q;
  q.size = 120;
  q.brightness = 128;
  q.sharpness = 500;
  AssignLevel(&q);
  EXPECT_EQ(q.level, 4);
  EXPECT_TRUE(q.limits.empty());
  q.yaw = 30;  // beyond level 3's 25 degrees, within level 2's 35
  AssignLevel(&q);
  EXPECT_EQ(q.level, 2);
  ASSERT_FALSE(q.limits.empty());
  EXPECT_NE(q.limits[0].find("yaw"), std::string::npos);
  q.yaw = 0;
  q.size = 20;  // below level 1
  AssignLevel(&q);
  EXPECT_EQ(q.level, 0);
  const auto& rules = QualityRules();
  ASSERT_EQ(rules.size(), 4u);
  for (size_t i = 1; i < rules.size(); ++i) {  // each level is stricter than the one below
    EXPECT_GE(rules[i].min_size, rules[i - 1].min_size);
    EXPECT_GE(rules[i].min_sharpness, rules[i - 1].min_sharpness);
    EXPECT_LE(rules[i].max_yaw, rules[i - 1].max_yaw);
  }
}

TEST(FaceQuality, BlurLowersSharpnessAndLevelOnARealPhoto) {
  const FaceEngine& engine = testing::SharedEngine();
  Image img = testing::MustLoad(testing::Photo("obama-480p.jpg"));
  auto faces = engine.Detect(img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto sharp = engine.Quality(img, (*faces)[0]);
  ASSERT_TRUE(sharp.ok());
  EXPECT_GE(sharp->level, 3);
  EXPECT_LT(std::fabs(sharp->yaw), 15);
  EXPECT_LT(std::fabs(sharp->roll), 10);
  cv::Mat blurred;
  cv::GaussianBlur(AsMat(img), blurred, cv::Size(), 4.0);
  auto soft = engine.Quality(ImageFromMat(blurred), (*faces)[0]);
  ASSERT_TRUE(soft.ok());
  EXPECT_LT(soft->sharpness, sharp->sharpness / 5);
  EXPECT_LT(soft->level, sharp->level);
}

}  // namespace
}  // namespace facekit::face
