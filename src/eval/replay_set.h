// eval/replay_set.h - ReplaySet: a deterministic set of live and replay
// camera frames built at run time from the shared data (nothing generated
// is stored), split into a tuning half and a held-out half.
//
// WHAT THIS REPRESENTS
//   Pair i of a half is two frames made from one LFW photo (deep-funneled,
//   so the face is at a known place: a square of side 100 centred at
//   (123, 126) of the 250x250 photo, measured with the MTCNN detector) and
//   one COCO image as background, with the face `face_side` pixels wide
//   (uniform in [min_face, max_face]):
//     frame 2i     live: the photo's head placed directly in the scene;
//     frame 2i+1   replay: the whole photo on a phone (1/2 of the pairs),
//                  tablet (1/4) or monitor (1/4) held in front of the same
//                  scene crop, the face at the same place and size;
//   both then through the same camera (eval/replay_scene.h). The halves
//   share no person and no background: people of even index in the sorted
//   list of LFW View 1 names and COCO images of even index go to the tuning
//   half, odd ones to the held-out half. Everything is drawn from
//   SceneRandom streams derived from (seed, half, pair), so any frame can be
//   built alone and a seed always gives the same frames.
//
// THREAD SAFETY
//   Frame() is const and reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/replay_scene.h"
#include "facekit/status.h"

namespace facekit::eval {

enum class ReplayHalf { kTuning, kHeldOut };

struct ReplaySetOptions {
  std::string data_dir = "../shared/data";  ///< holds lfw-view1/ and detection/coco128-train/
  std::uint64_t seed = 14;
  int pairs = 100;  ///< live + replay pairs in the half
  double min_face = 55, max_face = 150;
  SceneSize size;
};

class ReplaySet {
 public:
  /// Lists the half's people and backgrounds. kNotFound when the data folder
  /// lacks them; kInvalidArgument for bad sizes.
  static Result<ReplaySet> Create(const ReplaySetOptions& options, ReplayHalf half);

  int size() const { return 2 * options_.pairs; }
  /// Frame i (even = live, odd = replay of pair i / 2). A source image that
  /// cannot be read or decoded gives the decoder's error (kNotFound,
  /// kImageTruncated, kImageCorrupt, ...) naming the file.
  Result<SceneFrame> Frame(int i) const;
  /// "lfw:<photo> coco:<image>" of frame i.
  std::string Sources(int i) const;

 private:
  ReplaySet() = default;
  ReplaySetOptions options_;
  ReplayHalf half_ = ReplayHalf::kTuning;
  std::vector<std::vector<std::string>> people_;  // each person's photos
  std::vector<std::string> backgrounds_;
  struct Pick {
    std::size_t person = 0, photo = 0, background = 0;
    double face_side = 0;
    SceneKind device = SceneKind::kPhone;
  };
  Pick PickFor(int pair) const;
};

std::string_view ReplayHalfName(ReplayHalf half);

}  // namespace facekit::eval
