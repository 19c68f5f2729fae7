// attribute_test_util.h - one attribute-model set and one face mesh for the
// whole test binary (services and servers under test share them).
#pragma once

#include <memory>

#include "facekit/face_attributes.h"
#include "facekit/face_mesh.h"
#include "test_util.h"

namespace facekit::testing {

inline const FaceAttributeModels& SharedAttributeModels() {
  static std::unique_ptr<FaceAttributeModels> models = [] {
    FaceAttributeOptions o;
    o.models_dir = ModelsDir();
    auto m = FaceAttributeModels::Create(o);
    if (!m.ok()) {
      ADD_FAILURE() << "attribute models: " << m.status().ToString();
      std::abort();
    }
    return std::move(*m);
  }();
  return *models;
}

inline const FaceMesh& SharedFaceMesh() {
  static std::unique_ptr<FaceMesh> mesh = [] {
    FaceMeshOptions o;
    o.models_dir = ModelsDir();
    auto m = FaceMesh::Create(o);
    if (!m.ok()) {
      ADD_FAILURE() << "face mesh: " << m.status().ToString();
      std::abort();
    }
    return std::move(*m);
  }();
  return *mesh;
}

inline const EyeLandmarks& SharedEyeLandmarks() {
  static std::unique_ptr<EyeLandmarks> eyes = [] {
    EyeLandmarksOptions o;
    o.models_dir = ModelsDir();
    auto e = EyeLandmarks::Create(o);
    if (!e.ok()) {
      ADD_FAILURE() << "eye landmarks: " << e.status().ToString();
      std::abort();
    }
    return std::move(*e);
  }();
  return *eyes;
}

}  // namespace facekit::testing
