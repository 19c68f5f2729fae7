// face/iris_eye.h - the iris model (role landmarks.iris) on one eye crop:
// loading it from the manifest and running it, shared by FaceMesh (crops
// placed from the mesh's eye corners) and EyeLandmarks (crops placed from
// the detector's eye landmarks).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "face/face_mesh_crop.h"
#include "facekit/face_mesh.h"
#include "facekit/image.h"
#include "facekit/status.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit::face {

struct IrisModel {
  std::unique_ptr<runtime::DnnModel> net;
  std::string output;
  int input_size = 64;
  float mean = 0.f, scale = 1.f / 255.f;
  /// Crop side over the eye's corner-to-corner width (manifest crop_scale).
  float crop_scale = 2.3f;
  /// The model was trained on one eye's orientation: the right eye's crop is
  /// mirrored unless this is set.
  bool mirror_right_eye = false;
};

/// Loads `m` (a manifest model with role landmarks.iris). kModelInvalid when
/// it lacks the output 'eye' or a square input.
Result<IrisModel> LoadIrisModel(const runtime::ModelManifest& manifest, const runtime::ManifestModel& m);

/// The model's kIrisModelPoints points for the eye inside `crop` (the
/// person's right eye when `right`), in image pixels (z = 0): 0-8 the lower
/// lid from the outer to the inner corner, 9-15 the upper lid, 16-70 the
/// eye region, 71-75 the iris centre and four points on its edge.
Result<std::vector<Point3f>> RunIrisOnEye(const IrisModel& model, const Image& image, const MeshCrop& crop,
                                          bool right);

/// Eye aspect ratio from the iris model's lid points (the same three lid
/// pairs and corners as MeshEyeOpenness uses on the mesh).
float LidAspectRatio(const std::vector<Point3f>& eye_points);

}  // namespace facekit::face
