// Phone-sized photos: decoded at the working resolution (or in full), their
// faces are found where they are in the original pixels.
#include <gtest/gtest.h>

#include "phone_photo.h"
#include "test_util.h"

namespace facekit {
namespace {

using testing::BoxIou;
using testing::LandmarkDistance;
using testing::PhonePhoto;

struct Detected {
  Image image;
  std::vector<FaceBox> faces;
};

Detected DecodeAndDetect(const std::vector<uint8_t>& bytes, const ImageLimits& limits) {
  Detected d;
  auto img = DecodeImage(bytes, limits);
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  if (!img.ok()) return d;
  d.image = std::move(*img);
  auto faces = testing::SharedEngine().Detect(d.image);
  EXPECT_TRUE(faces.ok()) << faces.status().ToString();
  if (faces.ok()) d.faces = std::move(*faces);
  return d;
}

// The largest face of `photo` on the small original, scaled to the phone photo.
FaceBox ExpectedLargestFace(const std::string& photo, const PhonePhoto& phone) {
  Image small = testing::MustLoad(testing::Photo(photo));
  auto faces = testing::SharedEngine().Detect(small);
  EXPECT_TRUE(faces.ok() && !faces->empty()) << photo;
  if (!faces.ok() || faces->empty()) return {};
  return phone.FromOriginal((*faces)[static_cast<size_t>(LargestFace(*faces))]);
}

void ExpectSameFace(const FaceBox& got, const FaceBox& want, const std::string& what) {
  EXPECT_GT(BoxIou(got, want), 0.85) << what << ": box " << got.x << "," << got.y << " " << got.width << "x"
                                     << got.height << " want " << want.x << "," << want.y << " " << want.width << "x"
                                     << want.height;
  EXPECT_LT(LandmarkDistance(got, want), 0.06 * want.width) << what;
}

// The two sizes, landscape and portrait: with the default limits
// (refused before: the long side was capped at 4000) and with a working size
// that makes the decoder read them at 1/2 scale, the largest face is where
// the original photo, scaled, puts it; embeddings of the two decodes agree.
TEST(LargePhoto, FacesAreFoundInOriginalCoordinates) {
  const FaceEngine& engine = testing::SharedEngine();
  struct Case {
    const char* photo;
    int width, height;
  };
  for (const Case& c : {Case{"obama-720p.jpg", 4352, 2903}, Case{"obama.jpg", 3061, 4600}}) {
    const std::string what = std::string(c.photo) + " at " + std::to_string(c.width) + "x" + std::to_string(c.height);
    const PhonePhoto phone = testing::MakePhonePhoto(c.photo, c.width, c.height);
    const FaceBox want = ExpectedLargestFace(c.photo, phone);

    Detected full = DecodeAndDetect(phone.jpeg, ImageLimits{});
    ASSERT_FALSE(full.faces.empty()) << what;
    EXPECT_EQ(full.image.width, c.width);
    ExpectSameFace(full.faces[static_cast<size_t>(LargestFace(full.faces))], want, what + ", full decode");

    ImageLimits reduce;
    reduce.working_long_side = 1280;
    Detected half = DecodeAndDetect(phone.jpeg, reduce);
    ASSERT_FALSE(half.faces.empty()) << what;
    EXPECT_EQ(half.image.width, (c.width + 1) / 2) << what;  // libjpeg rounds up
    EXPECT_EQ(half.image.original_width(), c.width);
    EXPECT_EQ(half.image.original_height(), c.height);
    const FaceBox& face = half.faces[static_cast<size_t>(LargestFace(half.faces))];
    ExpectSameFace(face, want, what + ", 1/2 decode");

    // Align maps the original-pixel box onto the reduced raster: the chips
    // of both decodes show the same face.
    auto e_full = engine.EmbedLargestFace(full.image);
    auto e_half = engine.EmbedLargestFace(half.image);
    ASSERT_TRUE(e_full.ok() && e_half.ok());
    EXPECT_GT(FaceEngine::Similarity(*e_full, *e_half), 0.9f) << what;
    // Quality's size is in original pixels too.
    auto q = engine.Quality(half.image, face);
    ASSERT_TRUE(q.ok());
    EXPECT_NEAR(q->size, std::min(face.width, face.height), 1e-3);
    EXPECT_GT(q->size, 0.5f * want.width);
  }
}

// The minimum face size is in original pixels whatever the raster: the face
// (about 550 original pixels, 136 in a 1/4 decode) is found at min face 300
// and not at 1200, decoded in full and at 1/4 scale alike (read in raster
// pixels, 300 would have meant 1200 original pixels and missed it).
TEST(LargePhoto, MinimumFaceSizeIsInOriginalPixels) {
  const PhonePhoto phone = testing::MakePhonePhoto("obama-720p.jpg", 4352, 2903);
  const FaceBox want = ExpectedLargestFace("obama-720p.jpg", phone);
  ASSERT_GT(want.width, 450);
  ASSERT_LT(want.width, 650);
  for (int working : {0, 1088}) {
    ImageLimits limits;
    limits.working_long_side = working;
    auto img = DecodeImage(phone.jpeg, limits);
    ASSERT_TRUE(img.ok());
    EXPECT_EQ(img->width, working == 0 ? 4352 : 1088);
    for (int min_face : {300, 1200}) {
      DetectOptions o;
      o.min_face_size = min_face;
      auto faces = testing::SharedEngine().Detect(*img, o);
      ASSERT_TRUE(faces.ok());
      bool found = false;
      for (const FaceBox& f : *faces) found = found || BoxIou(f, want) > 0.7;
      EXPECT_EQ(found, min_face == 300) << "working size " << working << ", min face " << min_face;
    }
  }
}

}  // namespace
}  // namespace facekit
