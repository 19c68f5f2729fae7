// The imported ONNX models, run by cv::dnn, must match a plain reference
// interpreter of the original TFLite graphs on real face images.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "face/face_aligner.h"
#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"
#include "runtime/tflite_reference.h"
#include "runtime/tflite_to_onnx.h"
#include "test_util.h"

namespace facekit {
namespace {

using runtime::TfliteModel;
using testing::MaxDiff;
using testing::RefTensor;

constexpr float kTolerance = 1e-4f;

TfliteModel LoadTflite(const std::string& file) {
  auto m = TfliteModel::Load(testing::ModelsDir() + "/files/" + file);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : TfliteModel{};
}

// RGB crops -> the MTCNN/MobileFaceNet normalisation, as NHWC for the
// reference and NCHW for cv::dnn. `transpose` swaps width and height as the
// MTCNN graphs expect.
void MakeInputs(const std::vector<cv::Mat>& rgb, bool transpose, RefTensor* nhwc, cv::Mat* nchw) {
  std::vector<cv::Mat> imgs;
  for (const cv::Mat& m : rgb) {
    cv::Mat t = m;
    if (transpose) cv::transpose(m, t);
    imgs.push_back(t);
  }
  *nchw = cv::dnn::blobFromImages(imgs, 1.0 / 128, cv::Size(), cv::Scalar::all(127.5), false, false, CV_32F);
  nhwc->shape = {static_cast<int>(imgs.size()), imgs[0].rows, imgs[0].cols, 3};
  for (const cv::Mat& m : imgs) {
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x)
        for (int c = 0; c < 3; ++c) nhwc->data.push_back((m.at<cv::Vec3b>(y, x)[c] - 127.5f) / 128.f);
  }
}

std::unique_ptr<runtime::DnnModel> Import(const TfliteModel& m, bool dynamic_spatial, runtime::TfliteToOnnxReport* rep) {
  runtime::TfliteToOnnxOptions opt;
  opt.dynamic_spatial = dynamic_spatial;
  auto bytes = runtime::ConvertTfliteToOnnx(m, opt, rep);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto net = runtime::DnnModel::FromBuffer(*bytes);
  EXPECT_TRUE(net.ok()) << net.status().ToString();
  return net.ok() ? std::move(*net) : nullptr;
}

cv::Mat RgbPhoto(const std::string& name) {
  Image img = testing::MustLoad(testing::Photo(name));
  cv::Mat rgb;
  cv::cvtColor(AsMat(img), rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

// Face crops (from a real photo: Obama's face and a background patch) at `size`.
std::vector<cv::Mat> Crops(int size) {
  cv::Mat rgb = RgbPhoto("obama-480p.jpg");
  std::vector<cv::Mat> out;
  for (cv::Rect r : {cv::Rect(385, 34, 114, 156), cv::Rect(380, 20, 140, 140), cv::Rect(40, 300, 90, 90)}) {
    cv::Mat c;
    cv::resize(rgb(r), c, cv::Size(size, size), 0, 0, cv::INTER_AREA);
    out.push_back(c);
  }
  return out;
}

TEST(TfliteImport, PnetMatchesReferenceOnRealImageOfOddSize) {
  TfliteModel m = LoadTflite("pnet.tflite");
  runtime::TfliteToOnnxReport rep;
  auto net = Import(m, true, &rep);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(rep.fused_prelu, 3);
  EXPECT_EQ(rep.fused_softmax, 1);
  cv::Mat rgb = RgbPhoto("obama-480p.jpg");
  for (cv::Size size : {cv::Size(61, 47), cv::Size(96, 128)}) {
    cv::Mat small;
    cv::resize(rgb(cv::Rect(300, 0, 300, 300)), small, size, 0, 0, cv::INTER_AREA);
    RefTensor in;
    cv::Mat blob;
    MakeInputs({small}, true, &in, &blob);
    auto ref = testing::RunReference(m, {in});
    auto out = net->Run(blob, {"pnet/prob1", "pnet/conv4-2/BiasAdd"});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_LT(MaxDiff((*out)[0], ref["pnet/prob1"]), kTolerance) << size;
    EXPECT_LT(MaxDiff((*out)[1], ref["pnet/conv4-2/BiasAdd"]), kTolerance) << size;
  }
}

TEST(TfliteImport, RnetAndOnetMatchReferenceOnRealCrops) {
  struct Case {
    const char* file;
    int size;
    std::vector<std::string> outputs;
    int prelu;
  };
  for (const Case& c : {Case{"rnet.tflite", 24, {"rnet/prob1", "rnet/conv5-2/conv5-2"}, 4},
                        Case{"onet.tflite", 48, {"onet/prob1", "onet/conv6-2/conv6-2", "onet/conv6-3/conv6-3"}, 5}}) {
    TfliteModel m = LoadTflite(c.file);
    runtime::TfliteToOnnxReport rep;
    auto net = Import(m, false, &rep);
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(rep.fused_prelu, c.prelu);
    for (const cv::Mat& crop : Crops(c.size)) {
      RefTensor in;
      cv::Mat blob;
      MakeInputs({crop}, true, &in, &blob);
      auto ref = testing::RunReference(m, {in});
      auto out = net->Run(blob, c.outputs);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      for (size_t i = 0; i < c.outputs.size(); ++i) {
        EXPECT_LT(MaxDiff((*out)[i], ref[c.outputs[i]]), kTolerance) << c.file << " " << c.outputs[i];
      }
    }
  }
}

TEST(TfliteImport, MobileFaceNetMatchesReferenceAndIsBatchIndependent) {
  TfliteModel m = LoadTflite("MobileFaceNet.tflite");
  runtime::TfliteToOnnxReport rep;
  auto net = Import(m, false, &rep);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(rep.fused_prelu, 33);
  std::vector<cv::Mat> chips = Crops(112);
  RefTensor in;
  cv::Mat blob2;
  MakeInputs({chips[0], chips[1]}, false, &in, &blob2);  // the file's fixed batch of 2
  auto ref = testing::RunReference(m, {in});
  const RefTensor& r = ref["embeddings"];
  ASSERT_EQ(r.shape, (std::vector<int>{2, 192}));
  auto out2 = net->Run(blob2, {"embeddings"});
  ASSERT_TRUE(out2.ok());
  float scale = 0;
  for (float v : r.data) scale = std::max(scale, std::fabs(v));
  EXPECT_LT(MaxDiff((*out2)[0], r), kTolerance * std::max(1.f, scale));

  // Batch 1 and batch 3 give the same per-face vectors as batch 2.
  RefTensor unused;
  cv::Mat blob1, blob3;
  MakeInputs({chips[1]}, false, &unused, &blob1);
  MakeInputs(chips, false, &unused, &blob3);
  auto out1 = net->Run(blob1, {"embeddings"});
  auto out3 = net->Run(blob3, {"embeddings"});
  ASSERT_TRUE(out1.ok() && out3.ok());
  ASSERT_EQ((*out3)[0].size[0], 3);
  for (int k = 0; k < 192; ++k) {
    EXPECT_NEAR((*out1)[0].at<float>(0, k), r.data[static_cast<size_t>(192 + k)], kTolerance * std::max(1.f, scale));
    EXPECT_NEAR((*out3)[0].at<float>(1, k), r.data[static_cast<size_t>(192 + k)], kTolerance * std::max(1.f, scale));
  }
}

// The anti-spoofing tree: cv::dnn runs the network up to the 7 routing
// values and 8 leaf scores (the tail of comparisons and casts is finished in
// code); those must match the reference, and routing in code must select
// the same leaf as the reference's own mask output.
TEST(TfliteImport, AntiSpoofingTreeMatchesReference) {
  TfliteModel m = LoadTflite("FaceAntiSpoofing.tflite");
  auto manifest = runtime::ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(manifest.ok());
  const runtime::ManifestModel* info = manifest->FindRole("liveness");
  ASSERT_NE(info, nullptr);
  runtime::TfliteToOnnxOptions opt;
  opt.outputs = info->import_outputs;
  auto bytes = runtime::ConvertTfliteToOnnx(m, opt);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto net = runtime::DnnModel::FromBuffer(*bytes);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  cv::Mat rgb = RgbPhoto("obama-480p.jpg");
  cv::Mat face;
  cv::resize(rgb(cv::Rect(375, 30, 136, 160)), face, cv::Size(256, 256), 0, 0, cv::INTER_AREA);
  RefTensor in{{1, 256, 256, 3}, {}};
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x)
      for (int c = 0; c < 3; ++c) in.data.push_back(face.at<cv::Vec3b>(y, x)[c] / 255.f);
  cv::Mat blob = cv::dnn::blobFromImage(face, 1.0 / 255, cv::Size(), cv::Scalar(), false, false, CV_32F);
  auto out = (*net)->Run(blob, info->import_outputs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<float> route;
  // One reference run exporting all 15 tensors.
  runtime::TfliteModel all = m;
  all.outputs.clear();
  for (const std::string& name : info->import_outputs) {
    for (size_t t = 0; t < all.tensors.size(); ++t) {
      if (all.tensors[t].name == name) all.outputs.push_back(static_cast<int32_t>(t));
    }
  }
  all.outputs.push_back(m.outputs[0]);  // Identity: leaf scores
  all.outputs.push_back(m.outputs[1]);  // Identity_1: leaf mask
  auto refs = testing::RunReference(all, {in});
  for (size_t i = 0; i < info->import_outputs.size(); ++i) {
    const RefTensor& r = refs[info->import_outputs[i]];
    ASSERT_EQ(r.data.size(), 1u);
    float got = (*out)[i].ptr<float>()[0];
    EXPECT_NEAR(got, r.data[0], kTolerance * std::max(1.f, std::fabs(r.data[0]))) << info->import_outputs[i];
    if (i < 7) route.push_back(got);
  }
  // Breadth-first tree: node k's children are 2k+1 (value >= 0) and 2k+2.
  int node = 0;
  while (node < 7) node = route[static_cast<size_t>(node)] >= 0.f ? 2 * node + 1 : 2 * node + 2;
  const int leaf = node - 7;
  const RefTensor& mask = refs[m.tensors[static_cast<size_t>(m.outputs[1])].name];
  ASSERT_EQ(mask.data.size(), 8u);
  for (int k = 0; k < 8; ++k) EXPECT_EQ(mask.data[static_cast<size_t>(k)], k == leaf ? 1.f : 0.f) << "leaf " << k;
}

TEST(TfliteImport, UnsupportedOperatorIsNamedInTheError) {
  // The anti-spoofing graph uses ops the importer does not handle yet
  // (STRIDED_SLICE, GREATER_EQUAL, ...): the error must say which.
  TfliteModel m = LoadTflite("FaceAntiSpoofing.tflite");
  auto bytes = runtime::ConvertTfliteToOnnx(m, {});
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(bytes.status().message().find("cannot import operator #"), std::string::npos) << bytes.status().message();
}

// Fuzz finding (tests/fuzz/regressions/tflite): a 4-D int32 constant used
// against an NHWC activation went through the NHWC-to-NCHW transpose of its
// (empty) float data. Built here from the real P-Net: the slopes of its first PReLU (a MUL
// by a per-channel constant) become a [1,1,2,C/2] int32 constant 1..C. The import must not read past the
// data (the ASan suite checks), and the integers must come out transposed.
TEST(TfliteImport, IntConstantAgainstAnNhwcActivationIsTransposedFromItsIntegers) {
  TfliteModel m = LoadTflite("pnet.tflite");
  runtime::TfliteTensor* alpha = nullptr;
  for (const runtime::TfliteOperator& op : m.operators) {
    if (op.op() != runtime::TfliteOp::kMul) continue;
    for (int32_t in : op.inputs) {
      runtime::TfliteTensor& t = m.tensors[static_cast<size_t>(in)];
      if (t.is_constant() && t.num_elements() > 1) alpha = &t;
    }
    if (alpha != nullptr) break;
  }
  ASSERT_NE(alpha, nullptr) << "pnet.tflite has no MUL by a per-channel constant";
  const auto channels = static_cast<int32_t>(alpha->num_elements());
  ASSERT_EQ(channels % 2, 0);
  const int32_t w = 2, c = channels / 2;
  alpha->type = runtime::TfliteType::kInt32;
  alpha->shape = {1, 1, w, c};
  alpha->data.clear();
  alpha->ints.clear();
  for (int32_t k = 0; k < channels; ++k) alpha->ints.push_back(k + 1);
  auto bytes = runtime::ConvertTfliteToOnnx(m, {});
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  // NHWC [1,1,w,c] -> NCHW [1,c,1,w]: out[k * w + x] = in[x * c + k].
  std::vector<int64_t> expect(static_cast<size_t>(channels));
  for (int32_t x = 0; x < w; ++x)
    for (int32_t k = 0; k < c; ++k) expect[static_cast<size_t>(k * w + x)] = x * c + k + 1;
  const std::string want(reinterpret_cast<const char*>(expect.data()), expect.size() * sizeof(int64_t));
  EXPECT_NE(bytes->find(want), std::string::npos) << "the slopes are not in NCHW order in the ONNX initializer";
}

// Every committed tflite fuzz regression input parses and converts, or is
// refused with an error, without a crash (the ASan suite runs this too).
TEST(TfliteImport, FuzzRegressionInputsAreConvertedOrRefused) {
  const std::filesystem::path dir = testing::SourceDir() + "/tests/fuzz/regressions/tflite";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty()) << e.path();
    ++files;
    auto m = TfliteModel::Parse(std::span<const uint8_t>(bytes.data(), bytes.size()));
    if (!m.ok()) continue;
    auto onnx = runtime::ConvertTfliteToOnnx(*m, {});
    if (onnx.ok()) EXPECT_FALSE(onnx->empty()) << e.path();
    else EXPECT_NE(onnx.status().message(), "") << e.path();
  }
  EXPECT_GT(files, 0) << "no regression inputs in " << dir;
}

}  // namespace
}  // namespace facekit
