// face-api's face recognition ResNet: weights manifest decoding, ONNX import,
// and the imported network against face-api's own output (TF.js CPU backend,
// tools/faceapi_reference.mjs) for one fixed input.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/dnn_model.h"
#include "runtime/faceapi_resnet_to_onnx.h"
#include "runtime/tfjs_weights.h"
#include "test_util.h"

namespace facekit::runtime {
namespace {

std::string ModelFile(const std::string& name) { return testing::ModelsDir() + "/files/" + name; }
const char* kManifest = "face_recognition_model-weights_manifest.json";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::map<std::string, TfjsTensor>& Weights() {
  static const auto weights = [] {
    auto w = LoadTfjsWeightsManifest(ModelFile(kManifest));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? *w : std::map<std::string, TfjsTensor>{};
  }();
  return weights;
}

// The reference input: RGB (3x + 5y + 70c) mod 256, as NCHW float.
cv::Mat ReferenceInput() {
  const int size = 150;
  int dims[] = {1, 3, size, size};
  cv::Mat blob(4, dims, CV_32F);
  float* p = blob.ptr<float>();
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) *p++ = static_cast<float>((3 * x + 5 * y + 70 * c) % 256);
  return blob;
}

TEST(FaceApiResnet, WeightsManifestDecodes) {
  const auto& w = Weights();
  ASSERT_EQ(w.size(), 117u);  // 29 conv layers x 4 tensors + fc
  int64_t params = 0;
  for (const auto& [name, t] : w) params += static_cast<int64_t>(t.floats.size());
  EXPECT_EQ(params, 5'614'592);  // face-api's 5.61M
  ASSERT_TRUE(w.count("fc"));
  EXPECT_EQ(w.at("fc").shape, (std::vector<int64_t>{256, 128}));
}

TEST(FaceApiResnet, ImportMatchesFaceApiOnTfjs) {
  FaceApiResnetReport rep;
  auto onnx = ConvertFaceApiResnetToOnnx(Weights(), {}, &rep);
  ASSERT_TRUE(onnx.ok()) << onnx.status().ToString();
  EXPECT_EQ(rep.conv_layers, 29);
  auto model = DnnModel::FromBuffer(*onnx);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto out = (*model)->Run(ReferenceInput(), {"descriptor"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const cv::Mat& d = (*out)[0];
  ASSERT_EQ(d.total(), 128u);

  auto ref = nlohmann::json::parse(ReadFile(testing::SourceDir() + "/tests/runtime/data/faceapi_resnet_reference.json"));
  std::vector<float> want = ref.at("descriptor").get<std::vector<float>>();
  ASSERT_EQ(want.size(), 128u);
  double max_diff = 0, dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < 128; ++i) {
    const double a = d.ptr<float>()[i], b = want[i];
    ASSERT_TRUE(std::isfinite(a));
    max_diff = std::max(max_diff, std::abs(a - b));
    dot += a * b;
    na += a * a;
    nb += b * b;
  }
  // Float32 in both, summed in different orders: agreement to ~1e-5.
  EXPECT_LT(max_diff, 2e-4) << "largest element difference to face-api";
  EXPECT_GT(dot / std::sqrt(na * nb), 0.99999);
  EXPECT_GT(std::sqrt(na), 0.3);  // not a degenerate output
}

TEST(FaceApiResnet, RunsABatch) {
  auto onnx = ConvertFaceApiResnetToOnnx(Weights(), {});
  ASSERT_TRUE(onnx.ok());
  auto model = DnnModel::FromBuffer(*onnx);
  ASSERT_TRUE(model.ok());
  cv::Mat one = ReferenceInput();
  int dims[] = {2, 3, 150, 150};
  cv::Mat two(4, dims, CV_32F);
  std::memcpy(two.ptr<float>(), one.ptr<float>(), one.total() * sizeof(float));
  cv::Mat second(one.total(), 1, CV_32F, two.ptr<float>() + one.total());
  cv::Mat(one.total(), 1, CV_32F, one.ptr<float>()).convertTo(second, CV_32F, -1.0, 255.0);  // inverted image
  auto out = (*model)->Run(two, {"descriptor"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const cv::Mat& d = (*out)[0];
  ASSERT_EQ(d.size[0], 2);
  ASSERT_EQ(d.size[1], 128);
  double diff = 0;
  for (int i = 0; i < 128; ++i) diff += std::abs(d.at<float>(0, i) - d.at<float>(1, i));
  EXPECT_GT(diff, 0.1);  // two different inputs, two different descriptors
}

TEST(FaceApiResnet, RefusesMissingMisshapenAndForeignWeights) {
  auto w = Weights();
  w.erase("conv128_1/conv2/scale/weights");
  auto r = ConvertFaceApiResnetToOnnx(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r.status().message().find("conv128_1/conv2/scale/weights"), std::string::npos) << r.status().message();

  w = Weights();
  w["conv64_1/conv1/conv/filters"].shape = {3, 3, 32, 128};
  r = ConvertFaceApiResnetToOnnx(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("conv64_1/conv1/conv/filters"), std::string::npos) << r.status().message();

  w = Weights();
  w["age/fc"] = w["fc"];
  r = ConvertFaceApiResnetToOnnx(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("age/fc"), std::string::npos) << r.status().message();

  FaceApiResnetOptions small;
  small.input_size = 100;
  r = ConvertFaceApiResnetToOnnx(Weights(), small);
  ASSERT_FALSE(r.ok()) << "face-api's down-sampling only fits 150-ish inputs";
}

class FaceApiWeightsFile : public ::testing::Test {
 protected:
  Result<std::map<std::string, TfjsTensor>> Decode(const std::string& manifest_text, const std::string& shard) {
    return ParseTfjsWeightsManifest(manifest_text, "test-manifest", [&](const std::string&) -> Result<std::string> {
      return shard;
    });
  }
  std::string manifest_ = ReadFile(ModelFile(kManifest));
  std::string shard_ = ReadFile(ModelFile("face_recognition_model.bin"));
};

TEST_F(FaceApiWeightsFile, TruncatedShardIsRefused) {
  ASSERT_TRUE(Decode(manifest_, shard_).ok());
  auto r = Decode(manifest_, shard_.substr(0, shard_.size() - 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
}

TEST_F(FaceApiWeightsFile, PaddedShardIsRefused) {
  auto r = Decode(manifest_, shard_ + std::string(16, '\0'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
}

TEST_F(FaceApiWeightsFile, TruncatedOrMalformedManifestIsRefused) {
  auto r = Decode(manifest_.substr(0, manifest_.size() / 2), shard_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  for (const char* text : {"{}", "[]", "[{\"paths\": [\"a.bin\"]}]",
                           "[{\"paths\": [\"a.bin\"], \"weights\": [{\"name\": \"w\", \"shape\": [2], \"dtype\": \"float32\","
                           " \"quantization\": {\"dtype\": \"uint8\"}}]}]",
                           "[{\"paths\": [\"a.bin\"], \"weights\": [{\"name\": \"w\", \"shape\": [2], \"dtype\": \"complex\"}]}]"}) {
    auto bad = Decode(text, std::string(8, '\0'));
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.status().code(), StatusCode::kModelInvalid) << text;
  }
}

TEST_F(FaceApiWeightsFile, MissingShardIsNotFound) {
  auto r = LoadTfjsWeightsManifest(testing::ModelsDir() + "/manifest-that-does-not-exist.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace facekit::runtime
