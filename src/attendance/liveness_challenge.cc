#include "attendance/liveness_challenge.h"

#include <algorithm>
#include <cmath>

namespace facekit::attendance {
namespace {

// Baselines use at most this many recent samples of the track.
constexpr std::size_t kHistory = 90;

void Remember(std::vector<float>& history, float v) {
  history.push_back(v);
  if (history.size() > kHistory) history.erase(history.begin());
}

EvidenceFrame At(const ChallengeSample& s, float value) { return {s.frame_index, s.pts_ms, value}; }

}  // namespace

std::string ActionName(ChallengeAction a) {
  switch (a) {
    case ChallengeAction::kBlink:
      return "blink";
    case ChallengeAction::kTurnLeft:
      return "turn-left";
    case ChallengeAction::kTurnRight:
      return "turn-right";
  }
  return "?";
}

std::string DecisionName(ChallengeDecision d) {
  switch (d) {
    case ChallengeDecision::kPending:
      return "pending";
    case ChallengeDecision::kPassed:
      return "passed";
    case ChallengeDecision::kTimedOut:
      return "timed_out";
    case ChallengeDecision::kFailed:
      return "failed";
  }
  return "?";
}

Result<ChallengeAction> ParseAction(const std::string& name) {
  for (ChallengeAction a : {ChallengeAction::kBlink, ChallengeAction::kTurnLeft, ChallengeAction::kTurnRight}) {
    if (ActionName(a) == name) return a;
  }
  return Status(StatusCode::kInvalidArgument,
                "unknown challenge action \"" + name + "\" (expected blink, turn-left or turn-right)");
}

float Median(std::vector<float> v) {
  if (v.empty()) return 0.f;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  const float hi = *mid;
  const float lo = *std::max_element(v.begin(), mid);
  return (lo + hi) / 2;
}

LivenessChallenge::LivenessChallenge(std::vector<ChallengeAction> actions, ChallengeOptions options,
                                     std::int64_t start_ms)
    : actions_(std::move(actions)), options_(options), start_ms_(start_ms) {
  if (actions_.empty()) {
    decision_ = ChallengeDecision::kPassed;
    decided_ms_ = start_ms;
    return;
  }
  Ask(0, start_ms);
}

void LivenessChallenge::Ask(std::size_t step, std::int64_t now_ms) {
  step_ = step;
  ActionEvidence e;
  e.action = actions_[step];
  e.asked_ms = now_ms;
  evidence_.push_back(e);
  excursion_ms_.reset();
}

std::optional<ChallengeAction> LivenessChallenge::current() const {
  if (decision_ != ChallengeDecision::kPending) return std::nullopt;
  return actions_[step_];
}

ChallengeDecision LivenessChallenge::Expire(std::int64_t now_ms) {
  if (decision_ != ChallengeDecision::kPending) return decision_;
  const std::int64_t deadline = evidence_.back().asked_ms + options_.time_limit_ms;
  if (now_ms > deadline) {
    decision_ = ChallengeDecision::kTimedOut;
    decided_ms_ = deadline;
  }
  return decision_;
}

ChallengeDecision LivenessChallenge::Add(const ChallengeSample& s) {
  if (Expire(s.pts_ms) != ChallengeDecision::kPending) return decision_;
  ++samples_;
  ActionEvidence& e = evidence_.back();
  ++e.frames;
  if (!(s.confidence >= options_.min_confidence)) {
    ++low_confidence_;
    return decision_;
  }
  Turn done;
  const int turned = TrackTurn(s, &done);
  bool seen = false;
  switch (e.action) {
    case ChallengeAction::kBlink:
      seen = SeeBlink(s, e);
      break;
    case ChallengeAction::kTurnLeft:
      seen = turned > 0;
      break;
    case ChallengeAction::kTurnRight:
      seen = turned < 0;
      break;
  }
  if (e.action != ChallengeAction::kBlink && !turn_.has_value() && yaw_.size() >= Need()) e.baseline = Median(yaw_);
  const bool wrong = options_.strict && turned != 0 && !seen;
  if (turned != 0 && (seen || wrong)) {  // the turn's frames are the evidence
    e.baseline = done.baseline;
    e.extreme = done.extreme;
    e.back = done.back;
    if (wrong) e.wrong_action = ActionName(turned > 0 ? ChallengeAction::kTurnLeft : ChallengeAction::kTurnRight);
  }
  // The sample joins the baselines after it was judged against them: open
  // eyes for the openness baseline, frontal poses (outside a turn) for yaw.
  const float open_base = Median(openness_);
  if (openness_.size() < Need() || s.openness >= options_.closed_ratio * open_base) Remember(openness_, s.openness);
  const float yaw_base = Median(yaw_);
  if (yaw_.size() < Need() || (!turn_.has_value() && std::fabs(s.yaw - yaw_base) < options_.return_deg)) {
    Remember(yaw_, s.yaw);
  }
  if (wrong) {
    decision_ = ChallengeDecision::kFailed;
    decided_ms_ = s.pts_ms;
  } else if (seen) {
    e.passed = true;
    if (step_ + 1 == actions_.size()) {
      decision_ = ChallengeDecision::kPassed;
      decided_ms_ = s.pts_ms;
    } else {
      Ask(step_ + 1, s.pts_ms);
    }
  }
  return decision_;
}

bool LivenessChallenge::SeeBlink(const ChallengeSample& s, ActionEvidence& e) {
  if (openness_.size() < Need()) return false;
  if (!excursion_ms_.has_value()) {
    e.baseline = Median(openness_);
    if (s.openness < options_.closed_ratio * e.baseline) {
      excursion_ms_ = s.pts_ms;
      e.extreme = At(s, s.openness);
    }
    return false;
  }
  if (s.openness < e.extreme->value) e.extreme = At(s, s.openness);
  const bool in_window = s.pts_ms - *excursion_ms_ <= options_.blink_window_ms;
  if (s.openness > options_.open_ratio * e.baseline && in_window) {
    e.back = At(s, s.openness);
    return true;
  }
  if (!in_window) {  // closed (or not reopened) for too long: not a blink; wait again
    excursion_ms_.reset();
    e.extreme.reset();
  }
  return false;
}

int LivenessChallenge::TrackTurn(const ChallengeSample& s, Turn* done) {
  if (yaw_.size() < Need()) return 0;
  if (!turn_.has_value()) {
    const float base = Median(yaw_);
    if (std::fabs(s.yaw - base) >= options_.turn_deg) turn_ = Turn{s.yaw > base ? 1 : -1, base, At(s, s.yaw), {}};
    return 0;
  }
  Turn& t = *turn_;
  if (static_cast<float>(t.sign) * (s.yaw - t.extreme.value) > 0) t.extreme = At(s, s.yaw);
  if (std::fabs(s.yaw - t.baseline) > options_.return_deg) return 0;
  t.back = At(s, s.yaw);
  *done = t;
  turn_.reset();
  return done->sign;
}

}  // namespace facekit::attendance
