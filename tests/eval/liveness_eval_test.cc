// PAD metrics (ISO/IEC 30107-3) on hand-made samples.
#include "eval/liveness_eval.h"

#include <gtest/gtest.h>

#include <cmath>

namespace facekit::eval {
namespace {

LivenessSample Sample(bool attack, const char* species, float cue, bool judged_live, bool measured = true) {
  LivenessSample s;
  s.attack = attack;
  s.species = species;
  s.cues.push_back({"bezel", cue, 3.f, measured, true});
  s.judged_live = judged_live;
  return s;
}

std::vector<LivenessSample> Samples() {
  return {Sample(false, "", 1.0f, true),
          Sample(false, "", 2.0f, true),
          Sample(false, "", 3.5f, false),
          Sample(false, "", 0.5f, true),
          Sample(true, "phone", 3.9f, false),
          Sample(true, "phone", 2.0f, true),
          Sample(true, "monitor", 3.2f, false),
          Sample(true, "monitor", 3.0f, false),
          Sample(true, "monitor", 9.0f, true, false)};
}

TEST(LivenessEval, ApcerIsTheWorstSpeciesBpcerTheBonaFideRejected) {
  const PadRates r = PadRatesOf(Samples(), [](const LivenessSample& s) { return !s.judged_live; });
  EXPECT_EQ(r.attacks, 5);
  EXPECT_EQ(r.attacks_accepted, 2);
  EXPECT_EQ(r.bona_fide, 4);
  EXPECT_EQ(r.bona_fide_rejected, 1);
  EXPECT_DOUBLE_EQ(r.apcer, 0.5);  // phone 1/2; monitor 1/3
  EXPECT_DOUBLE_EQ(r.apcer_pooled, 0.4);
  EXPECT_DOUBLE_EQ(r.bpcer, 0.25);
  EXPECT_DOUBLE_EQ(r.acer, 0.375);
  EXPECT_EQ(r.species.at("monitor"), (std::pair<long, long>{1, 3}));
}

TEST(LivenessEval, EachCueAloneWithItsAucOverTheSamplesItMeasured) {
  const std::vector<CueReport> reports = ReportCues(Samples());
  ASSERT_EQ(reports.size(), 1u);
  const CueReport& r = reports[0];
  EXPECT_EQ(r.name, "bezel");
  EXPECT_EQ(r.measured, 8);
  EXPECT_TRUE(r.decisive);
  // Attacks 3.9, 2.0, 3.2, 3.0 against live 1.0, 2.0, 3.5, 0.5: 16 pairs, 12 ordered, one tie.
  ASSERT_TRUE(r.auc.has_value());
  EXPECT_DOUBLE_EQ(*r.auc, 12.5 / 16);
  // At 3.0: fires on 3.5 (live), 3.9, 3.2, 3.0; the unmeasured attack does not fire.
  EXPECT_DOUBLE_EQ(r.rates.bpcer, 0.25);
  EXPECT_EQ(r.rates.attacks_accepted, 2);
}

TEST(LivenessEval, ThresholdAtBpcerKeepsThatShareOfBonaFideQuiet) {
  const std::vector<LivenessSample> s = Samples();
  const float none = ThresholdAtBpcer(s, "bezel", 0.0);
  EXPECT_GT(none, 3.5f);
  EXPECT_LT(none, 3.5001f);
  const float one = ThresholdAtBpcer(s, "bezel", 0.25);  // one of four live may fire
  EXPECT_GT(one, 2.0f);
  EXPECT_LT(one, 2.0001f);
  EXPECT_TRUE(std::isinf(ThresholdAtBpcer(s, "glare", 0.1)));
  EXPECT_FALSE(AttackAuc({{1.f, true, 0}, {2.f, true, 0}}).has_value());  // no bona fide
}

}  // namespace
}  // namespace facekit::eval
