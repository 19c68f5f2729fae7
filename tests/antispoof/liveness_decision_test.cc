// DecideLiveness: the rule (decisive medium cues, the passive model's weight)
// and LivenessJudge's end-to-end wiring.
#include "facekit/liveness_decision.h"

#include <gtest/gtest.h>

#include "facekit/liveness_judge.h"
#include "test_util.h"

namespace facekit {
namespace {

MediumEvidence Evidence(bool bezel_fires, bool bezel_decisive, bool glare_fires) {
  MediumEvidence e;
  e.cues.push_back({"bezel", bezel_fires ? 3.9f : 1.0f, 3.47f, true, bezel_decisive});
  e.cues.push_back({"glare", glare_fires ? 0.3f : 0.0f, 0.077f, true, false});
  e.cues.push_back({"object", 0.9f, 0.12f, false, true});  // unmeasured: never fires
  return e;
}

LivenessResult Passive(float spoof) {
  LivenessResult r;
  r.spoof_score = spoof;
  return r;
}

TEST(LivenessDecision, LiveUnlessADecisiveCueFires) {
  LivenessDecision d = DecideLiveness(Evidence(false, true, true), std::nullopt);
  EXPECT_TRUE(d.live);
  EXPECT_EQ(d.reason, "no replay medium found");
  d = DecideLiveness(Evidence(true, true, false), std::nullopt);
  EXPECT_FALSE(d.live);
  EXPECT_NE(d.reason.find("straight edges frame the face"), std::string::npos) << d.reason;
  d = DecideLiveness(Evidence(true, false, true), std::nullopt);  // fired, but not decisive
  EXPECT_TRUE(d.live);
}

TEST(LivenessDecision, ThePassiveModelIsIgnoredUnlessGivenAVeto) {
  LivenessDecision d = DecideLiveness(Evidence(false, true, false), Passive(0.99f));
  EXPECT_TRUE(d.live);
  EXPECT_FALSE(d.passive_vetoed);
  ASSERT_TRUE(d.passive.has_value());
  LivenessRule veto;
  veto.passive = PassiveWeight::kVeto;
  d = DecideLiveness(Evidence(false, true, false), Passive(0.99f), veto);
  EXPECT_FALSE(d.live);
  EXPECT_TRUE(d.passive_vetoed);
  EXPECT_NE(d.reason.find("passive model"), std::string::npos);
  d = DecideLiveness(Evidence(false, true, false), Passive(0.5f), veto);
  EXPECT_TRUE(d.live);
}

TEST(LivenessDecision, PassiveWeightNames) {
  EXPECT_EQ(PassiveWeightName(PassiveWeight::kVeto), "veto");
  EXPECT_EQ(*ParsePassiveWeight("ignored"), PassiveWeight::kIgnored);
  EXPECT_EQ(ParsePassiveWeight("half").status().code(), StatusCode::kInvalidArgument);
}

TEST(LivenessJudge, RunsThePassiveModelOnlyWhenAskedAndNeedsAnEngineForIt) {
  LivenessJudgeOptions o;
  o.medium.detect_objects = false;
  EXPECT_EQ(LivenessJudge::Create(nullptr, o).status().code(), StatusCode::kInvalidArgument);
  o.report_passive = false;
  auto quiet = LivenessJudge::Create(nullptr, o);
  ASSERT_TRUE(quiet.ok());
  const Image image = testing::MustLoad(testing::DataDir() + "/liveness/samples/image_T1.jpg");
  auto faces = testing::SharedEngine().Detect(image);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto d = (*quiet)->Judge(image, faces->front());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->passive.has_value());
  EXPECT_TRUE(d->live) << d->reason;
  o.report_passive = true;
  auto reporting = LivenessJudge::Create(&testing::SharedEngine(), o);
  ASSERT_TRUE(reporting.ok());
  d = (*reporting)->Judge(image, faces->front());
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->passive.has_value());
  EXPECT_TRUE(d->live);  // the passive model rejects this live frame (docs/liveness.md); it has no weight
  EXPECT_FALSE(d->passive->is_live);
}

}  // namespace
}  // namespace facekit
