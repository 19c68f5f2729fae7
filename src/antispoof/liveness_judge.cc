#include "facekit/liveness_judge.h"

namespace facekit {

Result<std::unique_ptr<LivenessJudge>> LivenessJudge::Create(const FaceEngine* engine,
                                                             const LivenessJudgeOptions& options) {
  const bool needs_passive = options.report_passive || options.rule.passive != PassiveWeight::kIgnored;
  if (needs_passive && engine == nullptr) {
    return Status(StatusCode::kInvalidArgument,
                  "the liveness rule needs the passive model, but no face engine was given");
  }
  std::unique_ptr<LivenessJudge> judge(new LivenessJudge());
  judge->engine_ = needs_passive ? engine : nullptr;
  judge->options_ = options;
  FACEKIT_ASSIGN_OR_RETURN(judge->medium_, SpoofMediumDetector::Create(options.medium));
  return judge;
}

Result<LivenessDecision> LivenessJudge::Judge(const Image& image, const FaceBox& face,
                                              const std::vector<DetectedObject>* media) const {
  FACEKIT_ASSIGN_OR_RETURN(MediumEvidence evidence, medium_->Analyze(image, face, media));
  std::optional<LivenessResult> passive;
  if (engine_ != nullptr) {
    FACEKIT_ASSIGN_OR_RETURN(passive, engine_->Liveness(image, face));
  }
  return DecideLiveness(std::move(evidence), std::move(passive), options_.rule);
}

}  // namespace facekit
