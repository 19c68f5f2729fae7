// The second embedder (face-api's ResNet-128) through the engine's API.
#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace facekit
