#include "runtime/upsample_layer.h"

#include <algorithm>
#include <mutex>
#include <opencv2/dnn.hpp>
#include <opencv2/dnn/all_layers.hpp>

namespace facekit::runtime {
namespace {

// Row 2i+a of the output from input rows i and i+1 (clamped).
void UpsampleRow(const float* row, int w, float* out) {
  for (int x = 0; x + 1 < w; ++x) {
    out[2 * x] = row[x];
    out[2 * x + 1] = 0.5f * (row[x] + row[x + 1]);
  }
  out[2 * w - 2] = row[w - 1];
  out[2 * w - 1] = row[w - 1];
}

class Upsample2xLayer : public cv::dnn::Layer {
 public:
  explicit Upsample2xLayer(const cv::dnn::LayerParams& params) : cv::dnn::Layer(params) {}

  bool supportBackend(int backend_id) override { return backend_id == cv::dnn::DNN_BACKEND_OPENCV; }

  bool getMemoryShapes(const std::vector<cv::dnn::MatShape>& inputs, const int /*required_outputs*/,
                       std::vector<cv::dnn::MatShape>& outputs,
                       std::vector<cv::dnn::MatShape>& /*internals*/) const override {
    CV_Assert(!inputs.empty() && inputs[0].size() == 4);
    outputs.assign(1, cv::dnn::MatShape{inputs[0][0], inputs[0][1], inputs[0][2] * 2, inputs[0][3] * 2});
    return false;
  }

  void forward(cv::InputArrayOfArrays inputs_arr, cv::OutputArrayOfArrays outputs_arr,
               cv::OutputArrayOfArrays /*internals*/) override {
    std::vector<cv::Mat> inputs, outputs;
    inputs_arr.getMatVector(inputs);
    outputs_arr.getMatVector(outputs);
    const cv::Mat& x = inputs[0];
    cv::Mat& y = outputs[0];
    CV_Assert(x.type() == CV_32F && x.dims == 4);
    const int planes = x.size[0] * x.size[1], h = x.size[2], w = x.size[3];
    const size_t in_plane = static_cast<size_t>(h) * static_cast<size_t>(w);
    const float* src = x.ptr<float>();
    float* dst = y.ptr<float>();
    cv::parallel_for_(cv::Range(0, planes), [&](const cv::Range& r) {
      for (int p = r.start; p < r.end; ++p) Upsample2x(src + p * in_plane, h, w, dst + p * in_plane * 4);
    });
  }
};

cv::Ptr<cv::dnn::Layer> CreateResize(cv::dnn::LayerParams& params) {
  const bool two_x = params.get<std::string>("interpolation", "") == "bilinear" &&
                     params.get<float>("zoom_factor_x", 0.f) == 2.f && params.get<float>("zoom_factor_y", 0.f) == 2.f &&
                     !params.get<bool>("align_corners", false) && !params.get<bool>("half_pixel_centers", false) &&
                     params.get<std::string>("coordinate_transformation_mode", "asymmetric") == "asymmetric" &&
                     !params.has("width") && !params.has("height");
  if (two_x) return cv::makePtr<Upsample2xLayer>(params);
  return cv::dnn::ResizeLayer::create(params);
}

}  // namespace

void Upsample2x(const float* in, int h, int w, float* out) {
  const size_t ow = 2 * static_cast<size_t>(w);
  for (int y = 0; y < h; ++y) {
    float* even = out + 2 * static_cast<size_t>(y) * ow;
    float* odd = even + ow;
    UpsampleRow(in + static_cast<size_t>(y) * static_cast<size_t>(w), w, even);
    if (y + 1 < h) {
      UpsampleRow(in + static_cast<size_t>(y + 1) * static_cast<size_t>(w), w, odd);
      for (size_t x = 0; x < ow; ++x) odd[x] = 0.5f * (even[x] + odd[x]);
    } else {
      std::copy(even, even + ow, odd);
    }
  }
}

void RegisterFastResize() {
  static std::once_flag once;
  std::call_once(once, [] { cv::dnn::LayerFactory::registerLayer("Resize", CreateResize); });
}

}  // namespace facekit::runtime
