// pipeline/node.h - the unit of work in a graph.
//
// WHAT THIS REPRESENTS
//   A Node is one instance of a registered node type (registry.h). Its type
//   declares a static Contract (typed, named ports) which the graph is
//   checked against before the run. The runner drives each node through
//     Open(ctx)      once, before any packet flows (read options here);
//     Process(ctx)   once per input set (see InputPolicy in contract.h), or,
//                    for a source (no inputs), once per tick of its frame
//                    interval until it calls ctx.EndOfStream();
//     Close(ctx)     once, after all of its inputs have ended (end of stream
//                    propagates: a node closes when every non-back-edge input
//                    is closed and drained) or when the run stops on an error.
//   Each returns a Status; a non-ok Status from a non-source node stops the
//   whole graph and the runner returns it prefixed with the node's name. For
//   a source, an error (camera lost) ends that source's stream like
//   EndOfStream and is reported in the run's source errors.
//
//   A node type is a class with
//     static Contract GetContract();
//   and a default constructor, registered by name (FACEKIT_REGISTER_NODE or
//   NodeRegistry::Register<T>). Nothing in the framework changes for a new type.
//
// THREAD SAFETY
//   A node's calls never overlap, but consecutive calls may run on different
//   threads. Nodes must not share mutable state without their own locking.
#pragma once

#include <atomic>
#include <cstdint>

#include "facekit/status.h"
#include "pipeline/node_context.h"

namespace facekit::pipeline {

class Node {
 public:
  virtual ~Node() = default;
  virtual Status Open(NodeContext& /*ctx*/) { return Status::Ok(); }
  virtual Status Process(NodeContext& ctx) = 0;
  virtual Status Close(NodeContext& /*ctx*/) { return Status::Ok(); }
};

/// A source whose pace is a frame interval: the runner calls Process once per
/// interval (interval 0: again as soon as the previous call's outputs are
/// delivered). The adaptive controller changes the interval while it runs.
class SourceNode : public Node {
 public:
  /// Microseconds between Process calls; may be called from another thread.
  void SetFrameInterval(std::int64_t interval_us) { interval_us_.store(interval_us, std::memory_order_relaxed); }
  std::int64_t frame_interval() const { return interval_us_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> interval_us_{0};
};

}  // namespace facekit::pipeline
