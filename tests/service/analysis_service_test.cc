// FaceService's analysis family: AnalyzeFace / AnalyzeDenseLandmarks (face
// mesh contours, Mode, limits, errors), CompareMaskFace and
// DetectFaceSimilarity (scores, QualityControl, the similarity scale), and
// the synthetic mask of `facekit eval mask`.
#include <gtest/gtest.h>

#include <map>

#include "eval/mask_synthesis.h"
#include "image/image_internal.h"
#include "service/face_service.h"
#include "store/sqlite_store.h"
#include "attribute_test_util.h"
#include "test_util.h"

namespace facekit::service {
namespace {

using testing::Photo;

std::vector<std::uint8_t> Bytes(const std::string& path) {
  auto b = ReadFileBytes(path);
  EXPECT_TRUE(b.ok()) << path;
  return b.ok() ? std::move(*b) : std::vector<std::uint8_t>{};
}

const FaceMesh& Mesh() { return testing::SharedFaceMesh(); }

template <typename T>
std::string Code(const ApiResult<T>& r) {
  return r.ok() ? "ok" : r.error().code;
}

class AnalysisServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenSqliteStore(dir_.file("gallery.db"));
    ASSERT_TRUE(store.ok());
    gallery::GalleryOptions go;
    go.dim = testing::SharedEngine().embedding_dim();
    go.snapshot_dir = dir_.file("index");
    auto g = gallery::Gallery::Open(std::move(*store), go);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    svc_ = std::make_unique<FaceService>(testing::SharedEngine(), std::move(*g));
    svc_->SetFaceMesh(&Mesh());
  }
  AnalyzeFaceRequest Request(const std::string& photo, int mode, bool dense = false) {
    AnalyzeFaceRequest r;
    r.image = Bytes(Photo(photo));
    r.mode = mode;
    r.dense = dense;
    return r;
  }
  testing::TempDir dir_;
  std::unique_ptr<FaceService> svc_;
};

TEST_F(AnalysisServiceTest, AnalyzeFaceAnswersTheCloudGroups) {
  auto r = svc_->AnalyzeFace(Request("obama.jpg", 0));
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  const Image image = testing::MustLoad(Photo("obama.jpg"));
  EXPECT_EQ(r->image_width, image.original_width());
  EXPECT_EQ(r->image_height, image.original_height());
  EXPECT_EQ(r->face_model_version, "3.0");
  ASSERT_EQ(r->faces.size(), 1u);
  const std::map<std::string_view, std::size_t> counts = {
      {"FaceProfile", 21}, {"LeftEye", 8}, {"RightEye", 8},  {"LeftEyeBrow", 8}, {"RightEyeBrow", 8},
      {"Mouth", 22},       {"Nose", 13},   {"LeftPupil", 1}, {"RightPupil", 1}};
  ASSERT_EQ(r->faces[0].groups.size(), counts.size());
  for (const ShapeGroup& g : r->faces[0].groups) {
    EXPECT_EQ(g.points.size(), counts.at(g.name)) << g.name;
    for (const Point2f& p : g.points) {
      EXPECT_GE(p.x, 0.f);
      EXPECT_LT(p.x, static_cast<float>(r->image_width));
      EXPECT_GE(p.y, 0.f);
      EXPECT_LT(p.y, static_cast<float>(r->image_height));
    }
  }
  EXPECT_GE(r->faces[0].mesh_confidence, Mesh().min_confidence());
}

TEST_F(AnalysisServiceTest, ModeChoosesTheLargestOrEveryFaceUpToTheLimit) {
  auto all = svc_->AnalyzeFace(Request("bbt4.jpg", 0));
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_GE(all->faces.size(), 4u);
  EXPECT_LE(all->faces.size(), static_cast<std::size_t>(kAnalyzeFaceMaxFaces));
  for (std::size_t i = 1; i < all->faces.size(); ++i) {
    const Rect& a = all->faces[i - 1].rect;
    const Rect& b = all->faces[i].rect;
    EXPECT_GE(a.width * a.height, b.width * b.height) << "largest first";
  }
  auto largest = svc_->AnalyzeFace(Request("bbt4.jpg", 1));
  ASSERT_TRUE(largest.ok());
  ASSERT_EQ(largest->faces.size(), 1u);
  EXPECT_EQ(largest->faces[0].rect.x, all->faces[0].rect.x);
  auto dense = svc_->AnalyzeFace(Request("faces.jpg", 0, true));
  ASSERT_TRUE(dense.ok()) << dense.error().message;
  EXPECT_LE(dense->faces.size(), static_cast<std::size_t>(kAnalyzeDenseMaxFaces));
  EXPECT_EQ(dense->faces[0].groups.size(), DenseFaceShapeGroups().size());
}

TEST_F(AnalysisServiceTest, AnalyzeFaceErrors) {
  EXPECT_EQ(Code(svc_->AnalyzeFace(Request("obama.jpg", 2))), "InvalidParameterValue");
  EXPECT_EQ(Code(svc_->AnalyzeFace(Request("obama.jpg", -1))), "InvalidParameterValue");
  EXPECT_EQ(Code(svc_->AnalyzeFace(Request("white.png", 0))), "InvalidParameterValue.NoFaceInPhoto");
  AnalyzeFaceRequest junk;
  junk.image = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  EXPECT_EQ(Code(svc_->AnalyzeFace(junk)), "FailedOperation.ImageDecodeFailed");
  svc_->SetFaceMesh(nullptr);
  EXPECT_EQ(Code(svc_->AnalyzeFace(Request("obama.jpg", 0))), "UnsupportedOperation");
}

TEST_F(AnalysisServiceTest, CompareMaskFaceUsesTheCalibratedScore) {
  const auto a = Bytes(Photo("obama.jpg")), b = Bytes(Photo("obama2.jpg")), c = Bytes(Photo("biden.jpg"));
  auto same = svc_->CompareMaskFace(a, b, 0);
  ASSERT_TRUE(same.ok()) << same.error().message;
  auto plain = svc_->CompareFace(a, b);
  ASSERT_TRUE(plain.ok());
  EXPECT_FLOAT_EQ(same->score, plain->score);
  EXPECT_TRUE(same->is_match);
  auto other = svc_->CompareMaskFace(a, c, 0);
  ASSERT_TRUE(other.ok());
  EXPECT_LT(other->score, 40.f);
  EXPECT_FALSE(other->is_match);
  EXPECT_EQ(Code(svc_->CompareMaskFace(a, b, 5)), "InvalidParameterValue.QualityControlIllegal");
  EXPECT_EQ(Code(svc_->CompareMaskFace(a, Bytes(Photo("white.png")), 0)), "InvalidParameterValue.NoFaceInPhoto");
}

TEST_F(AnalysisServiceTest, DetectFaceSimilarityPlaces70AtTheCompareScore50) {
  EXPECT_FLOAT_EQ(SimilarityScoreOf(0), 0);
  EXPECT_FLOAT_EQ(SimilarityScoreOf(kSimilarityAnchorCompareScore), kSimilarityMatchScore);
  EXPECT_FLOAT_EQ(SimilarityScoreOf(100), 100);
  EXPECT_FLOAT_EQ(SimilarityScoreOf(120), 100);
  for (float s = 0; s < 100; s += 0.5f) EXPECT_LT(SimilarityScoreOf(s), SimilarityScoreOf(s + 0.5f)) << s;
  const auto a = Bytes(Photo("obama.jpg")), b = Bytes(Photo("obama2.jpg")), c = Bytes(Photo("biden.jpg"));
  auto same = svc_->DetectFaceSimilarity(a, b, 0);
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_GE(same->score, kSimilarityMatchScore);
  EXPECT_FLOAT_EQ(same->score, SimilarityScoreOf(same->compare_score));
  auto other = svc_->DetectFaceSimilarity(a, c, 0);
  ASSERT_TRUE(other.ok());
  EXPECT_LT(other->score, kSimilarityMatchScore);
  EXPECT_EQ(Code(svc_->DetectFaceSimilarity(a, b, -1)), "InvalidParameterValue.QualityControlIllegal");
  EXPECT_EQ(Code(svc_->DetectFaceSimilarity(a, {}, 0)), "InvalidParameterValue.ImageEmpty");
}

TEST(SyntheticMask, CoversMouthAndNoseTipButNotTheEyes) {
  Image image = testing::MustLoad(Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(image);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto mesh = Mesh().Run(image, faces->front());
  ASSERT_TRUE(mesh.ok());
  const Image before = image;
  std::mt19937 rng(7);
  ASSERT_TRUE(eval::DrawSyntheticMask(image, *mesh, rng).ok());
  auto changed = [&](int mesh_index) {
    const Point3f& p = mesh->points[static_cast<std::size_t>(mesh_index)];
    const cv::Vec3b x = AsMat(before).at<cv::Vec3b>(cvRound(p.y), cvRound(p.x));
    const cv::Vec3b y = AsMat(image).at<cv::Vec3b>(cvRound(p.y), cvRound(p.x));
    return x != y;
  };
  EXPECT_TRUE(changed(13));    // upper inner lip
  EXPECT_TRUE(changed(1));     // nose tip
  EXPECT_TRUE(changed(17));    // lower lip
  EXPECT_FALSE(changed(159));  // right eye's upper lid
  EXPECT_FALSE(changed(386));  // left eye's upper lid
  EXPECT_FALSE(changed(10));   // forehead
  // The same seed draws the same mask.
  Image again = before;
  std::mt19937 rng2(7);
  ASSERT_TRUE(eval::DrawSyntheticMask(again, *mesh, rng2).ok());
  EXPECT_EQ(again.bgr, image.bgr);
}

}  // namespace
}  // namespace facekit::service
