// faceapi_resnet_to_onnx.h - face-api's face recognition ResNet as an ONNX graph.
//
// WHAT THIS REPRESENTS
//   @vladmandic/face-api ships its `face_recognition` network as weights only
//   (face_recognition_model-weights_manifest.json + .bin); the structure lives
//   in the package's JavaScript (src/faceRecognitionNet/FaceRecognitionNet.ts,
//   convLayer.ts, residualLayer.ts, scaleLayer.ts). This file writes that
//   structure down once more, for the TF.js weights decoded by
//   ParseTfjsWeightsManifest, as a standard ONNX graph (NCHW, opset 13):
//
//     x (RGB 0-255, 150x150) -> (x - [122.782, 117.001, 104.298]) / 255
//     convDown 7x7/2 valid, 32 -> maxPool 3/2 valid
//     residual x3 (32) -> residualDown (64) -> residual x3
//     residualDown (128) -> residual x2 -> residualDown (256) -> residual x2
//     residualDown (256, "down_out") -> mean over H, W -> fc 256 x 128
//
//   Each conv layer is conv + bias, then face-api's "scale" layer (x * w + b
//   per channel), folded here into the convolution's weights and bias.
//   residual = relu(x + conv(relu(conv(x)))); residualDown's first conv is
//   3x3 stride 2 valid and its shortcut a 2x2 average pool, zero-padded in
//   channels when they grow and the conv branch zero-padded by a row and a
//   column (bottom, right) where the pool's output is larger, as face-api
//   does. The normalisation is part of the graph, so the input is the raw
//   0-255 RGB chip. The output (128-D) is not normalised; face-api compares
//   descriptors by Euclidean distance (0.6 = same person).
//
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

struct FaceApiResnetOptions {
  int input_size = 150;
  std::string input_name = "input";
  std::string output_name = "descriptor";
  /// Stored as ONNX metadata.
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct FaceApiResnetReport {
  int onnx_nodes = 0;
  int conv_layers = 0;
  int64_t parameters = 0;  ///< weights read from the manifest (before folding)
};

/// The bytes of an .onnx file for face-api's face recognition network.
Result<std::string> ConvertFaceApiResnetToOnnx(const std::map<std::string, TfjsTensor>& weights,
                                               const FaceApiResnetOptions& options,
                                               FaceApiResnetReport* report = nullptr);

}  // namespace facekit::runtime
