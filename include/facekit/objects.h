// facekit/objects.h - general object detection (80 COCO classes).
//
// WHAT THIS REPRESENTS
//   ObjectDetector finds objects of the classes its model knows (the
//   manifest model with role "objects": a CenterNet trained on MS COCO, see
//   docs/objects.md) in an Image and returns one DetectedObject per object:
//   a box in the image's pixels, a score in [0,1], the class index and its
//   name. The network runs once per image on the image scaled so that its
//   longer side is `input_size` (aspect ratio kept, the shorter side padded
//   at the bottom/right up to a multiple of 32); the grid it returns is decoded in C++
//   (centre peaks, boxes, class-wise non-maximum suppression).
//
//   Independent of the face engine: it loads only its own model.
//
// THREAD SAFETY
//   Detect() is const and may be called from several threads; inference is
//   serialised inside. cv::dnn's thread count is process-wide.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "facekit/image.h"
#include "facekit/status.h"

namespace facekit {

struct DetectedObject {
  float x = 0, y = 0, width = 0, height = 0;  ///< pixels of the original image (Image::original_width())
  float score = 0;                            ///< the class's centre probability
  int class_id = 0;                           ///< index into ObjectDetector::labels()
  std::string label;
};

struct ObjectDetectorOptions {
  /// Models folder (manifest.json + files/).
  std::string models_dir;
  /// cv::dnn threads (process-wide); 0 = OpenCV's default.
  int num_threads = 1;
  /// Longer side of the network input in pixels (a multiple of 32); 0 = the
  /// manifest's objects.input_size (448: see docs/objects.md for the trade-off).
  int input_size = 0;
  /// Scale the image to a square input_size x input_size ignoring its aspect
  /// ratio (as @vladmandic/human does) instead of keeping it.
  bool stretch = false;
  /// Detections scoring below this are dropped; < 0 = the manifest's value.
  float score_threshold = -1.f;
  /// Class-wise NMS overlap (IoU); < 0 = the manifest's value.
  float nms_iou = -1.f;
  /// At most this many peaks are decoded (before NMS); <= 0 = the manifest's value.
  int top_k = 0;
  /// Class names to report (empty = all). Unknown names are an error.
  std::vector<std::string> classes;
};

class ObjectDetector {
 public:
  static Result<std::unique_ptr<ObjectDetector>> Create(const ObjectDetectorOptions& options);
  ~ObjectDetector();
  ObjectDetector(const ObjectDetector&) = delete;
  ObjectDetector& operator=(const ObjectDetector&) = delete;

  /// Objects in `image`, highest score first.
  Result<std::vector<DetectedObject>> Detect(const Image& image) const;

  /// Class names by class id.
  const std::vector<std::string>& labels() const;

  /// The model's manifest name and version, e.g. "centernet 3.3.6".
  const std::string& model_version() const;

 private:
  struct Impl;
  explicit ObjectDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facekit
