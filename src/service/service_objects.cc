// FaceService: object detection (FaceKit's DetectObjects; no cloud action).
#include <algorithm>
#include <cmath>

#include "service/face_service.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

void FaceService::SetObjectDetector(const ObjectDetector* detector, std::string model_version) {
  objects_ = detector;
  objects_version_ = std::move(model_version);
}

ApiResult<DetectObjectsResponse> FaceService::DetectObjects(const DetectObjectsRequest& r) const {
  if (objects_ == nullptr) {
    return Err("UnsupportedOperation", "this server has no object model (models/manifest.json role \"objects\")");
  }
  if (!(r.min_score >= 0 && r.min_score <= 1)) return Err(code::kInvalid, "min_score must be 0 to 1");
  if (r.max_objects < 0) return Err(code::kInvalid, "max_objects must not be negative");
  const auto& labels = objects_->labels();
  std::vector<bool> wanted(labels.size(), r.classes.empty());
  for (const std::string& c : r.classes) {
    const auto it = std::find(labels.begin(), labels.end(), c);
    if (it == labels.end()) {
      return Err(code::kObjectClassIllegal, "'" + c + "' is not a class of the object model (e.g. person, cell phone, "
                                                  "tv, laptop; docs/objects.md lists the 80)");
    }
    wanted[static_cast<std::size_t>(it - labels.begin())] = true;
  }
  auto decoded = Timed("decode", [&] { return DecodeImage(r.image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto found = Timed("objects", [&] { return objects_->Detect(*decoded); });
  if (!found.ok()) return ImageError(found.status());
  DetectObjectsResponse out;
  out.image_width = decoded->original_width();
  out.image_height = decoded->original_height();
  out.model_version = objects_version_;
  for (const DetectedObject& d : *found) {
    if (!wanted[static_cast<std::size_t>(d.class_id)] || d.score < r.min_score) continue;
    const Rect rect{static_cast<int>(std::lround(d.x)), static_cast<int>(std::lround(d.y)),
                    static_cast<int>(std::lround(d.width)), static_cast<int>(std::lround(d.height))};
    out.objects.push_back({rect, d.score, d.class_id, d.label});
    if (r.max_objects > 0 && static_cast<int>(out.objects.size()) >= r.max_objects) break;
  }
  return out;
}

}  // namespace facekit::service
