#include "media/trace_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace facekit::media {

namespace {

constexpr int kWidth = 900, kLeft = 80, kRight = 30, kPanel = 230, kTop = 50, kGap = 60;
const cv::Scalar kAxis(0, 0, 0), kGrid(225, 225, 225), kHost(200, 80, 0), kProcess(0, 140, 255),
    kTarget(0, 0, 200), kInterval(40, 150, 40), kLevel(150, 0, 150);

void Text(cv::Mat& img, const std::string& s, cv::Point at, const cv::Scalar& colour, double scale = 0.45) {
  cv::putText(img, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv::LINE_AA);
}

// A panel: frame, horizontal grid with labels from `lo` to `hi`.
void Panel(cv::Mat& img, int top, double lo, double hi, const char* unit) {
  const int pw = kWidth - kLeft - kRight;
  for (int i = 0; i <= 4; ++i) {
    const int y = top + kPanel - i * kPanel / 4;
    cv::line(img, {kLeft, y}, {kLeft + pw, y}, kGrid, 1);
    char label[32];
    std::snprintf(label, sizeof(label), "%.0f%s", lo + (hi - lo) * i / 4.0, unit);
    Text(img, label, {8, y + 5}, kAxis, 0.42);
  }
  cv::rectangle(img, {kLeft, top}, {kLeft + pw, top + kPanel}, kAxis, 1);
}

void Dashed(cv::Mat& img, cv::Point a, cv::Point b, const cv::Scalar& colour) {
  for (int x = a.x; x < b.x; x += 12) cv::line(img, {x, a.y}, {std::min(x + 6, b.x), b.y}, colour, 1, cv::LINE_AA);
}

}  // namespace

Status DrawControllerTracePng(const std::vector<pipeline::TraceRow>& rows, double target, const std::string& title,
                              const std::string& path) {
  if (rows.size() < 2) return Status(StatusCode::kInvalidArgument, "a trace needs at least two rows to draw");
  const int height = kTop + 2 * kPanel + kGap + 60;
  const int pw = kWidth - kLeft - kRight;
  cv::Mat img(height, kWidth, CV_8UC3, cv::Scalar(255, 255, 255));
  const double t0 = static_cast<double>(rows.front().time_us) / 1e6;
  const double t1 = std::max(t0 + 1e-3, static_cast<double>(rows.back().time_us) / 1e6);
  auto px = [&](std::int64_t us) {
    return kLeft + static_cast<int>(std::lround((static_cast<double>(us) / 1e6 - t0) / (t1 - t0) * pw));
  };
  // Upper panel: CPU 0..100 %.
  const int top1 = kTop;
  Panel(img, top1, 0, 100, "%");
  auto py_cpu = [&](double u) { return top1 + kPanel - static_cast<int>(std::lround(std::clamp(u, 0.0, 1.0) * kPanel)); };
  Dashed(img, {kLeft, py_cpu(target)}, {kLeft + pw, py_cpu(target)}, kTarget);
  Dashed(img, {kLeft, py_cpu(target * 1.1)}, {kLeft + pw, py_cpu(target * 1.1)}, kGrid * 0.8);
  Dashed(img, {kLeft, py_cpu(target * 0.9)}, {kLeft + pw, py_cpu(target * 0.9)}, kGrid * 0.8);
  // Lower panel: interval 0..max, level as steps scaled to the panel.
  const int top2 = kTop + kPanel + kGap;
  double max_ms = 0;
  int max_level = 0;
  for (const auto& r : rows) {
    max_ms = std::max(max_ms, static_cast<double>(r.interval_us) / 1e3);
    max_level = std::max(max_level, r.level);
  }
  max_ms = std::ceil(std::max(1.0, max_ms) / 50.0) * 50.0;
  Panel(img, top2, 0, max_ms, "ms");
  auto py_ms = [&](std::int64_t us) {
    return top2 + kPanel - static_cast<int>(std::lround(static_cast<double>(us) / 1e3 / max_ms * kPanel));
  };
  auto py_level = [&](int level) { return top2 + kPanel - (max_level == 0 ? 0 : level * kPanel / (max_level + 1)); };
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& a = rows[i - 1];
    const auto& b = rows[i];
    cv::line(img, {px(a.time_us), py_cpu(a.cpu_host)}, {px(b.time_us), py_cpu(b.cpu_host)}, kHost, 2, cv::LINE_AA);
    cv::line(img, {px(a.time_us), py_cpu(a.cpu_process)}, {px(b.time_us), py_cpu(b.cpu_process)}, kProcess, 1,
             cv::LINE_AA);
    // The interval and the level hold until the next update: steps.
    cv::line(img, {px(a.time_us), py_ms(a.interval_us)}, {px(b.time_us), py_ms(a.interval_us)}, kInterval, 2);
    cv::line(img, {px(b.time_us), py_ms(a.interval_us)}, {px(b.time_us), py_ms(b.interval_us)}, kInterval, 2);
    if (max_level > 0) {
      cv::line(img, {px(a.time_us), py_level(a.level)}, {px(b.time_us), py_level(a.level)}, kLevel, 1);
      cv::line(img, {px(b.time_us), py_level(a.level)}, {px(b.time_us), py_level(b.level)}, kLevel, 1);
    }
  }
  // Time axis, legends, title.
  for (int i = 0; i <= 10; ++i) {
    const int x = kLeft + i * pw / 10;
    char label[32];
    std::snprintf(label, sizeof(label), "%.0f s", t0 + (t1 - t0) * i / 10.0);
    Text(img, label, {x - 14, top2 + kPanel + 20}, kAxis, 0.4);
  }
  Text(img, title, {kLeft, 30}, kAxis, 0.6);
  char target_text[64];
  std::snprintf(target_text, sizeof(target_text), "target %.0f%% (+/-10%% band)", target * 100);
  Text(img, "host CPU", {kLeft + 10, top1 + 18}, kHost);
  Text(img, "process CPU", {kLeft + 110, top1 + 18}, kProcess);
  Text(img, target_text, {kLeft + 240, top1 + 18}, kTarget);
  Text(img, "frame interval", {kLeft + 10, top2 + 18}, kInterval);
  if (max_level > 0) Text(img, "degradation level", {kLeft + 150, top2 + 18}, kLevel);
  if (!cv::imwrite(path, img)) return Status(StatusCode::kIoError, "cannot write " + path);
  return Status::Ok();
}

}  // namespace facekit::media
