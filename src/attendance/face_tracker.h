// attendance/face_tracker.h - FaceTracker: keeps ids of faces across frames.
//
// Association per frame: greedy on IoU (highest first, at least iou_min);
// detections left over are matched to remaining tracks whose centre is within
// max_centre_shift x the track's box side; the rest start new tracks. A track
// not seen for more than max_missed frames is dropped. Each result says
// whether the face is due a (re-)check: a new track, or recheck_ms elapsed
// since its last check. Pure logic, no I/O; not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "facekit/engine.h"

namespace facekit::attendance {

struct TrackerOptions {
  double iou_min = 0.3;
  double max_centre_shift = 0.5;
  int max_missed = 3;
  std::int64_t recheck_ms = 2000;
};

struct TrackAssignment {
  int track_id = -1;
  bool check = false;
};

class FaceTracker {
 public:
  explicit FaceTracker(TrackerOptions options = {}) : options_(options) {}
  /// One assignment per box, in the order of `boxes`.
  std::vector<TrackAssignment> Update(const std::vector<FaceBox>& boxes, std::int64_t pts_ms);
  std::size_t active_tracks() const { return tracks_.size(); }

 private:
  struct Track {
    int id = 0;
    FaceBox box;
    int missed = 0;
    std::int64_t last_check_ms = 0;
  };
  TrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
};

double IoU(const FaceBox& a, const FaceBox& b);

}  // namespace facekit::attendance
