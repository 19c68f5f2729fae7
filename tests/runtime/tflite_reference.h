// tflite_reference.h - a plain, slow, obviously-correct TFLite interpreter.
//
// WHAT THIS REPRESENTS
//   The reference implementation the imported ONNX models are checked
//   against: every op the face models use, written as direct loops over NHWC
//   data following the TFLite kernel definitions, accumulating in double. It
//   shares no code with the importer or with cv::dnn.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "runtime/tflite_model.h"

namespace facekit::testing {

struct RefTensor {
  std::vector<int> shape;  // NHWC for 4-D
  std::vector<float> data;
};

/// Runs `model` on `inputs` (graph inputs in order; their shapes may differ
/// from the file's for fully convolutional models). Returns every graph
/// output keyed by tensor name. Aborts the test (via ADD_FAILURE + empty
/// result) on an op it does not know.
std::map<std::string, RefTensor> RunReference(const runtime::TfliteModel& model,
                                              const std::vector<RefTensor>& inputs);

/// Max |onnx - ref| where `onnx` is a cv::dnn output (NCHW when 4-D) and
/// `ref` the reference's NHWC tensor; a size or shape mismatch fails the
/// test and returns a huge value.
float MaxDiff(const cv::Mat& onnx, const RefTensor& ref);

}  // namespace facekit::testing
