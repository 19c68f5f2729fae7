// attendance/dedup_node.h - "CheckinDedup": one check-in per person per window.
//
// Input "faces": Faces; output "events": Event. A recognised face (person_id
// set, admitted: not judged spoofed, challenge passed if one was asked) whose
// person had no check-in in the last window_s seconds of stream time emits
//   {"type":"checkin","person_id":..,"person_name":..,"group_id":..,"score":..,
//    "pts_ms":..,"track_id":..,"live":true|false|null[,"challenge":{..}],
//    "face_jpeg":"<base64 JPEG>"}
// face_jpeg is the face cut from the frame (FaceCropJpeg: 1.6 x the box's
// larger side, the face at most face_jpeg_side px, at most 64 KB), what a
// console shows; a crop that cannot be made leaves the field out.
// The optional input "events" (a FaceChallenge's evidence events) is
// forwarded to "events" unchanged, so one sink writes every event.
// Options: group (copied into the events), window_s (3600), face_jpeg
// (on/off, on), face_jpeg_side (160).
#pragma once

#include <map>
#include <string>

#include "attendance/face_crop_jpeg.h"
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
  bool face_jpeg_ = true;
  FaceCropJpegOptions crop_;
  std::map<std::string, std::int64_t> last_ms_;  // person -> last check-in
};

}  // namespace facekit::attendance
