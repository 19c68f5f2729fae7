#include "runtime/dnn_model.h"

#include <opencv2/core/utils/logger.hpp>

#include "runtime/conv_layers.h"
#include "runtime/upsample_layer.h"

namespace facekit::runtime {
namespace {

}  // namespace

Result<std::unique_ptr<DnnModel>> DnnModel::Wrap(cv::dnn::Net net, const std::string& what) {
  if (net.empty()) return Status(StatusCode::kModelInvalid, "cv::dnn produced an empty network from " + what);
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return std::unique_ptr<DnnModel>(new DnnModel(std::move(net)));
}

namespace {

void PrepareOpenCv() {
  static std::once_flag once;
  std::call_once(once, [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR); });
  RegisterFastConvolutions();
  RegisterFastResize();
}

}  // namespace

Result<std::unique_ptr<DnnModel>> DnnModel::Load(const std::string& onnx_path) {
  PrepareOpenCv();
  try {
    return Wrap(cv::dnn::readNetFromONNX(onnx_path), onnx_path);
  } catch (const cv::Exception& e) {
    return Status(StatusCode::kModelInvalid, "cannot load " + onnx_path + ": " + e.what());
  }
}

Result<std::unique_ptr<DnnModel>> DnnModel::FromBuffer(const std::string& onnx_bytes) {
  PrepareOpenCv();
  try {
    return Wrap(cv::dnn::readNetFromONNX(onnx_bytes.data(), onnx_bytes.size()), "buffer");
  } catch (const cv::Exception& e) {
    return Status(StatusCode::kModelInvalid, std::string("cannot load ONNX buffer: ") + e.what());
  }
}

Result<std::vector<cv::Mat>> DnnModel::Run(const cv::Mat& input, const std::vector<std::string>& outputs) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    net_.setInput(input);
    std::vector<cv::Mat> out;
    net_.forward(out, outputs);
    // forward() returns views into the net's buffers; the next Run reuses them.
    for (cv::Mat& m : out) m = m.clone();
    return out;
  } catch (const cv::Exception& e) {
    return Status(StatusCode::kInternal, std::string("inference failed: ") + e.what());
  }
}

void DnnModel::SetThreads(int threads) { cv::setNumThreads(threads <= 0 ? -1 : threads); }

}  // namespace facekit::runtime
