// eval/replay_scene.h - synthetic camera frames for measuring anti-spoofing:
// a face photo placed directly in a scene (live) or shown on a phone, tablet
// or monitor held in front of the same scene (replay).
//
// WHAT THIS REPRESENTS
//   RenderLiveScene pastes the photo's head (an ellipse around its face,
//   feathered, so that the paste leaves no straight edge) onto a background
//   so that the face is `face_side` pixels wide. RenderReplayScene shows the
//   whole photo on a device screen instead and holds the device in front of
//   the same background:
//     screen  the photo scaled to fill the screen (or fitted, with bars);
//             a display response (gamma, raised black level, colour gains,
//             brightness); an RGB-stripe subpixel grid with a black matrix,
//             softened by a lens blur at screen scale, so that resampling it
//             to the camera produces moire of varying strength;
//     device  a bezel of a device-typical width and colour, rounded corners,
//             a shading gradient; glare (a soft highlight or band) on the
//             glass; rotation and perspective; for phones and tablets
//             sometimes a hand covering a corner;
//   the face on the screen is again `face_side` pixels wide, so live and
//   replay frames of a pair differ only by the medium. ApplyCamera then
//   gives both the same camera: exposure, lens blur, sensor noise, JPEG.
//   Every number drawn comes from the SceneRandom passed in.
//
// THREAD SAFETY
//   Free functions; reentrant.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "eval/scene_random.h"

namespace facekit::eval {

enum class SceneKind { kLive, kPhone, kTablet, kMonitor };

std::string_view SceneKindName(SceneKind kind);

/// A face photo and where its face is (a square box in the photo's pixels).
struct ScenePhoto {
  cv::Mat bgr;
  cv::Rect2f face;
};

struct SceneFrame {
  cv::Mat bgr;  ///< the camera frame (CV_8UC3)
  SceneKind kind = SceneKind::kLive;
  bool spoof = false;
  cv::Rect2f face;               ///< where the shown face is (square, approximate)
  bool medium_in_frame = false;  ///< replay: the whole device lies inside the frame
  std::string description;       ///< the main parameters drawn, one line
};

struct SceneSize {
  int width = 640;
  int height = 480;
};

/// `background` covers the frame (scaled, cropped at random).
SceneFrame RenderLiveScene(const ScenePhoto& photo, const cv::Mat& background, double face_side, SceneRandom& rng,
                           const SceneSize& size = {});

/// `device` is kPhone, kTablet or kMonitor.
SceneFrame RenderReplayScene(const ScenePhoto& photo, const cv::Mat& background, double face_side, SceneKind device,
                             SceneRandom& rng, const SceneSize& size = {});

/// The same camera for both: exposure, lens blur, noise, JPEG round trip.
void ApplyCamera(cv::Mat& bgr, SceneRandom& rng);

}  // namespace facekit::eval
