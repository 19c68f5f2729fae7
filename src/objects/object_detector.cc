#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "facekit/objects.h"
#include "image/image_internal.h"
#include "objects/centernet_decoder.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit {

struct ObjectDetector::Impl {
  std::unique_ptr<runtime::DnnModel> net;
  std::vector<std::string> labels;
  std::string model_version;  // "name version"
  std::vector<bool> wanted;  // by class id
  std::string heatmap, box_sides;
  float mean = 0.f, scale = 1.f;
  int input_size = 512;
  int size_multiple = 32;
  bool stretch = false;
  objects::CenterNetDecodeOptions decode;
};

namespace {

Status Bad(const std::string& what) { return {StatusCode::kModelInvalid, what}; }

}  // namespace

ObjectDetector::ObjectDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectDetector::~ObjectDetector() = default;

const std::vector<std::string>& ObjectDetector::labels() const { return impl_->labels; }
const std::string& ObjectDetector::model_version() const { return impl_->model_version; }

Result<std::unique_ptr<ObjectDetector>> ObjectDetector::Create(const ObjectDetectorOptions& options) {
  FACEKIT_ASSIGN_OR_RETURN(runtime::ModelManifest manifest, runtime::ModelManifest::Load(options.models_dir));
  const runtime::ManifestModel* m = manifest.FindRole("objects");
  if (m == nullptr) return Bad("the models folder has no model with role objects");
  auto impl = std::make_unique<Impl>();
  for (const char* out : {"heatmap", "box_sides"}) {
    if (!m->outputs.count(out)) return Bad(m->name + " lacks output '" + std::string(out) + "'");
  }
  impl->heatmap = m->outputs.at("heatmap");
  impl->box_sides = m->outputs.at("box_sides");
  impl->labels = m->labels;
  impl->model_version = m->name + " " + m->version;
  if (impl->labels.empty()) return Bad(m->name + " lacks labels");
  impl->mean = m->mean;
  impl->scale = m->scale;
  impl->size_multiple = static_cast<int>(m->Setting("size_multiple", 32));
  impl->decode.stride = static_cast<int>(m->Setting("stride", 4));
  impl->decode.score_threshold =
      options.score_threshold >= 0 ? options.score_threshold : static_cast<float>(m->Setting("score_threshold", 0.2));
  impl->decode.nms_iou = options.nms_iou >= 0 ? options.nms_iou : static_cast<float>(m->Setting("nms_iou", 0.5));
  impl->decode.top_k = options.top_k > 0 ? options.top_k : static_cast<int>(m->Setting("top_k", 100));
  impl->input_size = options.input_size > 0
                         ? options.input_size
                         : static_cast<int>(m->Setting("input_size", std::max(m->input_width, m->input_height)));
  impl->stretch = options.stretch;
  if (impl->size_multiple < 1 || impl->decode.stride < 1 || impl->input_size % impl->size_multiple != 0) {
    return Status(StatusCode::kInvalidArgument, "input size " + std::to_string(impl->input_size) +
                                                    " is not a multiple of " + std::to_string(impl->size_multiple));
  }
  impl->wanted.assign(impl->labels.size(), options.classes.empty());
  for (const std::string& c : options.classes) {
    auto it = std::find(impl->labels.begin(), impl->labels.end(), c);
    if (it == impl->labels.end()) return Status(StatusCode::kInvalidArgument, "unknown class '" + c + "'");
    impl->wanted[static_cast<size_t>(it - impl->labels.begin())] = true;
  }
  runtime::DnnModel::SetThreads(options.num_threads);
  FACEKIT_ASSIGN_OR_RETURN(impl->net, runtime::DnnModel::Load(manifest.FilePath(m->file)));
  return std::unique_ptr<ObjectDetector>(new ObjectDetector(std::move(impl)));
}

Result<std::vector<DetectedObject>> ObjectDetector::Detect(const Image& image) const {
  if (image.empty()) return Status(StatusCode::kImageEmpty, "empty image");
  const Impl& d = *impl_;
  const cv::Mat bgr = AsMat(image);
  // Network input: scaled so that the longer side is input_size, padded at
  // the right and bottom to a multiple of size_multiple (or stretched).
  const int s = d.input_size, mult = d.size_multiple;
  double sx, sy;
  int in_w, in_h;
  if (d.stretch) {
    in_w = in_h = s;
    sx = static_cast<double>(s) / image.width;
    sy = static_cast<double>(s) / image.height;
  } else {
    sx = sy = static_cast<double>(s) / std::max(image.width, image.height);
    in_w = (static_cast<int>(std::lround(image.width * sx)) + mult - 1) / mult * mult;
    in_h = (static_cast<int>(std::lround(image.height * sy)) + mult - 1) / mult * mult;
  }
  const cv::Size scaled(std::max(1, static_cast<int>(std::lround(image.width * sx))),
                        std::max(1, static_cast<int>(std::lround(image.height * sy))));
  cv::Mat resized;
  cv::resize(bgr, resized, scaled, 0, 0, cv::INTER_LINEAR);
  cv::Mat canvas(in_h, in_w, CV_8UC3, cv::Scalar::all(0));
  resized.copyTo(canvas(cv::Rect(0, 0, std::min(in_w, scaled.width), std::min(in_h, scaled.height))));
  cv::Mat blob =
      cv::dnn::blobFromImage(canvas, d.scale, cv::Size(), cv::Scalar::all(d.mean), /*swapRB=*/true, false, CV_32F);
  FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, d.net->Run(blob, {d.heatmap, d.box_sides}));
  const cv::Mat& hm = out[0];
  const cv::Mat& sides = out[1];
  if (hm.dims != 4 || sides.dims != 4 || sides.size[1] != 4 || hm.size[2] != sides.size[2] ||
      hm.size[3] != sides.size[3] || hm.size[1] != static_cast<int>(d.labels.size())) {
    return Status(StatusCode::kInternal, "object model returned unexpected output shapes");
  }
  std::vector<objects::GridBox> boxes =
      objects::DecodeCenterNet(hm.ptr<float>(), sides.ptr<float>(), hm.size[1], hm.size[2], hm.size[3], d.decode);
  // Network pixels -> raster pixels -> the original image's pixels (a large
  // photo may have been decoded at reduced scale).
  const double ox = sx / image.scale_x(), oy = sy / image.scale_y();
  const auto ow = static_cast<float>(image.original_width()), oh = static_cast<float>(image.original_height());
  std::vector<DetectedObject> result;
  for (const objects::GridBox& b : boxes) {
    if (!d.wanted[static_cast<size_t>(b.class_id)]) continue;
    const float x1 = std::clamp(static_cast<float>(b.x1 / ox), 0.f, ow);
    const float y1 = std::clamp(static_cast<float>(b.y1 / oy), 0.f, oh);
    const float x2 = std::clamp(static_cast<float>(b.x2 / ox), 0.f, ow);
    const float y2 = std::clamp(static_cast<float>(b.y2 / oy), 0.f, oh);
    if (x2 <= x1 || y2 <= y1) continue;
    result.push_back({x1, y1, x2 - x1, y2 - y1, b.score, b.class_id, d.labels[static_cast<size_t>(b.class_id)]});
  }
  return result;
}

}  // namespace facekit
