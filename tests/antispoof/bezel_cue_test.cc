// MeasureBezel on drawn scenes: a device outline around a face box, parts of
// it, background lines, and a face crop with nothing around it.
#include "antispoof/bezel_cue.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace facekit::antispoof {
namespace {

const cv::Rect2f kFace(280.f, 180.f, 80.f, 90.f);

cv::Mat Background() {
  cv::Mat grey(480, 640, CV_8U, cv::Scalar(128));
  cv::RNG rng(7);
  cv::Mat noise(grey.size(), CV_8U);
  rng.fill(noise, cv::RNG::NORMAL, 0, 6);
  grey += noise;
  cv::ellipse(grey, cv::Point(320, 225), cv::Size(40, 50), 0, 0, 360, cv::Scalar(170), cv::FILLED);  // a "face"
  return grey;
}

TEST(BezelCue, ADeviceOutlineAroundTheFaceCoversAllFourSides) {
  cv::Mat grey = Background();
  cv::rectangle(grey, cv::Rect(230, 110, 180, 240), cv::Scalar(20), 12);  // a dark bezel
  const BezelMeasure m = MeasureBezel(grey, kFace);
  EXPECT_TRUE(m.measured);
  for (float side : m.sides) EXPECT_GT(side, 0.95f);
  EXPECT_GT(m.value, 3.8f);
}

TEST(BezelCue, TiltedDeviceStillFramesTheFace) {
  cv::Mat grey = Background();
  const cv::RotatedRect device(cv::Point2f(320, 225), cv::Size2f(180, 250), 12);
  cv::Point2f corners[4];
  device.points(corners);
  for (int i = 0; i < 4; ++i) cv::line(grey, corners[i], corners[(i + 1) % 4], cv::Scalar(15), 8);
  EXPECT_GT(MeasureBezel(grey, kFace).value, 3.5f);
}

TEST(BezelCue, OnlyTheSidesPresentCount) {
  cv::Mat grey = Background();
  cv::line(grey, cv::Point(230, 100), cv::Point(230, 360), cv::Scalar(20), 8);  // left
  cv::line(grey, cv::Point(410, 100), cv::Point(410, 360), cv::Scalar(20), 8);  // right
  const BezelMeasure m = MeasureBezel(grey, kFace);
  EXPECT_GT(m.sides[0], 0.95f);
  EXPECT_GT(m.sides[2], 0.95f);
  EXPECT_LT(m.sides[1], 0.05f);
  EXPECT_LT(m.sides[3], 0.05f);
  EXPECT_NEAR(m.value, 2.f, 0.1f);
}

TEST(BezelCue, LinesThatDoNotRunAlongsideTheFaceDoNotCount) {
  cv::Mat grey = Background();
  cv::line(grey, cv::Point(0, 60), cv::Point(639, 60), cv::Scalar(20), 6);      // a shelf above, spanning it: counts
  cv::line(grey, cv::Point(40, 300), cv::Point(40, 470), cv::Scalar(20), 6);    // left, but below the face: does not
  cv::line(grey, cv::Point(620, 0), cv::Point(620, 479), cv::Scalar(20), 6);    // right, beyond reach: does not
  cv::line(grey, cv::Point(300, 200), cv::Point(340, 260), cv::Scalar(20), 3);  // across the face, diagonal
  const BezelMeasure m = MeasureBezel(grey, kFace);
  EXPECT_GT(m.sides[1], 0.95f);
  EXPECT_LT(m.sides[0], 0.05f);
  EXPECT_LT(m.sides[2], 0.05f);
  EXPECT_LT(m.value, 1.1f);
}

TEST(BezelCue, AFaceCropHasNothingAroundItAndIsNotMeasured) {
  const cv::Mat grey = Background()(cv::Rect(280, 180, 80, 90)).clone();
  const BezelMeasure m = MeasureBezel(grey, cv::Rect2f(0, 0, 80, 90));
  EXPECT_FALSE(m.measured);
  EXPECT_EQ(m.value, 0.f);
  EXPECT_FALSE(MeasureBezel(cv::Mat(), kFace).measured);
}

}  // namespace
}  // namespace facekit::antispoof
