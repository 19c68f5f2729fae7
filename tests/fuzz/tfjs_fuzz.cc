// TF.js model files (src/runtime/tfjs_model.cc, tfjs_weights.cc,
// tfjs_to_onnx.cc): model.json (graph and weights manifest) with its weight
// shard, a standalone weights manifest (face-api's NAME-weights_manifest.json),
// and the ONNX converter, as `facekit models import` reads them.
//
// Input: the first byte picks the file kind (even: model.json, odd: weights
// manifest); then the JSON text, a NUL byte, and the bytes every shard path
// reads as.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "runtime/tfjs_model.h"
#include "runtime/tfjs_to_onnx.h"
#include "runtime/tfjs_weights.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::runtime;
  if (size == 0) return 0;
  const bool manifest = (data[0] & 1) != 0;
  const auto parts = facekit::fuzz::Split(facekit::fuzz::AsText(data + 1, size - 1), std::string_view("\0", 1), 2);
  const std::string_view json = parts[0];
  const std::string shard = parts.size() > 1 ? std::string(parts[1]) : std::string();
  const TfjsModel::ShardReader read = [&](const std::string& path) -> facekit::Result<std::string> {
    if (path.empty()) return facekit::Status(facekit::StatusCode::kNotFound, "no shard path");
    return shard;
  };
  if (manifest) {
    (void)ParseTfjsWeightsManifest(json, "fuzz", read);
    return 0;
  }
  const auto model = TfjsModel::Parse(json, "fuzz", read);
  if (!model.ok()) return 0;
  TfjsToOnnxOptions options;
  options.input_size = {32, 32};
  (void)ConvertTfjsToOnnx(model.value(), options);
  return 0;
}
