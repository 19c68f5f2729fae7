#include "pipeline/collector_node.h"

#include "pipeline/node_options.h"

namespace facekit::pipeline {

Status CollectorNode::Open(NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(bool keep, OptionBool(ctx, "keep", true));
  std::lock_guard<std::mutex> lock(mu_);
  keep_ = keep;
  return Status::Ok();
}

Status CollectorNode::Process(NodeContext& ctx) {
  const Packet& in = ctx.Input("in");
  std::int64_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (keep_) packets_.push_back(in);
    count = ++count_;
  }
  return ctx.Output("done", Packet::Make<std::int64_t>(count, in.timestamp()));
}

Status CollectorNode::Close(NodeContext& /*ctx*/) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  return Status::Ok();
}

std::vector<Packet> CollectorNode::packets() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packets_;
}

std::int64_t CollectorNode::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

bool CollectorNode::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace facekit::pipeline
