// fused_feature.h - a person's fused feature: the L2-normalised mean of its
// faces' vectors of one face model version, summed in double in face-key
// order. The gallery computes it from its indexes; the PostgreSQL store keeps
// it per person (person_features) so that a sharded node need not read the
// faces of other shards; both call this one function, so they agree bit for
// bit.
#pragma once

#include <vector>

namespace facekit::store {

/// The L2-normalised mean of equal-length vectors (empty when there are none).
std::vector<float> NormalisedMean(const std::vector<std::vector<float>>& vectors);

}  // namespace facekit::store
