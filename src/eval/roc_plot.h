// roc_plot.h - draws a ROC curve (log-scale false accept rate) as a PNG.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "facekit/status.h"

namespace facekit::eval {

/// `roc` holds (FAR, TAR) points with FAR increasing. The x axis is log10
/// FAR from the smallest non-zero FAR's decade (at least 1e-6) to 1; FAR 0
/// points are drawn on the left edge. `operating_far` (if > 0) is marked.
Status DrawRocPng(const std::vector<std::pair<double, double>>& roc, const std::string& title,
                  double operating_far, double operating_tar, const std::string& path);

}  // namespace facekit::eval
