#include "face/mesh_alignment.h"


#include "face/face_aligner.h"
#include "face/face_mesh_crop.h"

namespace facekit::face {
namespace {

// dlib's mean face: the average positions of its 68-point shape's points
// 17-67 in [0, 1]^2, as listed in get_face_chip_details
// (dlib/image_transforms/interpolation.h, mean_face_shape_x and
// mean_face_shape_y; dlib, Boost Software License, Davis E. King).
constexpr int kMeanFaceFirst = 17;
constexpr std::array<double, 51> kMeanFaceX = {
    0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004,
    0.490127,    0.490127,  0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217, 0.613373, 0.121737,
    0.187122,    0.265825,  0.334606, 0.260918, 0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751,
    0.719335,    0.254149,  0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
    0.490127,    0.423532,  0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127,
    0.42689};
constexpr std::array<double, 51> kMeanFaceY = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454,
    0.203352, 0.307009, 0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,  0.587326, 0.216423,
    0.178758, 0.179852, 0.231733,  0.245099,  0.244077,  0.231733,  0.179852,  0.178758,  0.216423, 0.244077,
    0.245099, 0.780233, 0.745405,  0.727388,  0.742578,  0.727388,  0.745405,  0.780233,  0.864805, 0.902192,
    0.909281, 0.902192, 0.864805,  0.784792,  0.778746,  0.785343,  0.778746,  0.784792,  0.824182, 0.831803,
    0.824182};

// The MediaPipe face mesh points of dlib's points 17-67 (0-based dlib
// numbering; one point, or two whose mean is taken), from
// PeizhiYan/Mediapipe_2_Dlib_Landmarks, mediapipe2dlib/mp2dlib.py (2024).
constexpr std::array<std::array<int, 2>, 51> kMeshOfDlib = {{
    {70, 70},   {63, 63},   {105, 105}, {66, 66},   {107, 107},  // 17-21 right brow
    {336, 336}, {296, 296}, {334, 334}, {293, 293}, {300, 300},  // 22-26 left brow
    {168, 6},   {197, 195}, {5, 5},     {4, 4},                  // 27-30 nose bridge, tip
    {75, 75},   {97, 97},   {2, 2},     {326, 326}, {305, 305},  // 31-35 under the nose
    {33, 33},   {160, 160}, {158, 158}, {133, 133}, {153, 153}, {144, 144},  // 36-41 right eye
    {362, 362}, {385, 385}, {387, 387}, {263, 263}, {373, 373}, {380, 380},  // 42-47 left eye
    {61, 61},   {39, 39},   {37, 37},   {0, 0},     {267, 267}, {269, 269}, {291, 291},  // 48-54 upper lip, outer
    {321, 321}, {314, 314}, {17, 17},   {84, 84},   {91, 91},                            // 55-59 lower lip, outer
    {78, 78},   {82, 82},   {13, 13},   {312, 312}, {308, 308},                          // 60-64 upper lip, inner
    {317, 317}, {14, 14},   {87, 87},                                                    // 65-67 lower lip, inner
}};

std::vector<int> MakeAlignmentPoints() {
  // get_face_chip_details' choice: points 17-67 without the eyebrows (17-26)
  // and the lower lip (55-59, 65-67).
  std::vector<int> v;
  for (int i = kMeanFaceFirst; i < 68; ++i) {
    if ((i >= 17 && i <= 26) || (i >= 55 && i <= 59) || (i >= 65 && i <= 67)) continue;
    v.push_back(i);
  }
  return v;
}

cv::Point2f At(const FaceMeshResult& mesh, int index) {
  const Point3f& p = mesh.points[static_cast<size_t>(index)];
  return {p.x, p.y};
}

cv::Point2f EyeCentre(const FaceMeshResult& mesh, const EyeContour& eye, size_t iris_first) {
  if (mesh.iris.size() == static_cast<size_t>(FaceMeshResult::kIrisPoints)) {
    return {mesh.iris[iris_first].x, mesh.iris[iris_first].y};
  }
  cv::Point2f s(0, 0);
  for (int i : eye.lower) s += At(mesh, i);
  for (int i : eye.upper) s += At(mesh, i);
  return s * (1.f / static_cast<float>(eye.lower.size() + eye.upper.size()));
}

}  // namespace

Result<ChipAlignment> ParseChipAlignment(const std::string& name) {
  if (name.empty() || name == "detector5") return ChipAlignment::kDetector5;
  if (name == "mesh68") return ChipAlignment::kMesh68;
  if (name == "mesh5") return ChipAlignment::kMesh5;
  return Status(StatusCode::kInvalidArgument, "unknown alignment '" + name + "' (detector5, mesh68 or mesh5)");
}

const std::vector<int>& Dlib68AlignmentPoints() {
  static const std::vector<int> points = MakeAlignmentPoints();
  return points;
}

cv::Point2d DlibMeanFace(int i) {
  const auto k = static_cast<size_t>(i - kMeanFaceFirst);
  return {kMeanFaceX.at(k), kMeanFaceY.at(k)};
}

std::vector<cv::Point2f> DlibChipTemplate(int size, double padding) {
  std::vector<cv::Point2f> t;
  for (int i : Dlib68AlignmentPoints()) {
    const cv::Point2d m = DlibMeanFace(i);
    t.emplace_back(static_cast<float>((padding + m.x) / (2 * padding + 1) * size),
                   static_cast<float>((padding + m.y) / (2 * padding + 1) * size));
  }
  return t;
}

cv::Point2f DlibPointFromMesh(const FaceMeshResult& mesh, int i) {
  const auto& pair = kMeshOfDlib.at(static_cast<size_t>(i - kMeanFaceFirst));
  return (At(mesh, pair[0]) + At(mesh, pair[1])) * 0.5f;
}

std::vector<cv::Point2f> Mesh68Points(const FaceMeshResult& mesh, double sx, double sy) {
  std::vector<cv::Point2f> v;
  for (int i : Dlib68AlignmentPoints()) {
    const cv::Point2f p = DlibPointFromMesh(mesh, i);
    v.emplace_back(static_cast<float>(p.x / sx), static_cast<float>(p.y / sy));
  }
  return v;
}

std::vector<cv::Point2f> Mesh5Points(const FaceMeshResult& mesh, double sx, double sy) {
  // The person's right eye is the image-left one (mesh 33-133, iris 468).
  std::vector<cv::Point2f> v = {EyeCentre(mesh, kRightEyeContour, 0),
                                EyeCentre(mesh, kLeftEyeContour, FaceMeshResult::kIrisPoints / 2),
                                At(mesh, 4),    // nose tip (dlib's 30)
                                At(mesh, 61),   // mouth corners (dlib's 48, 54)
                                At(mesh, 291)};
  for (cv::Point2f& p : v) p = {static_cast<float>(p.x / sx), static_cast<float>(p.y / sy)};
  return v;
}

}  // namespace facekit::face
