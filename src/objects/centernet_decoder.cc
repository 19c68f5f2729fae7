#include "objects/centernet_decoder.h"

#include <algorithm>
#include <cstddef>

namespace facekit::objects {
namespace {

struct Peak {
  float score;
  int class_id, row, col;
};

bool IsPeak(const float* plane, int rows, int cols, int r, int c) {
  const float v = plane[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
  for (int y = std::max(0, r - 1); y <= std::min(rows - 1, r + 1); ++y) {
    for (int x = std::max(0, c - 1); x <= std::min(cols - 1, c + 1); ++x) {
      if (plane[static_cast<size_t>(y) * static_cast<size_t>(cols) + static_cast<size_t>(x)] > v) return false;
    }
  }
  return true;
}

}  // namespace

float BoxIoU(const GridBox& a, const GridBox& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0.f;
  const float inter = iw * ih;
  const float uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return uni > 0 ? inter / uni : 0.f;
}

std::vector<GridBox> ClassWiseNms(std::vector<GridBox> boxes, float iou) {
  std::stable_sort(boxes.begin(), boxes.end(), [](const GridBox& a, const GridBox& b) { return a.score > b.score; });
  std::vector<GridBox> kept;
  for (const GridBox& b : boxes) {
    bool suppressed = false;
    for (const GridBox& k : kept) {
      if (k.class_id == b.class_id && BoxIoU(k, b) > iou) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(b);
  }
  return kept;
}

std::vector<GridBox> DecodeCenterNet(const float* heatmap, const float* box_sides, int classes, int rows, int cols,
                                     const CenterNetDecodeOptions& options) {
  const size_t plane = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  std::vector<Peak> peaks;
  for (int k = 0; k < classes; ++k) {
    const float* p = heatmap + static_cast<size_t>(k) * plane;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const float v = p[static_cast<size_t>(r) * static_cast<size_t>(cols) + static_cast<size_t>(c)];
        if (v >= options.score_threshold && IsPeak(p, rows, cols, r, c)) peaks.push_back({v, k, r, c});
      }
    }
  }
  auto by_score = [](const Peak& a, const Peak& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.class_id != b.class_id) return a.class_id < b.class_id;
    return a.row != b.row ? a.row < b.row : a.col < b.col;
  };
  const size_t keep = options.top_k > 0 ? std::min(peaks.size(), static_cast<size_t>(options.top_k)) : peaks.size();
  std::partial_sort(peaks.begin(), peaks.begin() + static_cast<std::ptrdiff_t>(keep), peaks.end(), by_score);
  peaks.resize(keep);
  std::vector<GridBox> boxes;
  boxes.reserve(peaks.size());
  for (const Peak& pk : peaks) {
    const size_t at = static_cast<size_t>(pk.row) * static_cast<size_t>(cols) + static_cast<size_t>(pk.col);
    const float cx = static_cast<float>(options.stride * pk.col), cy = static_cast<float>(options.stride * pk.row);
    GridBox b;
    b.x1 = cx - box_sides[at];
    b.y1 = cy - box_sides[plane + at];
    b.x2 = cx + box_sides[2 * plane + at];
    b.y2 = cy + box_sides[3 * plane + at];
    b.score = pk.score;
    b.class_id = pk.class_id;
    boxes.push_back(b);
  }
  return ClassWiseNms(std::move(boxes), options.nms_iou);
}

}  // namespace facekit::objects
