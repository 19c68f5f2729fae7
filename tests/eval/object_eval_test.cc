// Object detection metrics on synthetic boxes with answers worked out by hand.
#include "eval/object_eval.h"

#include <gtest/gtest.h>

namespace facekit::eval {
namespace {

ObjectBox B(int c, float x1, float y1, float x2, float y2, float score = 1.f) { return {c, x1, y1, x2, y2, score}; }

TEST(ObjectEval, IoU) {
  EXPECT_FLOAT_EQ(ObjectIoU(B(0, 0, 0, 10, 10), B(0, 0, 0, 10, 10)), 1.f);
  EXPECT_FLOAT_EQ(ObjectIoU(B(0, 0, 0, 10, 10), B(0, 5, 0, 15, 10)), 50.f / 150.f);
  EXPECT_FLOAT_EQ(ObjectIoU(B(0, 0, 0, 10, 10), B(0, 10, 0, 20, 10)), 0.f);
}

TEST(ObjectEval, AveragePrecisionAllPointInterpolation) {
  // TP, FP, TP for 2 truths: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1;
  // envelope 1, 2/3, 2/3 -> AP = 0.5 * 1 + 0.5 * 2/3.
  EXPECT_NEAR(AveragePrecision({true, false, true}, 2), 0.5 + 1.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(AveragePrecision({true, true}, 2), 1.0);
  EXPECT_DOUBLE_EQ(AveragePrecision({true}, 4), 0.25);
  EXPECT_DOUBLE_EQ(AveragePrecision({false, false}, 1), 0.0);
  EXPECT_DOUBLE_EQ(AveragePrecision({}, 0), 0.0);
}

TEST(ObjectEval, PerfectDetectionsScoreOne) {
  std::vector<ImageObjects> images(2);
  images[0].truth = {B(0, 0, 0, 10, 10), B(1, 20, 20, 40, 40)};
  images[0].detections = {B(0, 0, 0, 10, 10, 0.9f), B(1, 20, 20, 40, 40, 0.8f)};
  images[1].truth = {B(0, 5, 5, 50, 50)};
  images[1].detections = {B(0, 5, 5, 50, 50, 0.7f)};
  ObjectEvalOptions o;
  o.num_classes = 3;
  ObjectEvalReport r = EvaluateObjects(images, o);
  EXPECT_DOUBLE_EQ(r.map50, 1.0);
  EXPECT_DOUBLE_EQ(r.map50_95, 1.0);
  ASSERT_EQ(r.classes.size(), 2u);
  EXPECT_EQ(r.classes[0].truths, 2);
  EXPECT_DOUBLE_EQ(r.classes[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(r.classes[0].recall, 1.0);
  EXPECT_EQ(r.confusion[0][0], 2);
  EXPECT_EQ(r.confusion[1][1], 1);
  EXPECT_EQ(r.confusion[3][3], 0);
}

TEST(ObjectEval, KnownMixOfHitsMissesAndShiftedBoxes) {
  std::vector<ImageObjects> images(1);
  // Class 0: two truths. Detections by score: a hit, a duplicate of it (FP),
  // a box shifted to IoU 0.6 on the second truth (TP at t <= 0.6 only).
  images[0].truth = {B(0, 0, 0, 10, 10), B(0, 100, 0, 110, 10)};
  // Shift by 2.5 px: intersection 7.5x10 = 75, union 125, IoU 0.6.
  images[0].detections = {B(0, 0, 0, 10, 10, 0.9f), B(0, 0, 0, 10, 10, 0.8f), B(0, 102.5f, 0, 112.5f, 10, 0.7f)};
  ObjectEvalOptions o;
  o.num_classes = 1;
  o.score_threshold = 0.75f;
  ObjectEvalReport r = EvaluateObjects(images, o);
  ASSERT_EQ(r.classes.size(), 1u);
  const ClassMetrics& m = r.classes[0];
  // t <= 0.6 (3 of 10 thresholds: 0.5, 0.55, 0.6): TP, FP, TP -> 0.5 + 1/3.
  // t > 0.6: TP, FP, FP -> 0.5.
  const double high = 0.5 + 1.0 / 3.0, low = 0.5;
  EXPECT_NEAR(m.ap50, high, 1e-9);
  EXPECT_NEAR(m.ap50_95, (3 * high + 7 * low) / 10, 1e-6);
  // Operating point 0.75: the hit and its duplicate.
  EXPECT_EQ(m.true_positives, 1);
  EXPECT_EQ(m.false_positives, 1);
  EXPECT_DOUBLE_EQ(m.precision, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  // Confusion at 0.75: one match, the duplicate is background's row, the
  // second truth is a miss.
  EXPECT_EQ(r.confusion[0][0], 1);
  EXPECT_EQ(r.confusion[1][0], 1);
  EXPECT_EQ(r.confusion[0][1], 1);
}

TEST(ObjectEval, ConfusionCountsWrongClassAndMeanIsOverClassesWithTruth) {
  std::vector<ImageObjects> images(1);
  images[0].truth = {B(0, 0, 0, 10, 10), B(2, 50, 50, 60, 60)};
  images[0].detections = {B(1, 0, 0, 10, 10, 0.9f), B(2, 50, 50, 60, 60, 0.9f)};
  ObjectEvalOptions o;
  o.num_classes = 3;
  ObjectEvalReport r = EvaluateObjects(images, o);
  // Class 0: no detection (AP 0); class 2: AP 1; class 1 has no truth and is
  // not averaged.
  EXPECT_DOUBLE_EQ(r.map50, 0.5);
  ASSERT_EQ(r.classes.size(), 3u);
  EXPECT_EQ(r.classes[1].truths, 0);
  EXPECT_EQ(r.classes[1].false_positives, 1);
  EXPECT_EQ(r.confusion[0][1], 1);  // a class-0 object detected as class 1
  EXPECT_EQ(r.confusion[2][2], 1);
  EXPECT_EQ(r.confusion[0][3], 0);
  EXPECT_EQ(r.confusion[3][1], 0);
}

TEST(ObjectEval, EachTruthMatchesOnceAcrossImages) {
  std::vector<ImageObjects> images(2);
  images[0].truth = {B(0, 0, 0, 10, 10)};
  images[1].detections = {B(0, 0, 0, 10, 10, 0.99f)};  // right box, wrong image
  images[0].detections = {B(0, 0, 0, 10, 10, 0.5f)};
  ObjectEvalOptions o;
  o.num_classes = 1;
  ObjectEvalReport r = EvaluateObjects(images, o);
  EXPECT_NEAR(r.map50, 0.5, 1e-12);  // FP then TP: precision 1/2 at recall 1
}

TEST(ObjectEval, ParsesYoloLabelsAndNames) {
  auto boxes = ParseYoloLabels("0 0.5 0.5 0.2 0.4\n\n67 0.1 0.2 0.1 0.1\r\n", 100, 50, "a.txt");
  ASSERT_TRUE(boxes.ok()) << boxes.status().ToString();
  ASSERT_EQ(boxes->size(), 2u);
  EXPECT_FLOAT_EQ((*boxes)[0].x1, 40.f);
  EXPECT_FLOAT_EQ((*boxes)[0].y1, 15.f);
  EXPECT_FLOAT_EQ((*boxes)[0].x2, 60.f);
  EXPECT_FLOAT_EQ((*boxes)[0].y2, 35.f);
  EXPECT_EQ((*boxes)[1].class_id, 67);
  auto bad = ParseYoloLabels("0 0.5 0.5\n", 10, 10, "b.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.txt:1"), std::string::npos);

  auto names = ParseYoloNames("path: .\nnames:\n  0: person\n  1: bicycle\n  2: 'cell phone'\nother: 1\n");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"person", "bicycle", "cell phone"}));
  auto list = ParseYoloNames("names:\n- cat\n- dog\n");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_FALSE(ParseYoloNames("nc: 3\n").ok());
}

}  // namespace
}  // namespace facekit::eval
