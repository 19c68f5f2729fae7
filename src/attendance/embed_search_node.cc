#include "attendance/embed_search_node.h"

#include <algorithm>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/node_options.h"
#include "service/open_service.h"

namespace facekit::attendance {

EmbedSearchNode::~EmbedSearchNode() = default;

Status EmbedSearchNode::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(engine_, engines_->Get());
  const std::string where = "node \"" + ctx.name() + "\"";
  FACEKIT_ASSIGN_OR_RETURN(std::string gallery, pipeline::OptionString(ctx, "gallery", ""));
  FACEKIT_ASSIGN_OR_RETURN(group_, pipeline::OptionString(ctx, "group", ""));
  FACEKIT_ASSIGN_OR_RETURN(threshold_, pipeline::OptionDouble(ctx, "threshold", 70));
  FACEKIT_ASSIGN_OR_RETURN(retry_ms_, pipeline::OptionInt(ctx, "retry_ms", 300, 0));
  FACEKIT_ASSIGN_OR_RETURN(margin_, pipeline::OptionDouble(ctx, "crop_margin", 0.6));
  if (gallery.empty()) return Status(StatusCode::kInvalidArgument, where + " option \"gallery\": required");
  if (group_.empty()) return Status(StatusCode::kInvalidArgument, where + " option \"group\": required");
  std::error_code ec;
  if (!std::filesystem::is_directory(gallery, ec)) {
    return Status(StatusCode::kNotFound, where + " option \"gallery\": no such folder " + gallery);
  }
  // Read-only: the check-in graph only searches, beside the folder's owner
  // (a running facekit serve, say).
  service::DataDirOptions read_only;
  read_only.read_only = true;
  auto service = service::OpenFaceService(gallery, *engine_, read_only);
  if (!service.ok()) return Status(service.status().code(), where + ": " + service.status().message());
  service_ = std::move(*service);
  auto info = service_->GetGroupInfo(group_);
  if (!info.ok()) return Status(StatusCode::kNotFound, where + " option \"group\": " + info.error().message);
  return Status::Ok();
}

Status EmbedSearchNode::Search(const media::Frame& frame, const FaceBox& box, Identity* id) const {
  const cv::Mat& m = frame.bgr;
  const float side = std::max(box.width, box.height) * static_cast<float>(1.0 + 2.0 * margin_);
  const float cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const int x0 = std::clamp(static_cast<int>(cx - side / 2), 0, m.cols - 1);
  const int y0 = std::clamp(static_cast<int>(cy - side / 2), 0, m.rows - 1);
  const int x1 = std::clamp(static_cast<int>(cx + side / 2), x0 + 1, m.cols);
  const int y1 = std::clamp(static_cast<int>(cy + side / 2), y0 + 1, m.rows);
  cv::Mat crop = m(cv::Rect(x0, y0, x1 - x0, y1 - y0));
  if (std::min(crop.cols, crop.rows) < 128) {
    const double s = 128.0 / std::min(crop.cols, crop.rows);
    cv::resize(crop, crop, cv::Size(), s, s, cv::INTER_LINEAR);
  }
  service::SearchRequest r;
  r.group_ids = {group_};
  if (!cv::imencode(".png", crop, r.image)) return Status(StatusCode::kInternal, "cannot encode a face crop");
  r.max_face_num = 1;
  r.min_face_size = 20;
  r.max_person_num = 1;
  r.need_person_info = true;
  auto res = service_->SearchPersons(r);
  id->person_id.clear();
  id->person_name.clear();
  id->score = 0;
  if (!res.ok()) return Status::Ok();  // no face in the crop (detector disagreement): unknown
  if (res->results.empty() || res->results[0].candidates.empty()) return Status::Ok();
  const service::Candidate& c = res->results[0].candidates[0];
  if (c.score < threshold_) return Status::Ok();
  id->person_id = c.person_id;
  id->person_name = c.person_name.value_or("");
  id->score = c.score;
  return Status::Ok();
}

Status EmbedSearchNode::Process(pipeline::NodeContext& ctx) {
  const pipeline::Packet& in = ctx.Input("faces");
  FACEKIT_ASSIGN_OR_RETURN(const Faces* faces, in.GetOr<Faces>());
  Faces out = *faces;
  const std::int64_t now = out.frame.pts_ms;
  for (TrackedFace& f : out.faces) {
    if (!f.Admitted()) continue;
    auto it = identities_.find(f.track_id);
    const bool run = it == identities_.end() || f.check ||
                     (it->second.person_id.empty() && now - it->second.checked_ms >= retry_ms_);
    if (run) {
      Identity id;
      id.checked_ms = now;
      FACEKIT_RETURN_IF_ERROR(Search(out.frame, f.box, &id));
      it = identities_.insert_or_assign(f.track_id, std::move(id)).first;
    }
    it->second.seen_ms = now;
    f.person_id = it->second.person_id;
    f.person_name = it->second.person_name;
    f.score = it->second.score;
  }
  std::erase_if(identities_, [&](const auto& v) { return now - v.second.seen_ms > kForgetTrackMs; });
  return ctx.Output("faces", pipeline::Packet::Make<Faces>(std::move(out), in.timestamp()));
}

}  // namespace facekit::attendance
