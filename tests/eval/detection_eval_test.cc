#include "eval/detection_eval.h"

#include <gtest/gtest.h>

namespace facekit::eval {
namespace {

TEST(DetectionEval, ParsesImglabXml) {
  auto r = ParseImglabXml(R"(<?xml version='1.0'?><dataset><images>
    <image file='a.jpg' width='10'>
      <box top='10' left='20' width='30' height='40'/>
      <box top="1" left="2" width="3" height="4" ignore='1'><part name='00' x='1' y='2'/></box>
    </image>
    <image file='b.jpg'/>
  </images></dataset>)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const auto& a = (*r)[0];
  EXPECT_EQ(a.file, "a.jpg");
  ASSERT_EQ(a.boxes.size(), 2u);
  EXPECT_FLOAT_EQ(a.boxes[0].x, 20);
  EXPECT_FLOAT_EQ(a.boxes[0].y, 10);
  EXPECT_FLOAT_EQ(a.boxes[0].height, 40);
  EXPECT_FALSE(a.boxes[0].ignore);
  EXPECT_TRUE(a.boxes[1].ignore);
  EXPECT_TRUE((*r)[1].boxes.empty());
  EXPECT_FALSE(ParseImglabXml("<dataset></dataset>").ok());
  EXPECT_FALSE(ParseImglabXml("<image file='a'><box top='1' left='x' width='2' height='2'/></image>").ok());
  EXPECT_FALSE(ParseImglabXml("<box top='1' left='1' width='2' height='2'/>").ok());
  EXPECT_FALSE(ParseImglabXml("<image file='a'><box top='1'").ok());
}

TEST(DetectionEval, MatchesIgnoresAndAveragePrecision) {
  AnnotatedImage img{"x", {{0, 0, 10, 10, false, 0}, {100, 100, 10, 10, false, 0}, {50, 50, 10, 10, true, 0}}, {}};
  std::vector<Box> det = {
      {1, 1, 10, 10, false, 0.9f},     // TP (IoU 0.68)
      {0, 0, 10, 10, false, 0.8f},     // duplicate of an already matched face: FP
      {51, 50, 10, 10, false, 0.7f},   // on the ignored box: neither
      {300, 300, 10, 10, false, 0.6f}  // FP
  };
  DetectionReport r = EvaluateDetections({img}, {det}, 0.5f);
  EXPECT_EQ(r.true_positives, 1);
  EXPECT_EQ(r.false_positives, 2);
  EXPECT_EQ(r.misses, 1);
  EXPECT_EQ(r.annotated, 2);
  EXPECT_EQ(r.images[0].ignored, 1);
  EXPECT_DOUBLE_EQ(r.precision, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.recall, 0.5);
  // Ranked: TP (P=1, R=0.5), FP, FP -> AP = 0.5 * 1.
  EXPECT_DOUBLE_EQ(r.average_precision, 0.5);
  EXPECT_EQ(r.images[0].detection_kind[2], MatchKind::kIgnored);
  EXPECT_NEAR(IoU({0, 0, 10, 10, false, 0}, {5, 0, 10, 10, false, 0}), 50.0 / 150.0, 1e-6);
}

}  // namespace
}  // namespace facekit::eval
