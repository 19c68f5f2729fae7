// attendance/dedup_node.h - "CheckinDedup": one check-in per person per window.
//
// Input "faces": Faces; output "events": Event. A recognised face (person_id
// set, admitted: not judged spoofed, challenge passed if one was asked) whose
// person had no check-in in the last window_s seconds of stream time emits
//   {"type":"checkin","person_id":..,"person_name":..,"group_id":..,"score":..,
//    "pts_ms":..,"track_id":..,"live":true|false|null[,"challenge":{..}]}
// The optional input "events" (a FaceChallenge's evidence events) is
// forwarded to "events" unchanged, so one sink writes every event.
// Options: group (copied into the events), window_s (3600).
#pragma once

#include <map>
#include <string>

#include "attendance/faces.h"
#include "pipeline/node.h"

namespace facekit::attendance {

class DedupNode final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() {
    return pipeline::Contract().Input<Faces>("faces").OptionalInput<media::Event>("events").Output<media::Event>(
        "events");
  }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  std::string group_;
  std::int64_t window_ms_ = 3600 * 1000;
  std::map<std::string, std::int64_t> last_ms_;  // person -> last check-in
};

}  // namespace facekit::attendance
