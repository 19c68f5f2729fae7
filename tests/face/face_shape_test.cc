// The cloud API's face contours from the face mesh (facekit/face_shape.h):
// the tables (counts the SDK model files name, indices in range, no point
// twice in a group, every one of the 68 iBUG points placed), the mapping on
// real photos (left eye left of right eye, pupils inside their eyes, brows
// above eyes, mouth below nose, the profile's ends at the sides), the pupil
// fallback without the iris model, the 68-point parser and the NME.
#include "facekit/face_shape.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <opencv2/imgproc.hpp>
#include <set>

#include "eval/landmark_eval.h"
#include "attribute_test_util.h"
#include "test_util.h"

namespace facekit {
namespace {

const FaceMesh& Mesh() { return testing::SharedFaceMesh(); }

const ShapeGroup& Group(const std::vector<ShapeGroup>& s, std::string_view name) {
  const auto it = std::find_if(s.begin(), s.end(), [&](const ShapeGroup& g) { return g.name == name; });
  if (it == s.end()) {
    ADD_FAILURE() << "no group " << name;
    std::abort();
  }
  return *it;
}

Point2f Mean(const ShapeGroup& g) {
  Point2f c;
  for (const Point2f& p : g.points) c.x += p.x, c.y += p.y;
  return {c.x / static_cast<float>(g.points.size()), c.y / static_cast<float>(g.points.size())};
}

bool Inside(const ShapeGroup& contour, const Point2f& p) {
  std::vector<cv::Point2f> poly;
  for (const Point2f& q : contour.points) poly.emplace_back(q.x, q.y);
  return cv::pointPolygonTest(poly, cv::Point2f(p.x, p.y), false) >= 0;
}

TEST(FaceShapeTables, HaveTheCountsOfTheSdkModelFiles) {
  // tencentcloud-sdk-nodejs iai_models.d.ts, FaceShape (both versions).
  const std::map<std::string_view, std::size_t> expected = {
      {"FaceProfile", 21}, {"LeftEye", 8},  {"RightEye", 8},  {"LeftEyeBrow", 8}, {"RightEyeBrow", 8},
      {"Mouth", 22},       {"Nose", 13},    {"LeftPupil", 1}, {"RightPupil", 1}};
  std::size_t total = 0;
  ASSERT_EQ(FaceShapeGroups().size(), expected.size());
  for (const ShapeGroupSpec& g : FaceShapeGroups()) {
    ASSERT_TRUE(expected.count(g.name)) << g.name;
    EXPECT_EQ(g.mesh.size(), expected.at(g.name)) << g.name;
    total += g.mesh.size();
  }
  EXPECT_EQ(total, 90u);
}

TEST(FaceShapeTables, IndicesAreInRangeAndDistinctWithinAGroup) {
  for (auto groups : {FaceShapeGroups(), DenseFaceShapeGroups()}) {
    for (const ShapeGroupSpec& g : groups) {
      std::set<int> seen;
      for (int i : g.mesh) {
        EXPECT_GE(i, 0) << g.name;
        EXPECT_LT(i, FaceMeshResult::kPoints + FaceMeshResult::kIrisPoints) << g.name;
        EXPECT_TRUE(seen.insert(i).second) << g.name << " repeats " << i;
      }
    }
  }
  const std::set<std::string_view> dense_names = {"LeftEye",      "RightEye",    "LeftEyeBrow", "RightEyeBrow",
                                                  "MouthOutside", "MouthInside", "Nose",        "LeftPupil",
                                                  "RightPupil",   "CentralAxis", "Chin",        "LeftEyeBags",
                                                  "RightEyeBags", "Forehead"};
  std::set<std::string_view> names;
  for (const ShapeGroupSpec& g : DenseFaceShapeGroups()) names.insert(g.name);
  EXPECT_EQ(names, dense_names);
}

TEST(FaceShapeTables, EveryIbug68PointHasAFaceShapePoint) {
  const auto table = Ibug68ToFaceShape();
  ASSERT_EQ(table.size(), 68u);
  std::set<std::pair<std::string_view, int>> used;
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_GE(table[i].index, 0) << "iBUG point " << i;
    EXPECT_TRUE(used.insert({table[i].group, table[i].index}).second) << "iBUG point " << i << " reuses a point";
  }
  EXPECT_EQ(table[36].group, "LeftEye");  // the image-left eye's outer corner
  EXPECT_EQ(table[36].index, 0);
  EXPECT_EQ(table[45].group, "RightEye");
  EXPECT_EQ(table[8].group, "FaceProfile");
  EXPECT_EQ(table[8].index, 10);  // the chin, the profile's middle point
}

TEST(FaceShape, TooFewMeshPointsIsAnError) {
  FaceMeshResult m;
  m.points.resize(10);
  EXPECT_EQ(MapFaceShape(m).status().code(), StatusCode::kInvalidArgument);
}

TEST(FaceShape, OrderingIsSaneOnRealPhotos) {
  for (const char* name : {"obama.jpg", "obama2.jpg", "biden.jpg"}) {
    SCOPED_TRACE(name);
    const Image image = testing::MustLoad(testing::Photo(name));
    auto faces = testing::SharedEngine().Detect(image);
    ASSERT_TRUE(faces.ok() && !faces->empty());
    auto mesh = Mesh().Run(image, faces->front());
    ASSERT_TRUE(mesh.ok()) << mesh.status().ToString();
    ASSERT_EQ(mesh->iris.size(), static_cast<std::size_t>(FaceMeshResult::kIrisPoints));
    auto s = MapFaceShape(*mesh);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    const ShapeGroup& le = Group(*s, "LeftEye");
    const ShapeGroup& re = Group(*s, "RightEye");
    EXPECT_LT(Mean(le).x, Mean(re).x);
    for (const Point2f& p : le.points) EXPECT_LT(p.x, Mean(re).x);
    EXPECT_TRUE(Inside(le, Group(*s, "LeftPupil").points[0]));
    EXPECT_TRUE(Inside(re, Group(*s, "RightPupil").points[0]));
    EXPECT_FALSE(Inside(le, Group(*s, "RightPupil").points[0]));
    EXPECT_LT(Mean(Group(*s, "LeftEyeBrow")).y, Mean(le).y);
    EXPECT_LT(Mean(Group(*s, "RightEyeBrow")).y, Mean(re).y);
    EXPECT_LT(Mean(Group(*s, "LeftEyeBrow")).x, Mean(Group(*s, "RightEyeBrow")).x);
    EXPECT_GT(Mean(Group(*s, "Mouth")).y, Mean(Group(*s, "Nose")).y);
    EXPECT_GT(Mean(Group(*s, "Nose")).y, Mean(le).y);
    // The left eye's first point is its left corner; the upper lid comes before the lower.
    EXPECT_LT(le.points[0].x, le.points[4].x);
    EXPECT_LT(le.points[2].y, le.points[6].y);
    // The profile runs from the image's left over the chin (lowest point) to its right.
    const ShapeGroup& profile = Group(*s, "FaceProfile");
    EXPECT_LT(profile.points.front().x, Mean(le).x);
    EXPECT_GT(profile.points.back().x, Mean(re).x);
    const auto lowest = std::max_element(profile.points.begin(), profile.points.end(),
                                         [](const Point2f& a, const Point2f& b) { return a.y < b.y; });
    EXPECT_NEAR(static_cast<double>(lowest - profile.points.begin()), 10.0, 1.0);
    // Every point within the face box enlarged 1.5x.
    const FaceBox& b = faces->front();
    for (const ShapeGroup& g : *s) {
      for (const Point2f& p : g.points) {
        EXPECT_GT(p.x, b.x - b.width / 4) << g.name;
        EXPECT_LT(p.x, b.x + b.width * 1.25f) << g.name;
        EXPECT_GT(p.y, b.y - b.height / 4) << g.name;
        EXPECT_LT(p.y, b.y + b.height * 1.25f) << g.name;
      }
    }
    // Dense: the outer mouth goes counter-clockwise from the left corner (down first).
    auto d = MapDenseFaceShape(*mesh);
    ASSERT_TRUE(d.ok());
    const ShapeGroup& mo = Group(*d, "MouthOutside");
    EXPECT_GT(mo.points[5].y, mo.points[15].y);
    EXPECT_TRUE(Inside(Group(*d, "LeftEye"), Group(*d, "LeftPupil").points[0]));
    EXPECT_LT(Group(*d, "Forehead").points[6].y, Mean(Group(*d, "LeftEyeBrow")).y);
  }
}

TEST(FaceShape, WithoutTheIrisModelThePupilIsTheEyeCentre) {
  const Image image = testing::MustLoad(testing::Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(image);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto mesh = Mesh().Run(image, faces->front());
  ASSERT_TRUE(mesh.ok());
  FaceMeshResult no_iris = *mesh;
  no_iris.iris.clear();
  auto s = MapFaceShape(no_iris);
  ASSERT_TRUE(s.ok());
  const Point2f p = Group(*s, "LeftPupil").points[0];
  EXPECT_TRUE(Inside(Group(*s, "LeftEye"), p));
  // The iris model's centre is within a fifth of the eye's width of it.
  auto with = MapFaceShape(*mesh);
  ASSERT_TRUE(with.ok());
  const ShapeGroup& le = Group(*with, "LeftEye");
  const float eye_width = le.points[4].x - le.points[0].x;
  const Point2f q = Group(*with, "LeftPupil").points[0];
  EXPECT_LT(std::hypot(p.x - q.x, p.y - q.y), eye_width / 5);
}

TEST(LandmarkEval, ParsesPartsAndMeasuresNme) {
  const std::string xml =
      "<dataset><images><image file='a.jpg'><box top='0' left='0' width='100' height='100'>"
      "<part name='00' x='1' y='2'/><part name='67' x='3' y='4'/></box></image></images></dataset>";
  auto parsed = eval::ParseImglabXml(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ((*parsed)[0].box_parts.size(), 1u);
  ASSERT_EQ((*parsed)[0].box_parts[0].size(), 2u);
  EXPECT_EQ((*parsed)[0].box_parts[0][1].index, 67);
  EXPECT_FLOAT_EQ((*parsed)[0].box_parts[0][1].y, 4.f);
  EXPECT_FALSE(eval::ParseImglabXml("<dataset><images><image file='a.jpg'><box top='0' left='0' width='9' "
                                    "height='9'><part name='x' x='1' y='2'/></box></image></images></dataset>")
                   .ok());
  // A FaceShape built from the 68 annotated points (each placed where its
  // correspondence says) has NME 0; moving every point by 10 % of the
  // inter-ocular distance gives 0.1.
  std::vector<eval::BoxPart> parts;
  for (int i = 0; i < 68; ++i) parts.push_back({i, 10.f + static_cast<float>(i % 17) * 7, 20.f + (i / 17) * 9.f});
  std::vector<ShapeGroup> shape;
  for (const ShapeGroupSpec& g : FaceShapeGroups()) shape.push_back({g.name, std::vector<Point2f>(g.mesh.size())});
  const auto table = Ibug68ToFaceShape();
  for (int i = 0; i < 68; ++i) {
    for (ShapeGroup& g : shape) {
      if (g.name == table[static_cast<std::size_t>(i)].group) {
        g.points[static_cast<std::size_t>(table[static_cast<std::size_t>(i)].index)] = {parts[static_cast<std::size_t>(i)].x, parts[static_cast<std::size_t>(i)].y};
      }
    }
  }
  auto exact = eval::FaceShapeError(parts, shape);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_NEAR(exact->nme, 0.0, 1e-9);
  const float iod = std::hypot(parts[36].x - parts[45].x, parts[36].y - parts[45].y);
  for (ShapeGroup& g : shape) {
    for (Point2f& p : g.points) p.x += 0.1f * iod;
  }
  auto moved = eval::FaceShapeError(parts, shape);
  ASSERT_TRUE(moved.ok());
  EXPECT_NEAR(moved->nme, 0.1, 1e-5);
  EXPECT_NEAR(moved->group_nme.at("Mouth"), 0.1, 1e-5);
  ASSERT_EQ(moved->point_error.size(), 68u);
  EXPECT_NEAR(moved->point_error[8], 0.1, 1e-5);
  const eval::LandmarkReport report = eval::SummariseLandmarks({*exact, *moved}, 3);
  EXPECT_EQ(report.found, 2);
  EXPECT_NEAR(report.nme, 0.05, 1e-5);
  EXPECT_NEAR(report.point_nme[30], 0.05, 1e-5);
  EXPECT_EQ(report.group_points.at("FaceProfile"), 17);
  parts.pop_back();
  EXPECT_FALSE(eval::FaceShapeError(parts, shape).ok());
}

}  // namespace
}  // namespace facekit
