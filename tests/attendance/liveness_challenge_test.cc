// LivenessChallenge on hand-made per-frame measures (no model): what counts
// as a blink and as a turn, the baselines, timeouts and sequences.
#include "attendance/liveness_challenge.h"

#include <gtest/gtest.h>

#include <vector>

namespace facekit::attendance {
namespace {

constexpr std::int64_t kFrameMs = 100;  // 10 fps

// Feeds openness values (yaw 0, confident), one per frame from frame 0.
ChallengeDecision FeedOpenness(LivenessChallenge& c, const std::vector<float>& values, std::int64_t first = 0) {
  ChallengeDecision d = c.decision();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::int64_t frame = first + static_cast<std::int64_t>(i);
    d = c.Add({frame, frame * kFrameMs, 0.9f, values[i], 0.f});
  }
  return d;
}

ChallengeDecision FeedYaw(LivenessChallenge& c, const std::vector<float>& values, std::int64_t first = 0) {
  ChallengeDecision d = c.decision();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::int64_t frame = first + static_cast<std::int64_t>(i);
    d = c.Add({frame, frame * kFrameMs, 0.9f, 0.3f, values[i]});
  }
  return d;
}

TEST(LivenessChallenge, BlinkPassesWithEvidence) {
  LivenessChallenge c({ChallengeAction::kBlink}, {}, 0);
  EXPECT_EQ(FeedOpenness(c, {0.30f, 0.31f, 0.29f, 0.30f, 0.08f, 0.05f, 0.28f}), ChallengeDecision::kPassed);
  EXPECT_EQ(c.decided_ms(), 600);
  ASSERT_EQ(c.evidence().size(), 1u);
  const ActionEvidence& e = c.evidence()[0];
  EXPECT_TRUE(e.passed);
  EXPECT_NEAR(e.baseline, 0.30f, 1e-6);
  ASSERT_TRUE(e.extreme.has_value());
  EXPECT_EQ(e.extreme->frame_index, 5);  // the lowest openness while closed
  EXPECT_FLOAT_EQ(e.extreme->value, 0.05f);
  ASSERT_TRUE(e.back.has_value());
  EXPECT_EQ(e.back->frame_index, 6);
  EXPECT_EQ(e.frames, 7);
}

TEST(LivenessChallenge, StillEyesNoiseAndAClosedEyePhotoNeverPass) {
  LivenessChallenge open({ChallengeAction::kBlink}, {}, 0);
  std::vector<float> noisy;
  for (int i = 0; i < 70; ++i) noisy.push_back(0.30f + 0.03f * static_cast<float>((i * 7) % 5 - 2) / 2);
  EXPECT_EQ(FeedOpenness(open, noisy), ChallengeDecision::kPending);
  // A photo with closed eyes: its own baseline is low, nothing falls below 0.6 x it.
  LivenessChallenge closed({ChallengeAction::kBlink}, {}, 0);
  EXPECT_EQ(FeedOpenness(closed, std::vector<float>(70, 0.04f)), ChallengeDecision::kPending);
  // Past the limit (8 s at 10 fps = frame 80), the next frame times it out.
  EXPECT_EQ(FeedOpenness(closed, std::vector<float>(20, 0.04f), 70), ChallengeDecision::kTimedOut);
  EXPECT_EQ(closed.decided_ms(), 8000);
}

TEST(LivenessChallenge, EyesClosedLongerThanTheWindowAreNotABlink) {
  ChallengeOptions o;
  o.blink_window_ms = 300;
  LivenessChallenge c({ChallengeAction::kBlink}, o, 0);
  // Closed for 5 frames (500 ms), then open: not a blink.
  EXPECT_EQ(FeedOpenness(c, {0.3f, 0.3f, 0.3f, 0.05f, 0.05f, 0.05f, 0.05f, 0.05f, 0.3f, 0.3f}),
            ChallengeDecision::kPending);
  // A real blink afterwards passes.
  EXPECT_EQ(FeedOpenness(c, {0.1f, 0.3f}, 10), ChallengeDecision::kPassed);
  EXPECT_EQ(c.evidence()[0].extreme->frame_index, 10);
}

TEST(LivenessChallenge, NeedsABaselineFirstAndIgnoresLowConfidenceFrames) {
  LivenessChallenge c({ChallengeAction::kBlink}, {}, 0);
  // A closure in the first frames (no baseline yet) does not count.
  EXPECT_EQ(FeedOpenness(c, {0.3f, 0.05f, 0.3f}), ChallengeDecision::kPending);
  // Low-confidence frames (a mesh that is not a face) are not used.
  c.Add({3, 300, 0.1f, 0.01f, 0.f});
  c.Add({4, 400, 0.1f, 0.30f, 0.f});
  EXPECT_EQ(c.decision(), ChallengeDecision::kPending);
  EXPECT_EQ(c.low_confidence_samples(), 2);
  EXPECT_EQ(FeedOpenness(c, {0.3f, 0.3f, 0.1f, 0.3f}, 5), ChallengeDecision::kPassed);
}

TEST(LivenessChallenge, TurnLeftNeedsTheRightDirectionAndTheWayBack) {
  LivenessChallenge c({ChallengeAction::kTurnLeft}, {}, 0);
  // A frontal baseline of 3 degrees; a turn to the right is ignored.
  EXPECT_EQ(FeedYaw(c, {3, 2, 4, 3, -20, -25, 3}), ChallengeDecision::kPending);
  // Left (yaw > 0) by more than 15 degrees, but not back yet.
  EXPECT_EQ(FeedYaw(c, {12, 20, 26, 22}, 7), ChallengeDecision::kPending);
  EXPECT_EQ(FeedYaw(c, {9}, 11), ChallengeDecision::kPassed);
  const ActionEvidence& e = c.evidence()[0];
  EXPECT_NEAR(e.baseline, 3.f, 1e-6);
  EXPECT_EQ(e.extreme->frame_index, 9);
  EXPECT_FLOAT_EQ(e.extreme->value, 26.f);
  EXPECT_EQ(e.back->frame_index, 11);
}

TEST(LivenessChallenge, SequenceAsksEachActionInTurnAndTimesOutPerAction) {
  ChallengeOptions o;
  o.time_limit_ms = 2000;
  LivenessChallenge c({ChallengeAction::kTurnRight, ChallengeAction::kBlink}, o, 0);
  EXPECT_EQ(c.current(), ChallengeAction::kTurnRight);
  // A blink before it is asked does not count.
  EXPECT_EQ(FeedOpenness(c, {0.3f, 0.3f, 0.3f, 0.05f, 0.3f}), ChallengeDecision::kPending);
  EXPECT_EQ(FeedYaw(c, {0, -18, 0}, 5), ChallengeDecision::kPending);
  EXPECT_EQ(c.current(), ChallengeAction::kBlink);
  EXPECT_EQ(c.evidence()[1].asked_ms, 700);
  // The blink's limit runs from when it was asked (700 + 2000 ms).
  EXPECT_EQ(c.Expire(2700), ChallengeDecision::kPending);
  EXPECT_EQ(c.Expire(2701), ChallengeDecision::kTimedOut);
  EXPECT_EQ(c.decided_ms(), 2700);
  EXPECT_FALSE(c.current().has_value());
  EXPECT_TRUE(c.evidence()[0].passed);
  EXPECT_FALSE(c.evidence()[1].passed);
}

TEST(LivenessChallenge, StrictFailsOnATurnThatWasNotAsked) {
  ChallengeOptions o;
  o.strict = true;
  LivenessChallenge c({ChallengeAction::kBlink, ChallengeAction::kTurnLeft}, o, 0);
  // A blink passes the first action; a turn to the right then fails the second.
  EXPECT_EQ(FeedOpenness(c, {0.3f, 0.3f, 0.3f, 0.05f, 0.3f}), ChallengeDecision::kPending);
  EXPECT_EQ(FeedYaw(c, {0, 1, -20, -1}, 5), ChallengeDecision::kFailed);
  EXPECT_EQ(c.decided_ms(), 800);
  const ActionEvidence& e = c.evidence()[1];
  EXPECT_FALSE(e.passed);
  EXPECT_EQ(e.wrong_action, "turn-right");
  EXPECT_EQ(e.extreme->frame_index, 7);
  EXPECT_EQ(e.back->frame_index, 8);
  EXPECT_EQ(DecisionName(c.decision()), "failed");
  // Not strict: the same frames leave it pending.
  LivenessChallenge lenient({ChallengeAction::kBlink, ChallengeAction::kTurnLeft}, {}, 0);
  FeedOpenness(lenient, {0.3f, 0.3f, 0.3f, 0.05f, 0.3f});
  EXPECT_EQ(FeedYaw(lenient, {0, 1, -20, -1}, 5), ChallengeDecision::kPending);
}

TEST(LivenessChallenge, NamesRoundTripAndUnknownActionIsAnError) {
  for (ChallengeAction a : {ChallengeAction::kBlink, ChallengeAction::kTurnLeft, ChallengeAction::kTurnRight}) {
    auto parsed = ParseAction(ActionName(a));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, a);
  }
  auto bad = ParseAction("nod");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nod"), std::string::npos);
  EXPECT_FLOAT_EQ(Median({3, 1, 2}), 2);
  EXPECT_FLOAT_EQ(Median({4, 1, 2, 3}), 2.5);
}

}  // namespace
}  // namespace facekit::attendance
