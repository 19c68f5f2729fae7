// EyeLandmarks: the iris model on eye crops placed from the detector's five
// landmarks (facekit/face_mesh.h).
#include <cmath>

#include "face/face_mesh_crop.h"
#include "face/iris_eye.h"
#include "facekit/face_mesh.h"

namespace facekit {
namespace {

// Where the mesh's eye corners sit relative to MTCNN's eye landmark, in units
// of the distance between the two eye landmarks (IOD), in the frame of the
// eye line: LFW View 1 DevTrain, every 4th photo (861 faces, deep-funneled),
// medians over both eyes. The corners' midpoint is 0.027 IOD towards the nose
// (0.018 right eye, 0.036 left) and 0.018 IOD below the landmark; the corner
// to corner width is 0.378 IOD (10-90 %: 0.34-0.42). docs/attributes.md.
constexpr float kInward = 0.027f;
constexpr float kDown = 0.018f;
constexpr float kEyeWidth = 0.378f;

}  // namespace

struct EyeLandmarks::Impl {
  face::IrisModel iris;
};

EyeLandmarks::EyeLandmarks(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EyeLandmarks::~EyeLandmarks() = default;

Result<std::unique_ptr<EyeLandmarks>> EyeLandmarks::Create(const EyeLandmarksOptions& options) {
  FACEKIT_ASSIGN_OR_RETURN(runtime::ModelManifest manifest, runtime::ModelManifest::Load(options.models_dir));
  const runtime::ManifestModel* m = manifest.FindRole("landmarks.iris");
  if (m == nullptr) {
    return Status(StatusCode::kNotFound, "the models folder has no model with role landmarks.iris");
  }
  auto impl = std::make_unique<Impl>();
  runtime::DnnModel::SetThreads(options.num_threads);
  FACEKIT_ASSIGN_OR_RETURN(impl->iris, face::LoadIrisModel(manifest, *m));
  return std::unique_ptr<EyeLandmarks>(new EyeLandmarks(std::move(impl)));
}

Result<EyeLandmarksResult> EyeLandmarks::Run(const Image& image, const FaceBox& face) const {
  if (image.empty()) return Status(StatusCode::kImageEmpty, "empty image");
  const FaceBox raster = FaceInRaster(image, face);
  const Point2f& r = raster.landmarks[0];  // the person's right eye (image left)
  const Point2f& l = raster.landmarks[1];
  const float ux = l.x - r.x, uy = l.y - r.y;
  const float iod = std::hypot(ux, uy);
  if (!(iod > 1.f)) return Status(StatusCode::kInvalidArgument, "the face's eye landmarks coincide");
  const float ax = ux / iod, ay = uy / iod;  // along the eye line, image left to right
  const float dx = -ay, dy = ax;             // across it, downwards
  const face::IrisModel& model = impl_->iris;
  EyeLandmarksResult out;
  const float sx = static_cast<float>(image.scale_x()), sy = static_cast<float>(image.scale_y());
  for (std::size_t eye = 0; eye < 2; ++eye) {
    const Point2f& at = eye == 0 ? r : l;
    const float inward = eye == 0 ? kInward : -kInward;
    face::MeshCrop crop;
    crop.cx = at.x + iod * (inward * ax + kDown * dx);
    crop.cy = at.y + iod * (inward * ay + kDown * dy);
    crop.side = model.crop_scale * kEyeWidth * iod;
    crop.angle = std::atan2(uy, ux);
    crop.input_size = model.input_size;
    FACEKIT_ASSIGN_OR_RETURN(std::vector<Point3f> p, face::RunIrisOnEye(model, image, crop, /*right=*/eye == 0));
    for (Point3f& q : p) q = {q.x * sx, q.y * sy, 0.f};
    (eye == 0 ? out.right_ratio : out.left_ratio) = face::LidAspectRatio(p);
    out.lids[eye].assign(p.begin(), p.begin() + face::kIrisModelLidPoints);
    out.iris[eye].assign(p.begin() + face::kIrisModelContourPoints, p.end());
  }
  return out;
}

}  // namespace facekit
