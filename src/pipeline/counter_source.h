// pipeline/counter_source.h - "CounterSource": a test source.
//
// Emits Int64 packets 0, 1, 2... on output "out", one per frame interval.
// Options:
//   count        packets to emit, then end of stream (default 10; -1 = no limit)
//   interval_us  frame interval (default 0: as fast as the graph takes them);
//                the adaptive controller overrides it
//   stop_at_us   end of stream once the clock reaches this time (default -1: never)
//   fail_after   after this many packets, fail with kIoError "source lost"
//                (a camera unplugged mid-run; default -1: never)
//   timestamps   "sequence" (default: the packet's number) or "clock" (the
//                clock's time at the tick, like a camera's capture time)
#pragma once

#include <cstdint>

#include "pipeline/node.h"

namespace facekit::pipeline {

class CounterSource final : public SourceNode {
 public:
  static Contract GetContract() { return Contract().Output<std::int64_t>("out"); }
  Status Open(NodeContext& ctx) override;
  Status Process(NodeContext& ctx) override;

 private:
  std::int64_t count_ = 10;
  std::int64_t stop_at_us_ = -1;
  std::int64_t fail_after_ = -1;
  bool clock_timestamps_ = false;
  std::int64_t next_ = 0;
};

}  // namespace facekit::pipeline
