#include "eval/confusion_plot.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace facekit::eval {

Status DrawConfusionPng(const std::vector<std::vector<int>>& matrix, const std::vector<std::string>& names,
                        const std::vector<int>& shown, const std::string& title, const std::string& path) {
  if (shown.empty()) return {StatusCode::kInvalidArgument, "no classes to draw"};
  for (int i : shown) {
    if (i < 0 || static_cast<size_t>(i) >= matrix.size() || static_cast<size_t>(i) >= names.size()) {
      return {StatusCode::kInvalidArgument, "class index out of range"};
    }
  }
  const int n = static_cast<int>(shown.size());
  const int cell = 22, label_w = 130, top = 40 + label_w;
  const int width = label_w + n * cell + 20, height = top + n * cell + 40;
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  const cv::Scalar ink(0, 0, 0);
  cv::putText(img, title, {10, 24}, cv::FONT_HERSHEY_SIMPLEX, 0.55, ink, 1, cv::LINE_AA);
  for (int r = 0; r < n; ++r) {
    const auto& row = matrix[static_cast<size_t>(shown[static_cast<size_t>(r)])];
    int total = 0;
    for (int c : shown) total += row[static_cast<size_t>(c)];
    for (int c = 0; c < n; ++c) {
      const int v = row[static_cast<size_t>(shown[static_cast<size_t>(c)])];
      const double share = total > 0 ? static_cast<double>(v) / total : 0.0;
      const int shade = 255 - static_cast<int>(share * 200);
      cv::Rect box(label_w + c * cell, top + r * cell, cell, cell);
      cv::rectangle(img, box, cv::Scalar(255, shade, shade), cv::FILLED);
      cv::rectangle(img, box, cv::Scalar(220, 220, 220), 1);
      if (v > 0) {
        std::string text = v > 99 ? "99+" : std::to_string(v);
        cv::putText(img, text, {box.x + 2, box.y + 15}, cv::FONT_HERSHEY_PLAIN, 0.8,
                    share > 0.5 ? cv::Scalar(255, 255, 255) : ink, 1, cv::LINE_AA);
      }
    }
    std::string name = names[static_cast<size_t>(shown[static_cast<size_t>(r)])].substr(0, 16);
    cv::putText(img, name, {4, top + r * cell + 15}, cv::FONT_HERSHEY_PLAIN, 0.9, ink, 1, cv::LINE_AA);
  }
  // Column names, written vertically.
  cv::Mat labels(cell * n, label_w, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int c = 0; c < n; ++c) {
    std::string name = names[static_cast<size_t>(shown[static_cast<size_t>(c)])].substr(0, 16);
    cv::putText(labels, name, {4, c * cell + 15}, cv::FONT_HERSHEY_PLAIN, 0.9, ink, 1, cv::LINE_AA);
  }
  cv::Mat rotated;
  cv::rotate(labels, rotated, cv::ROTATE_90_COUNTERCLOCKWISE);
  rotated.copyTo(img(cv::Rect(label_w, 36, rotated.cols, rotated.rows)));
  cv::putText(img, "rows: true class, columns: detected", {10, height - 14}, cv::FONT_HERSHEY_SIMPLEX, 0.45, ink, 1,
              cv::LINE_AA);
  try {
    if (!cv::imwrite(path, img)) return {StatusCode::kIoError, "cannot write " + path};
  } catch (const cv::Exception& e) {
    return {StatusCode::kIoError, "cannot write " + path + ": " + e.what()};
  }
  return Status::Ok();
}

}  // namespace facekit::eval
