#include "attendance/attendance_nodes.h"

#include "attendance/challenge_node.h"
#include "attendance/dedup_node.h"
#include "attendance/embed_search_node.h"
#include "attendance/face_detect_node.h"
#include "attendance/liveness_node.h"
#include "attendance/overlay_node.h"
#include "attendance/tracker_node.h"

namespace facekit::attendance {

namespace {

template <typename T>
Status RegisterWithEngine(pipeline::NodeRegistry& registry, const std::string& name,
                          const std::shared_ptr<EngineProvider>& engines) {
  if (registry.Find(name) != nullptr) return Status::Ok();
  return registry.Register(name, T::GetContract(), [engines] { return std::unique_ptr<pipeline::Node>(new T(engines)); });
}

}  // namespace

Status RegisterAttendanceNodes(pipeline::NodeRegistry& registry, std::shared_ptr<EngineProvider> engines) {
  FACEKIT_RETURN_IF_ERROR(RegisterWithEngine<FaceDetectNode>(registry, "FaceDetect", engines));
  FACEKIT_RETURN_IF_ERROR(RegisterWithEngine<LivenessNode>(registry, "FaceLiveness", engines));
  FACEKIT_RETURN_IF_ERROR(RegisterWithEngine<ChallengeNode>(registry, "FaceChallenge", engines));
  FACEKIT_RETURN_IF_ERROR(RegisterWithEngine<EmbedSearchNode>(registry, "EmbedSearch", engines));
  if (registry.Find("FaceTrack") == nullptr) FACEKIT_RETURN_IF_ERROR(registry.Register<TrackerNode>("FaceTrack"));
  if (registry.Find("CheckinDedup") == nullptr) FACEKIT_RETURN_IF_ERROR(registry.Register<DedupNode>("CheckinDedup"));
  if (registry.Find("FaceOverlay") == nullptr) FACEKIT_RETURN_IF_ERROR(registry.Register<OverlayNode>("FaceOverlay"));
  return Status::Ok();
}

}  // namespace facekit::attendance
