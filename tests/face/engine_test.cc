#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "eval/face_picker.h"
#include "eval/lfw_pairs.h"
#include "test_util.h"

namespace facekit {
namespace {

Image Bbt(const std::string& who, int n) {
  return testing::MustLoad(testing::DataDir() + "/faces/bbt/" + who + "/" + who + std::to_string(n) + ".png");
}

Embedding MustEmbed(const Image& img, const EmbedOptions& o = {}) {
  auto e = testing::SharedEngine().EmbedLargestFace(img, nullptr, o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : Embedding{};
}

TEST(Engine, EmbeddingsAreUnitLengthAndBatchIndependent) {
  const FaceEngine& engine = testing::SharedEngine();
  EXPECT_EQ(engine.embedding_dim(), 192);
  std::vector<Image> chips;
  for (const char* who : {"amy", "penny", "raj", "sheldon"}) {
    for (int n = 1; n <= 5; ++n) {
      Image img = Bbt(who, n);
      auto faces = engine.Detect(img);
      ASSERT_TRUE(faces.ok());
      if (faces->empty()) continue;
      auto chip = engine.Align(img, (*faces)[static_cast<size_t>(LargestFace(*faces))]);
      ASSERT_TRUE(chip.ok());
      EXPECT_EQ(chip->width, 112);
      EXPECT_EQ(chip->height, 112);
      chips.push_back(std::move(*chip));
    }
  }
  ASSERT_GE(chips.size(), 17u);  // more than one internal batch
  auto all = engine.Embed(chips);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), chips.size());
  for (size_t i = 0; i < chips.size(); ++i) {
    const Embedding& e = (*all)[i];
    ASSERT_EQ(e.size(), 192u);
    double n = 0;
    for (float v : e) n += double{v} * v;
    EXPECT_NEAR(n, 1.0, 1e-5);
    auto single = engine.Embed(std::span<const Image>(&chips[i], 1));
    ASSERT_TRUE(single.ok());
    EXPECT_GT(FaceEngine::Similarity(e, (*single)[0]), 0.99999f) << i;
  }
  EXPECT_TRUE(engine.Embed({}).ok());
  Image wrong = chips[0];
  wrong.width = 100;
  EXPECT_EQ(engine.Embed(std::span<const Image>(&wrong, 1)).status().code(), StatusCode::kInvalidArgument);
}

TEST(Engine, SamePersonScoresAboveDifferentPeople) {
  const FaceEngine& engine = testing::SharedEngine();
  Embedding s1 = MustEmbed(Bbt("sheldon", 1)), s2 = MustEmbed(Bbt("sheldon", 2));
  Embedding p1 = MustEmbed(Bbt("penny", 1)), l1 = MustEmbed(Bbt("leonard", 1));
  CompareResult same = engine.Compare(s1, s2);
  CompareResult diff1 = engine.Compare(s1, p1);
  CompareResult diff2 = engine.Compare(s1, l1);
  EXPECT_TRUE(same.same_person) << same.similarity;
  EXPECT_FALSE(diff1.same_person) << diff1.similarity;
  EXPECT_FALSE(diff2.same_person) << diff2.similarity;
  EXPECT_GT(same.score, diff1.score);
  EXPECT_GE(same.score, 0.f);
  EXPECT_LE(same.score, 100.f);
  EXPECT_FLOAT_EQ(engine.Compare(s1, s1).similarity, 1.f);
}

TEST(Engine, OneDecisionRuleOnTheCalibratedScore) {
  const FaceEngine& engine = testing::SharedEngine();
  const MatchRule rule = engine.match_rule();
  EXPECT_EQ(rule.score, 60.f);
  EXPECT_NEAR(rule.similarity, 0.5935f, 1e-4f);  // verification.score_points' 60
  EXPECT_NE(rule.provenance.find("1e-5"), std::string::npos) << rule.provenance;
  EXPECT_NEAR(engine.SimilarityAtScore(40.f), 0.4493f, 1e-4f);
  EXPECT_NEAR(engine.SimilarityAtScore(45.f), (0.4493f + 0.5272f) / 2, 1e-4f);
  // A pair between the old cosine threshold (0.4) and the rule: different people now.
  Embedding a(192, 0.f), b(192, 0.f);
  a[0] = 1.f;
  b[0] = 0.5f;
  b[1] = std::sqrt(1.f - 0.25f);  // cosine 0.5: score 46
  const CompareResult r = engine.Compare(a, b);
  EXPECT_NEAR(r.similarity, 0.5f, 1e-6f);
  EXPECT_FALSE(r.same_person) << r.score;
  EXPECT_EQ(r.match_score, 60.f);
  const CompareResult lenient = engine.Compare(a, b, 40.f);
  EXPECT_TRUE(lenient.same_person);
  EXPECT_EQ(lenient.match_score, 40.f);
}

TEST(Engine, FlipAugmentationGivesUnitVectorsCloseToPlain) {
  Image img = Bbt("howard", 1);
  EmbedOptions flip;
  flip.flip_augment = true;
  Embedding a = MustEmbed(img), b = MustEmbed(img, flip);
  ASSERT_EQ(b.size(), 192u);
  double n = 0;
  for (float v : b) n += double{v} * v;
  EXPECT_NEAR(n, 1.0, 1e-5);
  float s = FaceEngine::Similarity(a, b);
  EXPECT_GT(s, 0.8f);
  EXPECT_LT(s, 0.99999f);
}

TEST(Engine, NoFaceIsItsOwnError) {
  auto e = testing::SharedEngine().EmbedLargestFace(testing::MustLoad(testing::Photo("white.png")));
  EXPECT_EQ(e.status().code(), StatusCode::kNoFace);
}

TEST(Engine, CreateFailsClearlyWithoutModels) {
  EngineOptions o;
  o.models_dir = "/nonexistent-models";
  auto e = FaceEngine::Create(o);
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
  o.models_dir = testing::ModelsDir();
  o.num_threads = -1;
  EXPECT_EQ(FaceEngine::Create(o).status().code(), StatusCode::kInvalidArgument);
}

// CI guard for the LFW bar: the first `n` matched and `n` mismatched pairs of
// View 1 DevTest, with the manifest's threshold (chosen on DevTrain).
double LfwSubsetAccuracy(const std::string& variant, size_t n) {
  const FaceEngine& engine = testing::SharedEngine();
  const std::string dir = testing::DataDir() + "/lfw-view1/" + variant;
  auto pairs = eval::LoadLfwPairs(testing::DataDir() + "/lfw-view1/pairsDevTest.txt");
  EXPECT_TRUE(pairs.ok());
  auto embed = [&](const std::string& name, int num) {
    bool detected = false;
    auto e = eval::EmbedCentralFace(engine, testing::MustLoad(eval::LfwImagePath(dir, name, num)), {}, &detected);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : Embedding{};
  };
  size_t correct = 0, total = 0;
  const size_t half = pairs->pairs.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    for (size_t k : {i, half + i}) {
      const auto& p = pairs->pairs[k];
      // original-150 lacks one image of View 1 (Betsy_Coffin_0001).
      if (!std::filesystem::exists(eval::LfwImagePath(dir, p.name1, p.n1)) ||
          !std::filesystem::exists(eval::LfwImagePath(dir, p.name2, p.n2))) {
        continue;
      }
      bool same = FaceEngine::Similarity(embed(p.name1, p.n1), embed(p.name2, p.n2)) >= engine.verify_threshold();
      correct += same == p.same;
      ++total;
    }
  }
  double acc = static_cast<double>(correct) / static_cast<double>(total);
  std::printf("LFW DevTest subset (%s): %zu/%zu pairs correct = %.2f%%\n", variant.c_str(), correct, total, 100 * acc);
  return acc;
}

TEST(EngineAccuracy, LfwDevTestSubsetDeepFunneled) {
  EXPECT_GE(LfwSubsetAccuracy("deepfunneled", 150), 0.985);
}

TEST(EngineAccuracy, LfwDevTestSubsetUnalignedOriginals) {
  EXPECT_GE(LfwSubsetAccuracy("original-150", 150), 0.98);
}

}  // namespace
}  // namespace facekit
