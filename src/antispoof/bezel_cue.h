// antispoof/bezel_cue.h - straight edges framing a face: the outline of a
// phone, tablet or monitor showing it.
//
// WHAT THIS REPRESENTS
//   MeasureBezel looks, in the grey frame around a face box, for the four
//   sides of a screen or device enclosing the face: line segments (LSD,
//   OpenCV's line segment detector) running alongside the face, at least
//   `min_gap` and at most `reach` face sides outside its box:
//     left / right  near-vertical segments (within max_tilt_deg of vertical)
//                   left of the box's left edge / right of its right edge;
//     top / bottom  near-horizontal segments above / below the box.
//   For each side, segments in one band (offsets from the face centre within
//   12 % of the face side: a device's outer edge and its screen's edge, or a
//   line broken where its contrast fades) are merged, and the side's score
//   is the share of the face's extent along that side (its height for
//   left/right, its width for top/bottom) that the best band covers, in
//   [0, 1]. The cue's value is the sum of the
//   four side scores, in [0, 4]: 4 = a complete frame around the face.
//   A device cut by the image border, or a bezel lost in a background of
//   the same colour, loses those sides.
//
// THREAD SAFETY
//   Pure function.
#pragma once

#include <array>
#include <opencv2/core.hpp>

namespace facekit::antispoof {

struct BezelParams {
  double reach = 2.5;         ///< search this many face sides beyond the box on each side
  double max_tilt_deg = 25;   ///< a side may lean this much from vertical/horizontal
  double min_segment = 0.15;  ///< segments shorter than this many face sides are ignored
  /// A line must lie this many face sides beyond the box: the head's own
  /// outline (cheeks, hair, ears) hugs the detector's box.
  double min_gap = 0.1;
  int max_side_px = 480;  ///< the search region is downscaled to at most this long side
};

struct BezelMeasure {
  /// False when the image does not extend beyond the face box by 10 % of
  /// the face side on any side (a face crop): there is nothing to look at.
  bool measured = false;
  std::array<float, 4> sides{};  ///< left, top, right, bottom: covered share of the face's extent
  float value = 0;               ///< their sum, 0-4
  int segments = 0;              ///< segments LSD found in the region
};

/// `grey` is CV_8U; `face` in its pixels.
BezelMeasure MeasureBezel(const cv::Mat& grey, const cv::Rect2f& face, const BezelParams& params = {});

}  // namespace facekit::antispoof
