// face-api's age/gender (TinyXception) and expression (FaceFeatureExtractor)
// networks: weights manifest decoding, ONNX import, and the imported networks
// against face-api's own output (TF.js CPU backend, tools/faceapi_reference.mjs
// --net age_gender|expression) for one fixed input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/dnn_model.h"
#include "runtime/faceapi_classifier_to_onnx.h"
#include "runtime/tfjs_weights.h"
#include "test_util.h"

namespace facekit::runtime {
namespace {

std::string ModelFile(const std::string& name) { return testing::ModelsDir() + "/files/" + name; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::map<std::string, TfjsTensor>& Weights(FaceApiClassifier kind) {
  auto load = [](const char* manifest) {
    auto w = LoadTfjsWeightsManifest(ModelFile(manifest));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? *w : std::map<std::string, TfjsTensor>{};
  };
  static const auto age_gender = load("age_gender_model-weights_manifest.json");
  static const auto expression = load("face_expression_model-weights_manifest.json");
  return kind == FaceApiClassifier::kAgeGender ? age_gender : expression;
}

// The reference input: RGB (3x + 5y + 70c) mod 256 at 112x112, as NCHW float.
cv::Mat ReferenceInput() {
  const int size = 112;
  int dims[] = {1, 3, size, size};
  cv::Mat blob(4, dims, CV_32F);
  float* p = blob.ptr<float>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) *p++ = static_cast<float>((3 * x + 5 * y + 70 * c) % 256);
  return blob;
}

nlohmann::json Reference(const std::string& net) {
  return nlohmann::json::parse(ReadFile(testing::SourceDir() + "/tests/runtime/data/faceapi_" + net + "_reference.json"));
}

std::unique_ptr<DnnModel> Import(FaceApiClassifier kind, FaceApiClassifierReport* rep = nullptr) {
  auto onnx = ConvertFaceApiClassifierToOnnx(kind, Weights(kind), {}, rep);
  EXPECT_TRUE(onnx.ok()) << onnx.status().ToString();
  if (!onnx.ok()) return nullptr;
  auto model = DnnModel::FromBuffer(*onnx);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(*model) : nullptr;
}

TEST(FaceApiClassifier, WeightsManifestsDecode) {
  const auto& ag = Weights(FaceApiClassifier::kAgeGender);
  ASSERT_EQ(ag.size(), 51u);  // conv_in 2 + 3 reduction blocks x 8 + 2 main blocks x 9 + exit separable 3 + fc 4
  ASSERT_TRUE(ag.count("fc/gender/weights"));
  EXPECT_EQ(ag.at("fc/gender/weights").shape, (std::vector<int64_t>{512, 2}));
  const auto& ex = Weights(FaceApiClassifier::kExpression);
  ASSERT_EQ(ex.size(), 49u);  // dense0 2 + 3 x 3, dense1..3 4 x 3 each, fc 2
  ASSERT_TRUE(ex.count("fc/weights"));
  EXPECT_EQ(ex.at("fc/weights").shape, (std::vector<int64_t>{256, 7}));
}

TEST(FaceApiClassifier, AgeGenderImportMatchesFaceApiOnTfjs) {
  FaceApiClassifierReport rep;
  auto model = Import(FaceApiClassifier::kAgeGender, &rep);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(rep.parameters, 421'731);  // face-api's ~420 kB
  EXPECT_EQ(rep.conv_layers, 17);  // conv_in, 3 x (2 separable + expansion), 2 x 3 separable, exit separable
  auto out = model->Run(ReferenceInput(), {"age", "gender"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].total(), 1u);
  ASSERT_EQ((*out)[1].total(), 2u);
  const auto ref = Reference("age_gender");
  const float want_age = ref.at("age").get<std::vector<float>>().at(0);
  const std::vector<float> want_gender = ref.at("gender").get<std::vector<float>>();
  EXPECT_NEAR((*out)[0].ptr<float>()[0], want_age, 1e-3) << "age in years";
  EXPECT_NEAR((*out)[1].ptr<float>()[0], want_gender.at(0), 1e-4);
  EXPECT_NEAR((*out)[1].ptr<float>()[1], want_gender.at(1), 1e-4);
}

TEST(FaceApiClassifier, ExpressionImportMatchesFaceApiOnTfjs) {
  FaceApiClassifierReport rep;
  auto model = Import(FaceApiClassifier::kExpression, &rep);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(rep.parameters, 323'687);
  EXPECT_EQ(rep.conv_layers, 16);  // 4 dense blocks x 4
  auto out = model->Run(ReferenceInput(), {"probabilities"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const std::vector<float> want = Reference("expression").at("probabilities").get<std::vector<float>>();
  ASSERT_EQ((*out)[0].total(), want.size());
  double sum = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR((*out)[0].ptr<float>()[i], want[i], 1e-4) << "class " << i;
    sum += (*out)[0].ptr<float>()[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-4);
}

TEST(FaceApiClassifier, RunsABatch) {
  auto model = Import(FaceApiClassifier::kAgeGender);
  ASSERT_NE(model, nullptr);
  cv::Mat one = ReferenceInput();
  int dims[] = {2, 3, 112, 112};
  cv::Mat two(4, dims, CV_32F);
  std::memcpy(two.ptr<float>(), one.ptr<float>(), one.total() * sizeof(float));
  cv::Mat second(static_cast<int>(one.total()), 1, CV_32F, two.ptr<float>() + one.total());
  cv::Mat(static_cast<int>(one.total()), 1, CV_32F, one.ptr<float>()).convertTo(second, CV_32F, -1.0, 255.0);
  auto out = model->Run(two, {"age", "gender"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[1].size[0], 2);
  const float want_age = Reference("age_gender").at("age").get<std::vector<float>>().at(0);
  EXPECT_NEAR((*out)[0].ptr<float>()[0], want_age, 1e-3) << "the first of the batch is the reference input";
  EXPECT_GT(std::abs((*out)[0].ptr<float>()[0] - (*out)[0].ptr<float>()[1]), 1e-3) << "two inputs, two ages";
}

TEST(FaceApiClassifier, RefusesMissingMisshapenAndForeignWeights) {
  auto w = Weights(FaceApiClassifier::kAgeGender);
  w.erase("middle_flow/main_block_1/separable_conv2/bias");
  auto r = ConvertFaceApiClassifierToOnnx(FaceApiClassifier::kAgeGender, w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r.status().message().find("main_block_1/separable_conv2/bias"), std::string::npos) << r.status().message();

  w = Weights(FaceApiClassifier::kExpression);
  w["dense2/conv1/pointwise_filter"].shape = {1, 1, 128, 64};
  r = ConvertFaceApiClassifierToOnnx(FaceApiClassifier::kExpression, w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("dense2/conv1/pointwise_filter"), std::string::npos) << r.status().message();

  w = Weights(FaceApiClassifier::kExpression);
  w["fc/age/weights"] = w["fc/weights"];
  r = ConvertFaceApiClassifierToOnnx(FaceApiClassifier::kExpression, w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fc/age/weights"), std::string::npos) << r.status().message();

  // The age/gender weights are not an expression network (and vice versa).
  r = ConvertFaceApiClassifierToOnnx(FaceApiClassifier::kExpression, Weights(FaceApiClassifier::kAgeGender), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);

  FaceApiClassifierOptions big;
  big.input_size = 160;
  r = ConvertFaceApiClassifierToOnnx(FaceApiClassifier::kAgeGender, Weights(FaceApiClassifier::kAgeGender), big);
  ASSERT_FALSE(r.ok()) << "the heads' 7x7 pooling only fits a 112 input";
}

class FaceApiClassifierWeightsFile : public ::testing::TestWithParam<std::string> {
 protected:
  Result<std::map<std::string, TfjsTensor>> Decode(const std::string& manifest_text, const std::string& shard) {
    return ParseTfjsWeightsManifest(manifest_text, "test-manifest", [&](const std::string&) -> Result<std::string> {
      return shard;
    });
  }
  std::string manifest_ = ReadFile(ModelFile(GetParam() + "-weights_manifest.json"));
  std::string shard_ = ReadFile(ModelFile(GetParam() + ".bin"));
};

TEST_P(FaceApiClassifierWeightsFile, TruncatedPaddedOrMalformedIsRefused) {
  ASSERT_TRUE(Decode(manifest_, shard_).ok());
  auto r = Decode(manifest_, shard_.substr(0, shard_.size() - 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  r = Decode(manifest_, shard_ + std::string(16, '\0'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  r = Decode(manifest_.substr(0, manifest_.size() / 2), shard_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
}

INSTANTIATE_TEST_SUITE_P(Models, FaceApiClassifierWeightsFile,
                         ::testing::Values("age_gender_model", "face_expression_model"));

}  // namespace
}  // namespace facekit::runtime
