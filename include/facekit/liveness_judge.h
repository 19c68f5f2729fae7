// facekit/liveness_judge.h - LivenessJudge: the liveness decision for a
// face in a frame, from end to end.
//
// WHAT THIS REPRESENTS
//   SpoofMediumDetector's evidence, the passive model's result (when asked
//   for, or when the rule gives it a veto) and DecideLiveness's rule, in one
//   call. Used by `facekit liveness`, `facekit eval liveness` and the
//   attendance graph's FaceLiveness node.
//
// THREAD SAFETY
//   Judge() is const; see SpoofMediumDetector and FaceEngine.
#pragma once

#include <memory>
#include <vector>

#include "facekit/engine.h"
#include "facekit/liveness_decision.h"
#include "facekit/spoof_medium_detector.h"

namespace facekit {

struct LivenessJudgeOptions {
  SpoofMediumOptions medium;
  LivenessRule rule;
  /// Run the passive model even when the rule ignores it (to report it).
  bool report_passive = true;
};

class LivenessJudge {
 public:
  /// `engine` runs the passive model; it must outlive the judge. It may be
  /// nullptr when the rule ignores the passive model and report_passive is
  /// off (kInvalidArgument otherwise).
  static Result<std::unique_ptr<LivenessJudge>> Create(const FaceEngine* engine, const LivenessJudgeOptions& options);

  /// The decision for `face` in `image` (see SpoofMediumDetector::Analyze
  /// for `media`).
  Result<LivenessDecision> Judge(const Image& image, const FaceBox& face,
                                 const std::vector<DetectedObject>* media = nullptr) const;

  const SpoofMediumDetector& medium() const { return *medium_; }
  const LivenessJudgeOptions& options() const { return options_; }

 private:
  LivenessJudge() = default;
  const FaceEngine* engine_ = nullptr;
  std::unique_ptr<SpoofMediumDetector> medium_;
  LivenessJudgeOptions options_;
};

}  // namespace facekit
