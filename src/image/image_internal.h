// image_internal.h - bridges facekit::Image and cv::Mat inside the library.
#pragma once

#include <opencv2/core.hpp>

#include "facekit/image.h"

namespace facekit {

/// A CV_8UC3 view of `image`'s pixels (no copy; valid while `image` lives).
inline cv::Mat AsMat(const Image& image) {
  return cv::Mat(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.bgr.data()));
}

/// Copies a CV_8UC3 matrix into an Image.
inline Image ImageFromMat(const cv::Mat& bgr, ImageFormat format = ImageFormat::kUnknown) {
  Image img;
  img.width = bgr.cols;
  img.height = bgr.rows;
  img.format = format;
  img.bgr.resize(static_cast<size_t>(bgr.cols) * static_cast<size_t>(bgr.rows) * 3);
  cv::Mat dst(bgr.rows, bgr.cols, CV_8UC3, img.bgr.data());
  bgr.copyTo(dst);
  return img;
}

}  // namespace facekit
