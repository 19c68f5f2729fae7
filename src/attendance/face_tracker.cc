#include "attendance/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace facekit::attendance {

double IoU(const FaceBox& a, const FaceBox& b) {
  const double x0 = std::max(a.x, b.x), y0 = std::max(a.y, b.y);
  const double x1 = std::min(a.x + a.width, b.x + b.width), y1 = std::min(a.y + a.height, b.y + b.height);
  const double inter = std::max(0.0, x1 - x0) * std::max(0.0, y1 - y0);
  const double uni = static_cast<double>(a.width) * a.height + static_cast<double>(b.width) * b.height - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<TrackAssignment> FaceTracker::Update(const std::vector<FaceBox>& boxes, std::int64_t pts_ms) {
  std::vector<int> match(boxes.size(), -1);  // detection -> track index
  std::vector<bool> track_used(tracks_.size(), false);
  std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
  for (std::size_t d = 0; d < boxes.size(); ++d) {
    for (std::size_t t = 0; t < tracks_.size(); ++t) {
      const double iou = IoU(boxes[d], tracks_[t].box);
      if (iou >= options_.iou_min) pairs.emplace_back(iou, d, t);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  for (const auto& [iou, d, t] : pairs) {
    if (match[d] >= 0 || track_used[t]) continue;
    match[d] = static_cast<int>(t);
    track_used[t] = true;
  }
  for (std::size_t d = 0; d < boxes.size(); ++d) {  // centroid fallback for fast movement
    if (match[d] >= 0) continue;
    double best = -1;
    int best_t = -1;
    const double cx = boxes[d].x + boxes[d].width / 2.0, cy = boxes[d].y + boxes[d].height / 2.0;
    for (std::size_t t = 0; t < tracks_.size(); ++t) {
      if (track_used[t]) continue;
      const FaceBox& tb = tracks_[t].box;
      const double dist = std::hypot(cx - (tb.x + tb.width / 2.0), cy - (tb.y + tb.height / 2.0));
      const double limit = options_.max_centre_shift * std::max(tb.width, tb.height);
      const double size_ratio = static_cast<double>(boxes[d].width) / std::max(1.0f, tb.width);
      if (dist <= limit && size_ratio > 0.5 && size_ratio < 2.0 && (best_t < 0 || dist < best)) {
        best = dist;
        best_t = static_cast<int>(t);
      }
    }
    if (best_t >= 0) {
      match[d] = best_t;
      track_used[static_cast<std::size_t>(best_t)] = true;
    }
  }
  std::vector<TrackAssignment> out(boxes.size());
  for (std::size_t t = 0; t < tracks_.size(); ++t) {
    if (!track_used[t]) ++tracks_[t].missed;
  }
  for (std::size_t d = 0; d < boxes.size(); ++d) {
    if (match[d] >= 0) {
      Track& tr = tracks_[static_cast<std::size_t>(match[d])];
      tr.box = boxes[d];
      tr.missed = 0;
      out[d].track_id = tr.id;
      if (pts_ms - tr.last_check_ms >= options_.recheck_ms) {
        out[d].check = true;
        tr.last_check_ms = pts_ms;
      }
    } else {
      Track tr;
      tr.id = next_id_++;
      tr.box = boxes[d];
      tr.last_check_ms = pts_ms;
      out[d] = {tr.id, true};
      tracks_.push_back(tr);
    }
  }
  std::erase_if(tracks_, [&](const Track& t) { return t.missed > options_.max_missed; });
  return out;
}

}  // namespace facekit::attendance
