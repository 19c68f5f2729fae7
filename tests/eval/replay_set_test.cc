// ReplaySet: deterministic for a seed, halves that share no person and no
// background, pairs that differ only by the medium, and clear errors for
// missing or unreadable source images.
#include "eval/replay_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace facekit::eval {
namespace {

ReplaySetOptions Options(int pairs = 3) {
  ReplaySetOptions o;
  o.data_dir = testing::DataDir();
  o.pairs = pairs;
  return o;
}

bool Same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(ReplaySet, TheSameSeedBuildsTheSameFramesAnotherSeedOthers) {
  auto a = ReplaySet::Create(Options(), ReplayHalf::kTuning);
  auto b = ReplaySet::Create(Options(), ReplayHalf::kTuning);
  ReplaySetOptions other = Options();
  other.seed = 15;
  auto c = ReplaySet::Create(other, ReplayHalf::kTuning);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 6);
  for (int i : {0, 3}) {
    auto fa = a->Frame(i), fb = b->Frame(i), fc = c->Frame(i);
    ASSERT_TRUE(fa.ok() && fb.ok() && fc.ok()) << fa.status().ToString();
    EXPECT_EQ(fa->bgr.size(), cv::Size(640, 480));
    EXPECT_TRUE(Same(fa->bgr, fb->bgr)) << i;
    EXPECT_FALSE(Same(fa->bgr, fc->bgr)) << i;
    EXPECT_EQ(fa->spoof, i % 2 == 1);
    EXPECT_EQ(fa->kind == SceneKind::kLive, i % 2 == 0);
  }
  EXPECT_EQ(a->Frame(6).status().code(), StatusCode::kInvalidArgument);
}

TEST(ReplaySet, APairSharesPhotoBackgroundAndFaceSizeTheHalvesShareNothing) {
  auto tuning = ReplaySet::Create(Options(20), ReplayHalf::kTuning);
  auto held_out = ReplaySet::Create(Options(20), ReplayHalf::kHeldOut);
  ASSERT_TRUE(tuning.ok() && held_out.ok());
  auto live = tuning->Frame(4), replay = tuning->Frame(5);
  ASSERT_TRUE(live.ok() && replay.ok());
  EXPECT_EQ(tuning->Sources(4), tuning->Sources(5));
  EXPECT_NEAR(live->face.width, replay->face.width, 1e-3);
  std::set<std::string> people, backgrounds;
  auto split = [](const std::string& sources) {
    const std::size_t space = sources.find(' ');
    const std::string photo = sources.substr(4, space - 4);  // "lfw:<Name_NNNN.jpg>"
    return std::pair{photo.substr(0, photo.rfind('_')), sources.substr(space + 6)};
  };
  for (int i = 0; i < tuning->size(); i += 2) {
    const auto [person, background] = split(tuning->Sources(i));
    people.insert(person);
    backgrounds.insert(background);
  }
  for (int i = 0; i < held_out->size(); i += 2) {
    const auto [person, background] = split(held_out->Sources(i));
    EXPECT_EQ(people.count(person), 0u) << person;
    EXPECT_EQ(backgrounds.count(background), 0u) << background;
  }
}

TEST(ReplaySet, MissingOrUnreadableSourcesAreErrors) {
  ReplaySetOptions o = Options();
  o.data_dir = testing::DataDir() + "/no-such-folder";
  EXPECT_EQ(ReplaySet::Create(o, ReplayHalf::kTuning).status().code(), StatusCode::kNotFound);
  o = Options();
  o.pairs = 0;
  EXPECT_EQ(ReplaySet::Create(o, ReplayHalf::kTuning).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.min_face = 200;
  o.max_face = 100;
  EXPECT_EQ(ReplaySet::Create(o, ReplayHalf::kTuning).status().code(), StatusCode::kInvalidArgument);

  // A data folder whose only background is a truncated JPEG.
  testing::TempDir dir;
  namespace fs = std::filesystem;
  const fs::path person = fs::path(dir.path()) / "lfw-view1" / "deepfunneled" / "Ann_Example";
  const fs::path coco = fs::path(dir.path()) / "detection" / "coco128-train" / "images" / "train2017";
  std::error_code ec;
  fs::create_directories(person, ec);
  fs::create_directories(coco, ec);
  const fs::path photo = *fs::directory_iterator(testing::DataDir() + "/lfw-view1/deepfunneled/Colin_Powell", ec);
  ASSERT_FALSE(ec) << ec.message();
  fs::copy_file(photo, person / "Ann_Example_0001.jpg", ec);
  ASSERT_FALSE(ec) << ec.message();
  auto bytes = ReadFileBytes(testing::DataDir() + "/detection/coco128-train/images/train2017/000000000009.jpg");
  ASSERT_TRUE(bytes.ok());
  std::ofstream((coco / "000000000001.jpg").string(), std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size() / 20));
  o = Options(1);
  o.data_dir = dir.path();
  auto set = ReplaySet::Create(o, ReplayHalf::kTuning);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto frame = set->Frame(0);
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), StatusCode::kImageTruncated);
  EXPECT_NE(frame.status().message().find("000000000001.jpg"), std::string::npos) << frame.status().message();
}

}  // namespace
}  // namespace facekit::eval
