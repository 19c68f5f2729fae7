// media/media_nodes.h - registers the media node types (docs/attendance.md).
#pragma once

#include "pipeline/registry.h"

namespace facekit::media {

/// Registers VideoSource, CentreCrop, VideoWriterSink, JsonLinesSink, WebhookSink. Idempotent.
Status RegisterMediaNodes(pipeline::NodeRegistry& registry);

}  // namespace facekit::media
