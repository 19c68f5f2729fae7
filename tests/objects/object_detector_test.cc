// The object detector on real photos: people found where they are, the
// class filter, and bad options refused.
#include <gtest/gtest.h>

#include "facekit/objects.h"
#include "test_util.h"

namespace facekit {
namespace {

ObjectDetectorOptions Options() {
  ObjectDetectorOptions o;
  o.models_dir = testing::ModelsDir();
  return o;
}

TEST(ObjectDetector, FindsThePeopleInAPhoto) {
  auto det = ObjectDetector::Create(Options());
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  EXPECT_EQ((*det)->labels().size(), 80u);
  EXPECT_EQ((*det)->labels()[0], "person");
  Image img = testing::MustLoad(testing::Photo("obama_and_biden.jpg"));
  auto objects = (*det)->Detect(img);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  int people = 0;
  for (const DetectedObject& o : *objects) {
    EXPECT_GE(o.x, 0.f);
    EXPECT_GE(o.y, 0.f);
    EXPECT_LE(o.x + o.width, static_cast<float>(img.width) + 1e-3f);
    EXPECT_LE(o.y + o.height, static_cast<float>(img.height) + 1e-3f);
    if (o.label == "person" && o.score > 0.4f) ++people;
  }
  EXPECT_GE(people, 2);
  for (size_t i = 1; i < objects->size(); ++i) EXPECT_GE((*objects)[i - 1].score, (*objects)[i].score);
}

TEST(ObjectDetector, ClassFilterAndOptions) {
  ObjectDetectorOptions o = Options();
  o.classes = {"cell phone", "tv"};
  auto det = ObjectDetector::Create(o);
  ASSERT_TRUE(det.ok()) << det.status().ToString();
  auto objects = (*det)->Detect(testing::MustLoad(testing::Photo("obama_and_biden.jpg")));
  ASSERT_TRUE(objects.ok());
  for (const DetectedObject& d : *objects) EXPECT_TRUE(d.label == "cell phone" || d.label == "tv") << d.label;

  o.classes = {"unicorn"};
  auto bad = ObjectDetector::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  o.classes.clear();
  o.input_size = 500;
  EXPECT_EQ(ObjectDetector::Create(o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*det)->Detect(Image{}).status().code(), StatusCode::kImageEmpty);
}

}  // namespace
}  // namespace facekit
