// antispoof/texture_cues.h - what a screen does to the pixels of the face
// it shows: moire, glare, colour and contrast.
//
// WHAT THIS REPRESENTS
//   Measurements on the face box of a BGR frame (CV_8UC3), at the frame's
//   own resolution (resampling would blur away the very patterns sought):
//     moire        the strongest isolated peak of the face's spectrum:
//                  the central square of the box (at most 256 px, never
//                  resampled), mean removed, Hann-windowed, DFT; log
//                  magnitude minus the median of its ring (same radius),
//                  maximum over 0.06-0.5 cycles/pixel, leaving out the axes
//                  (edges, window leakage) and the JPEG 8x8 block
//                  frequencies (k/8, l/8). Natural log units: 2.3 = a
//                  peak ten times its ring's median. A screen's pixel grid
//                  resampled by the camera gives such peaks; skin does not.
//     glare        share of the box (grown by 20 %) that is near white:
//                  every channel >= 235 (specular reflection on glass).
//     blue_red     mean blue over mean red in the inner box (screens are
//                  bluer than skin under the same light). Not measured
//                  (`colour_measured` false) when the inner box's mean HSV
//                  saturation is below 20 of 255: a grey or infrared
//                  camera's B/R is 1 whatever it sees.
//     black_level  2nd percentile of grey in the inner box over its median
//                  (a screen's black is raised, its shadows lifted).
//     low_saturation  1 - mean HSV saturation / 255 of the inner box.
//     low_contrast    1 - (standard deviation of grey / its mean) in the
//                  inner box.
//   The inner box is the central 80 % of the face box. `measured` is false
//   when the box (inside the image) is smaller than 24 px.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <opencv2/core.hpp>

namespace facekit::antispoof {

struct TextureMeasure {
  bool measured = false;
  bool colour_measured = false;  ///< blue_red
  float moire = 0;
  float glare = 0;
  float blue_red = 0;
  float black_level = 0;
  float low_saturation = 0;
  float low_contrast = 0;
};

TextureMeasure MeasureTexture(const cv::Mat& bgr, const cv::Rect2f& face);

/// The moire measure of a grey patch (CV_8U or CV_32F), as above; 0 when
/// it is smaller than 24 px.
float MoirePeak(const cv::Mat& grey);

}  // namespace facekit::antispoof
