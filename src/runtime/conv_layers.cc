#include "runtime/conv_layers.h"

#include <mutex>
#include <vector>

#include <opencv2/dnn/all_layers.hpp>

#include "runtime/depthwise_conv.h"

namespace facekit::runtime {
namespace {

// Reads an integer list parameter; false when present but not integers.
bool IntList(const cv::dnn::LayerParams& p, const char* key, std::vector<int>* out) {
  out->clear();
  if (!p.has(key)) return true;
  const cv::dnn::DictValue& v = p.get(key);
  if (!v.isInt()) return false;
  for (int i = 0; i < v.size(); ++i) out->push_back(v.get<int>(i));
  return true;
}

cv::Ptr<cv::dnn::Layer> CreateConvolution(cv::dnn::LayerParams& params) {
  ConvAttrs attrs;
  if (ParseConvAttrs(params, &attrs) && !params.blobs.empty() && params.blobs[0].type() == CV_32F &&
      params.blobs[0].dims == 4) {
    if (cv::Ptr<cv::dnn::Layer> dw = MakeDepthwiseLayer(params, attrs)) return dw;
  }
  return cv::dnn::ConvolutionLayer::create(params);
}

}  // namespace

bool ParseConvAttrs(const cv::dnn::LayerParams& params, ConvAttrs* a) {
  // Only the explicit-padding form the ONNX importer produces.
  for (const char* key : {"pad_mode", "pads_begin", "pads_end", "adj", "pad_h", "pad_w", "pad_t", "pad_l"}) {
    if (params.has(key)) return false;
  }
  std::vector<int> kernel, stride, dilation, pad;
  if (!IntList(params, "kernel_size", &kernel) || !IntList(params, "stride", &stride) ||
      !IntList(params, "dilation", &dilation) || !IntList(params, "pad", &pad)) {
    return false;
  }
  if (kernel.size() != 2 || (stride.size() != 2 && !stride.empty()) || (dilation.size() != 2 && !dilation.empty()) ||
      (pad.size() != 4 && pad.size() != 2 && !pad.empty())) {
    return false;
  }
  a->kernel_h = kernel[0];
  a->kernel_w = kernel[1];
  if (!stride.empty()) {
    a->stride_h = stride[0];
    a->stride_w = stride[1];
  }
  if (!dilation.empty()) {
    a->dilation_h = dilation[0];
    a->dilation_w = dilation[1];
  }
  if (pad.size() == 4) {  // ONNX order: top, left, bottom, right
    a->pad_top = pad[0];
    a->pad_left = pad[1];
    a->pad_bottom = pad[2];
    a->pad_right = pad[3];
  } else if (pad.size() == 2) {
    a->pad_top = a->pad_bottom = pad[0];
    a->pad_left = a->pad_right = pad[1];
  }
  return a->kernel_h >= 1 && a->kernel_w >= 1 && a->stride_h >= 1 && a->stride_w >= 1 && a->dilation_h >= 1 &&
         a->dilation_w >= 1 && a->pad_top >= 0 && a->pad_left >= 0 && a->pad_bottom >= 0 && a->pad_right >= 0;
}

void RegisterFastConvolutions() {
  static std::once_flag once;
  std::call_once(once, [] { cv::dnn::LayerFactory::registerLayer("Convolution", CreateConvolution); });
}

}  // namespace facekit::runtime
