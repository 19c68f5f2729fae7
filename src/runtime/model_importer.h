// model_importer.h - turns the manifest's source models into ONNX files.
//
// WHAT THIS REPRESENTS
//   The step between fetching packages and running the engine: for every
//   manifest model whose source is a TFLite file, a TF.js graph model or
//   face-api's face recognition weights ("faceapi-resnet"), check the source
//   (and a TF.js model's weight shards) against its SHA-256, convert it
//   (TfliteToOnnx, TfjsToOnnx, FaceApiResnetToOnnx) and write models/files/<file>.onnx
//   atomically (temp file + rename). ONNX sources are only checked.
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"
#include "runtime/model_manifest.h"

namespace facekit::runtime {

struct ImportedModel {
  std::string name;
  std::string onnx_path;
  bool converted = false;  ///< false when an up-to-date file was kept
  int source_ops = 0;  ///< operators of the source graph (TFLite) or imported (TF.js)
  int onnx_nodes = 0, fused_prelu = 0, fused_softmax = 0, fused_hard_swish = 0;
};

/// SHA-256 of a file as lowercase hex.
Result<std::string> Sha256File(const std::string& path);

/// Imports every model in `manifest`. With `force` false an ONNX file that is
/// newer than its source is kept.
Result<std::vector<ImportedModel>> ImportModels(const ModelManifest& manifest, bool force);

}  // namespace facekit::runtime
