// FaceMesh (MediaPipe Face Mesh + Iris from @vladmandic/human): the imported
// graphs against the plain TF.js reference interpreter, the mesh on real
// photos against MTCNN's eye landmarks and the 5-point pose, what the eye
// openness does when eyelids close, EyeLandmarks (the iris model placed from
// the detector's eye points) against the mesh path, the face engine without
// the mesh, and corrupt model files.
#include "facekit/face_mesh.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "eval/face_animation.h"
#include "face/face_mesh_crop.h"
#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"
#include "runtime/tfjs_model.h"
#include "runtime/tfjs_reference.h"
#include "attribute_test_util.h"
#include "test_util.h"

namespace facekit {
namespace {

namespace fs = std::filesystem;
using testing::RefTensor;

const FaceMesh& SharedMesh() { return testing::SharedFaceMesh(); }

// The first 3 photos of each person in faces/lfw-original-250 (30 unaligned photos).
std::vector<std::string> Photos() {
  std::vector<std::string> people, photos;
  for (const auto& e : fs::directory_iterator(testing::DataDir() + "/faces/lfw-original-250")) {
    people.push_back(e.path().string());
  }
  std::sort(people.begin(), people.end());
  for (const std::string& p : people) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(p)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i < 3 && i < files.size(); ++i) photos.push_back(files[i]);
  }
  return photos;
}

// The first face of each of Photos() (photos without one are left out).
struct PhotoFace {
  std::string path;
  Image image;
  FaceBox face;
};
std::vector<PhotoFace> FirstFaces() {
  std::vector<PhotoFace> out;
  for (const std::string& path : Photos()) {
    Image img = testing::MustLoad(path);
    auto faces = testing::SharedEngine().Detect(img);
    EXPECT_TRUE(faces.ok()) << path;
    if (faces.ok() && !faces->empty()) out.push_back({path, std::move(img), (*faces)[0]});
  }
  return out;
}

Point2f EyeCentre(const std::vector<Point3f>& m, const face::EyeContour& e) {
  float x = 0, y = 0;
  for (int i : e.lower) x += m[static_cast<size_t>(i)].x, y += m[static_cast<size_t>(i)].y;
  for (int i : e.upper) x += m[static_cast<size_t>(i)].x, y += m[static_cast<size_t>(i)].y;
  const float n = static_cast<float>(e.lower.size() + e.upper.size());
  return {x / n, y / n};
}

// ---- the imported graphs against the reference interpreter ----

void ExpectMatchesReference(const std::string& role, const std::string& photo, int side) {
  auto manifest = runtime::ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  const runtime::ManifestModel* mm = manifest->FindRole(role);
  ASSERT_NE(mm, nullptr) << role;
  auto tfjs = runtime::TfjsModel::Load(manifest->FilePath(mm->source_file));
  ASSERT_TRUE(tfjs.ok()) << tfjs.status().ToString();
  auto net = runtime::DnnModel::Load(manifest->FilePath(mm->file));
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  Image img = testing::MustLoad(testing::Photo(photo));
  cv::Mat rgb, small;
  cv::cvtColor(AsMat(img), rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  RefTensor in{{1, side, side, 3}, {}};
  const int sizes[] = {1, 3, side, side};
  cv::Mat blob(4, sizes, CV_32F);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = small.at<cv::Vec3b>(y, x)[c] / 255.f;
        in.data.push_back(v);
        blob.ptr<float>(0, c, y)[x] = v;
      }
  std::vector<std::string> outputs;
  for (const auto& [meaning, name] : mm->outputs) outputs.push_back(name);
  auto ref = testing::RunTfjsReference(*tfjs, {{mm->input_name, in}}, outputs);
  auto out = (*net)->Run(blob, outputs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const RefTensor& r = ref[outputs[i]];
    ASSERT_EQ((*out)[i].total(), r.data.size()) << outputs[i];
    float largest = 0;
    for (float v : r.data) largest = std::max(largest, std::fabs(v));
    const float diff = testing::MaxDiff((*out)[i], r);
    std::printf("%s %s: max |onnx - reference| %.3g, largest |value| %.3g\n", role.c_str(), outputs[i].c_str(),
                static_cast<double>(diff), static_cast<double>(largest));
    EXPECT_LT(diff, 1e-5f * std::max(1.f, largest)) << role << " " << outputs[i];
  }
}

TEST(FaceMeshImport, MeshGraphMatchesReference) { ExpectMatchesReference("landmarks.mesh", "obama.jpg", 192); }
TEST(FaceMeshImport, IrisGraphMatchesReference) { ExpectMatchesReference("landmarks.iris", "obama.jpg", 64); }

// ---- on real photos ----

TEST(FaceMesh, EyePointsLandOnMtcnnsEyesAndPoseAgreesWithFivePoints) {
  int n = 0, pose_checked = 0;
  double sum = 0;
  for (const PhotoFace& p : FirstFaces()) {
    SCOPED_TRACE(p.path);
    const Image& img = p.image;
    const FaceBox& f = p.face;
    auto mesh = SharedMesh().Run(img, f);
    ASSERT_TRUE(mesh.ok()) << mesh.status().ToString();
    ASSERT_EQ(mesh->points.size(), 468u);
    EXPECT_TRUE(mesh->eyes_refined);
    EXPECT_GT(mesh->confidence, 0.9f);
    const float iod = std::hypot(f.landmarks[1].x - f.landmarks[0].x, f.landmarks[1].y - f.landmarks[0].y);
    const Point2f right = EyeCentre(mesh->points, face::kRightEyeContour);  // left in the image
    const Point2f left = EyeCentre(mesh->points, face::kLeftEyeContour);
    const float e0 = std::hypot(right.x - f.landmarks[0].x, right.y - f.landmarks[0].y) / iod;
    const float e1 = std::hypot(left.x - f.landmarks[1].x, left.y - f.landmarks[1].y) / iod;
    EXPECT_LT(std::max(e0, e1), 0.25f);  // the eye contour's centre vs MTCNN's pupil point
    sum += std::max(e0, e1);
    ++n;
    auto pose = MeshHeadPose(mesh->points);
    auto q = testing::SharedEngine().Quality(img, f);
    ASSERT_TRUE(pose.ok() && q.ok());
    if (std::fabs(q->yaw) >= 10.f) {  // clearly turned: same side, similar angle
      EXPECT_GT(pose->yaw * q->yaw, 0.f) << pose->yaw << " vs " << q->yaw;
      EXPECT_LT(std::fabs(pose->yaw - q->yaw), 12.f) << pose->yaw << " vs " << q->yaw;
      ++pose_checked;
    }
    EXPECT_LT(std::fabs(pose->roll - q->roll), 8.f) << pose->roll << " vs " << q->roll;
  }
  EXPECT_GE(n, 28);
  EXPECT_GE(pose_checked, 10);
  EXPECT_LT(sum / n, 0.1);  // measured 0.058 at crop_scale 1.4
}

TEST(FaceMesh, LowConfidenceWhereThereIsNoFace) {
  Image img = testing::MustLoad(testing::Photo("white.png"));
  FaceBox box;
  box.x = 40, box.y = 40, box.width = 120, box.height = 120;
  box.landmarks = {{{70, 80}, {130, 80}, {100, 110}, {75, 130}, {125, 130}}};
  auto mesh = SharedMesh().Run(img, box);
  ASSERT_TRUE(mesh.ok()) << mesh.status().ToString();
  EXPECT_LT(mesh->confidence, SharedMesh().min_confidence());
}

TEST(FaceMesh, EyeOpennessFallsWhenTheEyelidsClose) {
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto open = SharedMesh().Run(img, (*faces)[0]);
  ASSERT_TRUE(open.ok());
  auto open_eyes = MeshEyeOpenness(open->points);
  ASSERT_TRUE(open_eyes.ok());
  EXPECT_GT(open_eyes->mean(), 0.15f);
  cv::Mat shut = AsMat(img).clone();
  eval::CloseEyelids(shut, open->points, 1.f);
  const Image closed = ImageFromMat(shut);
  auto again = testing::SharedEngine().Detect(closed);
  ASSERT_TRUE(again.ok() && !again->empty());
  auto closed_mesh = SharedMesh().Run(closed, (*again)[0]);
  ASSERT_TRUE(closed_mesh.ok());
  auto closed_eyes = MeshEyeOpenness(closed_mesh->points);
  ASSERT_TRUE(closed_eyes.ok());
  EXPECT_LT(closed_eyes->mean(), 0.6f * open_eyes->mean()) << open_eyes->mean() << " -> " << closed_eyes->mean();
}

TEST(FaceMesh, MeasuresNeedAWholeMesh) {
  std::vector<Point3f> few(10);
  auto eyes = MeshEyeOpenness(few);
  ASSERT_FALSE(eyes.ok());
  EXPECT_EQ(eyes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(MeshHeadPose(few).ok());
}

TEST(FaceMesh, CropMapsInputPixelsBackToTheImage) {
  FaceBox box;
  box.x = 100, box.y = 50, box.width = 80, box.height = 100;
  box.landmarks[0] = {120, 90};
  box.landmarks[1] = {160, 130};  // eyes at 45 degrees
  const face::MeshCrop c = face::MeshCropFor(box, 1.5f, true, 192);
  EXPECT_FLOAT_EQ(c.side, 150.f);
  EXPECT_NEAR(c.angle, M_PI / 4, 1e-6);
  const Point3f centre = c.ToImage(96, 96, 10);
  EXPECT_NEAR(centre.x, 140, 1e-4);
  EXPECT_NEAR(centre.y, 100, 1e-4);
  EXPECT_NEAR(centre.z, 10 * 150.f / 192, 1e-4);
  const cv::Mat a = c.CropToImage();
  const float u = 10, v = 170;
  const Point3f p = c.ToImage(u, v, 0);
  EXPECT_NEAR(a.at<double>(0, 0) * u + a.at<double>(0, 1) * v + a.at<double>(0, 2), p.x, 1e-3);
  EXPECT_NEAR(a.at<double>(1, 0) * u + a.at<double>(1, 1) * v + a.at<double>(1, 2), p.y, 1e-3);
}

// ---- the engine without the mesh; a models folder without it ----

// A models folder whose manifest lacks the landmark models (files shared by a link).
std::string ModelsWithoutMesh(const testing::TempDir& dir) {
  auto text = ReadFileBytes(testing::ModelsDir() + "/manifest.json");
  EXPECT_TRUE(text.ok());
  nlohmann::json m = nlohmann::json::parse(text.ok() ? std::string(text->begin(), text->end()) : "{}");
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& model : m["models"]) {
    if (model["role"].get<std::string>().rfind("landmarks.", 0) != 0) kept.push_back(model);
  }
  m["models"] = kept;
  std::ofstream(dir.file("manifest.json")) << m.dump(2);
  fs::create_directory_symlink(fs::absolute(testing::ModelsDir() + "/files"), dir.file("files"));
  return dir.path();
}

TEST(FaceMesh, EngineWorksWithoutItAndItSaysWhatIsMissing) {
  testing::TempDir dir;
  const std::string models = ModelsWithoutMesh(dir);
  EngineOptions eo;
  eo.models_dir = models;
  auto engine = FaceEngine::Create(eo);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto faces = (*engine)->Detect(testing::MustLoad(testing::Photo("obama.jpg")));
  ASSERT_TRUE(faces.ok());
  EXPECT_EQ(faces->size(), 1u);
  FaceMeshOptions mo;
  mo.models_dir = models;
  auto mesh = FaceMesh::Create(mo);
  ASSERT_FALSE(mesh.ok());
  EXPECT_EQ(mesh.status().code(), StatusCode::kNotFound);
  EXPECT_NE(mesh.status().message().find("landmarks.mesh"), std::string::npos);
}

// ---- EyeLandmarks: the iris model on crops from the detector's landmarks ----

const EyeLandmarks& SharedEyes() { return testing::SharedEyeLandmarks(); }

TEST(EyeLandmarks, LidsAgreeWithTheMeshRefinedEyelids) {
  // The same iris model, its crops placed from MTCNN's two eye points instead
  // of the mesh's eye corners: the lids it finds must be the mesh path's.
  int n = 0;
  double sum = 0, ratio_gap = 0;
  for (const PhotoFace& p : FirstFaces()) {
    SCOPED_TRACE(p.path);
    const FaceBox& f = p.face;
    auto mesh = SharedMesh().Run(p.image, f);
    auto eyes = SharedEyes().Run(p.image, f);
    ASSERT_TRUE(mesh.ok() && eyes.ok());
    const float iod = std::hypot(f.landmarks[1].x - f.landmarks[0].x, f.landmarks[1].y - f.landmarks[0].y);
    for (std::size_t e = 0; e < 2; ++e) {
      const face::EyeContour& c = e == 0 ? face::kRightEyeContour : face::kLeftEyeContour;
      ASSERT_EQ(eyes->lids[e].size(), 16u);
      ASSERT_EQ(eyes->iris[e].size(), 5u);
      double d = 0;
      for (std::size_t i = 0; i < 16; ++i) {
        const int m = i < 9 ? c.lower[i] : c.upper[i - 9];
        const Point3f& a = eyes->lids[e][i];
        const Point3f& b = mesh->points[static_cast<std::size_t>(m)];
        d += std::hypot(a.x - b.x, a.y - b.y);
      }
      d /= 16 * iod;
      EXPECT_LT(d, 0.15) << "eye " << e;  // measured up to 0.096 (LFW eyes are 10-20 px wide)
      sum += d;
      ++n;
    }
    auto mesh_eyes = MeshEyeOpenness(mesh->points);
    ASSERT_TRUE(mesh_eyes.ok());
    ratio_gap += std::fabs(std::min(eyes->right_ratio, eyes->left_ratio) - std::min(mesh_eyes->right, mesh_eyes->left));
  }
  ASSERT_GE(n, 56);
  EXPECT_LT(sum / n, 0.04);  // measured 0.029
  EXPECT_LT(ratio_gap / (n / 2), 0.03);
}

TEST(EyeLandmarks, RatiosFallWhenTheEyelidsClose) {
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto open = SharedEyes().Run(img, (*faces)[0]);
  ASSERT_TRUE(open.ok());
  EXPECT_GT(std::min(open->right_ratio, open->left_ratio), kEyesOpenMinRatio);
  auto mesh = SharedMesh().Run(img, (*faces)[0]);
  ASSERT_TRUE(mesh.ok());
  cv::Mat shut = AsMat(img).clone();
  eval::CloseEyelids(shut, mesh->points, 1.f);
  const Image closed = ImageFromMat(shut);
  auto again = testing::SharedEngine().Detect(closed);
  ASSERT_TRUE(again.ok() && !again->empty());
  auto shut_eyes = SharedEyes().Run(closed, (*again)[0]);
  ASSERT_TRUE(shut_eyes.ok());
  EXPECT_LT(std::max(shut_eyes->right_ratio, shut_eyes->left_ratio), kEyesOpenMinRatio)
      << shut_eyes->right_ratio << " " << shut_eyes->left_ratio;
}

TEST(EyeLandmarks, PointsAreInOriginalPixelsWhenTheImageIsDecodedSmaller) {
  const std::string path = testing::Photo("obama.jpg");
  Image full = testing::MustLoad(path);
  ImageLimits small;
  small.working_long_side = std::max(full.original_width(), full.original_height()) / 2;
  auto half = LoadImageFile(path, small);
  ASSERT_TRUE(half.ok());
  ASSERT_GT(half->scale_x(), 1.0);
  auto faces = testing::SharedEngine().Detect(full);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto a = SharedEyes().Run(full, (*faces)[0]);
  auto b = SharedEyes().Run(*half, (*faces)[0]);  // the same box, in original pixels
  ASSERT_TRUE(a.ok() && b.ok());
  const FaceBox& f = (*faces)[0];
  const float iod = std::hypot(f.landmarks[1].x - f.landmarks[0].x, f.landmarks[1].y - f.landmarks[0].y);
  for (std::size_t e = 0; e < 2; ++e) {
    const Point3f& p = a->iris[e][0];
    const Point3f& q = b->iris[e][0];
    EXPECT_LT(std::hypot(p.x - q.x, p.y - q.y), 0.05f * iod) << "eye " << e;
  }
}

TEST(EyeLandmarks, CoincidentEyeLandmarksAndEmptyImagesAreRefused) {
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  FaceBox f;
  f.x = 10, f.y = 10, f.width = 100, f.height = 100;
  f.landmarks[0] = f.landmarks[1] = {50.f, 50.f};
  auto same = SharedEyes().Run(img, f);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.status().code(), StatusCode::kInvalidArgument);
  auto empty = SharedEyes().Run(Image(), f);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kImageEmpty);
}

TEST(EyeLandmarks, WithoutTheIrisModelItSaysWhatIsMissing) {
  testing::TempDir dir;
  EyeLandmarksOptions o;
  o.models_dir = ModelsWithoutMesh(dir);
  auto eyes = EyeLandmarks::Create(o);
  ASSERT_FALSE(eyes.ok());
  EXPECT_EQ(eyes.status().code(), StatusCode::kNotFound);
  EXPECT_NE(eyes.status().message().find("landmarks.iris"), std::string::npos);
}

// ---- corrupt or truncated model files ----

TEST(FaceMesh, TruncatedOrCorruptFacemeshFilesAreRefusedWithTheFileNamed) {
  testing::TempDir dir;
  auto copy = [&](const std::string& name, std::size_t keep) {
    auto bytes = ReadFileBytes(testing::ModelsDir() + "/files/" + name);
    EXPECT_TRUE(bytes.ok());
    if (!bytes.ok()) return std::size_t{0};
    std::ofstream(dir.file(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes->data()),
               static_cast<std::streamsize>(std::min(keep, bytes->size())));
    return bytes->size();
  };
  const std::size_t json_size = copy("facemesh.json", SIZE_MAX);
  const std::size_t bin_size = copy("facemesh.bin", SIZE_MAX);
  ASSERT_TRUE(runtime::TfjsModel::Load(dir.file("facemesh.json")).ok());
  copy("facemesh.bin", bin_size - 100);  // a truncated weight shard
  auto short_bin = runtime::TfjsModel::Load(dir.file("facemesh.json"));
  ASSERT_FALSE(short_bin.ok());
  EXPECT_EQ(short_bin.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(short_bin.status().message().find("facemesh.bin"), std::string::npos) << short_bin.status().ToString();
  copy("facemesh.bin", SIZE_MAX);
  copy("facemesh.json", json_size / 2);  // a truncated graph
  auto short_json = runtime::TfjsModel::Load(dir.file("facemesh.json"));
  ASSERT_FALSE(short_json.ok());
  EXPECT_NE(short_json.status().message().find("facemesh.json"), std::string::npos) << short_json.status().ToString();
  {
    std::ofstream(dir.file("facemesh.json"), std::ios::trunc) << "{\"format\": \"graph-model\", \"modelTopology\": 7}";
  }
  auto wrong = runtime::TfjsModel::Load(dir.file("facemesh.json"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kModelInvalid);
}

}  // namespace
}  // namespace facekit
