// pipeline/pass_through_node.h - "PassThrough": forwards each packet unchanged.
//   input  "in"  (Any)     output "out" (same type as "in")
#pragma once

#include "pipeline/node.h"

namespace facekit::pipeline {

class PassThroughNode final : public Node {
 public:
  static Contract GetContract() { return Contract().AddInput("in", std::string(kAnyType)).OutputSameAs("out", "in"); }
  Status Process(NodeContext& ctx) override { return ctx.Output("out", ctx.Input("in")); }
};

}  // namespace facekit::pipeline
