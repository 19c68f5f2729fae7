// lfw_pairs.h - LFW pair lists and verification accuracy.
//
// WHAT THIS REPRESENTS
//   ParseLfwPairs reads a pairs file in LFW's format: a header line ("N" for
//   View 1: N matched then N mismatched pairs; "F N" for F folds of N+N),
//   then `name n1 n2` (same person) and `name1 n1 name2 n2` (different)
//   lines. Metrics over scored pairs live in verification_metrics.h.
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::eval {

struct LfwPair {
  std::string name1;
  int n1 = 0;
  std::string name2;
  int n2 = 0;
  bool same = false;
  int fold = 0;
};

struct LfwPairs {
  int folds = 1;
  int pairs_per_class = 0;  ///< matched (= mismatched) pairs per fold
  std::vector<LfwPair> pairs;
};

Result<LfwPairs> ParseLfwPairs(const std::string& text);
Result<LfwPairs> LoadLfwPairs(const std::string& path);

/// DIR/Name/Name_0001.jpg
std::string LfwImagePath(const std::string& dir, const std::string& name, int n);

}  // namespace facekit::eval
