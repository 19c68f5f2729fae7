// FaceCropJpeg: the crop a check-in carries is bounded in pixels and bytes.
#include "attendance/face_crop_jpeg.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "facekit/image.h"

namespace facekit::attendance {
namespace {

FaceBox Box(float x, float y, float side) {
  FaceBox b;
  b.x = x, b.y = y, b.width = side, b.height = side;
  return b;
}

TEST(FaceCropJpeg, KeepsTheRegionAroundTheFaceScaledToTheFaceLimit) {
  cv::Mat frame(720, 1280, CV_8UC3, cv::Scalar(40, 80, 120));
  auto jpeg = FaceCropJpeg(frame, Box(500, 200, 100));  // small face: not scaled
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  auto image = DecodeImage(*jpeg);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->width, 160);  // 1.6 x 100
  EXPECT_EQ(image->height, 160);
  jpeg = FaceCropJpeg(frame, Box(300, 150, 400));  // large face: scaled to 160 px
  ASSERT_TRUE(jpeg.ok());
  image = DecodeImage(*jpeg);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->width, 256);  // 1.6 x 160
  EXPECT_EQ(image->height, 256);
}

TEST(FaceCropJpeg, ClipsToTheFrameAndRefusesABoxOutsideIt) {
  cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(0, 0, 0));
  auto jpeg = FaceCropJpeg(frame, Box(-40, -40, 100));
  ASSERT_TRUE(jpeg.ok());
  auto image = DecodeImage(*jpeg);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->width, 90);  // centre 10, half 80: columns 0..90
  EXPECT_EQ(image->height, 90);
  EXPECT_EQ(FaceCropJpeg(frame, Box(1000, 1000, 50)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FaceCropJpeg(cv::Mat(), Box(0, 0, 50)).status().code(), StatusCode::kInvalidArgument);
}

TEST(FaceCropJpeg, LowersQualityThenSizeToFitTheByteLimit) {
  cv::Mat noise(600, 600, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  FaceCropJpegOptions options;
  options.max_face_side = 400;
  auto full = FaceCropJpeg(noise, Box(50, 50, 350), options);  // 560 px of noise: over 64 KB at quality 85
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_LE(full->size(), options.max_bytes);
  options.max_bytes = 8 * 1024;
  auto small = FaceCropJpeg(noise, Box(50, 50, 350), options);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_LE(small->size(), options.max_bytes);
  auto image = DecodeImage(*small);
  ASSERT_TRUE(image.ok());
  EXPECT_LT(image->width, 560);  // shrunk, not only re-encoded
}

}  // namespace
}  // namespace facekit::attendance
