#include "antispoof/bezel_cue.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace facekit::antispoof {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Lines this close (in face sides) on one side count as one band: a device's
// outer edge and its screen's edge, a line broken by low contrast.
constexpr double kBandWidth = 0.12;

// A segment seen from one side of the face: its offset from the face centre
// across the side (where the line crosses the face's centre line) and the
// interval it covers along the side.
struct SideHit {
  double offset = 0;
  double from = 0, to = 0;
};

// The covered share of [lo, hi] by the union of `intervals`.
double Coverage(std::vector<std::pair<double, double>> intervals, double lo, double hi) {
  std::sort(intervals.begin(), intervals.end());
  double covered = 0, end = lo;
  for (auto [a, b] : intervals) {
    a = std::max(a, end);
    b = std::min(b, hi);
    if (b > a) {
      covered += b - a;
      end = b;
    }
  }
  return hi > lo ? covered / (hi - lo) : 0;
}

// The best line's coverage among `hits` (merged by offset within `tolerance`).
double BestLine(std::vector<SideHit>& hits, double lo, double hi, double tolerance) {
  std::sort(hits.begin(), hits.end(), [](const SideHit& a, const SideHit& b) { return a.offset < b.offset; });
  double best = 0;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    std::vector<std::pair<double, double>> intervals;
    for (std::size_t j = i; j < hits.size() && hits[j].offset - hits[i].offset <= tolerance; ++j) {
      intervals.emplace_back(hits[j].from, hits[j].to);
    }
    best = std::max(best, Coverage(std::move(intervals), lo, hi));
  }
  return best;
}

}  // namespace

BezelMeasure MeasureBezel(const cv::Mat& grey, const cv::Rect2f& face, const BezelParams& params) {
  BezelMeasure m;
  const double side = std::max(face.width, face.height);
  if (grey.empty() || side < 4) return m;
  const cv::Rect2d wanted(face.x - params.reach * side, face.y - params.reach * side,
                          face.width + 2 * params.reach * side, face.height + 2 * params.reach * side);
  const cv::Rect region =
      cv::Rect(cv::Point(static_cast<int>(std::floor(wanted.x)), static_cast<int>(std::floor(wanted.y))),
               cv::Point(static_cast<int>(std::ceil(wanted.br().x)), static_cast<int>(std::ceil(wanted.br().y)))) &
      cv::Rect(0, 0, grey.cols, grey.rows);
  if (region.width < 8 || region.height < 8) return m;
  const double margin = 0.1 * side;
  m.measured = face.x - region.x >= margin || face.y - region.y >= margin ||
               region.br().x - (face.x + face.width) >= margin || region.br().y - (face.y + face.height) >= margin;
  if (!m.measured) return m;
  const double scale = std::min(1.0, static_cast<double>(params.max_side_px) / std::max(region.width, region.height));
  cv::Mat roi;
  if (scale < 1.0) {
    cv::resize(grey(region), roi, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    roi = grey(region);
  }
  std::vector<cv::Vec4f> lines;
  cv::createLineSegmentDetector(cv::LSD_REFINE_STD)->detect(roi, lines);
  m.segments = static_cast<int>(lines.size());
  const double cx = face.x + face.width / 2.0, cy = face.y + face.height / 2.0;
  const double max_tan = std::tan(params.max_tilt_deg * kPi / 180);
  const double gap = params.min_gap * side;
  std::array<std::vector<SideHit>, 4> hits;  // left, top, right, bottom
  for (const cv::Vec4f& l : lines) {
    const double x1 = region.x + l[0] / scale, y1 = region.y + l[1] / scale;
    const double x2 = region.x + l[2] / scale, y2 = region.y + l[3] / scale;
    const double dx = x2 - x1, dy = y2 - y1;
    if (std::hypot(dx, dy) < params.min_segment * side) continue;
    if (std::fabs(dx) <= std::fabs(dy) * max_tan) {  // near vertical: x where it crosses the face's centre row
      const double x = x1 + dx * (cy - y1) / dy;
      const SideHit h{x - cx, std::min(y1, y2), std::max(y1, y2)};
      if (x <= face.x - gap && cx - x <= (params.reach + 0.5) * side) hits[0].push_back(h);
      if (x >= face.x + face.width + gap && x - cx <= (params.reach + 0.5) * side) hits[2].push_back(h);
    } else if (std::fabs(dy) <= std::fabs(dx) * max_tan) {  // near horizontal
      const double y = y1 + dy * (cx - x1) / dx;
      const SideHit h{y - cy, std::min(x1, x2), std::max(x1, x2)};
      if (y <= face.y - gap && cy - y <= (params.reach + 0.5) * side) hits[1].push_back(h);
      if (y >= face.y + face.height + gap && y - cy <= (params.reach + 0.5) * side) hits[3].push_back(h);
    }
  }
  const double tolerance = kBandWidth * side;
  m.sides[0] = static_cast<float>(BestLine(hits[0], face.y, face.y + face.height, tolerance));
  m.sides[2] = static_cast<float>(BestLine(hits[2], face.y, face.y + face.height, tolerance));
  m.sides[1] = static_cast<float>(BestLine(hits[1], face.x, face.x + face.width, tolerance));
  m.sides[3] = static_cast<float>(BestLine(hits[3], face.x, face.x + face.width, tolerance));
  m.value = m.sides[0] + m.sides[1] + m.sides[2] + m.sides[3];
  return m;
}

}  // namespace facekit::antispoof
