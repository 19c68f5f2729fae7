// dnn_model.h - one ONNX network run with OpenCV's cv::dnn.
//
// WHAT THIS REPRESENTS
//   A loaded network with named outputs. Run() takes one NCHW float blob and
//   returns the requested outputs. Inference uses cv::dnn's CPU backend;
//   the thread count is process-wide (cv::setNumThreads), set by SetThreads.
//
// THREAD SAFETY
//   Run() is serialised by an internal mutex (cv::dnn::Net keeps per-run
//   state); distinct DnnModel objects run in parallel.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "facekit/status.h"

namespace facekit::runtime {

class DnnModel {
 public:
  /// Loads an .onnx file.
  static Result<std::unique_ptr<DnnModel>> Load(const std::string& onnx_path);
  /// Loads from the bytes of an .onnx file.
  static Result<std::unique_ptr<DnnModel>> FromBuffer(const std::string& onnx_bytes);

  /// Runs the network on `input` (NCHW float32) and returns `outputs` in order.
  Result<std::vector<cv::Mat>> Run(const cv::Mat& input, const std::vector<std::string>& outputs);

  /// Sets the number of threads cv::dnn uses (process-wide). 0 = OpenCV default.
  static void SetThreads(int threads);

 private:
  explicit DnnModel(cv::dnn::Net net) : net_(std::move(net)) {}
  static Result<std::unique_ptr<DnnModel>> Wrap(cv::dnn::Net net, const std::string& what);
  std::mutex mu_;
  cv::dnn::Net net_;
};

}  // namespace facekit::runtime
