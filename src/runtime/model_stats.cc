#include "runtime/model_stats.h"

#include <set>

namespace facekit::runtime {
namespace {

void AddToTotals(const LayerStats& l, ModelStats* stats) {
  stats->total_macs += l.macs;
  auto& bt = stats->by_type[l.type];
  bt.first += l.params;
  bt.second += l.macs;
}

}  // namespace

ModelStats SummariseLayers(std::vector<LayerStats> layers) {
  ModelStats stats;
  for (const LayerStats& l : layers) {
    AddToTotals(l, &stats);
    stats.total_params += l.params;
  }
  stats.layers = std::move(layers);
  return stats;
}

ModelStats ComputeModelStats(const TfliteModel& model) {
  ModelStats stats;
  std::set<int32_t> counted;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const TfliteOperator& op = model.operators[i];
    LayerStats l;
    l.index = static_cast<int>(i);
    l.type = TfliteOpName(op.code);
    const TfliteTensor& out = model.tensors[static_cast<size_t>(op.outputs[0])];
    l.output = out.name;
    l.output_shape = out.shape;
    for (int32_t t : op.inputs) {
      if (t < 0) continue;
      const TfliteTensor& in = model.tensors[static_cast<size_t>(t)];
      if (in.data.empty()) {
        if (l.input_shape.empty() && !in.is_constant()) l.input_shape = in.shape;
        continue;
      }
      int64_t n = in.num_elements();
      l.params += n;
      if (counted.insert(t).second) stats.total_params += n;
    }
    auto elements = [](const std::vector<int32_t>& s) {
      int64_t n = 1;
      for (int32_t d : s) n *= d;
      return n;
    };
    if ((op.op() == TfliteOp::kConv2D || op.op() == TfliteOp::kDepthwiseConv2D) && op.inputs.size() >= 2 &&
        out.shape.size() == 4) {
      const TfliteTensor& w = model.tensors[static_cast<size_t>(op.inputs[1])];
      l.kernel_shape = w.shape;
      if (w.shape.size() == 4) {
        const int64_t out_pixels = int64_t{out.shape[1]} * out.shape[2];
        if (op.op() == TfliteOp::kConv2D) {
          // [O, KH, KW, I]: each output value reads KH*KW*I inputs.
          l.macs = out_pixels * w.shape[0] * w.shape[1] * w.shape[2] * w.shape[3];
        } else {
          // [1, KH, KW, C*M]: each output channel reads one input channel.
          l.macs = out_pixels * w.shape[3] * w.shape[1] * w.shape[2];
        }
      }
    } else if (op.op() == TfliteOp::kFullyConnected && op.inputs.size() >= 2) {
      const TfliteTensor& w = model.tensors[static_cast<size_t>(op.inputs[1])];
      l.kernel_shape = w.shape;
      l.macs = elements(w.shape);  // [O, I] per image
    }
    AddToTotals(l, &stats);
    stats.layers.push_back(std::move(l));
  }
  return stats;
}

}  // namespace facekit::runtime
