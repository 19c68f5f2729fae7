// attendance/attendance_nodes.h - registers the face node types
// (FaceDetect, FaceTrack, FaceLiveness, FaceChallenge, EmbedSearch,
// CheckinDedup, FaceOverlay; docs/attendance.md). The provider's engine (and
// face mesh) is shared by every node instance and created when the first
// node that needs it opens.
#pragma once

#include <memory>

#include "attendance/engine_provider.h"
#include "pipeline/registry.h"

namespace facekit::attendance {

/// Idempotent (types already registered are kept).
Status RegisterAttendanceNodes(pipeline::NodeRegistry& registry, std::shared_ptr<EngineProvider> engines);

}  // namespace facekit::attendance
