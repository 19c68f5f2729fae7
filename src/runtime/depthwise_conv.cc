#include "runtime/depthwise_conv.h"

#include <algorithm>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/dnn/all_layers.hpp>
#include <opencv2/dnn/shape_utils.hpp>

namespace facekit::runtime {

namespace {

// 3x3, stride S, dilation 1, one output row whose three input rows all lie in
// the image: a single pass with nine taps per output, columns
// [x0, x1) being those whose taps are all inside the row.
template <int S>
[[gnu::always_inline]] inline void Row3x3(const float* __restrict r0, const float* __restrict r1, const float* __restrict r2, const float* w, float b,
            int base, int x0, int x1, float* __restrict drow) {
  const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  for (int ox = x0; ox < x1; ++ox) {
    const int i = ox * S + base;
    drow[ox] = b + w0 * r0[i] + w1 * r0[i + 1] + w2 * r0[i + 2] + w3 * r1[i] + w4 * r1[i + 1] + w5 * r1[i + 2] +
               w6 * r2[i] + w7 * r2[i + 1] + w8 * r2[i + 2];
  }
}

}  // namespace

void DepthwiseConv2D(const DepthwiseParams& p, const float* in, const float* weights, const float* bias, float* out,
                     int c0, int c1) {
  const int oh = p.out_h(), ow = p.out_w();
  const int kh = p.kernel_h, kw = p.kernel_w, sh = p.stride_h, sw = p.stride_w;
  const size_t in_plane = static_cast<size_t>(p.in_h) * static_cast<size_t>(p.in_w);
  const size_t out_plane = static_cast<size_t>(oh) * static_cast<size_t>(ow);
  for (int c = c0; c < c1; ++c) {
    const float* src = in + static_cast<size_t>(c) * in_plane;
    float* dst = out + static_cast<size_t>(c) * out_plane;
    const float* w = weights + static_cast<size_t>(c) * static_cast<size_t>(kh * kw);
    const float b = bias ? bias[c] : 0.f;
    const bool fast3x3 = kh == 3 && kw == 3 && p.dilation_h == 1 && p.dilation_w == 1 && (sw == 1 || sw == 2);
    // Columns whose three taps are all inside the row (fast path).
    const int fx0 = (p.pad_left + sw - 1) / sw;
    const int fx1 = std::max(fx0, std::min(ow, (p.in_w - 3 + p.pad_left) / sw + 1));
    for (int oy = 0; oy < oh; ++oy) {
      float* __restrict drow = dst + static_cast<size_t>(oy) * static_cast<size_t>(ow);
      const int iy0 = oy * sh - p.pad_top;
      if (fast3x3 && iy0 >= 0 && iy0 + 2 < p.in_h && fx1 > fx0) {
        const float* r0 = src + static_cast<size_t>(iy0) * static_cast<size_t>(p.in_w);
        const float* r1 = r0 + p.in_w;
        const float* r2 = r1 + p.in_w;
        if (sw == 1) {
          Row3x3<1>(r0, r1, r2, w, b, -p.pad_left, fx0, fx1, drow);
        } else {
          Row3x3<2>(r0, r1, r2, w, b, -p.pad_left, fx0, fx1, drow);
        }
        // Border columns: exact taps only.
        for (int ox = 0; ox < ow; ++ox) {
          if (ox == fx0) ox = fx1;  // skip the interior done above
          if (ox >= ow) break;
          double acc = b;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              int ix = ox * sw - p.pad_left + kx;
              if (ix >= 0 && ix < p.in_w) acc += double{src[static_cast<size_t>(iy0 + ky) * static_cast<size_t>(p.in_w) + static_cast<size_t>(ix)]} * w[ky * 3 + kx];
            }
          drow[ox] = static_cast<float>(acc);
        }
        continue;
      }
      std::fill(drow, drow + ow, b);
      for (int ky = 0; ky < kh; ++ky) {
        const int iy = oy * sh - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        const float* __restrict srow = src + static_cast<size_t>(iy) * static_cast<size_t>(p.in_w);
        for (int kx = 0; kx < kw; ++kx) {
          const float wv = w[ky * kw + kx];
          // Output columns whose input column ix = ox*sw + base lies in [0, in_w).
          const int base = kx * p.dilation_w - p.pad_left;
          const int ob = base >= 0 ? 0 : (-base + sw - 1) / sw;
          const int last = p.in_w - 1 - base;
          const int oe = last < 0 ? 0 : std::min(ow, last / sw + 1);
          if (sw == 1) {
            const float* s = srow + base;
            for (int ox = ob; ox < oe; ++ox) drow[ox] += wv * s[ox];
          } else {
            for (int ox = ob; ox < oe; ++ox) drow[ox] += wv * srow[ox * sw + base];
          }
        }
      }
    }
  }
}

namespace {

class FastDepthwiseLayer : public cv::dnn::Layer {
 public:
  FastDepthwiseLayer(const cv::dnn::LayerParams& params, const DepthwiseParams& geometry)
      : cv::dnn::Layer(params), geometry_(geometry) {}

  bool supportBackend(int backend_id) override { return backend_id == cv::dnn::DNN_BACKEND_OPENCV; }

  bool getMemoryShapes(const std::vector<cv::dnn::MatShape>& inputs, const int /*required_outputs*/,
                       std::vector<cv::dnn::MatShape>& outputs,
                       std::vector<cv::dnn::MatShape>& /*internals*/) const override {
    CV_Assert(inputs.size() == 1 && inputs[0].size() == 4 && inputs[0][1] == geometry_.channels);
    DepthwiseParams g = geometry_;
    g.in_h = inputs[0][2];
    g.in_w = inputs[0][3];
    // The ONNX importer probes models with symbolic H/W using placeholder
    // sizes; report at least 1x1 then (real sizes arrive with the input).
    outputs.assign(1, cv::dnn::MatShape{inputs[0][0], g.channels, std::max(1, g.out_h()), std::max(1, g.out_w())});
    return false;
  }

  bool setActivation(const cv::Ptr<cv::dnn::ActivationLayer>& layer) override {
    // One fused activation: cv::dnn offers the next activation layer too
    // (a HardSwish followed by a scale); accepting it would replace the
    // first and skip it.
    if (!activation_.empty() && !layer.empty()) return false;
    activation_ = layer;
    return !activation_.empty();
  }

  void forward(cv::InputArrayOfArrays inputs_arr, cv::OutputArrayOfArrays outputs_arr,
               cv::OutputArrayOfArrays /*internals*/) override {
    std::vector<cv::Mat> inputs, outputs;
    inputs_arr.getMatVector(inputs);
    outputs_arr.getMatVector(outputs);
    const cv::Mat& x = inputs[0];
    cv::Mat& y = outputs[0];
    CV_Assert(x.type() == CV_32F && x.dims == 4);
    DepthwiseParams g = geometry_;
    g.in_h = x.size[2];
    g.in_w = x.size[3];
    const int n = x.size[0], c = g.channels;
    const float* w = blobs[0].ptr<float>();
    const float* b = blobs.size() > 1 ? blobs[1].ptr<float>() : nullptr;
    const size_t in_img = static_cast<size_t>(c) * static_cast<size_t>(g.in_h) * static_cast<size_t>(g.in_w);
    const size_t plane = static_cast<size_t>(g.out_h()) * static_cast<size_t>(g.out_w());
    const size_t out_img = static_cast<size_t>(c) * plane;
    const float* xin = x.ptr<float>();
    float* yout = y.ptr<float>();
    const cv::dnn::ActivationLayer* act = activation_.get();
    const int units = n * c;
    const double stripes = std::max(1, std::min(units, cv::getNumThreads() * 4));
    cv::parallel_for_(cv::Range(0, units), [&](const cv::Range& r) {
      for (int u = r.start; u < r.end;) {
        int img = u / c, ch0 = u % c;
        int ch1 = std::min(c, ch0 + (r.end - u));
        DepthwiseConv2D(g, xin + img * in_img, w, b, yout + img * out_img, ch0, ch1);
        if (act) {
          float* p = yout + img * out_img + static_cast<size_t>(ch0) * plane;
          act->forwardSlice(p, p, static_cast<int>(plane), plane, ch0, ch1);  // len is per channel plane
        }
        u += ch1 - ch0;
      }
    }, stripes);
  }

 private:
  DepthwiseParams geometry_;
  cv::Ptr<cv::dnn::ActivationLayer> activation_;
};

}  // namespace

cv::Ptr<cv::dnn::Layer> MakeDepthwiseLayer(const cv::dnn::LayerParams& params, const ConvAttrs& a) {
  const int group = params.get<int>("group", 1);
  const int num_output = params.get<int>("num_output", 0);
  if (group <= 1 || group != num_output) return nullptr;
  const cv::Mat& w = params.blobs[0];
  if (w.size[0] != num_output || w.size[1] != 1 || w.size[2] != a.kernel_h || w.size[3] != a.kernel_w) return nullptr;
  if (params.blobs.size() > 1 && static_cast<int>(params.blobs[1].total()) != num_output) return nullptr;
  DepthwiseParams g;
  g.channels = num_output;
  g.kernel_h = a.kernel_h;
  g.kernel_w = a.kernel_w;
  g.stride_h = a.stride_h;
  g.stride_w = a.stride_w;
  g.dilation_h = a.dilation_h;
  g.dilation_w = a.dilation_w;
  g.pad_top = a.pad_top;
  g.pad_left = a.pad_left;
  g.pad_bottom = a.pad_bottom;
  g.pad_right = a.pad_right;
  return cv::makePtr<FastDepthwiseLayer>(params, g);
}

}  // namespace facekit::runtime
