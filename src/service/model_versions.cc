#include "service/model_versions.h"

#include <algorithm>

namespace facekit::service {

const std::vector<ModelVersion>& ModelVersions() {
  // Impostor statistics: docs/embedders.md "Measured: LFW View 1" (fitted on
  // DevTrain; MobileFaceNet 0.008 / 0.149, ResNet-128 0.833 / 0.035).
  static const std::vector<ModelVersion> versions = {
      {"3.0", EmbedderKind::kMobileFaceNet, 0, 192, 0.008, 0.149},
      {"3.1", EmbedderKind::kResNet128, 1, 128, 0.833, 0.035},
  };
  return versions;
}

const ModelVersion* FindModelVersion(const std::string& name) {
  for (const auto& v : ModelVersions()) {
    if (name == v.name) return &v;
  }
  return nullptr;
}

float PrimaryEquivalentSimilarity(const ModelVersion& version, float similarity) {
  const ModelVersion& primary = ModelVersions().front();
  if (&version == &primary) return similarity;
  const double z = (similarity - version.impostor_mean) / version.impostor_sd;
  return static_cast<float>(std::clamp(primary.impostor_mean + z * primary.impostor_sd, -1.0, 1.0));
}

}  // namespace facekit::service
