#include "face/face_aligner.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace facekit::face {
namespace {

const std::vector<std::array<float, 2>> kTemplate = {
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};

std::vector<cv::Point2f> TemplatePoints() {
  std::vector<cv::Point2f> p;
  for (const auto& t : kTemplate) p.emplace_back(t[0], t[1]);
  return p;
}

cv::Point2f Apply(const cv::Mat& m, cv::Point2f p) {
  return {static_cast<float>(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2)),
          static_cast<float>(m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2))};
}

TEST(FaceAligner, RecoversAKnownSimilarityExactly) {
  // src = template rotated by 20 degrees, scaled 2.5x and shifted: the
  // estimated transform must map src back onto the template.
  const double angle = 20.0 * CV_PI / 180.0, scale = 2.5;
  std::vector<cv::Point2f> tmpl = TemplatePoints(), src;
  for (const auto& p : tmpl) {
    double x = scale * (std::cos(angle) * p.x - std::sin(angle) * p.y) + 300;
    double y = scale * (std::sin(angle) * p.x + std::cos(angle) * p.y) - 40;
    src.emplace_back(static_cast<float>(x), static_cast<float>(y));
  }
  cv::Mat m = EstimateSimilarity(src, tmpl);
  for (size_t i = 0; i < 5; ++i) {
    cv::Point2f q = Apply(m, src[i]);
    EXPECT_NEAR(q.x, tmpl[i].x, 1e-3);
    EXPECT_NEAR(q.y, tmpl[i].y, 1e-3);
  }
  // Pure similarity: equal scale on both axes, no shear.
  EXPECT_NEAR(m.at<double>(0, 0), m.at<double>(1, 1), 1e-9);
  EXPECT_NEAR(m.at<double>(0, 1), -m.at<double>(1, 0), 1e-9);
  EXPECT_NEAR(std::hypot(m.at<double>(0, 0), m.at<double>(1, 0)), 1.0 / scale, 1e-6);
}

TEST(FaceAligner, LeastSquaresWithNoisyPointsAndDegenerateInput) {
  std::vector<cv::Point2f> tmpl = TemplatePoints(), src = tmpl;
  src[2].x += 3;  // one landmark off: best fit spreads the error
  cv::Mat m = EstimateSimilarity(src, tmpl);
  double err = 0;
  for (size_t i = 0; i < 5; ++i) err += cv::norm(Apply(m, src[i]) - tmpl[i]);
  EXPECT_LT(err, 5 * 3.0 / 2);
  // All points equal: no transform can be estimated, result is all zeros (no NaN).
  std::vector<cv::Point2f> same(5, cv::Point2f(10, 10));
  cv::Mat z = EstimateSimilarity(same, tmpl);
  EXPECT_EQ(cv::countNonZero(z), 0);
}

TEST(FaceAligner, WarpPutsLandmarksOnTheTemplate) {
  // A synthetic image with bright dots at the "landmarks"; after alignment
  // each dot must sit at its template position in the 112x112 chip.
  cv::Mat img(400, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  std::array<Point2f, 5> lm;
  const double angle = -15.0 * CV_PI / 180.0, scale = 2.0;
  for (size_t i = 0; i < 5; ++i) {
    double x = scale * (std::cos(angle) * kTemplate[i][0] - std::sin(angle) * kTemplate[i][1]) + 120;
    double y = scale * (std::sin(angle) * kTemplate[i][0] + std::cos(angle) * kTemplate[i][1]) + 90;
    lm[i] = {static_cast<float>(x), static_cast<float>(y)};
    cv::circle(img, cv::Point2d(x, y), 4, cv::Scalar(255, 255, 255), cv::FILLED);
  }
  cv::Mat chip = AlignFace(img, lm, kTemplate, 112);
  ASSERT_EQ(chip.size(), cv::Size(112, 112));
  for (const auto& t : kTemplate) {
    EXPECT_GT(chip.at<cv::Vec3b>(static_cast<int>(std::lround(t[1])), static_cast<int>(std::lround(t[0])))[0], 200)
        << t[0] << "," << t[1];
  }
  EXPECT_EQ(chip.at<cv::Vec3b>(5, 5)[0], 0);
}

}  // namespace
}  // namespace facekit::face
