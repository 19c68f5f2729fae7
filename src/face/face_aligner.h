// face_aligner.h - 5-point similarity alignment to the embedder's template.
//
// WHAT THIS REPRESENTS
//   EstimateSimilarity finds the least-squares similarity transform
//   (rotation, uniform scale, translation; no shear, no reflection) that maps
//   the five detected landmarks onto the template (Umeyama 1991, closed form,
//   deterministic). AlignFace warps the image with it into a chip of the
//   template's size; pixels outside the image are black.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "facekit/engine.h"

namespace facekit::face {

/// 2x3 matrix M (CV_64F) with dst ~= M * [src; 1].
cv::Mat EstimateSimilarity(const std::vector<cv::Point2f>& src, const std::vector<cv::Point2f>& dst);

/// Warps `bgr` so that `landmarks` land on `tmpl`; output is size x size.
/// Warps `bgr` so that `points` land on `tmpl` (least-squares similarity);
/// size x size, black outside the image.
cv::Mat AlignToPoints(const cv::Mat& bgr, const std::vector<cv::Point2f>& points, const std::vector<cv::Point2f>& tmpl,
                      int size);

cv::Mat AlignFace(const cv::Mat& bgr, const std::array<Point2f, 5>& landmarks,
                  const std::vector<std::array<float, 2>>& tmpl, int size);

}  // namespace facekit::face
