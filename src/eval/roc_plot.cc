#include "eval/roc_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace facekit::eval {

Status DrawRocPng(const std::vector<std::pair<double, double>>& roc, const std::string& title, double operating_far,
                  double operating_tar, const std::string& path) {
  if (roc.empty()) return {StatusCode::kInvalidArgument, "no ROC points to draw"};
  const int width = 740, height = 540, left = 100, right = 30, top = 50, bottom = 70;
  const int pw = width - left - right, ph = height - top - bottom;
  double min_far = 1.0, min_tar = 1.0;
  for (const auto& [far, tar] : roc) {
    if (far > 0) min_far = std::min(min_far, far);
  }
  const int lo_decade = std::max(-6, static_cast<int>(std::floor(std::log10(min_far))));
  for (const auto& [far, tar] : roc) {
    if (far >= std::pow(10.0, lo_decade)) min_tar = std::min(min_tar, tar);
  }
  const double y0 = std::min(0.9, std::floor(min_tar * 20.0) / 20.0);  // bottom of the TAR axis
  auto px = [&](double far) {
    double lf = far > 0 ? std::max(static_cast<double>(lo_decade), std::log10(far)) : lo_decade;
    return left + static_cast<int>(std::lround((lf - lo_decade) / -lo_decade * pw));
  };
  auto py = [&](double tar) {
    double t = std::clamp((tar - y0) / (1.0 - y0), 0.0, 1.0);
    return top + ph - static_cast<int>(std::lround(t * ph));
  };
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar grid(225, 225, 225), axis(0, 0, 0), curve(200, 80, 0);
  for (int d = lo_decade; d <= 0; ++d) {
    int x = px(std::pow(10.0, d));
    cv::line(img, {x, top}, {x, top + ph}, grid, 1);
    char label[16];
    std::snprintf(label, sizeof(label), "1e%d", d);
    cv::putText(img, d == 0 ? "1" : label, {x - 14, top + ph + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.45, axis, 1, cv::LINE_AA);
  }
  for (int i = 0; i <= 10; ++i) {
    double tar = y0 + (1.0 - y0) * i / 10.0;
    int y = py(tar);
    cv::line(img, {left, y}, {left + pw, y}, grid, 1);
    char label[16];
    std::snprintf(label, sizeof(label), "%.3f", tar);
    cv::putText(img, label, {left - 60, y + 5}, cv::FONT_HERSHEY_SIMPLEX, 0.42, axis, 1, cv::LINE_AA);
  }
  cv::rectangle(img, {left, top}, {left + pw, top + ph}, axis, 1);
  std::vector<cv::Point> pts;
  for (const auto& [far, tar] : roc) pts.emplace_back(px(far), py(tar));
  // Step curve: TAR holds until the next FAR.
  for (size_t i = 1; i < pts.size(); ++i) {
    cv::line(img, pts[i - 1], {pts[i].x, pts[i - 1].y}, curve, 2, cv::LINE_AA);
    cv::line(img, {pts[i].x, pts[i - 1].y}, pts[i], curve, 2, cv::LINE_AA);
  }
  if (operating_far > 0) {
    cv::circle(img, {px(operating_far), py(operating_tar)}, 5, cv::Scalar(0, 0, 220), cv::FILLED, cv::LINE_AA);
  }
  cv::putText(img, title, {left, top - 18}, cv::FONT_HERSHEY_SIMPLEX, 0.55, axis, 1, cv::LINE_AA);
  cv::putText(img, "false accept rate (log scale)", {left + pw / 2 - 120, height - 22}, cv::FONT_HERSHEY_SIMPLEX, 0.5,
              axis, 1, cv::LINE_AA);
  cv::putText(img, "TAR", {8, top + ph / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.5, axis, 1, cv::LINE_AA);
  try {
    if (!cv::imwrite(path, img)) return {StatusCode::kIoError, "cannot write " + path};
  } catch (const cv::Exception& e) {
    return {StatusCode::kInvalidArgument, "cannot write " + path + ": " + e.what()};
  }
  return Status::Ok();
}

}  // namespace facekit::eval
