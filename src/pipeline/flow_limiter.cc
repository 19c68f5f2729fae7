#include "pipeline/flow_limiter.h"

#include <algorithm>

#include "pipeline/node_options.h"

namespace facekit::pipeline {

Contract FlowLimiter::GetContract() {
  return Contract()
      .AddInput("in", std::string(kAnyType))
      .AddInput("finished", std::string(kAnyType), /*optional=*/true)
      .OutputSameAs("out", "in")
      .SetInputPolicy(InputPolicy::kAny);
}

Status FlowLimiter::Open(NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(max_in_flight_, OptionInt(ctx, "max_in_flight", 1, 1, 1000000));
  return Status::Ok();
}

Status FlowLimiter::Process(NodeContext& ctx) {
  if (ctx.HasInput("finished") && in_flight_.load() > 0) in_flight_.fetch_sub(1);
  if (!ctx.HasInput("in")) return Status::Ok();
  if (in_flight_.load() >= max_in_flight_) {
    ctx.CountDrop();
    dropped_.fetch_add(1);
    return Status::Ok();
  }
  const std::int64_t now = in_flight_.fetch_add(1) + 1;
  max_observed_.store(std::max(max_observed_.load(), now));
  passed_.fetch_add(1);
  return ctx.Output("out", ctx.Input("in"));
}

}  // namespace facekit::pipeline
