// Chips aligned from the face mesh (face/mesh_alignment.h): dlib's mean face
// as the mesh68 template, the MediaPipe-to-dlib correspondence, and a
// synthetic face whose mesh is a known similarity of the template.
#include "face/mesh_alignment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <opencv2/imgproc.hpp>

#include "face/face_aligner.h"

namespace facekit::face {
namespace {

cv::Point2f Apply(const cv::Mat& m, cv::Point2f p) {
  return {static_cast<float>(m.at<double>(0, 0) * p.x + m.at<double>(0, 1) * p.y + m.at<double>(0, 2)),
          static_cast<float>(m.at<double>(1, 0) * p.x + m.at<double>(1, 1) * p.y + m.at<double>(1, 2))};
}

// A point of the chip placed in the image by rotation `angle`, `scale` and a shift.
cv::Point2f ToImage(cv::Point2f p, double angle, double scale, cv::Point2f shift) {
  return {static_cast<float>(scale * (std::cos(angle) * p.x - std::sin(angle) * p.y) + shift.x),
          static_cast<float>(scale * (std::sin(angle) * p.x + std::cos(angle) * p.y) + shift.y)};
}

// A mesh whose every dlib alignment point sits at the template's chip point
// mapped into the image: the mesh points of a dlib point get its position.
FaceMeshResult SyntheticMesh(const std::vector<cv::Point2f>& image_points) {
  FaceMeshResult mesh;
  mesh.points.assign(FaceMeshResult::kPoints, Point3f{});
  // Set each mesh point from the dlib point it belongs to, found by probing:
  // move one mesh point and see which dlib point follows.
  const std::vector<int>& dlib = Dlib68AlignmentPoints();
  for (int k = 0; k < FaceMeshResult::kPoints; ++k) {
    FaceMeshResult probe;
    probe.points.assign(FaceMeshResult::kPoints, Point3f{});
    probe.points[static_cast<size_t>(k)] = {1.f, 0.f, 0.f};
    for (size_t j = 0; j < dlib.size(); ++j) {
      if (DlibPointFromMesh(probe, dlib[j]).x > 0.f) {
        mesh.points[static_cast<size_t>(k)] = {image_points[j].x, image_points[j].y, 0.f};
      }
    }
  }
  return mesh;
}

TEST(MeshAlignment, ParsesTheManifestNames) {
  EXPECT_EQ(*ParseChipAlignment(""), ChipAlignment::kDetector5);
  EXPECT_EQ(*ParseChipAlignment("detector5"), ChipAlignment::kDetector5);
  EXPECT_EQ(*ParseChipAlignment("mesh68"), ChipAlignment::kMesh68);
  EXPECT_EQ(*ParseChipAlignment("mesh5"), ChipAlignment::kMesh5);
  EXPECT_EQ(ParseChipAlignment("mesh67").status().code(), StatusCode::kInvalidArgument);
}

TEST(MeshAlignment, DlibTemplateIsGetFaceChipDetailsChoice) {
  // dlib uses 17-67 without the eyebrows (17-26) and the lower lip (55-59, 65-67).
  const std::vector<int>& p = Dlib68AlignmentPoints();
  ASSERT_EQ(p.size(), 33u);
  EXPECT_EQ(p.front(), 27);
  EXPECT_EQ(p[8], 35);
  EXPECT_EQ(p[9], 36);
  EXPECT_EQ(p[20], 47);
  EXPECT_EQ(p[21], 48);
  EXPECT_EQ(p[27], 54);
  EXPECT_EQ(p[28], 60);
  EXPECT_EQ(p.back(), 64);
  // A few of dlib's numbers: the nose tip (30) and the eye corners (36, 45).
  EXPECT_DOUBLE_EQ(DlibMeanFace(30).x, 0.490127);
  EXPECT_DOUBLE_EQ(DlibMeanFace(30).y, 0.515625);
  EXPECT_DOUBLE_EQ(DlibMeanFace(36).x, 0.121737);
  EXPECT_DOUBLE_EQ(DlibMeanFace(45).x, 0.858516);
  EXPECT_DOUBLE_EQ(DlibMeanFace(45).y, 0.216423);
  // Symmetric: the eye corners' heights agree.
  EXPECT_DOUBLE_EQ(DlibMeanFace(36).y, DlibMeanFace(45).y);
  // Padding p maps m to (p + m) / (2p + 1) * size.
  const std::vector<cv::Point2f> t = DlibChipTemplate(150, 0.25);
  ASSERT_EQ(t.size(), 33u);
  EXPECT_NEAR(t[3].x, (0.25 + 0.490127) / 1.5 * 150, 1e-3);  // point 30
  EXPECT_NEAR(t[3].y, (0.25 + 0.515625) / 1.5 * 150, 1e-3);
  const std::vector<cv::Point2f> t0 = DlibChipTemplate(100, 0.0);
  EXPECT_NEAR(t0[3].x, 49.0127, 1e-3);
}

TEST(MeshAlignment, CorrespondenceLandsOnTheRightFeatures) {
  // The correspondence keeps the person's right eye on the image left (mesh
  // 33 = dlib 36, 263 = dlib 45), the nose tip (4 = 30), and the mouth
  // corners (61 = 48, 291 = 54); 27 is the mean of mesh 168 and 6.
  FaceMeshResult mesh;
  mesh.points.assign(FaceMeshResult::kPoints, Point3f{});
  mesh.points[33] = {10, 1, 0};
  mesh.points[263] = {20, 2, 0};
  mesh.points[4] = {30, 3, 0};
  mesh.points[61] = {40, 4, 0};
  mesh.points[291] = {50, 5, 0};
  mesh.points[168] = {60, 6, 0};
  mesh.points[6] = {80, 8, 0};
  EXPECT_EQ(DlibPointFromMesh(mesh, 36), cv::Point2f(10, 1));
  EXPECT_EQ(DlibPointFromMesh(mesh, 45), cv::Point2f(20, 2));
  EXPECT_EQ(DlibPointFromMesh(mesh, 30), cv::Point2f(30, 3));
  EXPECT_EQ(DlibPointFromMesh(mesh, 48), cv::Point2f(40, 4));
  EXPECT_EQ(DlibPointFromMesh(mesh, 54), cv::Point2f(50, 5));
  EXPECT_EQ(DlibPointFromMesh(mesh, 27), cv::Point2f(70, 7));
}

TEST(MeshAlignment, AKnownSimilarityOfTheTemplateIsAlignedBackToIt) {
  // A synthetic face: the 33 template points rotated by -25 degrees, scaled
  // 1.7x and shifted into a 400x400 image, written into a mesh through the
  // correspondence. The fitted transform must map them back onto the template.
  const int size = 150;
  const std::vector<cv::Point2f> tmpl = DlibChipTemplate(size, 0.25);
  const double angle = -25.0 * CV_PI / 180.0, scale = 1.7;
  const cv::Point2f shift(120, 160);
  std::vector<cv::Point2f> in_image;
  for (const cv::Point2f& p : tmpl) in_image.push_back(ToImage(p, angle, scale, shift));
  const FaceMeshResult mesh = SyntheticMesh(in_image);
  const std::vector<cv::Point2f> read = Mesh68Points(mesh, 1.0, 1.0);
  ASSERT_EQ(read.size(), tmpl.size());
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_NEAR(read[i].x, in_image[i].x, 1e-3) << i;
    EXPECT_NEAR(read[i].y, in_image[i].y, 1e-3) << i;
  }
  const cv::Mat m = EstimateSimilarity(read, tmpl);
  for (size_t i = 0; i < read.size(); ++i) {
    const cv::Point2f q = Apply(m, read[i]);
    EXPECT_NEAR(q.x, tmpl[i].x, 1e-2) << i;
    EXPECT_NEAR(q.y, tmpl[i].y, 1e-2) << i;
  }
  // The raster scale: a mesh in original pixels twice the raster's.
  FaceMeshResult doubled = mesh;
  for (Point3f& p : doubled.points) p = {2 * p.x, 2 * p.y, p.z};
  const std::vector<cv::Point2f> halved = Mesh68Points(doubled, 2.0, 2.0);
  for (size_t i = 0; i < read.size(); ++i) EXPECT_NEAR(cv::norm(halved[i] - read[i]), 0.0, 1e-3);

  // The image itself: a bright dot at the nose tip (dlib 30) and at the outer
  // eye corners (36, 45) must appear at their template positions in the chip.
  cv::Mat img(400, 400, CV_8UC3, cv::Scalar::all(0));
  for (size_t i : {size_t{3}, size_t{9}, size_t{18}}) {
    cv::circle(img, in_image[i], 3, cv::Scalar::all(255), cv::FILLED, cv::LINE_AA);
  }
  const cv::Mat chip = AlignToPoints(img, read, tmpl, size);
  ASSERT_EQ(chip.size(), cv::Size(size, size));
  cv::Mat gray;
  cv::cvtColor(chip, gray, cv::COLOR_BGR2GRAY);
  for (size_t i : {size_t{3}, size_t{9}, size_t{18}}) {
    // The dot's centroid in a window around the template point.
    const cv::Rect win(static_cast<int>(tmpl[i].x) - 6, static_cast<int>(tmpl[i].y) - 6, 13, 13);
    const cv::Moments mo = cv::moments(gray(win));
    ASSERT_GT(mo.m00, 0) << i;
    EXPECT_NEAR(win.x + mo.m10 / mo.m00, tmpl[i].x, 0.6) << i;
    EXPECT_NEAR(win.y + mo.m01 / mo.m00, tmpl[i].y, 0.6) << i;
  }
}

TEST(MeshAlignment, NoisyMeshPointsStillAlignCloseToTheTemplate) {
  // Independent noise of 1.5 px (sd) on every point at scale 1: the least-
  // squares fit over 33 points keeps the chip's corners (about 100 px from
  // the points' centre) within a few pixels; one point's noise alone moves
  // the 5-point fit more.
  const std::vector<cv::Point2f> tmpl = DlibChipTemplate(150, 0.25);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 1.5f);
  std::vector<cv::Point2f> in_image;
  const double angle = 0.3;
  for (const cv::Point2f& p : tmpl) {
    in_image.push_back(ToImage(p, angle, 1.0, {50, 20}) + cv::Point2f(noise(rng), noise(rng)));
  }
  const cv::Mat m = EstimateSimilarity(Mesh68Points(SyntheticMesh(in_image), 1, 1), tmpl);
  // Compare with the exact inverse: the chip corners land within 3 px.
  for (cv::Point2f corner : {cv::Point2f(0, 0), cv::Point2f(150, 0), cv::Point2f(0, 150), cv::Point2f(150, 150)}) {
    const cv::Point2f q = Apply(m, ToImage(corner, angle, 1.0, {50, 20}));
    EXPECT_LT(cv::norm(q - corner), 3.0) << corner;
  }
}

TEST(MeshAlignment, FivePointsFromTheMesh) {
  FaceMeshResult mesh;
  mesh.points.assign(FaceMeshResult::kPoints, Point3f{});
  mesh.points[4] = {50, 60, 0};
  mesh.points[61] = {40, 80, 0};
  mesh.points[291] = {62, 81, 0};
  // Without the iris model: the eye contour's mean.
  for (int i : {33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173}) {
    mesh.points[static_cast<size_t>(i)] = {30, 40, 0};
  }
  for (int i : {263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398}) {
    mesh.points[static_cast<size_t>(i)] = {70, 41, 0};
  }
  std::vector<cv::Point2f> p = Mesh5Points(mesh, 1, 1);
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0], cv::Point2f(30, 40));
  EXPECT_EQ(p[1], cv::Point2f(70, 41));
  EXPECT_EQ(p[2], cv::Point2f(50, 60));
  EXPECT_EQ(p[3], cv::Point2f(40, 80));
  EXPECT_EQ(p[4], cv::Point2f(62, 81));
  // With it: the iris centres (468 for the image-left eye, 473 the other).
  mesh.iris.assign(FaceMeshResult::kIrisPoints, Point3f{});
  mesh.iris[0] = {31, 39, 0};
  mesh.iris[5] = {69, 42, 0};
  p = Mesh5Points(mesh, 2, 2);
  EXPECT_EQ(p[0], cv::Point2f(15.5f, 19.5f));
  EXPECT_EQ(p[1], cv::Point2f(34.5f, 21));
}

}  // namespace
}  // namespace facekit::face
