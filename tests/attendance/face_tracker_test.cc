// FaceTracker: ids kept across frames for moving boxes, a new id for a new face.
#include "attendance/face_tracker.h"

#include <gtest/gtest.h>

namespace facekit::attendance {
namespace {

FaceBox Box(float x, float y, float side) {
  FaceBox b;
  b.x = x;
  b.y = y;
  b.width = side;
  b.height = side;
  return b;
}

TEST(AttendanceTracker, KeepsIdsOfMovingFacesAndStartsNewOnes) {
  FaceTracker tracker({.iou_min = 0.3, .max_centre_shift = 0.5, .max_missed = 2, .recheck_ms = 1000});
  // Two faces moving in opposite directions, 8 px per frame (IoU ~0.85).
  std::vector<TrackAssignment> first = tracker.Update({Box(100, 100, 100), Box(500, 100, 100)}, 0);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NE(first[0].track_id, first[1].track_id);
  EXPECT_TRUE(first[0].check);
  EXPECT_TRUE(first[1].check);
  // A moves right, B moves down, 8 px per frame (IoU ~0.85 between frames).
  for (int f = 1; f <= 20; ++f) {
    const float d = 8.0f * static_cast<float>(f);
    // Listed in the other order: association must not depend on it.
    auto a = tracker.Update({Box(500, 100 + d, 100), Box(100 + d, 100, 100)}, f * 100);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[1].track_id, first[0].track_id) << "frame " << f;
    EXPECT_EQ(a[0].track_id, first[1].track_id) << "frame " << f;
    EXPECT_EQ(a[0].check, f == 10 || f == 20) << "re-check every 1000 ms, frame " << f;
  }
  // A jumps diagonally (IoU 0.27 < iou_min, centre moved 0.49 side): the
  // centroid fallback keeps its id.
  auto jump = tracker.Update({Box(260 + 35, 100 + 35, 100), Box(500, 260, 100)}, 2100);
  EXPECT_EQ(jump[0].track_id, first[0].track_id);
  EXPECT_EQ(jump[1].track_id, first[1].track_id);
  // A third face appears: new id, due a check; the others are not.
  auto third = tracker.Update({Box(295, 135, 100), Box(500, 260, 100), Box(250, 400, 80)}, 2200);
  EXPECT_EQ(third[0].track_id, first[0].track_id);
  EXPECT_EQ(third[1].track_id, first[1].track_id);
  EXPECT_FALSE(third[0].check);
  EXPECT_GT(third[2].track_id, first[1].track_id);
  EXPECT_TRUE(third[2].check);
  // Gone for longer than max_missed frames: a face at the same place is a new track.
  for (int f = 0; f < 3; ++f) tracker.Update({}, 2300 + f * 100);
  EXPECT_EQ(tracker.active_tracks(), 0u);
  auto again = tracker.Update({Box(295, 135, 100)}, 2700);
  EXPECT_GT(again[0].track_id, third[2].track_id);
  EXPECT_TRUE(again[0].check);
}

TEST(AttendanceTracker, IoU) {
  EXPECT_DOUBLE_EQ(IoU(Box(0, 0, 10), Box(0, 0, 10)), 1.0);
  EXPECT_DOUBLE_EQ(IoU(Box(0, 0, 10), Box(20, 0, 10)), 0.0);
  EXPECT_NEAR(IoU(Box(0, 0, 10), Box(5, 0, 10)), 50.0 / 150.0, 1e-9);
}

}  // namespace
}  // namespace facekit::attendance
