// MoirePeak and MeasureTexture on synthetic patches with known answers.
#include "antispoof/texture_cues.h"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace facekit::antispoof {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Smooth shading plus mild noise: a face-like patch without periodic texture.
cv::Mat Smooth(int n, int seed = 3) {
  cv::Mat m(n, n, CV_32F);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      m.at<float>(y, x) = static_cast<float>(
          120 + 40 * std::exp(-((x - n / 2.0) * (x - n / 2.0) + (y - n / 2.0) * (y - n / 2.0)) / (0.1 * n * n)));
    }
  }
  cv::Mat noise(m.size(), CV_32F);
  cv::RNG(static_cast<std::uint64_t>(seed)).fill(noise, cv::RNG::NORMAL, 0, 3);
  return m + noise;
}

// The same with a grating of `cycles_per_pixel` along (1, 0.37).
cv::Mat Grating(int n, double cycles_per_pixel, double amplitude) {
  cv::Mat m = Smooth(n);
  const double norm = std::hypot(1.0, 0.37);
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      m.at<float>(y, x) += static_cast<float>(amplitude * std::sin(2 * kPi * cycles_per_pixel * (x + 0.37 * y) / norm));
    }
  }
  return m;
}

TEST(TextureCues, APeriodicPatternGivesASpectralPeakSmoothSkinDoesNot) {
  const float smooth = MoirePeak(Smooth(128));
  const float grating = MoirePeak(Grating(128, 0.23, 8));
  EXPECT_LT(smooth, 2.f);
  EXPECT_GT(grating, 4.f);
}

TEST(TextureCues, JpegBlockFrequenciesAreLeftOut) {
  cv::Mat m = Smooth(128);
  for (int y = 0; y < 128; ++y) {  // an 8x8 block pattern, as JPEG leaves
    for (int x = 0; x < 128; ++x) m.at<float>(y, x) += (x % 8 == 0 || y % 8 == 0) ? 6.f : 0.f;
  }
  EXPECT_LT(MoirePeak(m), 2.f);
}

TEST(TextureCues, PatchesTooSmallAreNotMeasured) {
  EXPECT_EQ(MoirePeak(Grating(20, 0.23, 8)), 0.f);
  const cv::Mat bgr(100, 100, CV_8UC3, cv::Scalar(90, 120, 200));
  EXPECT_FALSE(MeasureTexture(bgr, cv::Rect2f(10, 10, 20, 20)).measured);
  EXPECT_FALSE(MeasureTexture(bgr, cv::Rect2f(-500, -500, 100, 100)).measured);  // outside the image
}

TEST(TextureCues, ColourGlareAndContrastOfKnownPatches) {
  cv::Mat bgr(200, 200, CV_8UC3, cv::Scalar(90, 120, 180));  // skin-like: B/R 0.5
  const cv::Rect2f face(50, 50, 100, 100);
  TextureMeasure t = MeasureTexture(bgr, face);
  ASSERT_TRUE(t.measured);
  EXPECT_TRUE(t.colour_measured);
  EXPECT_NEAR(t.blue_red, 0.5f, 0.01f);
  EXPECT_FLOAT_EQ(t.glare, 0.f);
  EXPECT_NEAR(t.low_contrast, 1.f, 1e-6f);  // flat
  // A white specular patch covering a quarter of the grown box.
  bgr(cv::Rect(40, 40, 60, 60)).setTo(cv::Scalar(250, 250, 250));
  t = MeasureTexture(bgr, face);
  EXPECT_NEAR(t.glare, 3600.f / (120.f * 120.f), 0.01f);
}

TEST(TextureCues, GreyImagesHaveNoColourEvidence) {
  const cv::Mat bgr(200, 200, CV_8UC3, cv::Scalar(120, 120, 120));
  const TextureMeasure t = MeasureTexture(bgr, cv::Rect2f(50, 50, 100, 100));
  EXPECT_TRUE(t.measured);
  EXPECT_FALSE(t.colour_measured);
  EXPECT_NEAR(t.low_saturation, 1.f, 1e-6f);
}

}  // namespace
}  // namespace facekit::antispoof
