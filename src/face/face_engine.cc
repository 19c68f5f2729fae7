#include <algorithm>
#include <cmath>
#include <fstream>

#include <opencv2/imgproc.hpp>

#include "face/face_aligner.h"
#include "face/face_embedder.h"
#include "face/face_quality.h"
#include "face/liveness_checker.h"
#include "face/mesh_alignment.h"
#include "face/mtcnn_detector.h"
#include "facekit/engine.h"
#include "facekit/face_mesh.h"
#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit {

struct FaceEngine::Impl {
  runtime::ModelManifest manifest;
  std::unique_ptr<face::MtcnnDetector> detector;
  std::unique_ptr<face::FaceEmbedder> embedder;
  std::unique_ptr<face::FaceEmbedder> resnet128;    // null unless requested
  std::unique_ptr<face::LivenessChecker> liveness;  // null without a liveness model
  std::unique_ptr<FaceMesh> mesh;                   // null unless an embedder aligns from the mesh

  // The embedder of `kind`, or nullptr when it is not loaded.
  const face::FaceEmbedder* Embedder(EmbedderKind kind) const {
    return kind == EmbedderKind::kResNet128 ? resnet128.get() : embedder.get();
  }
  Result<const face::FaceEmbedder*> Loaded(EmbedderKind kind) const {
    const face::FaceEmbedder* e = Embedder(kind);
    if (e == nullptr) {
      return Status(StatusCode::kFailedPrecondition, "the engine was created without the " + EmbedderName(kind) +
                                                         " embedder (EngineOptions::extra_embedders)");
    }
    return e;
  }
};

std::string EmbedderName(EmbedderKind kind) {
  return kind == EmbedderKind::kResNet128 ? "resnet128" : "mobilefacenet";
}

Result<EmbedderKind> ParseEmbedderKind(const std::string& name) {
  for (EmbedderKind k : {EmbedderKind::kMobileFaceNet, EmbedderKind::kResNet128}) {
    if (name == EmbedderName(k)) return k;
  }
  return Status(StatusCode::kInvalidArgument, "unknown embedder '" + name + "' (mobilefacenet or resnet128)");
}

FaceEngine::FaceEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceEngine::~FaceEngine() = default;

Result<std::unique_ptr<FaceEngine>> FaceEngine::Create(const EngineOptions& options) {
  if (options.num_threads < 0) return Status(StatusCode::kInvalidArgument, "num_threads must be >= 0");
  runtime::DnnModel::SetThreads(options.num_threads);
  auto impl = std::make_unique<Impl>();
  FACEKIT_ASSIGN_OR_RETURN(impl->manifest, runtime::ModelManifest::Load(options.models_dir));
  for (const auto& m : impl->manifest.models) {
    std::ifstream probe(impl->manifest.FilePath(m.file));
    if (!probe) {
      return Status(StatusCode::kNotFound, "model file " + impl->manifest.FilePath(m.file) +
                                               " is missing; run the README's setup command (it fetches and imports the models)");
    }
  }
  FACEKIT_ASSIGN_OR_RETURN(impl->detector, face::MtcnnDetector::Create(impl->manifest));
  FACEKIT_ASSIGN_OR_RETURN(impl->embedder, face::FaceEmbedder::Create(impl->manifest));
  for (EmbedderKind kind : options.extra_embedders) {
    if (kind == EmbedderKind::kResNet128 && !impl->resnet128) {
      FACEKIT_ASSIGN_OR_RETURN(impl->resnet128, face::FaceEmbedder::Create(impl->manifest, "embedder.resnet128"));
    }
  }
  for (const auto& [kind, name] : options.alignment) {
    auto how = face::ParseChipAlignment(name);
    if (!how.ok()) return how.status();
    if (face::FaceEmbedder* e = kind == EmbedderKind::kResNet128 ? impl->resnet128.get() : impl->embedder.get()) {
      e->set_alignment(*how);
    }
  }
  // An embedder whose manifest entry (or EngineOptions::alignment) says "alignment": "mesh68" or "mesh5"
  // cuts its chip from the face mesh's points (face/mesh_alignment.h).
  bool want_mesh = false, refine_eyes = false;
  for (const face::FaceEmbedder* e : {impl->embedder.get(), impl->resnet128.get()}) {
    if (e != nullptr && e->alignment() != face::ChipAlignment::kDetector5) {
      want_mesh = true;
      refine_eyes = refine_eyes || e->info().alignment_refine_eyes;
    }
  }
  if (want_mesh) {
    FaceMeshOptions mo;
    mo.models_dir = options.models_dir;
    mo.num_threads = options.num_threads;
    mo.refine_eyes = refine_eyes;
    FACEKIT_ASSIGN_OR_RETURN(impl->mesh, FaceMesh::Create(mo));
  }
  FACEKIT_ASSIGN_OR_RETURN(impl->liveness, face::LivenessChecker::Create(impl->manifest));
  return std::unique_ptr<FaceEngine>(new FaceEngine(std::move(impl)));
}

Result<std::vector<FaceBox>> FaceEngine::Detect(const Image& image, const DetectOptions& options,
                                                DetectStats* stats) const {
  if (image.empty() || image.bgr.size() != static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3) {
    return Status(StatusCode::kInvalidArgument, "image is empty or its pixel buffer does not match its size");
  }
  if (options.min_face_size < 0) return Status(StatusCode::kInvalidArgument, "detect options must not be negative");
  // The minimum face size is in original pixels; the detector sees the raster.
  DetectOptions raster = options;
  const double scale = std::max(image.scale_x(), image.scale_y());
  if (scale != 1.0) {
    const int min_face = options.min_face_size > 0 ? options.min_face_size : impl_->manifest.detector.min_face_size;
    raster.min_face_size = std::max(1, static_cast<int>(std::lround(min_face / scale)));
  }
  cv::Mat rgb;
  cv::cvtColor(AsMat(image), rgb, cv::COLOR_BGR2RGB);
  FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, impl_->detector->Detect(rgb, raster, stats));
  for (FaceBox& f : faces) f = FaceInOriginal(image, f);
  return faces;
}

Result<Image> FaceEngine::Align(const Image& image, const FaceBox& face) const {
  return Align(image, face, EmbedderKind::kMobileFaceNet);
}

Result<Image> FaceEngine::Align(const Image& image, const FaceBox& face, EmbedderKind kind) const {
  if (image.empty()) return Status(StatusCode::kInvalidArgument, "image is empty");
  for (const Point2f& p : face.landmarks) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) return Status(StatusCode::kInvalidArgument, "landmarks are not finite");
  }
  FACEKIT_ASSIGN_OR_RETURN(const face::FaceEmbedder* e, impl_->Loaded(kind));
  if (e->alignment() != face::ChipAlignment::kDetector5 && impl_->mesh) {
    // A mesh that cannot be computed (e.g. a box too small) falls back to the
    // detector's five points below.
    auto mesh = impl_->mesh->Run(image, face);
    if (mesh.ok()) {
      const int size = e->input_size();
      std::vector<cv::Point2f> points, tmpl;
      if (e->alignment() == face::ChipAlignment::kMesh68) {
        points = face::Mesh68Points(*mesh, image.scale_x(), image.scale_y());
        tmpl = face::DlibChipTemplate(size, e->info().alignment_padding);
      } else {
        points = face::Mesh5Points(*mesh, image.scale_x(), image.scale_y());
        for (const auto& t : e->info().alignment_template) tmpl.emplace_back(t[0], t[1]);
      }
      return ImageFromMat(face::AlignToPoints(AsMat(image), points, tmpl, size));
    }
  }
  cv::Mat chip = face::AlignFace(AsMat(image), FaceInRaster(image, face).landmarks, e->info().alignment_template,
                                 e->input_size());
  return ImageFromMat(chip);
}

Result<LivenessResult> FaceEngine::Liveness(const Image& image, const FaceBox& face) const {
  if (!impl_->liveness) return Status(StatusCode::kModelInvalid, "the models folder has no liveness model");
  if (image.empty()) return Status(StatusCode::kInvalidArgument, "image is empty");
  cv::Mat rgb;
  cv::cvtColor(AsMat(image), rgb, cv::COLOR_BGR2RGB);
  return impl_->liveness->Check(rgb, FaceInRaster(image, face));
}

Result<FaceQuality> FaceEngine::Quality(const Image& image, const FaceBox& face) const {
  FACEKIT_ASSIGN_OR_RETURN(Image chip, Align(image, face));
  FaceQuality q;
  face::ChipMeasures(AsMat(chip), &q.sharpness, &q.brightness);
  q.size = std::min(face.width, face.height);  // original pixels
  face::Pose pose = face::EstimatePose(face.landmarks);
  q.yaw = pose.yaw;
  q.pitch = pose.pitch;
  q.roll = pose.roll;
  face::AssignLevel(&q);
  return q;
}

Result<std::vector<Embedding>> FaceEngine::Embed(std::span<const Image> chips, const EmbedOptions& options) const {
  std::vector<cv::Mat> mats;
  mats.reserve(chips.size());
  for (const Image& c : chips) mats.push_back(AsMat(c));
  FACEKIT_ASSIGN_OR_RETURN(const face::FaceEmbedder* e, impl_->Loaded(options.embedder));
  return e->Embed(mats, options.flip_augment);
}

Result<Embedding> FaceEngine::EmbedFace(const Image& image, const FaceBox& face, const EmbedOptions& options) const {
  FACEKIT_ASSIGN_OR_RETURN(Image chip, Align(image, face, options.embedder));
  FACEKIT_ASSIGN_OR_RETURN(std::vector<Embedding> e, Embed(std::span<const Image>(&chip, 1), options));
  return std::move(e[0]);
}

Result<Embedding> FaceEngine::EmbedLargestFace(const Image& image, FaceBox* face_out, const EmbedOptions& options) const {
  FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, Detect(image));
  int best = LargestFace(faces);
  if (best < 0) return Status(StatusCode::kNoFace, "no face found in the image");
  const FaceBox& f = faces[static_cast<size_t>(best)];
  if (face_out) *face_out = f;
  return EmbedFace(image, f, options);
}

float FaceEngine::Similarity(const Embedding& a, const Embedding& b) {
  if (a.size() != b.size() || a.empty()) return 0.f;
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += double{a[i]} * b[i];
  return static_cast<float>(std::clamp(dot, -1.0, 1.0));
}

namespace {

// Piecewise-linear interpolation through (similarity, score) points.
float Interpolate(const std::vector<std::array<float, 2>>& pts, float similarity) {
  if (pts.empty()) return std::clamp(similarity, 0.f, 1.f) * 100.f;
  if (similarity <= pts.front()[0]) return pts.front()[1];
  if (similarity >= pts.back()[0]) return pts.back()[1];
  for (size_t i = 1; i < pts.size(); ++i) {
    if (similarity <= pts[i][0]) {
      float t = (similarity - pts[i - 1][0]) / (pts[i][0] - pts[i - 1][0]);
      return pts[i - 1][1] + t * (pts[i][1] - pts[i - 1][1]);
    }
  }
  return pts.back()[1];
}

// The similarity where the piecewise-linear map reaches `score` (the lowest
// such similarity; the map is non-decreasing).
float InverseInterpolate(const std::vector<std::array<float, 2>>& pts, float score) {
  if (pts.empty()) return std::clamp(score, 0.f, 100.f) / 100.f;
  if (score <= pts.front()[1]) return pts.front()[0];
  for (size_t i = 1; i < pts.size(); ++i) {
    if (score <= pts[i][1]) {
      float t = (score - pts[i - 1][1]) / (pts[i][1] - pts[i - 1][1]);
      return pts[i - 1][0] + t * (pts[i][0] - pts[i - 1][0]);
    }
  }
  return pts.back()[0];
}

}  // namespace

CompareResult FaceEngine::Compare(const Embedding& a, const Embedding& b, float match_score) const {
  CompareResult r;
  r.similarity = Similarity(a, b);
  r.score = Interpolate(impl_->manifest.verification.score_points, r.similarity);
  r.match_score = match_score > 0.f ? match_score : impl_->manifest.verification.match_score;
  r.same_person = r.score >= r.match_score;
  return r;
}

MatchRule FaceEngine::match_rule() const {
  const runtime::VerificationConfig& v = impl_->manifest.verification;
  return MatchRule{v.match_score, SimilarityAtScore(v.match_score), v.match_provenance};
}

float FaceEngine::SimilarityAtScore(float score) const {
  return InverseInterpolate(impl_->manifest.verification.score_points, score);
}

float FaceEngine::SearchScore(float similarity) const {
  const auto& pts = impl_->manifest.search.score_points;
  return Interpolate(pts.empty() ? impl_->manifest.verification.score_points : pts, similarity);
}

float FaceEngine::verify_threshold() const { return impl_->manifest.verification.threshold; }
std::string FaceEngine::verify_threshold_provenance() const { return impl_->manifest.verification.provenance; }
int FaceEngine::embedding_dim() const { return impl_->embedder->dim(); }
int FaceEngine::chip_size() const { return impl_->embedder->input_size(); }
std::vector<std::array<float, 2>> FaceEngine::alignment_template() const {
  return impl_->embedder->info().alignment_template;
}

bool FaceEngine::has_embedder(EmbedderKind kind) const { return impl_->Embedder(kind) != nullptr; }
int FaceEngine::embedding_dim(EmbedderKind kind) const {
  const face::FaceEmbedder* e = impl_->Embedder(kind);
  return e ? e->dim() : 0;
}
int FaceEngine::chip_size(EmbedderKind kind) const {
  const face::FaceEmbedder* e = impl_->Embedder(kind);
  return e ? e->input_size() : 0;
}
std::string FaceEngine::embedder_version(EmbedderKind kind) const {
  const face::FaceEmbedder* e = impl_->Embedder(kind);
  return e ? e->info().name + " " + e->info().version : std::string();
}

std::vector<std::string> FaceEngine::model_descriptions() const {
  std::vector<std::string> out;
  for (const auto& m : impl_->manifest.models) out.push_back(m.name + " " + m.version + " (" + m.file + ")");
  return out;
}

namespace {

FaceBox ScaleFace(const FaceBox& f, double sx, double sy) {
  if (sx == 1.0 && sy == 1.0) return f;
  FaceBox out = f;
  out.x = static_cast<float>(f.x * sx);
  out.y = static_cast<float>(f.y * sy);
  out.width = static_cast<float>(f.width * sx);
  out.height = static_cast<float>(f.height * sy);
  for (size_t i = 0; i < f.landmarks.size(); ++i) {
    out.landmarks[i] = {static_cast<float>(f.landmarks[i].x * sx), static_cast<float>(f.landmarks[i].y * sy)};
  }
  return out;
}

}  // namespace

FaceBox FaceInRaster(const Image& image, const FaceBox& face) {
  return ScaleFace(face, 1.0 / image.scale_x(), 1.0 / image.scale_y());
}

FaceBox FaceInOriginal(const Image& image, const FaceBox& face) {
  return ScaleFace(face, image.scale_x(), image.scale_y());
}

int LargestFace(std::span<const FaceBox> faces) {
  int best = -1;
  float area = -1.f;
  for (size_t i = 0; i < faces.size(); ++i) {
    float a = faces[i].width * faces[i].height;
    if (a > area) {
      area = a;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace facekit
