#include "pipeline/cost_node.h"

#include <algorithm>

#include "pipeline/node_options.h"

namespace facekit::pipeline {

Status CostNode::Open(NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(cost_us_, OptionInt(ctx, "cost_us", 1000, 0, 3600LL * 1000000));
  FACEKIT_ASSIGN_OR_RETURN(level_cost_us_, OptionIntList(ctx, "level_cost_us", 0, 3600LL * 1000000));
  return Status::Ok();
}

std::int64_t CostNode::CostAt(int level) const {
  if (level <= 0 || level_cost_us_.empty()) return cost_us_;
  const std::size_t i = std::min(static_cast<std::size_t>(level), level_cost_us_.size()) - 1;
  return level_cost_us_[i];
}

Status CostNode::Process(NodeContext& ctx) {
  ctx.ConsumeCpu(CostAt(ctx.degradation_level()));
  return ctx.Output("out", ctx.Input("in"));
}

}  // namespace facekit::pipeline
