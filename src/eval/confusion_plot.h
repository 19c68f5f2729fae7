// confusion_plot.h - a class confusion matrix as a PNG heat map.
//
// WHAT THIS REPRESENTS
//   DrawConfusionPng draws the rows/columns `shown` of a square count matrix
//   (row = true class, column = predicted class): each cell shaded by its
//   share of its row, the count written in it, class names along both axes.
//
// THREAD SAFETY
//   Pure function (writes only `path`).
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::eval {

Status DrawConfusionPng(const std::vector<std::vector<int>>& matrix, const std::vector<std::string>& names,
                        const std::vector<int>& shown, const std::string& title, const std::string& path);

}  // namespace facekit::eval
