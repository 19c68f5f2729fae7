// attendance/face_crop_jpeg.h - the JPEG crop of a tracked face that a
// check-in event carries ("face_jpeg"), for a console to show who checked in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "facekit/engine.h"
#include "facekit/status.h"

namespace facekit::attendance {

struct FaceCropJpegOptions {
  /// The region kept: the face box's larger side times this, centred on the
  /// box (clipped to the frame).
  double region = 1.6;
  /// The face is scaled down (never up) to at most this many pixels wide and
  /// high, like the gallery's stored crops.
  int max_face_side = 160;
  int quality = 85;
  /// The JPEG is at most this many bytes: over it, the quality is lowered,
  /// then the crop shrunk (POST /v1/events takes face_jpeg up to 64 KB).
  std::size_t max_bytes = 64 * 1024;
};

/// The JPEG bytes of the region around `box` in `bgr` (CV_8UC3). kInvalidArgument
/// when the box lies outside the frame; kInternal when OpenCV cannot encode.
Result<std::vector<std::uint8_t>> FaceCropJpeg(const cv::Mat& bgr, const FaceBox& box,
                                               const FaceCropJpegOptions& options = {});

}  // namespace facekit::attendance
