#include "facekit/spoof_medium_detector.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "antispoof/bezel_cue.h"
#include "antispoof/texture_cues.h"
#include "image/image_internal.h"

namespace facekit {

struct SpoofMediumDetector::Impl {
  SpoofMediumOptions options;
  std::unique_ptr<ObjectDetector> objects;
};

namespace {

SpoofCue Cue(std::string_view name, float value, float threshold, bool measured, const SpoofMediumOptions& o) {
  SpoofCue c;
  c.name = std::string(name);
  c.value = value;
  c.threshold = threshold;
  c.measured = measured;
  c.decisive = std::find(o.decisive.begin(), o.decisive.end(), c.name) != o.decisive.end();
  return c;
}

// The threshold field of cue `name`; nullptr for an unknown name.
float* ThresholdOf(SpoofMediumOptions& o, std::string_view name) {
  if (name == kCueObject) return &o.object_threshold;
  if (name == kCueBezel) return &o.bezel_threshold;
  if (name == kCueMoire) return &o.moire_threshold;
  if (name == kCueGlare) return &o.glare_threshold;
  if (name == kCueBlueRed) return &o.blue_red_threshold;
  if (name == kCueBlackLevel) return &o.black_level_threshold;
  if (name == kCueLowSaturation) return &o.low_saturation_threshold;
  if (name == kCueLowContrast) return &o.low_contrast_threshold;
  return nullptr;
}

Status CheckOptions(const SpoofMediumOptions& o) {
  SpoofMediumOptions copy = o;
  for (const std::string& d : o.decisive) {
    if (ThresholdOf(copy, d) == nullptr) return Status(StatusCode::kInvalidArgument, "unknown spoof cue '" + d + "'");
  }
  if (!(o.min_containment >= 0 && o.min_containment <= 1)) {
    return Status(StatusCode::kInvalidArgument, "min_containment must be in [0, 1]");
  }
  if (!(o.min_medium_area >= 0)) return Status(StatusCode::kInvalidArgument, "min_medium_area must not be negative");
  return Status::Ok();
}

}  // namespace

const SpoofCue* MediumEvidence::Find(std::string_view name) const {
  for (const SpoofCue& c : cues) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Status SetSpoofCueThreshold(SpoofMediumOptions* options, std::string_view cue, float threshold) {
  float* field = ThresholdOf(*options, cue);
  if (field == nullptr) return Status(StatusCode::kInvalidArgument, "unknown spoof cue '" + std::string(cue) + "'");
  *field = threshold;
  return Status::Ok();
}

float FaceContainment(const FaceBox& face, const DetectedObject& object) {
  const float area = face.width * face.height;
  if (!(area > 0)) return 0;
  const float w = std::min(face.x + face.width, object.x + object.width) - std::max(face.x, object.x);
  const float h = std::min(face.y + face.height, object.y + object.height) - std::max(face.y, object.y);
  return w > 0 && h > 0 ? std::min(1.f, w * h / area) : 0.f;
}

SpoofMediumDetector::SpoofMediumDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpoofMediumDetector::~SpoofMediumDetector() = default;

const SpoofMediumOptions& SpoofMediumDetector::options() const { return impl_->options; }

Result<std::unique_ptr<SpoofMediumDetector>> SpoofMediumDetector::Create(const SpoofMediumOptions& options) {
  FACEKIT_RETURN_IF_ERROR(CheckOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.detect_objects) {
    ObjectDetectorOptions o;
    o.models_dir = options.models_dir;
    o.num_threads = options.num_threads;
    o.input_size = options.object_input_size;
    o.classes = options.medium_classes;
    // Keep weak detections: the cue's own threshold decides.
    o.score_threshold = std::min(0.05f, options.object_threshold);
    FACEKIT_ASSIGN_OR_RETURN(impl->objects, ObjectDetector::Create(o));
  }
  return std::unique_ptr<SpoofMediumDetector>(new SpoofMediumDetector(std::move(impl)));
}

Result<std::vector<DetectedObject>> SpoofMediumDetector::DetectMedia(const Image& image) const {
  if (!impl_->objects) {
    return Status(StatusCode::kFailedPrecondition, "the spoof-medium detector was created without object detection");
  }
  FACEKIT_ASSIGN_OR_RETURN(std::vector<DetectedObject> found, impl_->objects->Detect(image));
  const float sx = static_cast<float>(image.scale_x()), sy = static_cast<float>(image.scale_y());
  for (DetectedObject& o : found) {  // raster -> original pixels
    o.x *= sx;
    o.width *= sx;
    o.y *= sy;
    o.height *= sy;
  }
  return found;
}

Result<MediumEvidence> SpoofMediumDetector::Analyze(const Image& image, const FaceBox& face,
                                                    const std::vector<DetectedObject>* media) const {
  if (image.empty()) return Status(StatusCode::kInvalidArgument, "image is empty");
  if (!(face.width > 0) || !(face.height > 0)) return Status(StatusCode::kInvalidArgument, "face box has no area");
  const SpoofMediumOptions& o = impl_->options;
  MediumEvidence e;
  // Object cue.
  std::vector<DetectedObject> detected;
  if (media == nullptr && impl_->objects) {
    FACEKIT_ASSIGN_OR_RETURN(detected, DetectMedia(image));
    media = &detected;
  }
  float object_score = 0;
  if (media != nullptr) {
    const float face_area = face.width * face.height;
    for (const DetectedObject& m : *media) {
      if (std::find(o.medium_classes.begin(), o.medium_classes.end(), m.label) == o.medium_classes.end()) continue;
      const float inside = FaceContainment(face, m);
      if (inside < o.min_containment || m.width * m.height < o.min_medium_area * face_area) continue;
      if (m.score > object_score) {
        object_score = m.score;
        e.medium = m;
        e.containment = inside;
      }
    }
  }
  e.cues.push_back(Cue(kCueObject, object_score, o.object_threshold, media != nullptr, o));
  // Screen cues on the raster.
  const FaceBox f = FaceInRaster(image, face);
  const cv::Rect2f box(f.x, f.y, f.width, f.height);
  const cv::Mat bgr = AsMat(image);
  cv::Mat grey;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  const antispoof::BezelMeasure bezel = antispoof::MeasureBezel(grey, box);
  e.bezel_sides = bezel.sides;
  e.cues.push_back(Cue(kCueBezel, bezel.value, o.bezel_threshold, bezel.measured, o));
  const antispoof::TextureMeasure t = antispoof::MeasureTexture(bgr, box);
  e.cues.push_back(Cue(kCueMoire, t.moire, o.moire_threshold, t.measured, o));
  e.cues.push_back(Cue(kCueGlare, t.glare, o.glare_threshold, t.measured, o));
  e.cues.push_back(Cue(kCueBlueRed, t.blue_red, o.blue_red_threshold, t.colour_measured, o));
  e.cues.push_back(Cue(kCueBlackLevel, t.black_level, o.black_level_threshold, t.measured, o));
  e.cues.push_back(Cue(kCueLowSaturation, t.low_saturation, o.low_saturation_threshold, t.measured, o));
  e.cues.push_back(Cue(kCueLowContrast, t.low_contrast, o.low_contrast_threshold, t.measured, o));
  e.flagged = std::any_of(e.cues.begin(), e.cues.end(), [](const SpoofCue& c) { return c.decisive && c.fired(); });
  return e;
}

}  // namespace facekit
