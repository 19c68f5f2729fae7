// model_stats.h - parameter and multiply-accumulate counts of a model.
//
// WHAT THIS REPRESENTS
//   The cost table a paper prints: for every operator of the graph its type,
//   input and output shapes, learned parameters (float constants it reads:
//   weights, biases, PReLU slopes; integer constants such as shapes and axes
//   are not parameters) and multiply-accumulates per image (convolutions,
//   depthwise convolutions and fully connected layers; element-wise ops,
//   pooling and reductions count 0 MACs), plus totals per operator type and
//   overall. Shapes are the file's own (batch divided out).
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/tflite_model.h"

namespace facekit::runtime {

struct LayerStats {
  int index = 0;
  std::string type;          ///< op name, e.g. "CONV_2D" (TFLite) or "_FusedConv2D" (TF.js)
  std::string output;        ///< output tensor name
  std::vector<int32_t> input_shape, output_shape;
  std::vector<int32_t> kernel_shape;  ///< weights' shape for conv/FC, else empty
  int64_t params = 0;
  int64_t macs = 0;          ///< per image
};

struct ModelStats {
  std::vector<LayerStats> layers;
  int64_t total_params = 0;  ///< each constant counted once, even if read twice
  int64_t total_macs = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> by_type;  ///< type -> (params, MACs)
};

ModelStats ComputeModelStats(const TfliteModel& model);

/// Totals and per-type sums of `layers` whose params are each their own
/// (the TF.js importer's per-op report: ConvertTfjsToOnnx).
ModelStats SummariseLayers(std::vector<LayerStats> layers);

}  // namespace facekit::runtime
