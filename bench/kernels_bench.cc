// facekit_bench_kernels - Google Benchmark of the depthwise kernel against
// OpenCV's own grouped convolution on MobileFaceNet's layer shapes.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/dnn/all_layers.hpp>

#include "runtime/depthwise_conv.h"

namespace {

using facekit::runtime::DepthwiseParams;

DepthwiseParams Shape(int c, int hw, int stride) {
  DepthwiseParams p;
  p.channels = c;
  p.in_h = p.in_w = hw;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_left = stride == 1 ? 1 : 0;
  p.pad_bottom = p.pad_right = 1;
  return p;
}

void BM_FaceKitDepthwise(benchmark::State& state) {
  DepthwiseParams p = Shape(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), static_cast<int>(state.range(2)));
  cv::Mat in(1, p.channels * p.in_h * p.in_w, CV_32F), w(1, p.channels * 9, CV_32F), b(1, p.channels, CV_32F);
  cv::randu(in, -1, 1);
  cv::randu(w, -1, 1);
  cv::randu(b, -1, 1);
  cv::Mat out(1, p.channels * p.out_h() * p.out_w(), CV_32F);
  for (auto _ : state) {
    facekit::runtime::DepthwiseConv2D(p, in.ptr<float>(), w.ptr<float>(), b.ptr<float>(), out.ptr<float>(), 0, p.channels);
    benchmark::DoNotOptimize(out.data);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.channels) * p.out_h() * p.out_w() * 9);
}

void BM_OpenCvGroupedConv(benchmark::State& state) {
  cv::setNumThreads(1);
  DepthwiseParams p = Shape(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), static_cast<int>(state.range(2)));
  cv::dnn::LayerParams lp;
  lp.set("kernel_size", cv::dnn::DictValue::arrayInt(std::vector<int>{3, 3}.data(), 2));
  lp.set("stride", cv::dnn::DictValue::arrayInt(std::vector<int>{p.stride_h, p.stride_w}.data(), 2));
  lp.set("pad", cv::dnn::DictValue::arrayInt(std::vector<int>{p.pad_top, p.pad_left, p.pad_bottom, p.pad_right}.data(), 4));
  lp.set("group", p.channels);
  lp.set("num_output", p.channels);
  lp.set("bias_term", true);
  cv::Mat w(std::vector<int>{p.channels, 1, 3, 3}, CV_32F), b(std::vector<int>{p.channels}, CV_32F);
  cv::randu(w, -1, 1);
  cv::randu(b, -1, 1);
  lp.blobs = {w, b};
  cv::dnn::Net net;
  net.addLayerToPrev("dw", "Convolution", lp);  // built-in: RegisterFastConvolutions is not called here
  cv::Mat in(std::vector<int>{1, p.channels, p.in_h, p.in_w}, CV_32F);
  cv::randu(in, -1, 1);
  net.setInput(in);
  net.forward();
  for (auto _ : state) {
    net.setInput(in);
    cv::Mat out = net.forward();
    benchmark::DoNotOptimize(out.data);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.channels) * p.out_h() * p.out_w() * 9);
}

// (channels, input side, stride) of MobileFaceNet's depthwise layers.
#define FACEKIT_DW_SHAPES Args({64, 56, 1})->Args({128, 56, 2})->Args({128, 28, 1})->Args({256, 28, 2})->Args({256, 14, 1})->Args({512, 14, 2})

BENCHMARK(BM_FaceKitDepthwise)->FACEKIT_DW_SHAPES;
BENCHMARK(BM_OpenCvGroupedConv)->FACEKIT_DW_SHAPES;

}  // namespace

BENCHMARK_MAIN();
