#include "facekit/face_mesh.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "face/face_mesh_crop.h"
#include "face/iris_eye.h"
#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit {

struct FaceMesh::Impl {
  std::unique_ptr<runtime::DnnModel> net;
  std::string mesh_output, flag_output;
  int input_size = 192;
  float mean = 0.f, scale = 1.f / 255.f;
  float crop_scale = 1.5f;
  float min_confidence = 0.5f;
  bool level_eyes = true;
  // Eye refinement (optional: only when the manifest has landmarks.iris).
  std::optional<face::IrisModel> iris;
};

namespace {

Status Bad(const std::string& what) { return {StatusCode::kModelInvalid, what}; }

}  // namespace

FaceMesh::FaceMesh(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceMesh::~FaceMesh() = default;

float FaceMesh::min_confidence() const { return impl_->min_confidence; }

Result<std::unique_ptr<FaceMesh>> FaceMesh::Create(const FaceMeshOptions& options) {
  FACEKIT_ASSIGN_OR_RETURN(runtime::ModelManifest manifest, runtime::ModelManifest::Load(options.models_dir));
  const runtime::ManifestModel* m = manifest.FindRole("landmarks.mesh");
  if (m == nullptr) {
    return Status(StatusCode::kNotFound, "the models folder has no model with role landmarks.mesh");
  }
  auto impl = std::make_unique<Impl>();
  for (const char* out : {"mesh", "face_flag"}) {
    if (!m->outputs.count(out)) return Bad(m->name + " lacks output '" + std::string(out) + "'");
  }
  impl->mesh_output = m->outputs.at("mesh");
  impl->flag_output = m->outputs.at("face_flag");
  if (m->input_width <= 0 || m->input_width != m->input_height) return Bad(m->name + " needs a square input size");
  impl->input_size = m->input_width;
  impl->mean = m->mean;
  impl->scale = m->scale;
  impl->crop_scale = options.crop_scale > 0 ? options.crop_scale : static_cast<float>(m->Setting("crop_scale", 1.5));
  impl->min_confidence = static_cast<float>(m->Setting("min_confidence", 0.5));
  impl->level_eyes = options.level_eyes;
  if (!(impl->crop_scale > 0.f && impl->crop_scale < 10.f)) {
    return Status(StatusCode::kInvalidArgument, "crop_scale must be in (0, 10)");
  }
  runtime::DnnModel::SetThreads(options.num_threads);
  FACEKIT_ASSIGN_OR_RETURN(impl->net, runtime::DnnModel::Load(manifest.FilePath(m->file)));
  const runtime::ManifestModel* iris = options.refine_eyes ? manifest.FindRole("landmarks.iris") : nullptr;
  if (iris != nullptr) {
    FACEKIT_ASSIGN_OR_RETURN(face::IrisModel model, face::LoadIrisModel(manifest, *iris));
    impl->iris = std::move(model);
  }
  return std::unique_ptr<FaceMesh>(new FaceMesh(std::move(impl)));
}

Result<FaceMeshResult> FaceMesh::Run(const Image& image, const FaceBox& face) const {
  if (image.empty()) return Status(StatusCode::kImageEmpty, "empty image");
  if (!(face.width > 0 && face.height > 0)) return Status(StatusCode::kInvalidArgument, "empty face box");
  const Impl& d = *impl_;
  const FaceBox raster = FaceInRaster(image, face);
  const face::MeshCrop crop = face::MeshCropFor(raster, d.crop_scale, d.level_eyes, d.input_size);
  cv::Mat patch;
  cv::warpAffine(AsMat(image), patch, crop.CropToImage(), cv::Size(d.input_size, d.input_size),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  const cv::Mat blob =
      cv::dnn::blobFromImage(patch, d.scale, cv::Size(), cv::Scalar::all(d.mean), /*swapRB=*/true, false, CV_32F);
  FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, d.net->Run(blob, {d.mesh_output, d.flag_output}));
  const cv::Mat& mesh = out[0];
  const cv::Mat& flag = out[1];
  if (mesh.total() != static_cast<size_t>(FaceMeshResult::kPoints) * 3 || flag.total() != 1) {
    return Status(StatusCode::kInternal, "face mesh model returned unexpected output shapes");
  }
  FaceMeshResult r;
  r.confidence = flag.ptr<float>()[0];
  r.points.reserve(FaceMeshResult::kPoints);
  const float* p = mesh.ptr<float>();
  for (int i = 0; i < FaceMeshResult::kPoints; ++i, p += 3) r.points.push_back(crop.ToImage(p[0], p[1], p[2]));
  if (d.iris) {
    r.iris.assign(FaceMeshResult::kIrisPoints, Point3f{});
    FACEKIT_RETURN_IF_ERROR(RefineEye(image, crop.angle, /*right=*/true, r.points, r.iris));
    FACEKIT_RETURN_IF_ERROR(RefineEye(image, crop.angle, /*right=*/false, r.points, r.iris));
    r.eyes_refined = true;
  }
  const float sx = static_cast<float>(image.scale_x()), sy = static_cast<float>(image.scale_y());
  for (Point3f& q : r.points) q = {q.x * sx, q.y * sy, q.z * sx};
  for (Point3f& q : r.iris) q = {q.x * sx, q.y * sy, q.z * sx};
  return r;
}

Status FaceMesh::RefineEye(const Image& image, float angle, bool right, std::vector<Point3f>& points,
                           std::vector<Point3f>& iris) const {
  const face::IrisModel& model = *impl_->iris;
  const face::EyeContour& eye = right ? face::kRightEyeContour : face::kLeftEyeContour;
  const Point3f& a = points[static_cast<size_t>(eye.lower.front())];
  const Point3f& b = points[static_cast<size_t>(eye.lower.back())];
  face::MeshCrop crop;
  crop.cx = (a.x + b.x) / 2;
  crop.cy = (a.y + b.y) / 2;
  crop.side = model.crop_scale * std::hypot(b.x - a.x, b.y - a.y);
  crop.angle = angle;
  crop.input_size = model.input_size;
  const std::size_t first = right ? 0 : FaceMeshResult::kIrisPoints / 2;
  if (!(crop.side > 1.f)) {
    // A degenerate eye: its iris points are the eye's centre.
    for (std::size_t i = 0; i < FaceMeshResult::kIrisPoints / 2; ++i) iris[first + i] = {crop.cx, crop.cy, a.z};
    return Status::Ok();
  }
  const float depth = a.z;
  FACEKIT_ASSIGN_OR_RETURN(std::vector<Point3f> e, face::RunIrisOnEye(model, image, crop, right));
  // Iris model points 0-8: lower lid, 9-15: upper lid (the mesh's EyeLower0, EyeUpper0).
  auto place = [&](size_t model_index, int mesh_index) {
    Point3f& m = points[static_cast<size_t>(mesh_index)];
    m = {e[model_index].x, e[model_index].y, m.z};
  };
  for (size_t i = 0; i < eye.lower.size(); ++i) place(i, eye.lower[i]);
  for (size_t i = 0; i < eye.upper.size(); ++i) place(eye.lower.size() + i, eye.upper[i]);
  // Iris model points 71-75: the iris centre, then four points on its edge.
  for (std::size_t i = 0; i < FaceMeshResult::kIrisPoints / 2; ++i) {
    const Point3f& at = e[static_cast<size_t>(face::kIrisModelContourPoints) + i];
    iris[first + i] = {at.x, at.y, depth};
  }
  return Status::Ok();
}

Result<Point3f> MeshPoint(const FaceMeshResult& mesh, int index) {
  if (index >= 0 && static_cast<std::size_t>(index) < mesh.points.size()) {
    return mesh.points[static_cast<std::size_t>(index)];
  }
  const int iris = index - FaceMeshResult::kPoints;
  if (iris >= 0 && static_cast<std::size_t>(iris) < mesh.iris.size()) return mesh.iris[static_cast<std::size_t>(iris)];
  return Status(StatusCode::kInvalidArgument, "the mesh has no point " + std::to_string(index));
}

}  // namespace facekit
