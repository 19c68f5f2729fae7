// facekit/face_mesh.h - dense face landmarks (468 points) and what they measure.
//
// WHAT THIS REPRESENTS
//   FaceMesh runs the manifest model with role "landmarks.mesh" (MediaPipe's
//   Face Mesh as packaged by @vladmandic/human; docs/liveness-video.md) on
//   one face: the frame is cropped to a square around the detector's box
//   (enlarged by crop_scale, rotated so that the detector's eyes are level),
//   resized to the model's 192x192 input, and the model's 468 points are
//   mapped back to the image. The model also says how sure it is that the
//   crop holds a face (`confidence`).
//
//   The free functions measure a mesh: eye openness (eye aspect ratio from
//   the eyelid contours) and head pose (yaw, pitch, roll from four points of
//   the face outline, with depth). The point indices are MediaPipe's
//   canonical ones and are listed in docs/liveness-video.md.
//
//   Independent of FaceEngine: it loads only its own model, so the engine
//   works in a models folder without it.
//
// THREAD SAFETY
//   Run() is const and may be called from several threads; inference is
//   serialised inside. cv::dnn's thread count is process-wide.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "facekit/engine.h"
#include "facekit/image.h"
#include "facekit/status.h"

namespace facekit {

struct Point3f {
  float x = 0.f, y = 0.f;
  float z = 0.f;  ///< relative depth in the same pixel scale as x and y; smaller = nearer the camera
};

struct FaceMeshOptions {
  std::string models_dir = "models";  ///< folder holding manifest.json and files/
  int num_threads = 1;                ///< cv::dnn threads (process-wide); 0 = OpenCV's default
  /// Side of the square crop over the larger side of the detector's box;
  /// <= 0 = the manifest's landmarks.crop_scale.
  float crop_scale = 0.f;
  /// Rotate the crop so that the detector's two eye landmarks are level.
  bool level_eyes = true;
  /// When the manifest has a model with role landmarks.iris, run it on each
  /// eye and replace the mesh's eyelid contours with its points (as human
  /// does): the face mesh alone hardly follows a closing eyelid.
  bool refine_eyes = true;
};

struct FaceMeshResult {
  static constexpr int kPoints = 468;
  /// kPoints points in the original image's pixels (like FaceBox).
  std::vector<Point3f> points;
  /// The model's face probability for the crop, in [0, 1].
  float confidence = 0.f;
  /// The eyelid contours come from the iris model (refine_eyes).
  bool eyes_refined = false;
  /// With eyes_refined: kIrisPoints points from the iris model, numbered as
  /// MediaPipe's refined mesh numbers them (468 + i): 468-472 the person's
  /// right iris (centre first, then four points on its edge), 473-477 the
  /// left one. Empty without the iris model.
  static constexpr int kIrisPoints = 10;
  std::vector<Point3f> iris;
};

/// Point `index` of a mesh: 0-467 the face mesh, 468-477 the iris points
/// (FaceMeshResult::iris). kInvalidArgument when the mesh does not have it.
Result<Point3f> MeshPoint(const FaceMeshResult& mesh, int index);

class FaceMesh {
 public:
  /// Errors: kNotFound (no manifest, or no model with role landmarks.mesh:
  /// run the setup command), kModelInvalid.
  static Result<std::unique_ptr<FaceMesh>> Create(const FaceMeshOptions& options);
  ~FaceMesh();
  FaceMesh(const FaceMesh&) = delete;
  FaceMesh& operator=(const FaceMesh&) = delete;

  /// The mesh of `face` (a detector box with its 5 landmarks) in `image`.
  Result<FaceMeshResult> Run(const Image& image, const FaceBox& face) const;

  /// Below this confidence the manifest says a mesh is not a face
  /// (landmarks.min_confidence).
  float min_confidence() const;

 private:
  struct Impl;
  Status RefineEye(const Image& image, float angle, bool right, std::vector<Point3f>& points,
                   std::vector<Point3f>& iris) const;
  explicit FaceMesh(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct EyeLandmarksOptions {
  std::string models_dir = "models";  ///< folder holding manifest.json and files/
  int num_threads = 1;                ///< cv::dnn threads (process-wide); 0 = OpenCV's default
};

/// What EyeLandmarks finds on both eyes. Index 0 is the person's right eye
/// (the left one in a camera image), 1 the left eye; points in the original
/// image's pixels (z = 0).
struct EyeLandmarksResult {
  /// The iris model's 16 eyelid points per eye: 0-8 the lower lid from the
  /// outer to the inner corner, 9-15 the upper lid (corners excluded).
  std::array<std::vector<Point3f>, 2> lids;
  /// The iris centre, then four points on its edge.
  std::array<std::vector<Point3f>, 2> iris;
  /// Eye aspect ratio of each eye from `lids`.
  float right_ratio = 0.f, left_ratio = 0.f;
};

/// The iris model (role landmarks.iris) on two eye crops placed from the
/// detector's own eye landmarks, without the face mesh: the eye's centre
/// and width follow from the two eye landmarks (offsets measured against the
/// mesh's eye corners on LFW View 1 DevTrain; docs/attributes.md). About a
/// third cheaper than FaceMesh with refine_eyes and as good at telling shut
/// eyes (measured there). Thread safety as FaceMesh.
class EyeLandmarks {
 public:
  /// Errors: kNotFound (no manifest, or no model with role landmarks.iris),
  /// kModelInvalid.
  static Result<std::unique_ptr<EyeLandmarks>> Create(const EyeLandmarksOptions& options);
  ~EyeLandmarks();
  EyeLandmarks(const EyeLandmarks&) = delete;
  EyeLandmarks& operator=(const EyeLandmarks&) = delete;

  /// The eyes of `face` (a detector box with its 5 landmarks) in `image`.
  /// kInvalidArgument when the two eye landmarks coincide.
  Result<EyeLandmarksResult> Run(const Image& image, const FaceBox& face) const;

 private:
  struct Impl;
  explicit EyeLandmarks(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Eye aspect ratio (Soukupova and Cech 2016) of each eye: the mean of three
/// eyelid-to-eyelid distances over the corner-to-corner distance, in the
/// image plane. About 0.25-0.35 for open eyes, near 0 for closed ones.
/// "right" is the person's right eye (the left one in a camera image).
struct EyeOpenness {
  float right = 0.f;
  float left = 0.f;
  float mean() const { return (right + left) / 2; }
};
/// A single photo's eyes count as open when the smaller of the two ratios is
/// at least this: chosen for EyeLandmarks (what the server and `facekit
/// detect` use) on LFW View 1 DevTrain, docs/attributes.md. (The face mesh +
/// iris path was measured at 0.15 there.)
inline constexpr float kEyesOpenMinRatio = 0.17f;
/// Needs FaceMeshResult::kPoints points (kInvalidArgument otherwise).
Result<EyeOpenness> MeshEyeOpenness(std::span<const Point3f> mesh);

/// Head pose in degrees from the mesh (face axes from the forehead-chin and
/// cheek-cheek vectors, with depth). yaw > 0: the head is turned to the
/// person's left (the nose moves towards the right of a camera image);
/// pitch > 0: looking up; roll > 0: the head leans towards the person's
/// left shoulder (clockwise in the image).
struct MeshPose {
  float yaw = 0.f, pitch = 0.f, roll = 0.f;
};
Result<MeshPose> MeshHeadPose(std::span<const Point3f> mesh);

}  // namespace facekit
