// The second embedder (face-api's ResNet-128) through the engine's API.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "face/mesh_alignment.h"

#include "test_util.h"

namespace facekit {
namespace {

const FaceEngine& ResnetEngine() {
  static std::unique_ptr<FaceEngine> engine = [] {
    EngineOptions o;
    o.models_dir = testing::ModelsDir();
    o.extra_embedders = {EmbedderKind::kResNet128};
    auto e = FaceEngine::Create(o);
    if (!e.ok()) {
      ADD_FAILURE() << e.status().ToString();
      std::abort();
    }
    return std::move(*e);
  }();
  return *engine;
}

Embedding Resnet(const std::string& who, int n) {
  Image img = testing::MustLoad(testing::DataDir() + "/faces/bbt/" + who + "/" + who + std::to_string(n) + ".png");
  EmbedOptions o;
  o.embedder = EmbedderKind::kResNet128;
  auto e = ResnetEngine().EmbedLargestFace(img, nullptr, o);
  EXPECT_TRUE(e.ok()) << who << n << ": " << e.status().ToString();
  return e.ok() ? *e : Embedding{};
}

TEST(ResnetEmbedder, NamesParse) {
  EXPECT_EQ(EmbedderName(EmbedderKind::kResNet128), "resnet128");
  EXPECT_EQ(*ParseEmbedderKind("mobilefacenet"), EmbedderKind::kMobileFaceNet);
  EXPECT_EQ(*ParseEmbedderKind("resnet128"), EmbedderKind::kResNet128);
  EXPECT_EQ(ParseEmbedderKind("fused").status().code(), StatusCode::kInvalidArgument);
}

TEST(ResnetEmbedder, ChipAndEmbeddingShape) {
  const FaceEngine& engine = ResnetEngine();
  ASSERT_TRUE(engine.has_embedder(EmbedderKind::kResNet128));
  EXPECT_EQ(engine.embedding_dim(EmbedderKind::kResNet128), 128);
  EXPECT_EQ(engine.chip_size(EmbedderKind::kResNet128), 150);
  EXPECT_EQ(engine.embedding_dim(EmbedderKind::kMobileFaceNet), 192);
  EXPECT_EQ(engine.embedding_dim(), 192);  // the default stays MobileFaceNet
  EXPECT_EQ(engine.embedder_version(EmbedderKind::kResNet128), "faceapi-resnet128 1.7.15");
  Embedding e = Resnet("sheldon", 1);
  ASSERT_EQ(e.size(), 128u);
  double norm = 0;
  for (float v : e) {
    ASSERT_TRUE(std::isfinite(v));
    norm += double{v} * v;
  }
  EXPECT_NEAR(norm, 1.0, 1e-4);
}

TEST(ResnetEmbedder, SamePersonScoresAboveDifferentPerson) {
  const Embedding s1 = Resnet("sheldon", 1), s2 = Resnet("sheldon", 2);
  const Embedding p1 = Resnet("penny", 1), p2 = Resnet("penny", 2);
  const float same_s = FaceEngine::Similarity(s1, s2), same_p = FaceEngine::Similarity(p1, p2);
  const float diff = FaceEngine::Similarity(s1, p1);
  EXPECT_GT(same_s, diff);
  EXPECT_GT(same_p, diff);
  EXPECT_GT(same_s, FaceEngine::Similarity(s2, p2));
  EXPECT_GT(same_p, FaceEngine::Similarity(s2, p2));
}

TEST(ResnetEmbedder, ChipsAreNotInterchangeable) {
  const FaceEngine& engine = ResnetEngine();
  Image img = testing::MustLoad(testing::DataDir() + "/faces/bbt/raj/raj1.png");
  auto faces = engine.Detect(img);
  ASSERT_TRUE(faces.ok());
  ASSERT_FALSE(faces->empty());
  auto chip112 = engine.Align(img, (*faces)[0]);
  ASSERT_TRUE(chip112.ok());
  EmbedOptions o;
  o.embedder = EmbedderKind::kResNet128;
  auto wrong = engine.Embed(std::span<const Image>(&*chip112, 1), o);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  auto chip150 = engine.Align(img, (*faces)[0], EmbedderKind::kResNet128);
  ASSERT_TRUE(chip150.ok());
  EXPECT_EQ(chip150->width, 150);
  auto right = engine.Embed(std::span<const Image>(&*chip150, 1), o);
  ASSERT_TRUE(right.ok());
  auto direct = engine.EmbedFace(img, (*faces)[0], o);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((*right)[0], *direct);
}

TEST(ResnetEmbedder, AnEngineWithoutItSaysSo) {
  const FaceEngine& plain = testing::SharedEngine();
  EXPECT_FALSE(plain.has_embedder(EmbedderKind::kResNet128));
  EXPECT_EQ(plain.embedding_dim(EmbedderKind::kResNet128), 0);
  Image img = testing::MustLoad(testing::DataDir() + "/faces/bbt/raj/raj1.png");
  EmbedOptions o;
  o.embedder = EmbedderKind::kResNet128;
  auto e = plain.EmbedLargestFace(img, nullptr, o);
  EXPECT_EQ(e.status().code(), StatusCode::kFailedPrecondition);
}

// A models folder whose manifest gives ResNet-128 `alignment` (files linked).
void WriteModels(const testing::TempDir& dir, const std::string& alignment, double padding) {
  std::ifstream in(testing::ModelsDir() + "/manifest.json");
  nlohmann::json m = nlohmann::json::parse(in);
  for (auto& e : m["models"]) {
    if (e["role"] == "embedder.resnet128") {
      e["alignment"] = alignment;
      e["alignment_padding"] = padding;
    }
  }
  std::ofstream(dir.file("manifest.json")) << m.dump();
  std::filesystem::create_directory_symlink(testing::ModelsDir() + "/files", dir.file("files"));
}

std::unique_ptr<FaceEngine> EngineIn(const testing::TempDir& dir) {
  EngineOptions o;
  o.models_dir = dir.path();
  o.extra_embedders = {EmbedderKind::kResNet128};
  auto e = FaceEngine::Create(o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(*e) : nullptr;
}

TEST(ResnetEmbedder, Mesh68AlignmentPutsTheFaceOnDlibsMeanFace) {
  testing::TempDir dir;
  WriteModels(dir, "mesh68", 0.25);
  std::unique_ptr<FaceEngine> engine = EngineIn(dir);
  ASSERT_NE(engine, nullptr);
  Image img = testing::MustLoad(testing::DataDir() + "/faces/bbt/sheldon/sheldon1.png");
  auto faces = engine->Detect(img);
  ASSERT_TRUE(faces.ok());
  ASSERT_FALSE(faces->empty());
  auto chip = engine->Align(img, (*faces)[0], EmbedderKind::kResNet128);
  ASSERT_TRUE(chip.ok()) << chip.status().ToString();
  ASSERT_EQ(chip->width, 150);
  // The detector's eyes in the chip sit near the mean face's eye centres
  // (the means of dlib's eye contours 36-41 and 42-47 at padding 0.25).
  auto in_chip = engine->Detect(*chip);
  ASSERT_TRUE(in_chip.ok());
  ASSERT_FALSE(in_chip->empty());
  const std::vector<cv::Point2f> t = face::DlibChipTemplate(150, 0.25);
  cv::Point2f right(0, 0), left(0, 0);
  for (size_t i = 9; i < 15; ++i) right += t[i] / 6.f;
  for (size_t i = 15; i < 21; ++i) left += t[i] / 6.f;
  const FaceBox& f = (*in_chip)[0];
  EXPECT_NEAR(f.landmarks[0].x, right.x, 5.0);
  EXPECT_NEAR(f.landmarks[0].y, right.y, 5.0);
  EXPECT_NEAR(f.landmarks[1].x, left.x, 5.0);
  EXPECT_NEAR(f.landmarks[1].y, left.y, 5.0);
  // The manifest switch took effect: not the five-point chip of the default.
  auto five = ResnetEngine().Align(img, (*faces)[0], EmbedderKind::kResNet128);
  ASSERT_TRUE(five.ok());
  EXPECT_NE(five->bgr, chip->bgr);
  // And the chips still tell people apart.
  EmbedOptions o;
  o.embedder = EmbedderKind::kResNet128;
  auto embed = [&](const std::string& who, int n) {
    Image p = testing::MustLoad(testing::DataDir() + "/faces/bbt/" + who + "/" + who + std::to_string(n) + ".png");
    auto e = engine->EmbedLargestFace(p, nullptr, o);
    EXPECT_TRUE(e.ok()) << who << n;
    return e.ok() ? *e : Embedding(128, 0.f);
  };
  const Embedding s1 = embed("sheldon", 1), s2 = embed("sheldon", 2), p1 = embed("penny", 1);
  EXPECT_GT(FaceEngine::Similarity(s1, s2), FaceEngine::Similarity(s1, p1));
}

TEST(ResnetEmbedder, EngineOptionsOverrideTheManifestsAlignment) {
  Image img = testing::MustLoad(testing::DataDir() + "/faces/bbt/sheldon/sheldon1.png");
  auto faces = testing::SharedEngine().Detect(img);
  ASSERT_TRUE(faces.ok());
  ASSERT_FALSE(faces->empty());
  EngineOptions o;
  o.models_dir = testing::ModelsDir();
  o.alignment = {{EmbedderKind::kMobileFaceNet, "mesh5"}};
  auto mesh5 = FaceEngine::Create(o);
  ASSERT_TRUE(mesh5.ok()) << mesh5.status().ToString();
  auto a = (*mesh5)->Align(img, (*faces)[0]);
  auto b = testing::SharedEngine().Align(img, (*faces)[0]);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a->width, 112);
  EXPECT_NE(a->bgr, b->bgr);  // five mesh points, not the detector's
  o.alignment = {{EmbedderKind::kMobileFaceNet, "detector5"}};
  auto d5 = FaceEngine::Create(o);
  ASSERT_TRUE(d5.ok());
  auto c = (*d5)->Align(img, (*faces)[0]);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->bgr, b->bgr);
  o.alignment = {{EmbedderKind::kResNet128, "sideways"}};
  EXPECT_EQ(FaceEngine::Create(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(ResnetEmbedder, AnUnknownAlignmentIsRefused) {
  testing::TempDir dir;
  WriteModels(dir, "mesh67", 0.25);
  EngineOptions o;
  o.models_dir = dir.path();
  o.extra_embedders = {EmbedderKind::kResNet128};
  auto e = FaceEngine::Create(o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(e.status().message().find("mesh67"), std::string::npos);
}

}  // namespace
}  // namespace facekit
