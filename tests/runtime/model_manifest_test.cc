#include "runtime/model_manifest.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace facekit::runtime {
namespace {

TEST(ModelManifest, RepositoryManifestLoadsWithAllRoles) {
  auto m = ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  for (const char* role : {"detector.pnet", "detector.rnet", "detector.onet", "embedder"}) {
    EXPECT_NE(m->FindRole(role), nullptr) << role;
  }
  const ManifestModel* e = m->FindRole("embedder");
  EXPECT_EQ(e->embedding_dim, 192);
  EXPECT_EQ(e->input_width, 112);
  EXPECT_EQ(e->alignment_template.size(), 5u);
  EXPECT_FLOAT_EQ(e->mean, 127.5f);
  EXPECT_FLOAT_EQ(e->scale, 1.f / 128.f);
  EXPECT_GT(m->verification.threshold, 0.f);
  EXPECT_FALSE(m->verification.provenance.empty());
  for (const auto& f : m->files) EXPECT_EQ(f.sha256.size(), 64u) << f.file;
  EXPECT_FLOAT_EQ(m->detector.pyramid_factor, 0.709f);
  EXPECT_LT(m->detector.rnet_isolated_threshold, m->detector.rnet_threshold);
}

TEST(ModelManifest, ObjectModelIsATfjsGraphWithLabelsAndDecodeSettings) {
  auto m = ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const ManifestModel* o = m->FindRole("objects");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->source_format, "tfjs");
  EXPECT_EQ(o->source_weights, std::vector<std::string>{"centernet.bin"});
  EXPECT_EQ(o->labels.size(), 80u);
  EXPECT_EQ(o->labels[0], "person");
  EXPECT_EQ(o->labels[67], "cell phone");
  EXPECT_EQ(o->import_outputs.size(), 2u);
  EXPECT_EQ(o->settings.at("input_size"), 448);
  EXPECT_EQ(o->settings.at("stride"), 4);
  EXPECT_FLOAT_EQ(o->mean, 0.f);
  EXPECT_FLOAT_EQ(o->scale, 1.f);
}

TEST(ModelManifest, ResnetEmbedderHasItsOwnChipAndTemplate) {
  auto m = ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const ManifestModel* r = m->FindRole("embedder.resnet128");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->source_format, "faceapi-resnet");
  EXPECT_EQ(r->source_package, "@vladmandic/face-api@1.7.15");
  EXPECT_EQ(r->source_weights, std::vector<std::string>{"face_recognition_model.bin"});
  EXPECT_EQ(r->embedding_dim, 128);
  EXPECT_EQ(r->input_width, 150);
  ASSERT_EQ(r->alignment_template.size(), 5u);
  for (const auto& p : r->alignment_template) {  // in the 150 px chip, not the 112 px one
    EXPECT_GT(p[0], 0.f);
    EXPECT_LT(p[0], 150.f);
    EXPECT_LT(p[1], 150.f);
  }
  EXPECT_GT(r->alignment_template[4][1], 112.f * 0.85f);
  // The 5-point template by default; mesh68's padding chosen on LFW DevTrain (docs/embedders.md).
  EXPECT_EQ(r->alignment, "");
  EXPECT_DOUBLE_EQ(r->alignment_padding, 0.2);
  EXPECT_TRUE(r->alignment_refine_eyes);
  EXPECT_EQ(m->FindRole("embedder")->alignment, "");  // MobileFaceNet: the detector's five points
  EXPECT_FLOAT_EQ(r->mean, 0.f);  // the graph normalises
  EXPECT_FLOAT_EQ(r->scale, 1.f);
}

TEST(ModelManifest, EmbedderAlignmentSettings) {
  auto m = ModelManifest::Parse(R"({"format_version": 1, "models": [
      {"name": "a", "role": "embedder", "file": "a.onnx", "input": {"size": [112, 112]}},
      {"name": "b", "role": "embedder.resnet128", "file": "b.onnx", "input": {"size": [150, 150]},
       "alignment": "mesh68", "alignment_padding": 0.3, "alignment_refine_eyes": false}]})",
                                ".");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const ManifestModel* a = m->FindRole("embedder");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->alignment, "");  // the detector's five points
  EXPECT_DOUBLE_EQ(a->alignment_padding, 0.25);
  EXPECT_TRUE(a->alignment_refine_eyes);
  const ManifestModel* b = m->FindRole("embedder.resnet128");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->alignment, "mesh68");
  EXPECT_DOUBLE_EQ(b->alignment_padding, 0.3);
  EXPECT_FALSE(b->alignment_refine_eyes);
  auto wrong = ModelManifest::Parse(
      R"({"format_version": 1, "models": [{"name": "a", "role": "embedder", "file": "a.onnx", "input": {}, "alignment": 3}]})",
      ".");
  EXPECT_EQ(wrong.status().code(), StatusCode::kModelInvalid);
}

TEST(ModelManifest, RNetSecondChanceDefaultsToOffAndMustNotExceedTheThreshold) {
  auto plain = ModelManifest::Parse(R"({"format_version": 1, "detector": {"rnet_threshold": 0.6}})", ".");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FLOAT_EQ(plain->detector.rnet_isolated_threshold, 0.6f);
  auto above = ModelManifest::Parse(
      R"({"format_version": 1, "detector": {"rnet_threshold": 0.6, "rnet_isolated_threshold": 0.8}})", ".");
  EXPECT_EQ(above.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(above.status().message().find("rnet_isolated_threshold"), std::string::npos);
}

TEST(ModelManifest, RejectsBadInput) {
  EXPECT_EQ(ModelManifest::Load("/nonexistent").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ModelManifest::Parse("{not json", ".").status().code(), StatusCode::kModelInvalid);
  EXPECT_EQ(ModelManifest::Parse("[]", ".").status().code(), StatusCode::kModelInvalid);
  auto old = ModelManifest::Parse(R"({"format_version": 0})", ".");
  EXPECT_EQ(old.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(old.status().message().find("format_version"), std::string::npos);
  auto wrong_type = ModelManifest::Parse(R"({"format_version": 1, "models": [{"name": 5}]})", ".");
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kModelInvalid);
  auto no_input = ModelManifest::Parse(R"({"format_version": 1, "models": [{"name": "a", "role": "embedder", "file": "a.onnx"}]})", ".");
  EXPECT_EQ(no_input.status().code(), StatusCode::kModelInvalid);
  auto bad_points = ModelManifest::Parse(
      R"({"format_version": 1, "verification": {"threshold": 0.3, "score_points": [[0.5, 10], [0.4, 20]]}})", ".");
  EXPECT_EQ(bad_points.status().code(), StatusCode::kModelInvalid);
  auto bad_search = ModelManifest::Parse(R"({"format_version": 1, "search": {"score_points": [[0.7, 70], [0.7, 80]]}})", ".");
  EXPECT_EQ(bad_search.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(bad_search.status().message().find("search.score_points"), std::string::npos);
}

}  // namespace
}  // namespace facekit::runtime
