// pipeline/collector_node.h - "Collector": a sink that keeps what it gets.
//
// Input "in" (Any). For each packet it emits on "done" (Int64) the number of
// packets received so far, at the packet's timestamp: connect it to a
// FlowLimiter's "finished" back-edge to mark a frame complete.
// Options:
//   keep   keep the packets for packets() (default true; false only counts)
//
// THREAD SAFETY
//   packets() and count() may be read from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "pipeline/node.h"

namespace facekit::pipeline {

class CollectorNode final : public Node {
 public:
  static Contract GetContract() {
    return Contract().AddInput("in", std::string(kAnyType)).Output<std::int64_t>("done");
  }
  Status Open(NodeContext& ctx) override;
  Status Process(NodeContext& ctx) override;
  Status Close(NodeContext& ctx) override;

  std::vector<Packet> packets() const;
  std::int64_t count() const;
  /// Whether Close() was called (end of stream reached this sink).
  bool closed() const;

 private:
  mutable std::mutex mu_;
  bool keep_ = true;
  std::vector<Packet> packets_;
  std::int64_t count_ = 0;
  bool closed_ = false;
};

}  // namespace facekit::pipeline
