// The cloud API's face contours from MediaPipe Face Mesh points
// (facekit/face_shape.h). Index tables and the reasons for each choice are
// in docs/face-shape.md; the contour names in the comments are MediaPipe's
// (face_mesh_connections, human's meshAnnotations).
#include "facekit/face_shape.h"

#include <algorithm>
#include <array>
#include <string>

namespace facekit {
namespace {

// Mesh "right" is the person's right, the image's left: AnalyzeFace's
// LeftEye is MediaPipe's right eye.
constexpr int kIrisRight = FaceMeshResult::kPoints;       // 468: right iris centre
constexpr int kIrisLeft = FaceMeshResult::kPoints + 5;    // 473: left iris centre

// ---- AnalyzeFace (90 points)
// The silhouette from the image-left cheek at eye level over the chin (152)
// to the image-right cheek: 10 + 1 + 10 points, mirror pairs.
constexpr int kProfile[] = {127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 152,
                            400, 378, 379, 365, 397, 288, 361, 323, 454, 356};
// Eyes: left corner, 3 on the upper lid, right corner, 3 on the lower lid.
constexpr int kLeftEye[] = {33, 160, 159, 158, 133, 153, 145, 144};
constexpr int kRightEye[] = {362, 385, 386, 387, 263, 373, 374, 380};
// Brows: 5 along the upper edge left to right, 3 back along the lower edge.
constexpr int kLeftBrow[] = {70, 63, 105, 66, 107, 65, 52, 46};
constexpr int kRightBrow[] = {336, 296, 334, 293, 300, 276, 282, 295};
// Mouth: the outer lip line (left corner, 7 on the upper lip, right corner,
// 5 on the lower lip), then the inner one (left corner, 3, right corner, 3).
constexpr int kMouth[] = {61, 40, 39, 37, 0, 267, 269, 270, 291, 405, 314, 17, 84, 181,
                          78, 82, 13, 312, 308, 317, 14, 87};
// Nose: the bridge from between the eyes down to the tip (6), then the base
// from the left wing over the subnasale (2) to the right wing (7).
constexpr int kNose[] = {168, 6, 197, 195, 5, 4, 129, 75, 97, 2, 326, 305, 358};
constexpr int kLeftPupil[] = {kIrisRight};
constexpr int kRightPupil[] = {kIrisLeft};

constexpr ShapeGroupSpec kFaceShape[] = {
    {"FaceProfile", kProfile},   {"LeftEye", kLeftEye},   {"RightEye", kRightEye},
    {"LeftEyeBrow", kLeftBrow},  {"RightEyeBrow", kRightBrow}, {"Mouth", kMouth},
    {"Nose", kNose},             {"LeftPupil", kLeftPupil},    {"RightPupil", kRightPupil},
};

// ---- AnalyzeDenseLandmarks
// Eyes: MediaPipe's EyeUpper0 and EyeLower0, a closed contour of 16.
constexpr int kDenseLeftEye[] = {33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7};
constexpr int kDenseRightEye[] = {362, 398, 384, 385, 386, 387, 388, 466, 263, 249, 390, 373, 374, 380, 381, 382};
// Brows: EyebrowUpper (without its two points below the brow) and EyebrowLower.
constexpr int kDenseLeftBrow[] = {46, 70, 63, 105, 66, 107, 55, 65, 52, 53};
constexpr int kDenseRightBrow[] = {285, 336, 296, 334, 293, 300, 276, 283, 282, 295};
// Lips: LipsLowerOuter then LipsUpperOuter, counter-clockwise from the left
// corner as the cloud API documents; the same for the inner lines.
constexpr int kMouthOutside[] = {61, 146, 91, 181, 84, 17, 314, 405, 321, 375,
                                 291, 409, 270, 269, 267, 0, 37, 39, 40, 185};
constexpr int kMouthInside[] = {78, 95, 88, 178, 87, 14, 317, 402, 318, 324,
                                308, 415, 310, 311, 312, 13, 82, 81, 80, 191};
// Nose: the midline from between the eyes to the subnasale (10), then the
// left wing towards the middle (4) and the right wing from the middle (4).
constexpr int kDenseNose[] = {168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 129, 64, 98, 97, 326, 327, 294, 358};
// Pupils: the iris centre and four points on the iris edge.
constexpr int kDenseLeftPupil[] = {468, 469, 470, 471, 472};
constexpr int kDenseRightPupil[] = {473, 474, 475, 476, 477};
// The face's midline from the top of the mesh (mid forehead) to the chin.
constexpr int kCentralAxis[] = {10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2,
                                164, 0, 11, 12, 13, 14, 15, 16, 17, 18, 200, 199, 175, 152};
// The silhouette below the mouth corners' height, left to right.
constexpr int kChin[] = {58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288};
// Under each eye: EyeLower1 (left to right), then EyeLower2 back.
constexpr int kLeftEyeBag[] = {130, 25, 110, 24, 23, 22, 26, 112, 243,
                               244, 233, 232, 231, 230, 229, 228, 31, 226};
constexpr int kRightEyeBag[] = {463, 341, 256, 252, 253, 254, 339, 255, 359,
                                446, 261, 448, 449, 450, 451, 452, 453, 464};
// The silhouette's upper arc, left to right (the mesh ends at mid forehead,
// below the hairline).
constexpr int kForehead[] = {162, 21, 54, 103, 67, 109, 10, 338, 297, 332, 284, 251, 389};

constexpr ShapeGroupSpec kDenseFaceShape[] = {
    {"LeftEye", kDenseLeftEye},         {"RightEye", kDenseRightEye},     {"LeftEyeBrow", kDenseLeftBrow},
    {"RightEyeBrow", kDenseRightBrow},  {"MouthOutside", kMouthOutside},  {"MouthInside", kMouthInside},
    {"Nose", kDenseNose},               {"LeftPupil", kDenseLeftPupil},   {"RightPupil", kDenseRightPupil},
    {"CentralAxis", kCentralAxis},      {"Chin", kChin},                  {"LeftEyeBags", kLeftEyeBag},
    {"RightEyeBags", kRightEyeBag},     {"Forehead", kForehead},
};

// The 68 iBUG points as (FaceShape group, mesh index): the usual
// correspondence of MediaPipe's points to the 68-point scheme.
struct Ibug68Mesh {
  std::string_view group;
  int mesh;
};
constexpr Ibug68Mesh kIbug68[68] = {
    // 0-16 jaw, image left to right
    {"FaceProfile", 127}, {"FaceProfile", 234}, {"FaceProfile", 93}, {"FaceProfile", 132}, {"FaceProfile", 58},
    {"FaceProfile", 136}, {"FaceProfile", 150}, {"FaceProfile", 176}, {"FaceProfile", 152}, {"FaceProfile", 400},
    {"FaceProfile", 379}, {"FaceProfile", 365}, {"FaceProfile", 288}, {"FaceProfile", 361}, {"FaceProfile", 323},
    {"FaceProfile", 454}, {"FaceProfile", 356},
    // 17-21, 22-26 brows
    {"LeftEyeBrow", 70}, {"LeftEyeBrow", 63}, {"LeftEyeBrow", 105}, {"LeftEyeBrow", 66}, {"LeftEyeBrow", 107},
    {"RightEyeBrow", 336}, {"RightEyeBrow", 296}, {"RightEyeBrow", 334}, {"RightEyeBrow", 293},
    {"RightEyeBrow", 300},
    // 27-30 bridge, 31-35 base
    {"Nose", 168}, {"Nose", 197}, {"Nose", 5}, {"Nose", 4}, {"Nose", 75}, {"Nose", 97}, {"Nose", 2}, {"Nose", 326},
    {"Nose", 305},
    // 36-41, 42-47 eyes
    {"LeftEye", 33}, {"LeftEye", 160}, {"LeftEye", 158}, {"LeftEye", 133}, {"LeftEye", 153}, {"LeftEye", 144},
    {"RightEye", 362}, {"RightEye", 385}, {"RightEye", 387}, {"RightEye", 263}, {"RightEye", 373},
    {"RightEye", 380},
    // 48-59 outer lips, 60-67 inner lips
    {"Mouth", 61}, {"Mouth", 39}, {"Mouth", 37}, {"Mouth", 0}, {"Mouth", 267}, {"Mouth", 269}, {"Mouth", 291},
    {"Mouth", 405}, {"Mouth", 314}, {"Mouth", 17}, {"Mouth", 84}, {"Mouth", 181}, {"Mouth", 78}, {"Mouth", 82},
    {"Mouth", 13}, {"Mouth", 312}, {"Mouth", 308}, {"Mouth", 317}, {"Mouth", 14}, {"Mouth", 87},
};

std::array<Ibug68Correspondence, 68> ResolveIbug68() {
  std::array<Ibug68Correspondence, 68> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = {kIbug68[i].group, -1};
    for (const ShapeGroupSpec& g : kFaceShape) {
      if (g.name != kIbug68[i].group) continue;
      const auto it = std::find(g.mesh.begin(), g.mesh.end(), kIbug68[i].mesh);
      if (it != g.mesh.end()) out[i].index = static_cast<int>(it - g.mesh.begin());
    }
  }
  return out;
}

// The mean of an eye's 16 eyelid points (EyeUpper0 + EyeLower0).
Point2f EyeCentre(const FaceMeshResult& mesh, std::span<const int> eye) {
  Point2f c{0.f, 0.f};
  for (int i : eye) {
    c.x += mesh.points[static_cast<std::size_t>(i)].x;
    c.y += mesh.points[static_cast<std::size_t>(i)].y;
  }
  const auto n = static_cast<float>(eye.size());
  return {c.x / n, c.y / n};
}

}  // namespace

std::span<const ShapeGroupSpec> FaceShapeGroups() { return kFaceShape; }
std::span<const ShapeGroupSpec> DenseFaceShapeGroups() { return kDenseFaceShape; }

std::span<const Ibug68Correspondence> Ibug68ToFaceShape() {
  static const std::array<Ibug68Correspondence, 68> table = ResolveIbug68();
  return table;
}

Result<std::vector<ShapeGroup>> MapShape(const FaceMeshResult& mesh, std::span<const ShapeGroupSpec> specs) {
  if (mesh.points.size() < static_cast<std::size_t>(FaceMeshResult::kPoints)) {
    return Status(StatusCode::kInvalidArgument, "a face shape needs a mesh of " +
                                                    std::to_string(FaceMeshResult::kPoints) + " points, got " +
                                                    std::to_string(mesh.points.size()));
  }
  std::vector<ShapeGroup> out;
  out.reserve(specs.size());
  for (const ShapeGroupSpec& spec : specs) {
    ShapeGroup g{spec.name, {}};
    g.points.reserve(spec.mesh.size());
    for (int index : spec.mesh) {
      if (index >= FaceMeshResult::kPoints && mesh.iris.empty()) {
        // No iris model: the pupil is the centre of its eye.
        g.points.push_back(EyeCentre(mesh, index < kIrisLeft ? std::span<const int>(kDenseLeftEye)
                                                             : std::span<const int>(kDenseRightEye)));
        continue;
      }
      FACEKIT_ASSIGN_OR_RETURN(Point3f p, MeshPoint(mesh, index));
      g.points.push_back({p.x, p.y});
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace facekit
