#include "attendance/challenge_node.h"

#include <random>

#include "attendance/node_util.h"
#include "pipeline/node_options.h"

namespace facekit::attendance {
namespace {

nlohmann::json FrameJson(const std::optional<EvidenceFrame>& f) {
  if (!f.has_value()) return nullptr;
  return {{"frame", f->frame_index}, {"pts_ms", f->pts_ms}, {"value", f->value}};
}

nlohmann::json AskedJson(const LivenessChallenge& c) {
  nlohmann::json asked = nlohmann::json::array();
  for (ChallengeAction a : c.actions()) asked.push_back(ActionName(a));
  return asked;
}

}  // namespace

nlohmann::json ChallengeSummary(const LivenessChallenge& c) {
  nlohmann::json j = {{"asked", AskedJson(c)}, {"decision", DecisionName(c.decision())}};
  j["time_to_decision_ms"] = c.decision() == ChallengeDecision::kPending
                                 ? nlohmann::json(nullptr)
                                 : nlohmann::json(c.decided_ms() - c.start_ms());
  return j;
}

nlohmann::json ChallengeEvent(const LivenessChallenge& c, int track_id, std::int64_t pts_ms, bool track_lost) {
  nlohmann::json j = ChallengeSummary(c);
  j["type"] = "challenge";
  j["track_id"] = track_id;
  j["pts_ms"] = pts_ms;
  j["started_ms"] = c.start_ms();
  j["decided_ms"] =
      c.decision() == ChallengeDecision::kPending ? nlohmann::json(nullptr) : nlohmann::json(c.decided_ms());
  j["track_lost"] = track_lost;
  j["frames"] = c.samples();
  j["low_confidence_frames"] = c.low_confidence_samples();
  nlohmann::json steps = nlohmann::json::array();
  for (const ActionEvidence& e : c.evidence()) {
    const bool blink = e.action == ChallengeAction::kBlink;
    steps.push_back({{"action", ActionName(e.action)},
                     {"asked_ms", e.asked_ms},
                     {"passed", e.passed},
                     {"frames", e.frames},
                     {"measure", blink ? "eye_openness" : "yaw_deg"},
                     {"baseline", e.baseline},
                     {blink ? "closed" : "turned", FrameJson(e.extreme)},
                     {blink ? "reopened" : "back", FrameJson(e.back)}});
    if (e.wrong_action.has_value()) steps.back()["wrong_action"] = *e.wrong_action;
  }
  j["steps"] = std::move(steps);
  return j;
}

Status ChallengeNode::Open(pipeline::NodeContext& ctx) {
  const std::string where = "node \"" + ctx.name() + "\" option ";
  FACEKIT_ASSIGN_OR_RETURN(mode_, pipeline::OptionString(ctx, "challenge", "none"));
  if (mode_ != "none" && mode_ != "blink" && mode_ != "turn" && mode_ != "turn-left" && mode_ != "turn-right" &&
      mode_ != "random") {
    return Status(StatusCode::kInvalidArgument, where +
                                                    "\"challenge\": expected none, blink, turn, turn-left, "
                                                    "turn-right or random, got \"" +
                                                    mode_ + "\"");
  }
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t length, pipeline::OptionInt(ctx, "length", 2, 1, 10));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t seed, pipeline::OptionInt(ctx, "seed", 0, 0));
  FACEKIT_ASSIGN_OR_RETURN(options_.time_limit_ms, pipeline::OptionInt(ctx, "time_limit_ms", 8000, 1));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t baseline, pipeline::OptionInt(ctx, "baseline_frames", 3, 1, 1000));
  FACEKIT_ASSIGN_OR_RETURN(options_.blink_window_ms, pipeline::OptionInt(ctx, "blink_window_ms", 1000, 1));
  FACEKIT_ASSIGN_OR_RETURN(double min_conf, pipeline::OptionDouble(ctx, "min_confidence", -1));
  FACEKIT_ASSIGN_OR_RETURN(double closed, pipeline::OptionDouble(ctx, "closed_ratio", 0.6));
  FACEKIT_ASSIGN_OR_RETURN(double open, pipeline::OptionDouble(ctx, "open_ratio", 0.85));
  FACEKIT_ASSIGN_OR_RETURN(double turn, pipeline::OptionDouble(ctx, "turn_deg", 15));
  FACEKIT_ASSIGN_OR_RETURN(double back, pipeline::OptionDouble(ctx, "return_deg", 8));
  FACEKIT_ASSIGN_OR_RETURN(options_.strict, pipeline::OptionBool(ctx, "strict", false));
  if (!(closed > 0 && closed < open && open <= 1.5)) {
    return Status(StatusCode::kInvalidArgument,
                  where + "\"closed_ratio\"/\"open_ratio\": need 0 < closed < open <= 1.5");
  }
  if (!(back > 0 && back < turn && turn < 90)) {
    return Status(StatusCode::kInvalidArgument, where + "\"turn_deg\"/\"return_deg\": need 0 < return < turn < 90");
  }
  length_ = static_cast<int>(length);
  seed_ = static_cast<std::uint64_t>(seed);
  options_.baseline_frames = static_cast<int>(baseline);
  options_.closed_ratio = static_cast<float>(closed);
  options_.open_ratio = static_cast<float>(open);
  options_.turn_deg = static_cast<float>(turn);
  options_.return_deg = static_cast<float>(back);
  if (mode_ == "none") return Status::Ok();
  FACEKIT_ASSIGN_OR_RETURN(mesh_, engines_->Mesh());
  options_.min_confidence = min_conf >= 0 ? static_cast<float>(min_conf) : mesh_->min_confidence();
  return Status::Ok();
}

std::vector<ChallengeAction> ChallengeNode::ActionsFor(int track_id) const {
  if (mode_ == "blink") return {ChallengeAction::kBlink};
  if (mode_ == "turn-left") return {ChallengeAction::kTurnLeft};
  if (mode_ == "turn-right") return {ChallengeAction::kTurnRight};
  // Deterministic per (seed, track): reproducible runs, different tracks
  // asked different things. Plain modulo keeps it the same on every
  // standard library.
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(track_id));
  if (mode_ == "turn") return {rng() % 2 == 0 ? ChallengeAction::kTurnLeft : ChallengeAction::kTurnRight};
  const ChallengeAction all[] = {ChallengeAction::kBlink, ChallengeAction::kTurnLeft, ChallengeAction::kTurnRight};
  std::vector<ChallengeAction> actions;
  while (static_cast<int>(actions.size()) < length_) {
    const ChallengeAction a = all[rng() % 3];
    if (actions.empty() || actions.back() != a) actions.push_back(a);
  }
  return actions;
}

Status ChallengeNode::Report(pipeline::NodeContext& ctx, int track_id, Track& t, std::int64_t pts_ms, bool track_lost) {
  t.reported = true;
  media::Event e{ChallengeEvent(t.challenge, track_id, pts_ms, track_lost)};
  return ctx.Output("events", pipeline::Packet::Make<media::Event>(std::move(e), last_timestamp_));
}

Status ChallengeNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("faces");
  if (mode_ == "none") return ctx.Output("faces", in);
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  Faces out = *faces;
  const std::int64_t now = out.frame.pts_ms;
  last_timestamp_ = in.timestamp();
  last_pts_ms_ = now;
  Image image;
  for (TrackedFace& f : out.faces) {
    auto it = tracks_.find(f.track_id);
    if (it == tracks_.end()) {
      it = tracks_.emplace(f.track_id, Track{LivenessChallenge(ActionsFor(f.track_id), options_, now)}).first;
    }
    Track& t = it->second;
    t.seen_ms = now;
    // A face FaceLiveness judged a spoof is refused anyway: no mesh for it.
    const bool spoof = f.live.has_value() && !*f.live;
    if (t.challenge.decision() == ChallengeDecision::kPending && !spoof) {
      if (image.empty()) image = ToImage(out.frame.bgr);
      FACEKIT_ASSIGN_OR_RETURN(FaceMeshResult mesh, mesh_->Run(image, f.box));
      FACEKIT_ASSIGN_OR_RETURN(EyeOpenness eyes, MeshEyeOpenness(mesh.points));
      FACEKIT_ASSIGN_OR_RETURN(MeshPose pose, MeshHeadPose(mesh.points));
      t.challenge.Add({out.frame.index, now, mesh.confidence, eyes.mean(), pose.yaw});
    } else {
      t.challenge.Expire(now);
    }
    if (t.challenge.decision() != ChallengeDecision::kPending && !t.reported) {
      FACEKIT_RETURN_IF_ERROR(Report(ctx, f.track_id, t, now, false));
    }
    f.challenge_passed = t.challenge.decision() == ChallengeDecision::kPassed;
    const std::optional<ChallengeAction> asked = t.challenge.current();
    f.challenge_prompt = asked.has_value() ? ActionName(*asked) : "";
    f.challenge = ChallengeSummary(t.challenge);
  }
  // Tracks out of sight: a pending challenge still times out.
  for (auto& [id, t] : tracks_) {
    if (t.seen_ms == now || t.reported) continue;
    if (t.challenge.Expire(now) != ChallengeDecision::kPending) FACEKIT_RETURN_IF_ERROR(Report(ctx, id, t, now, true));
  }
  std::erase_if(tracks_, [&](const auto& v) { return now - v.second.seen_ms > kForgetTrackMs; });
  return ctx.Output("faces", pipeline::Packet::Make<Faces>(std::move(out), in.timestamp()));
}

Status ChallengeNode::Close(pipeline::NodeContext& ctx) {
  // Challenges still pending when the stream ends are reported as such.
  for (auto& [id, t] : tracks_) {
    if (t.reported) continue;
    t.challenge.Expire(last_pts_ms_);
    FACEKIT_RETURN_IF_ERROR(Report(ctx, id, t, last_pts_ms_, t.seen_ms != last_pts_ms_));
  }
  return Status::Ok();
}

}  // namespace facekit::attendance
