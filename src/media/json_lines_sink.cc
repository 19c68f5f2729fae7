#include "media/json_lines_sink.h"

#include <iostream>

#include "pipeline/node_options.h"

namespace facekit::media {

Status JsonLinesSink::Open(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(std::string path, pipeline::OptionString(ctx, "path", "-"));
  FACEKIT_ASSIGN_OR_RETURN(keep_, pipeline::OptionBool(ctx, "keep", false));
  to_stdout_ = path == "-";
  discard_ = path.empty();
  if (!to_stdout_ && !discard_) {
    file_.open(path, std::ios::trunc);
    if (!file_) return Status(StatusCode::kIoError, "node \"" + ctx.name() + "\": cannot write " + path);
  }
  return Status::Ok();
}

Status JsonLinesSink::Process(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(const Event* e, ctx.Input("events").GetOr<Event>());
  if (!discard_) {
    std::ostream& out = to_stdout_ ? std::cout : file_;
    out << e->json.dump() << '\n';
    out.flush();
    if (!out) return Status(StatusCode::kIoError, "writing an event failed");
  }
  if (keep_) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e->json);
  }
  return Status::Ok();
}

Status JsonLinesSink::Close(pipeline::NodeContext& /*ctx*/) {
  if (file_.is_open()) file_.close();
  return Status::Ok();
}

std::vector<nlohmann::json> JsonLinesSink::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

}  // namespace facekit::media
