// eval/liveness_video_set.h - a synthetic video set for active liveness:
// live videos (blink, head turns) and presentation attacks (a photo on a
// phone, a tilted phone, a replay on a screen), built from real photos.
//
// WHAT THIS REPRESENTS
//   BuildLivenessVideoSet writes MJPG .avi files into out_dir/live-blink,
//   live-turn, live-all (one folder per challenge it serves) and spoof from the first suitable LFW photos (sorted by
//   name; a person needs two photos, a frontal face: |yaw| <= 12 degrees, eyes open with eye aspect ratio >= 0.2).
//   Everything is deterministic (fixed seeds): the same inputs give the same files, so the measured figures can be
//   reproduced with one command (docs/liveness-video.md).
//
//   Every "live" video is SYNTHETIC: one still photo on a plain background,
//   moved by a few pixels per frame and given sensor noise, with eyelids
//   closed (CloseEyelids) and the head turned (TurnHead) by image warps. No
//   real person blinked or turned for them.
//
//   Videos per person <name> (15 fps, 640x480):
//     live-blink/<name>-blink.avi  6 s: two blinks (at 1.5 s and 4 s, 4 frames each)
//     live-turn/<name>-turn.avi    6 s: to the person's left and back, then right and back (30 degrees)
//     live-all/<name>-all.avi     10 s: blink, left, right, three times (for random sequences)
//     spoof/<name>-phone.avi      10 s: the photo on a hand-held phone (small motion, glare, screen texture)
//     spoof/<name>-tilt.avi       10 s: the same phone turned about its vertical axis, +-35 degrees
//     spoof/<name>-replay.avi     10 s: the live "all" video replayed on a monitor
//
// THREAD SAFETY
//   None needed (a function of its inputs); uses the engine and mesh given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "facekit/engine.h"
#include "facekit/face_mesh.h"
#include "facekit/status.h"

namespace facekit::eval {

struct LivenessVideoSetOptions {
  std::string out_dir;
  std::string lfw_dir;  ///< LFW deep-funneled folder (<Name>/<Name>_NNNN.jpg)
  int people = 6;
  int fps = 15;
  std::uint64_t seed = 1;
  /// Which videos to write (by the suffix above); empty = all six.
  std::vector<std::string> kinds;
};

struct LivenessVideoPerson {
  std::string name;
  std::string photo;   ///< the photo shown in the videos
  std::string enrol;   ///< another photo of the person (for a gallery)
  float openness = 0;  ///< of the photo, as composed
  float yaw = 0;
};

struct LivenessVideoSet {
  std::vector<LivenessVideoPerson> people;
  std::vector<std::string> live, spoof;  ///< paths written
};

Result<LivenessVideoSet> BuildLivenessVideoSet(const FaceEngine& engine, const FaceMesh& mesh,
                                               const LivenessVideoSetOptions& options);

}  // namespace facekit::eval
