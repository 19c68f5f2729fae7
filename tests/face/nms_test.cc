#include <gtest/gtest.h>

#include "face/mtcnn_detector.h"

namespace facekit::face {
namespace {

Candidate Box(float x1, float y1, float x2, float y2, float score) {
  Candidate c;
  c.x1 = x1;
  c.y1 = y1;
  c.x2 = x2;
  c.y2 = y2;
  c.score = score;
  return c;
}

TEST(Nms, KeepsHighestOfOverlappingAndAllDisjoint) {
  std::vector<Candidate> boxes = {Box(0, 0, 9, 9, 0.8f), Box(1, 1, 10, 10, 0.9f), Box(50, 50, 59, 59, 0.7f)};
  auto kept = Nms(boxes, 0.5f, NmsMode::kUnion);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.9f);
  EXPECT_FLOAT_EQ(kept[1].score, 0.7f);
}

TEST(Nms, UnionVersusMinOverlap) {
  // A small box inside a big one: IoU 0.25 (kept under Union 0.5), but
  // intersection / min area = 1 (suppressed under Min 0.7).
  std::vector<Candidate> boxes = {Box(0, 0, 19, 19, 0.9f), Box(0, 0, 9, 9, 0.8f)};
  EXPECT_EQ(Nms(boxes, 0.5f, NmsMode::kUnion).size(), 2u);
  EXPECT_EQ(Nms(boxes, 0.7f, NmsMode::kMin).size(), 1u);
  EXPECT_TRUE(Nms({}, 0.5f, NmsMode::kUnion).empty());
}

TEST(Uncovered, DropsBoxesHalfCoveredByTheSmallerAreaAndKeepsOrder) {
  std::vector<Candidate> faces = {Box(0, 0, 19, 19, 0.99f)};
  std::vector<Candidate> boxes = {
      Box(100, 100, 119, 119, 0.5f),  // far away: kept
      Box(5, 5, 14, 14, 0.6f),        // inside the face: covered
      Box(10, 0, 29, 19, 0.45f),      // half of it on the face: covered at 0.5
      Box(15, 0, 34, 19, 0.42f),      // a quarter on the face: kept
      Box(-40, -40, 59, 59, 0.41f),   // contains the face (all of the smaller area): covered
  };
  auto kept = Uncovered(boxes, faces, 0.5f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.5f);
  EXPECT_FLOAT_EQ(kept[1].score, 0.42f);
  EXPECT_EQ(Uncovered(boxes, {}, 0.5f).size(), boxes.size());
  EXPECT_EQ(Uncovered(boxes, faces, 0.7f).size(), 3u);  // the half-covered one passes a 0.7 bar
}

}  // namespace
}  // namespace facekit::face
