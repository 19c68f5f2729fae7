#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"
#include "test_util.h"

namespace facekit {
namespace {

LivenessResult Check(const std::string& path) {
  const FaceEngine& engine = testing::SharedEngine();
  Image img = testing::MustLoad(path);
  auto faces = engine.Detect(img);
  EXPECT_TRUE(faces.ok() && faces->size() == 1u) << path;
  auto r = engine.Liveness(img, (*faces)[0]);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : LivenessResult{};
}

TEST(Liveness, SampleFramesAreScoredConsistently) {
  const std::string dir = testing::DataDir() + "/liveness/samples/";
  LivenessResult live = Check(dir + "image_T1.jpg");
  LivenessResult spoof1 = Check(dir + "image_F1.jpg");
  LivenessResult spoof2 = Check(dir + "image_F2.jpg");
  for (const LivenessResult& r : {live, spoof1, spoof2}) {
    EXPECT_GE(r.leaf, 0);
    EXPECT_LT(r.leaf, 8);
    EXPECT_GE(r.score, 0.f);
    EXPECT_LE(r.score, 100.f);
    EXPECT_EQ(r.is_live, !r.too_blurry && r.score >= 87.f);
    EXPECT_GE(r.spoof_score, 0.f);
  }
  // The one ordering the shipped model gets right on these samples (measured:
  // 62.4 vs 50.0 and 50.1); see docs/liveness.md for how weak it is overall.
  EXPECT_GT(live.score, spoof1.score);
  EXPECT_GT(live.score, spoof2.score);
}

TEST(Liveness, BlurPreCheckRejectsABlurredFace) {
  const FaceEngine& engine = testing::SharedEngine();
  Image img = testing::MustLoad(testing::DataDir() + "/liveness/samples/image_T1.jpg");
  auto faces = engine.Detect(img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  cv::Mat blurred;
  cv::GaussianBlur(AsMat(img), blurred, cv::Size(), 6.0);
  auto r = engine.Liveness(ImageFromMat(blurred), (*faces)[0]);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->too_blurry);
  EXPECT_FALSE(r->is_live);
  FaceBox empty;
  EXPECT_EQ(engine.Liveness(img, empty).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace facekit
