// pipeline/builtin_nodes.h - generic nodes that ship with the framework.
//
// They know nothing about faces; they exist to build test and benchmark
// graphs and to pace real ones:
//   CounterSource  source: emits Int64 0, 1, 2... every interval_us
//   PassThrough    forwards every packet unchanged
//   Cost           forwards every packet after consuming simulated CPU
//   Collector      sink: keeps what it receives, emits "done" per packet
//   FlowLimiter    drops new packets while too many are in flight
// Their options are documented in their headers and docs/pipeline.md.
#pragma once

#include "pipeline/registry.h"

namespace facekit::pipeline {

/// Registers the nodes above into `registry` (those not there yet).
/// Idempotent; GraphRunner::Create calls it for the registry it uses.
void RegisterBuiltinNodes(NodeRegistry& registry);

}  // namespace facekit::pipeline
