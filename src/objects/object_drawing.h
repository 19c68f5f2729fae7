// object_drawing.h - detected objects drawn on an image.
//
// WHAT THIS REPRESENTS
//   DrawObjects writes `image` with a labelled box per detection (colour by
//   class) and, optionally, reference boxes in white (an evaluation's ground
//   truth) to `path`; the format follows the extension.
//
// THREAD SAFETY
//   Pure function (writes only `path`).
#pragma once

#include <string>
#include <vector>

#include "facekit/image.h"
#include "facekit/objects.h"

namespace facekit::objects {

Status DrawObjects(const Image& image, const std::vector<DetectedObject>& objects,
                   const std::vector<DetectedObject>& reference, const std::string& path);

}  // namespace facekit::objects
