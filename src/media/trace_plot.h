// A picture of the adaptive controller at work: CPU use (host and process)
// against the target in the upper panel, the source's frame interval and the
// degradation level in the lower one, both over stream time.
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"
#include "pipeline/controller_trace.h"

namespace facekit::media {

// Writes a PNG to `path`; `target` is the controller's CPU target (0..1),
// drawn as a dashed line with its ±10 % band.
Status DrawControllerTracePng(const std::vector<pipeline::TraceRow>& rows, double target, const std::string& title,
                              const std::string& path);

}  // namespace facekit::media
