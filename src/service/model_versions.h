// The face model versions FaceKit serves (docs/gallery.md#face-model-versions):
// the cloud API's FaceModelVersion strings mapped to our embedders.
#pragma once

#include <string>
#include <vector>

#include "facekit/engine.h"

namespace facekit::service {

struct ModelVersion {
  const char* name;    // the FaceModelVersion string
  EmbedderKind kind;   // the embedder whose vectors a group of this version holds
  int order;           // upgrades go to a higher order only (the cloud's rule)
  int dim;             // of its vectors
  // Impostor cosine mean and standard deviation on LFW View 1 DevTrain
  // (docs/embedders.md): cosines are mapped onto the primary model's scale by
  // matching these, so that one score (Score, FaceMatchThreshold) means the
  // same false-accept rate whichever model a group uses.
  double impostor_mean;
  double impostor_sd;
};

// "3.0" (MobileFaceNet, the primary version: every face has its vector) and
// "3.1" (face-api's ResNet-128).
const std::vector<ModelVersion>& ModelVersions();
// nullptr for a string that names no version.
const ModelVersion* FindModelVersion(const std::string& name);
// `similarity` of two vectors of `version` mapped onto the primary model's
// cosine scale (identity for the primary version).
float PrimaryEquivalentSimilarity(const ModelVersion& version, float similarity);

}  // namespace facekit::service
