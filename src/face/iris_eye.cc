#include "face/iris_eye.h"

#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

namespace facekit::face {

Result<IrisModel> LoadIrisModel(const runtime::ModelManifest& manifest, const runtime::ManifestModel& m) {
  if (!m.outputs.count("eye")) return Status(StatusCode::kModelInvalid, m.name + " lacks output 'eye'");
  if (m.input_width <= 0 || m.input_width != m.input_height) {
    return Status(StatusCode::kModelInvalid, m.name + " needs a square input size");
  }
  IrisModel model;
  model.output = m.outputs.at("eye");
  model.input_size = m.input_width;
  model.mean = m.mean;
  model.scale = m.scale;
  model.crop_scale = static_cast<float>(m.Setting("crop_scale", 2.3));
  FACEKIT_ASSIGN_OR_RETURN(model.net, runtime::DnnModel::Load(manifest.FilePath(m.file)));
  return model;
}

Result<std::vector<Point3f>> RunIrisOnEye(const IrisModel& model, const Image& image, const MeshCrop& crop,
                                          bool right) {
  cv::Mat patch;
  cv::warpAffine(AsMat(image), patch, crop.CropToImage(), cv::Size(model.input_size, model.input_size),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  const bool mirror = right == model.mirror_right_eye;
  if (mirror) cv::flip(patch, patch, 1);
  const cv::Mat blob = cv::dnn::blobFromImage(patch, model.scale, cv::Size(), cv::Scalar::all(model.mean),
                                              /*swapRB=*/true, false, CV_32F);
  FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, model.net->Run(blob, {model.output}));
  if (out[0].total() < static_cast<size_t>(kIrisModelPoints) * 3) {
    return Status(StatusCode::kInternal, "iris model returned unexpected output shape");
  }
  const float* e = out[0].ptr<float>();
  std::vector<Point3f> points;
  points.reserve(kIrisModelPoints);
  for (int i = 0; i < kIrisModelPoints; ++i, e += 3) {
    const float u = mirror ? static_cast<float>(model.input_size) - e[0] : e[0];
    points.push_back(crop.ToImage(u, e[1], 0.f));
  }
  return points;
}

float LidAspectRatio(const std::vector<Point3f>& p) {
  if (p.size() < static_cast<size_t>(kIrisModelLidPoints)) return 0.f;
  auto dist = [&](int a, int b) {
    return std::hypot(p[static_cast<size_t>(a)].x - p[static_cast<size_t>(b)].x,
                      p[static_cast<size_t>(a)].y - p[static_cast<size_t>(b)].y);
  };
  // Corners: lower lid 0 (outer) and 8 (inner). Lid pairs as in
  // MeshEyeOpenness: upper 2-4 (model 11-13) over lower 3-5.
  const float width = dist(0, 8);
  if (!(width > 0.f)) return 0.f;
  return (dist(11, 3) + dist(12, 4) + dist(13, 5)) / (3.f * width);
}

}  // namespace facekit::face
