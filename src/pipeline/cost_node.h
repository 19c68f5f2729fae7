// pipeline/cost_node.h - "Cost": stands in for real work.
//
// Forwards each packet from "in" (Any) to "out" (same type) after declaring
// CPU work with NodeContext::ConsumeCpu: charged to simulated time on a
// simulated executor, burnt for real on a thread pool.
// Options:
//   cost_us        CPU per packet at degradation level 0 (default 1000)
//   level_cost_us  [cost at level 1, cost at level 2, ...]; levels past the
//                  end use the last entry (default: no change with level)
#pragma once

#include <cstdint>
#include <vector>

#include "pipeline/node.h"

namespace facekit::pipeline {

class CostNode final : public Node {
 public:
  static Contract GetContract() { return Contract().AddInput("in", std::string(kAnyType)).OutputSameAs("out", "in"); }
  Status Open(NodeContext& ctx) override;
  Status Process(NodeContext& ctx) override;

  /// The cost of one packet at degradation `level`.
  std::int64_t CostAt(int level) const;

 private:
  std::int64_t cost_us_ = 1000;
  std::vector<std::int64_t> level_cost_us_;
};

}  // namespace facekit::pipeline
