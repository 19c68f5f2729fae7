#include "attendance/liveness_node.h"

#include "antispoof/decision_json.h"
#include "attendance/node_util.h"
#include "pipeline/node_options.h"

namespace facekit::attendance {

Status LivenessNode::ReadOptions(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(enabled_, OptionEnabled(ctx));
  FACEKIT_ASSIGN_OR_RETURN(skip_verified_, pipeline::OptionBool(ctx, "skip_verified", false));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t confirm, pipeline::OptionInt(ctx, "confirm_frames", 3, 1, 1000));
  confirm_frames_ = static_cast<int>(confirm);
  FACEKIT_ASSIGN_OR_RETURN(objects_, OptionOnOff(ctx, "objects", true));
  FACEKIT_ASSIGN_OR_RETURN(objects_interval_ms_, pipeline::OptionInt(ctx, "objects_interval_ms", 1000, 0));
  FACEKIT_ASSIGN_OR_RETURN(objects_new_track_ms_, pipeline::OptionInt(ctx, "objects_new_track_ms", 200, 0));
  return Status::Ok();
}

Status LivenessNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_RETURN_IF_ERROR(ReadOptions(ctx));
  if (!enabled_) return Status::Ok();
  FACEKIT_ASSIGN_OR_RETURN(engine_, engines_->Get());
  LivenessJudgeOptions o;
  o.medium.models_dir = engines_->options().models_dir;
  o.medium.num_threads = engines_->options().num_threads;
  o.medium.detect_objects = objects_;
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t input_size, pipeline::OptionInt(ctx, "object_input_size", 0, 0, 4096));
  o.medium.object_input_size = static_cast<int>(input_size);
  FACEKIT_ASSIGN_OR_RETURN(std::string passive, pipeline::OptionString(ctx, "passive", "off"));
  if (passive == "off" || passive == "report") {
    o.rule.passive = PassiveWeight::kIgnored;
    o.report_passive = passive == "report";
  } else if (passive == "veto") {
    o.rule.passive = PassiveWeight::kVeto;
  } else {
    return Status(StatusCode::kInvalidArgument,
                  "node \"" + ctx.name() + "\" option \"passive\": expected \"off\", \"report\" or \"veto\", got \"" +
                      passive + "\"");
  }
  FACEKIT_ASSIGN_OR_RETURN(double veto, pipeline::OptionDouble(ctx, "passive_veto_spoof", o.rule.passive_veto_spoof));
  o.rule.passive_veto_spoof = static_cast<float>(veto);
  auto judge = LivenessJudge::Create(engine_.get(), o);
  if (!judge.ok()) return Status(judge.status().code(), "node \"" + ctx.name() + "\": " + judge.status().message());
  judge_ = std::move(*judge);
  return Status::Ok();
}

Result<const std::vector<DetectedObject>*> LivenessNode::Media(const Image& image, std::int64_t frame_index,
                                                               std::int64_t now_ms, bool new_track) {
  if (!objects_) return nullptr;
  const std::int64_t age = now_ms - media_ms_;
  const bool stale =
      !have_media_ || age >= objects_interval_ms_ || age < 0 || (new_track && age >= objects_new_track_ms_);
  if (stale && media_frame_ != frame_index) {
    FACEKIT_ASSIGN_OR_RETURN(media_, judge_->medium().DetectMedia(image));
    have_media_ = true;
    media_ms_ = now_ms;
    media_frame_ = frame_index;
  }
  return &media_;
}

Status LivenessNode::Judge(pipeline::NodeContext& ctx, const Image& image, const Faces& faces, TrackedFace& f, Track& t,
                           bool new_track) {
  const std::int64_t now = faces.frame.pts_ms;
  FACEKIT_ASSIGN_OR_RETURN(const std::vector<DetectedObject>* media, Media(image, faces.frame.index, now, new_track));
  FACEKIT_ASSIGN_OR_RETURN(LivenessDecision d, judge_->Judge(image, f.box, media));
  const Verdict before = t.verdict;
  if (!d.live) {
    t.verdict = Verdict::kNotLive;
    t.streak = 0;
  } else if (t.verdict == Verdict::kPending && ++t.streak >= confirm_frames_) {
    t.verdict = Verdict::kLive;
  }
  t.score = d.passive ? d.passive->score : 0.f;
  if (t.verdict == before || t.verdict == Verdict::kPending) return Status::Ok();
  media::Event e;
  e.json = {{"type", "liveness"}, {"track_id", f.track_id},
            {"pts_ms", now},      {"live", t.verdict == Verdict::kLive},
            {"reason", d.reason}, {"evidence", antispoof::DecisionJson(d)}};
  return ctx.Output("events", pipeline::Packet::Make<media::Event>(std::move(e), ctx.Input("faces").timestamp()));
}

Status LivenessNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("faces");
  if (!enabled_) return ctx.Output("faces", in);
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  Faces out = *faces;
  const bool skip_verified = skip_verified_ || ctx.Degraded("skip_liveness_verified");
  Image image;
  for (TrackedFace& f : out.faces) {
    auto [it, new_track] = tracks_.try_emplace(f.track_id);
    Track& t = it->second;
    if (f.check && t.verdict == Verdict::kNotLive) {  // due a check: start over
      t.verdict = Verdict::kPending;
      t.streak = 0;
    }
    const bool run = t.verdict == Verdict::kPending || (f.check && !(skip_verified && t.verdict == Verdict::kLive));
    if (run) {
      if (image.empty()) image = ToImage(out.frame.bgr);
      FACEKIT_RETURN_IF_ERROR(Judge(ctx, image, out, f, t, new_track));
    }
    t.seen_ms = out.frame.pts_ms;
    f.live = t.verdict == Verdict::kLive;
    f.live_score = t.score;
  }
  std::erase_if(tracks_, [&](const auto& v) { return out.frame.pts_ms - v.second.seen_ms > kForgetTrackMs; });
  return ctx.Output("faces", pipeline::Packet::Make<Faces>(std::move(out), in.timestamp()));
}

}  // namespace facekit::attendance
