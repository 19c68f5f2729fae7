// faceapi_classifier_to_onnx.h - face-api's age/gender and expression
// networks as ONNX graphs.
//
// WHAT THIS REPRESENTS
//   @vladmandic/face-api ships `age_gender_model` and `face_expression_model`
//   as weights only (<name>-weights_manifest.json + .bin); their structure
//   lives in the package's JavaScript. This file writes that structure down
//   once more, for the TF.js weights decoded by ParseTfjsWeightsManifest, as
//   standard ONNX graphs (NCHW, opset 13). Both take the raw 0-255 RGB face
//   crop at 112x112 and start with face-api's (x - [122.782, 117.001,
//   104.298]) / 255, written as a 1x1 convolution (exact; cv::dnn 4.6 cannot
//   broadcast a per-channel Sub over a batch of more than one).
//
//   kAgeGender (src/ageGenderNet/AgeGenderNet.ts over src/xception/
//   TinyXception.ts with 2 main blocks):
//     relu(conv 3x3/2 same, 32)
//     reduction_block_0 (no input ReLU), reduction_block_1, main_block_0..1,
//     exit_flow/reduction_block, relu(exit_flow/separable_conv, 512)
//     avgPool 7/2 valid -> fc/age (1: age in years) and
//     softmax(fc/gender) (2: [male, female])
//   reductionBlock(x) = maxPool3/2 same(sep1(relu(sep0(relu?(x))))) +
//                       conv1x1/2(x) ("expansion_conv")
//   mainBlock(x) = sep2(relu(sep1(relu(sep0(relu(x)))))) + x
//   sep = depthwise 3x3 (no bias) then pointwise 1x1 + bias, TF 'same'.
//
//   kExpression (src/faceExpressionNet/FaceExpressionNet.ts over
//   src/faceFeatureExtractor/FaceFeatureExtractor.ts):
//     dense0 (first conv a plain 3x3/2 conv, 32), dense1 (64), dense2 (128),
//     dense3 (256), each a denseBlock4 that halves the size;
//     avgPool 7/2 valid -> softmax(fc) over 7 classes in face-api's order
//     neutral, happy, sad, angry, fearful, disgusted, surprised.
//   denseBlock4(x): o1 = relu(c0/2(x)); o2 = c1(o1); o3 = c2(relu(o1+o2));
//     o4 = c3(relu(o1+o2+o3)); out = relu(o1+o2+o3+o4).
//
//   TF 'same' padding on even sizes with stride 2 pads one row/column at
//   the bottom/right only; the graphs carry those asymmetric pads.
//   Every weight is checked by name and shape before anything is written: a
//   missing, extra or misshapen weight is kModelInvalid naming it.
//
// THREAD SAFETY
//   Pure function.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "facekit/status.h"
#include "runtime/tfjs_model.h"

namespace facekit::runtime {

enum class FaceApiClassifier { kAgeGender, kExpression };

struct FaceApiClassifierOptions {
  int input_size = 112;
  std::string input_name = "input";
  /// kAgeGender: the age and gender outputs; kExpression: `gender_output`
  /// is unused and `age_output` unused, `probabilities_output` names it.
  std::string age_output = "age";
  std::string gender_output = "gender";
  std::string probabilities_output = "probabilities";
  /// Stored as ONNX metadata.
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct FaceApiClassifierReport {
  int onnx_nodes = 0;
  int conv_layers = 0;     ///< plain and separable convolutions (a separable one counts once)
  int64_t parameters = 0;  ///< weights read from the manifest
};

/// The bytes of an .onnx file for face-api's age/gender or expression network.
Result<std::string> ConvertFaceApiClassifierToOnnx(FaceApiClassifier kind,
                                                   const std::map<std::string, TfjsTensor>& weights,
                                                   const FaceApiClassifierOptions& options,
                                                   FaceApiClassifierReport* report = nullptr);

}  // namespace facekit::runtime
