// tfjs_reference.h - a plain, slow, obviously-correct TF.js graph interpreter.
//
// WHAT THIS REPRESENTS
//   The reference the imported ONNX graphs of TF.js models are checked
//   against: the ops the importer supports, written as direct loops over
//   NHWC data following TensorFlow's definitions ("SAME" padding, legacy
//   ResizeBilinear coordinates), accumulating in double. It shares no code
//   with the importer or with cv::dnn.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/tfjs_model.h"
#include "runtime/tflite_reference.h"

namespace facekit::testing {

struct TfjsReferenceOptions {
  /// When > 0, ResizeBilinear scales its input by this factor instead of
  /// resizing to its constant size: how a graph frozen at one input size
  /// (CenterNet's x2 upsampling) runs at another.
  int resize_factor = 0;
};

/// Runs `model` with `inputs` (Placeholder name -> NHWC tensor) and returns
/// the tensors named in `outputs`. Reports an unknown op with ADD_FAILURE
/// and returns an empty map.
std::map<std::string, RefTensor> RunTfjsReference(const runtime::TfjsModel& model,
                                                  const std::map<std::string, RefTensor>& inputs,
                                                  const std::vector<std::string>& outputs,
                                                  const TfjsReferenceOptions& options = {});

}  // namespace facekit::testing
