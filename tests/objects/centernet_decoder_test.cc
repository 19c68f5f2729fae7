// CenterNet grid decoding on synthetic maps with known answers.
#include "objects/centernet_decoder.h"

#include <gtest/gtest.h>

namespace facekit::objects {
namespace {

struct Grid {
  int classes, rows, cols;
  std::vector<float> heat, sides;
  Grid(int k, int r, int c)
      : classes(k),
        rows(r),
        cols(c),
        heat(static_cast<size_t>(k * r * c), 0.f),
        sides(static_cast<size_t>(4 * r * c), 0.f) {}
  float& H(int k, int r, int c) { return heat[static_cast<size_t>((k * rows + r) * cols + c)]; }
  void Sides(int r, int c, float l, float t, float rt, float b) {
    const size_t plane = static_cast<size_t>(rows * cols), at = static_cast<size_t>(r * cols + c);
    sides[at] = l;
    sides[plane + at] = t;
    sides[2 * plane + at] = rt;
    sides[3 * plane + at] = b;
  }
  std::vector<GridBox> Decode(CenterNetDecodeOptions o) const {
    return DecodeCenterNet(heat.data(), sides.data(), classes, rows, cols, o);
  }
};

TEST(CenterNetDecoder, PeakGivesBoxAroundItsCell) {
  Grid g(2, 8, 10);
  g.H(1, 3, 5) = 0.9f;
  g.H(1, 3, 6) = 0.5f;  // a neighbour of the peak, not a peak itself
  g.H(1, 2, 5) = 0.4f;
  g.Sides(3, 5, 6, 4, 10, 8);
  CenterNetDecodeOptions o;
  o.stride = 4;
  auto boxes = g.Decode(o);
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_EQ(boxes[0].class_id, 1);
  EXPECT_FLOAT_EQ(boxes[0].score, 0.9f);
  EXPECT_FLOAT_EQ(boxes[0].x1, 20.f - 6);
  EXPECT_FLOAT_EQ(boxes[0].y1, 12.f - 4);
  EXPECT_FLOAT_EQ(boxes[0].x2, 20.f + 10);
  EXPECT_FLOAT_EQ(boxes[0].y2, 12.f + 8);
}

TEST(CenterNetDecoder, ThresholdTopKAndEdges) {
  Grid g(1, 6, 6);
  g.H(0, 0, 0) = 0.8f;  // corner peak
  g.H(0, 5, 5) = 0.7f;  // opposite corner
  g.H(0, 0, 5) = 0.3f;
  g.H(0, 5, 0) = 0.1f;  // below threshold
  for (auto [r, c] : {std::pair{0, 0}, {5, 5}, {0, 5}, {5, 0}}) g.Sides(r, c, 1, 1, 1, 1);
  CenterNetDecodeOptions o;
  o.score_threshold = 0.2f;
  EXPECT_EQ(g.Decode(o).size(), 3u);
  o.top_k = 2;
  auto two = g.Decode(o);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_FLOAT_EQ(two[0].score, 0.8f);
  EXPECT_FLOAT_EQ(two[1].score, 0.7f);
}

TEST(CenterNetDecoder, PlateauCellsAreAllPeaksAndNmsKeepsOne) {
  Grid g(1, 4, 4);
  g.H(0, 1, 1) = 0.6f;
  g.H(0, 1, 2) = 0.6f;  // equal neighbours: both pass the max-pool test
  g.Sides(1, 1, 8, 8, 8, 8);
  g.Sides(1, 2, 8, 8, 8, 8);
  CenterNetDecodeOptions o;
  o.nms_iou = 0.5f;  // boxes 4 px apart, 16 px wide: IoU 12/20 = 0.6
  EXPECT_EQ(g.Decode(o).size(), 1u);
  o.nms_iou = 0.7f;
  EXPECT_EQ(g.Decode(o).size(), 2u);
}

TEST(CenterNetDecoder, NmsIsPerClass) {
  std::vector<GridBox> boxes = {{0, 0, 10, 10, 0.9f, 0}, {0, 0, 10, 10, 0.8f, 1}, {1, 1, 10, 10, 0.7f, 0}};
  auto kept = ClassWiseNms(boxes, 0.5f);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].class_id, 0);
  EXPECT_EQ(kept[1].class_id, 1);
  EXPECT_FLOAT_EQ(BoxIoU(boxes[0], boxes[2]), 81.f / 100.f);
}

}  // namespace
}  // namespace facekit::objects
