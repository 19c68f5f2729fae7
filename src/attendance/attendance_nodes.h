// attendance/attendance_nodes.h - registers the face node types
// (FaceDetect, FaceTrack, FaceLiveness, EmbedSearch, CheckinDedup, FaceOverlay;
// docs/attendance.md). The provider's engine is shared by every node instance
// and created when the first face node opens.
#pragma once

#include <memory>

#include "attendance/engine_provider.h"
#include "pipeline/registry.h"

namespace facekit::attendance {

/// Idempotent (types already registered are kept).
Status RegisterAttendanceNodes(pipeline::NodeRegistry& registry, std::shared_ptr<EngineProvider> engines);

}  // namespace facekit::attendance
