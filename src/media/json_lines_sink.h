// media/json_lines_sink.h - "JsonLinesSink": writes Events as JSON lines.
//
// Options:
//   path   "-" (default) = standard output, "" = write nothing (as
//          VideoWriterSink: a graph can leave a log off by default), else a
//          file (truncated at Open)
//   keep   also keep the events in memory for events() (default false)
// Input "events": Event. Each event is one line, flushed at once.
#pragma once

#include <fstream>
#include <mutex>
#include <vector>

#include "media/frame.h"
#include "pipeline/node.h"

namespace facekit::media {

class JsonLinesSink final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() { return pipeline::Contract().Input<Event>("events"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;
  Status Close(pipeline::NodeContext& ctx) override;

  /// The events written so far (with keep = true).
  std::vector<nlohmann::json> events() const;

 private:
  std::ofstream file_;
  bool to_stdout_ = true;
  bool discard_ = false;
  bool keep_ = false;
  mutable std::mutex mu_;
  std::vector<nlohmann::json> events_;
};

}  // namespace facekit::media
