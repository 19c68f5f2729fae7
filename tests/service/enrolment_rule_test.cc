// The enrolment rule on attributes (docs/attributes.md): a QualityControl at
// or above ServiceOptions::eyes_open_quality_control refuses a face whose
// eyes are closed, when the service can see eyes (the iris model on crops
// from the detector's landmarks, as serve runs it, or the face mesh); below
// it, or without either, the same photo is enrolled. The closed eyes are painted over a real
// photo along its own eyelid contours (eval::CloseEyelids).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "attribute_test_util.h"
#include "eval/face_animation.h"
#include "image/image_internal.h"
#include "service/face_service.h"
#include "store/sqlite_store.h"

namespace facekit::service {
namespace {

enum class Eyes { kNone, kMesh, kLandmarks };

std::unique_ptr<FaceService> MakeService(const testing::TempDir& dir, Eyes eyes) {
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  EXPECT_TRUE(store.ok());
  gallery::GalleryOptions go;
  go.dim = testing::SharedEngine().embedding_dim();
  go.snapshot_dir = dir.file("index");
  auto g = gallery::Gallery::Open(std::move(*store), go);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  ServiceOptions so;
  so.now_ms = [] { return std::int64_t{1700000000000}; };
  auto s = std::make_unique<FaceService>(testing::SharedEngine(), std::move(*g), so);
  if (eyes != Eyes::kNone) s->SetAttributeModels(&testing::SharedAttributeModels(), &testing::SharedFaceMesh());
  if (eyes == Eyes::kLandmarks) s->SetEyeLandmarks(&testing::SharedEyeLandmarks());
  CreateGroupRequest group;
  group.group_id = "g";
  group.group_name = "g";
  EXPECT_TRUE(s->CreateGroup(group).ok());
  return s;
}

std::vector<std::uint8_t> Jpeg(const cv::Mat& bgr) {
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, 95}));
  return out;
}

// obama.jpg as it is, and with both eyelids painted shut.
struct Photos {
  std::vector<std::uint8_t> open, closed;
};
Photos OpenAndClosed() {
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(img);
  EXPECT_TRUE(faces.ok() && !faces->empty());
  auto mesh = testing::SharedFaceMesh().Run(img, (*faces)[0]);
  EXPECT_TRUE(mesh.ok());
  cv::Mat shut = AsMat(img).clone();
  eval::CloseEyelids(shut, mesh->points, 1.f);
  return {Jpeg(AsMat(img)), Jpeg(shut)};
}

CreatePersonRequest Person(const std::string& id, std::vector<std::uint8_t> image, int quality_control) {
  CreatePersonRequest r;
  r.group_id = "g";
  r.person_id = id;
  r.person_name = id;
  r.image = std::move(image);
  r.quality_control = quality_control;
  return r;
}

class EnrolmentRuleEyes : public ::testing::TestWithParam<Eyes> {};

TEST_P(EnrolmentRuleEyes, ClosedEyesRefusedFromQualityControl3) {
  const Photos photos = OpenAndClosed();
  testing::TempDir dir;
  auto svc = MakeService(dir, GetParam());
  ASSERT_EQ(svc->options().eyes_open_quality_control, 3);
  EXPECT_TRUE(svc->CreatePerson(Person("open", photos.open, 3)).ok());
  auto refused = svc->CreatePerson(Person("closed", photos.closed, 3));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "FailedOperation.FaceQualityNotQualified");
  EXPECT_NE(refused.error().message.find("eyes are closed"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(svc->CreatePerson(Person("closed-low", photos.closed, 2)).ok());  // below the rule's level

  CreateFaceRequest more;
  more.person_id = "open";
  more.images = {photos.closed, photos.open};
  more.quality_control = 4;
  more.face_match_threshold = 0;
  auto faces = svc->CreateFace(more);
  ASSERT_TRUE(faces.ok()) << faces.error().message;
  EXPECT_EQ(faces->ret_code, (std::vector<int>{-1601, 0}));  // per image: the closed one refused
}

INSTANTIATE_TEST_SUITE_P(EnrolmentRule, EnrolmentRuleEyes, ::testing::Values(Eyes::kLandmarks, Eyes::kMesh),
                         [](const ::testing::TestParamInfo<Eyes>& p) {
                           return p.param == Eyes::kLandmarks ? "IrisFromLandmarks" : "FaceMesh";
                         });

TEST(EnrolmentRule, WithoutEyeModelsTheRuleIsNotApplied) {
  const Photos photos = OpenAndClosed();
  testing::TempDir dir;
  auto svc = MakeService(dir, Eyes::kNone);
  EXPECT_TRUE(svc->CreatePerson(Person("closed", photos.closed, 3)).ok());
}

}  // namespace
}  // namespace facekit::service
