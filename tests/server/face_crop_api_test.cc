// GetFaceCrop (GET /v1/faces/{face_id}/crop, FaceKit's own): the JPEG crop the
// gallery stored at enrolment, answered as image/jpeg over REST and as an
// HttpBody over gRPC, with the checks of reading the face's person (key,
// --actions, --groups), the API's not-found error for an unknown face and a
// clear one for a face enrolled before crops were stored.
#include <gtest/gtest.h>

#include "common/base64.h"
#include "facekit/image.h"
#include "one_port_test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;

class FaceCropApiTest : public testing::OnePortServerTest {
 protected:
  void SetUp() override {
    OnePortServerTest::SetUp();
    if (HasFatalFailure()) return;
    for (const char* g : {"a", "b"}) {
      ASSERT_EQ(Http(RestBearer("POST", "/v1/groups", {{"group_id", g}, {"group_name", g}})).status, 200);
    }
    obama_face_ = Enrol("b", "obama", "obama.jpg");
    biden_face_ = Enrol("a", "biden", "biden.jpg");
  }

  std::string Enrol(const std::string& group, const std::string& person, const std::string& photo) {
    auto a = Http(RestBearer("POST", "/v1/groups/" + group + "/persons",
                             {{"person_id", person}, {"person_name", person}, {"image", testing::PhotoBase64(photo)}}));
    EXPECT_EQ(a.status, 200) << a.body;
    return a.Json().value("face_id", "");
  }

  testing::HttpAnswer Crop(const std::string& face_id, const std::string& key = "AKIDadmin") const {
    return Http(RestBearer("GET", "/v1/faces/" + face_id + "/crop", nullptr, key));
  }

  static std::string Code(const testing::HttpAnswer& a) { return a.Json().value("code", ""); }

  std::string obama_face_, biden_face_;
};

TEST_F(FaceCropApiTest, AnswersTheStoredJpegOfTheFace) {
  ASSERT_FALSE(obama_face_.empty());
  const auto a = Crop(obama_face_);
  ASSERT_EQ(a.status, 200) << a.head << a.body.substr(0, 300);
  EXPECT_NE(a.head.find("Content-Type: image/jpeg"), std::string::npos) << a.head;
  ASSERT_GE(a.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(a.body[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(a.body[1]), 0xD8);
  const std::vector<std::uint8_t> bytes(a.body.begin(), a.body.end());
  auto image = DecodeImage(bytes);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  // The face at most 160 px, inside a region 2.2 times its side; the same face as enrolled.
  FaceBox box;
  auto crop_face = testing::SharedEngine().EmbedLargestFace(*image, &box);
  ASSERT_TRUE(crop_face.ok()) << crop_face.status().ToString();
  EXPECT_LE(std::max(box.width, box.height), 160.f * 1.25f);
  EXPECT_LE(std::max(image->width, image->height), 2.2 * 160 * 1.25);
  auto enrolled = testing::SharedEngine().EmbedLargestFace(testing::MustLoad(testing::Photo("obama.jpg")));
  ASSERT_TRUE(enrolled.ok());
  EXPECT_TRUE(testing::SharedEngine().Compare(*crop_face, *enrolled).same_person);

  // gRPC: the same bytes in an HttpBody.
  v1::GetFaceCropRequest q;
  q.set_face_id(obama_face_);
  v1::HttpBody body;
  auto rpc = Rpc(&v1::FaceKit::Stub::GetFaceCrop, "GetFaceCrop", q, &body);
  ASSERT_TRUE(rpc.ok()) << rpc.status.error_message();
  EXPECT_EQ(body.content_type(), "image/jpeg");
  EXPECT_EQ(body.data(), a.body);

  // Signed with TC3 like every other REST call; a read: the read-only key may.
  EXPECT_EQ(Http(RestSigned("GET", "/v1/faces/" + obama_face_ + "/crop", "")).status, 200);
  EXPECT_EQ(Crop(obama_face_, "AKIDreader").status, 200);
}

TEST_F(FaceCropApiTest, NeedsWhatReadingThePersonNeeds) {
  // No key.
  auto none = Http("GET /v1/faces/" + obama_face_ + "/crop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(none.status, 401) << none.body;
  // A key limited to group a: faces of persons only in b do not exist for it.
  auto hidden = Crop(obama_face_, "AKIDscoped");
  EXPECT_EQ(hidden.status, 404) << hidden.body;
  EXPECT_EQ(Code(hidden), "InvalidParameterValue.FaceIdNotExist");
  EXPECT_EQ(hidden.body.find("obama"), std::string::npos) << "names the person: " << hidden.body;
  EXPECT_EQ(Crop(biden_face_, "AKIDscoped").status, 200);
  // --actions without GetPersonBaseInfo.
  keys_.Add("AKIDlister", KeyRole::kReadOnly).actions = {"GetGroupList"};
  auto refused = Crop(obama_face_, "AKIDlister");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Code(refused), "AuthFailure.UnauthorizedOperation");
  keys_.Add("AKIDpeople", KeyRole::kReadOnly).actions = {"GetPersonBaseInfo"};
  EXPECT_EQ(Crop(obama_face_, "AKIDpeople").status, 200);
  // Only GET.
  EXPECT_EQ(Http(RestBearer("POST", "/v1/faces/" + obama_face_ + "/crop", json::object())).status, 405);
}

TEST_F(FaceCropApiTest, UnknownFacesAndFacesWithoutACropAreRefusedInWords) {
  auto unknown = Crop("no-such-face");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(Code(unknown), "InvalidParameterValue.FaceIdNotExist");
  EXPECT_EQ(unknown.Json().value("message", ""), "FaceId no-such-face does not exist");

  // A face enrolled before the gallery kept crops (schema 1): written without one.
  auto written = service_->gallery().Write([&](const gallery::Catalog& c) -> Result<store::Batch> {
    const gallery::PersonState* p = c.PersonById("obama");
    store::FaceRecord f;
    f.id = "old-face";
    f.person_key = p->record.key;
    f.model_version = "3.0";
    f.embedding = c.FaceVector(p->faces.front());
    f.created_ms = 1;
    return store::Batch{store::mutation::InsertFace{f}};
  });
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto old = Crop("old-face");
  EXPECT_EQ(old.status, 404) << old.body;
  EXPECT_EQ(Code(old), "ResourceNotFound.FaceCropNotExist");
  EXPECT_NE(old.Json().value("message", "").find("enrolled before the gallery kept face crops"), std::string::npos)
      << old.body;

  // Deleted faces are gone.
  ASSERT_EQ(Http(RestBearer("DELETE", "/v1/persons/obama/faces?face_ids=" + obama_face_)).status, 200);
  EXPECT_EQ(Code(Crop(obama_face_)), "InvalidParameterValue.FaceIdNotExist");
}

}  // namespace
}  // namespace facekit::server
