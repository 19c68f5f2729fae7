// TFLite model files (src/runtime/flatbuffer_reader.cc, tflite_model.cc,
// tflite_to_onnx.cc): the FlatBuffer reader, the model parser and the ONNX
// converter on arbitrary bytes, as `facekit models import` reads a .tflite.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_input.h"
#include "runtime/tflite_model.h"
#include "runtime/tflite_to_onnx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::runtime;
  const auto model = TfliteModel::Parse(std::span<const std::uint8_t>(data, size));
  if (!model.ok()) return 0;
  for (const TfliteTensor& t : model->tensors) (void)t.num_elements();
  TfliteToOnnxOptions options;
  TfliteToOnnxReport report;
  const auto onnx = ConvertTfliteToOnnx(model.value(), options, &report);
  if (onnx.ok() && onnx->empty()) facekit::fuzz::Fail();
  return 0;
}
