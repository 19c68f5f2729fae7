// The TF.js graph-model reader refuses corrupt files with a clear Status,
// and the imported ONNX graphs, run by cv::dnn, match a plain reference
// interpreter: on a hand-made graph with known weights and on CenterNet.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "common/base64.h"
#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"
#include "runtime/tfjs_model.h"
#include "runtime/tfjs_reference.h"
#include "runtime/tfjs_to_onnx.h"
#include "test_util.h"

namespace facekit {
namespace {

using nlohmann::json;
using runtime::TfjsModel;
using testing::MaxDiff;
using testing::RefTensor;

std::string B64(const std::string& s) {
  return Base64Encode(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

uint16_t FloatToHalf(float f) {  // normal range only, round to nearest
  uint32_t b;
  std::memcpy(&b, &f, 4);
  uint32_t sign = (b >> 16) & 0x8000u;
  int exp = static_cast<int>((b >> 23) & 0xff) - 127 + 15;
  uint32_t mant = b & 0x7fffffu;
  if (exp <= 0) return static_cast<uint16_t>(sign);
  uint32_t h = sign | (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  if (mant & 0x1000u) ++h;
  return static_cast<uint16_t>(h);
}

// A TF.js model built in the test: nodes, and weights stored as float32,
// float16 or uint8-quantised in one shard.
class GraphBuilder {
 public:
  json& Node(const std::string& name, const std::string& op, std::vector<std::string> inputs = {}) {
    nodes_.push_back({{"name", name}, {"op", op}, {"input", inputs}, {"attr", json::object()}});
    return nodes_.back();
  }
  static void Ints(json& n, const std::string& key, std::vector<int> v) {
    json l = json::array();
    for (int x : v) l.push_back(std::to_string(x));
    n["attr"][key] = {{"list", {{"i", l}}}};
  }
  static void Str(json& n, const std::string& key, const std::string& v) { n["attr"][key] = {{"s", B64(v)}}; }
  static void Bool(json& n, const std::string& key, bool v) { n["attr"][key] = {{"b", v}}; }
  static void Fused(json& n, std::vector<std::string> ops) {
    json l = json::array();
    for (const auto& o : ops) l.push_back(B64(o));
    n["attr"]["fused_ops"] = {{"list", {{"s", l}}}};
  }
  void Input(const std::string& name, std::vector<int> shape) {
    json& n = Node(name, "Placeholder");
    json dims = json::array();
    for (int d : shape) dims.push_back({{"size", std::to_string(d)}});
    n["attr"]["shape"] = {{"shape", {{"dim", dims}}}};
  }
  // storage: "float32", "float16" or "uint8" (min + q * scale, q = round((v - min) / scale)).
  void Const(const std::string& name, std::vector<int> shape, std::vector<float> values,
             const std::string& storage = "float32") {
    Node(name, "Const");
    json w = {{"name", name}, {"shape", shape}, {"dtype", "float32"}};
    if (storage == "float16") {
      w["quantization"] = {{"dtype", "float16"}, {"original_dtype", "float32"}};
      for (float& v : values) {
        uint16_t h = FloatToHalf(v);
        shard_.append(reinterpret_cast<const char*>(&h), 2);
      }
    } else if (storage == "uint8") {
      float lo = *std::min_element(values.begin(), values.end()), hi = *std::max_element(values.begin(), values.end());
      float scale = hi > lo ? (hi - lo) / 255.f : 1.f;
      w["quantization"] = {{"dtype", "uint8"}, {"min", lo}, {"scale", scale}, {"original_dtype", "float32"}};
      for (float& v : values) shard_.push_back(static_cast<char>(std::lround((v - lo) / scale)));
    } else {
      shard_.append(reinterpret_cast<const char*>(values.data()), values.size() * 4);
    }
    weights_.push_back(w);
  }
  void IntConst(const std::string& name, std::vector<int> shape, std::vector<int32_t> values) {
    Node(name, "Const");
    weights_.push_back({{"name", name}, {"shape", shape}, {"dtype", "int32"}});
    shard_.append(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  }
  json& weights() { return weights_; }
  std::string& shard() { return shard_; }
  std::string Json(const std::vector<std::string>& outputs) const {
    json sig_out = json::object();
    for (const auto& o : outputs) sig_out[o] = {{"name", o}};
    json j = {{"format", "graph-model"},
              {"signature", {{"outputs", sig_out}}},
              {"modelTopology", {{"node", nodes_}}},
              {"weightsManifest", json::array({{{"paths", {"w.bin"}}, {"weights", weights_}}})}};
    return j.dump();
  }
  Result<TfjsModel> Parse(const std::vector<std::string>& outputs) const {
    const std::string shard = shard_;
    return TfjsModel::Parse(Json(outputs), "tiny.json", [shard](const std::string& p) -> Result<std::string> {
      if (p != "w.bin") return Status(StatusCode::kNotFound, "no shard " + p);
      return shard;
    });
  }

 private:
  std::vector<json> nodes_;
  json weights_ = json::array();
  std::string shard_;
};

std::vector<float> Ramp(size_t n, float scale, float offset) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * 0.7f + offset) * scale;
  return v;
}

// The tiny graph: every op family the human@3.3.6 models use (conv, depthwise,
// Prelu, squeeze-excitation, hard-swish, resize, clip_by_value, pad, concat,
// pool, reshape, matmul, softmax).
GraphBuilder TinyGraph() {
  GraphBuilder g;
  g.Input("x", {1, 6, 5, 2});
  g.Const("w1", {3, 3, 2, 4}, Ramp(72, 0.5f, 0.f), "float16");
  g.Const("b1", {4}, {0.1f, -0.2f, 0.3f, 0.f});
  json& c1 = g.Node("conv1", "_FusedConv2D", {"x", "w1", "b1"});
  GraphBuilder::Ints(c1, "strides", {1, 2, 2, 1});
  GraphBuilder::Str(c1, "padding", "SAME");
  GraphBuilder::Fused(c1, {"BiasAdd", "Relu6"});
  g.Const("w2", {3, 3, 4, 1}, Ramp(36, 0.4f, 1.f), "uint8");
  json& d2 = g.Node("dw2", "DepthwiseConv2dNative", {"conv1", "w2"});
  GraphBuilder::Ints(d2, "strides", {1, 1, 1, 1});
  GraphBuilder::Str(d2, "padding", "SAME");
  g.Const("alpha", {4}, {0.1f, 0.2f, 0.3f, 0.4f});
  g.Node("prelu", "Prelu", {"dw2", "alpha"});
  g.IntConst("axes", {2}, {1, 2});
  json& mean = g.Node("se/mean", "Mean", {"prelu", "axes"});
  GraphBuilder::Bool(mean, "keep_dims", true);
  g.Node("se/sigmoid", "Sigmoid", {"se/mean"});
  g.Node("se/mul", "Mul", {"prelu", "se/sigmoid"});
  g.Const("three", {}, {3.f});
  g.Const("sixth", {}, {1.f / 6.f});
  g.Node("hs/add", "AddV2", {"se/mul", "three"});
  g.Node("hs/relu6", "Relu6", {"hs/add"});
  g.Node("hs/mul", "Mul", {"sixth", "se/mul"});
  g.Node("hs/out", "Mul", {"hs/mul", "hs/relu6"});
  g.IntConst("size", {2}, {6, 6});
  json& up = g.Node("up", "ResizeBilinear", {"hs/out", "size"});
  GraphBuilder::Bool(up, "align_corners", false);
  GraphBuilder::Bool(up, "half_pixel_centers", false);
  g.Const("w3", {1, 1, 2, 3}, Ramp(6, 1.f, 2.f));
  json& c3 = g.Node("skip", "Conv2D", {"x", "w3"});
  GraphBuilder::Ints(c3, "strides", {1, 1, 1, 1});
  GraphBuilder::Str(c3, "padding", "VALID");
  g.Const("lo", {}, {-0.5f});
  g.Const("hi", {}, {0.75f});
  g.Node("clip/max", "Maximum", {"skip", "lo"});  // clip_by_value, as faceres spells it
  g.Node("clip/min", "Minimum", {"clip/max", "hi"});
  g.IntConst("pads", {4, 2}, {0, 0, 0, 0, 0, 1, 0, 0});
  g.Node("skip/pad", "Pad", {"clip/min", "pads"});
  g.IntConst("axis", {}, {-1});
  g.Node("cat", "ConcatV2", {"up", "skip/pad", "axis"});
  json& pool = g.Node("pool", "MaxPool", {"cat"});
  GraphBuilder::Ints(pool, "ksize", {1, 3, 3, 1});
  GraphBuilder::Ints(pool, "strides", {1, 2, 2, 1});
  GraphBuilder::Str(pool, "padding", "SAME");
  g.IntConst("flat/shape", {2}, {-1, 3 * 3 * 7});
  g.Node("flat", "Reshape", {"pool", "flat/shape"});
  g.Const("fc/w", {63, 5}, Ramp(315, 0.2f, 0.5f));
  g.Const("fcb", {5}, {0.f, 0.1f, 0.2f, 0.3f, 0.4f});
  json& mm = g.Node("fc", "_FusedMatMul", {"flat", "fc/w", "fcb"});
  GraphBuilder::Fused(mm, {"BiasAdd"});
  g.Node("prob", "Softmax", {"fc"});
  return g;
}

RefTensor Input(std::vector<int> shape) {
  RefTensor t{shape, {}};
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  for (size_t i = 0; i < n; ++i) t.data.push_back(std::cos(static_cast<float>(i) * 0.37f) * 2.f);
  return t;
}

cv::Mat Nchw(const RefTensor& t) {
  int n = t.shape[0], h = t.shape[1], w = t.shape[2], c = t.shape[3];
  int sizes[4] = {n, c, h, w};
  cv::Mat m(4, sizes, CV_32F);
  float* p = m.ptr<float>();
  for (int b = 0; b < n; ++b)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int k = 0; k < c; ++k)
          p[((b * c + k) * h + y) * w + x] = t.data[static_cast<size_t>(((b * h + y) * w + x) * c + k)];
  return m;
}

std::unique_ptr<runtime::DnnModel> Import(const TfjsModel& m, const runtime::TfjsToOnnxOptions& opt,
                                          runtime::TfjsToOnnxReport* rep) {
  auto bytes = runtime::ConvertTfjsToOnnx(m, opt, rep);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return nullptr;
  auto net = runtime::DnnModel::FromBuffer(*bytes);
  EXPECT_TRUE(net.ok()) << net.status().ToString();
  return net.ok() ? std::move(*net) : nullptr;
}

TEST(TfjsImport, DecodesFloat16AndUint8WeightsToKnownValues) {
  GraphBuilder g;
  g.Input("x", {1, 1, 1, 1});
  g.Const("h", {3}, {1.f, -2.5f, 0.099975586f}, "float16");
  g.Const("q", {3}, {-1.f, 0.f, 1.55f}, "uint8");
  g.Node("y", "Mul", {"x", "h"});
  auto m = g.Parse({"y"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->weights.at("h").floats, (std::vector<float>{1.f, -2.5f, 0.099975586f}));
  const auto& q = m->weights.at("q").floats;  // min -1, scale 2.55/255 = 0.01
  EXPECT_FLOAT_EQ(q[0], -1.f);
  EXPECT_NEAR(q[1], 0.f, 1e-6);
  EXPECT_NEAR(q[2], 1.55f, 1e-6);
}

TEST(TfjsImport, TinyGraphMatchesReference) {
  GraphBuilder g = TinyGraph();
  auto m = g.Parse({"prob", "cat"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  runtime::TfjsToOnnxOptions opt;
  opt.outputs = {"prob", "cat"};
  runtime::TfjsToOnnxReport rep;
  auto net = Import(*m, opt, &rep);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(rep.fused_hard_swish, 1);
  RefTensor in = Input({1, 6, 5, 2});
  auto ref = testing::RunTfjsReference(*m, {{"x", in}}, {"prob", "cat"});
  ASSERT_EQ(ref.size(), 2u);
  auto out = net->Run(Nchw(in), {"prob", "cat"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_LT(MaxDiff((*out)[1], ref["cat"]), 1e-5f);
  EXPECT_LT(MaxDiff((*out)[0], ref["prob"]), 1e-6f);
  float sum = 0;
  for (float v : ref["prob"].data) sum += v;
  EXPECT_NEAR(sum, 1.f, 1e-5);
}

TEST(TfjsImport, OutputsDefaultToTheGraphsSinksAndAcceptTensorNames) {
  GraphBuilder g = TinyGraph();
  auto m = g.Parse({});  // no signature outputs: the nodes nothing reads ("prob")
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->outputs.empty());
  auto net = Import(*m, {}, nullptr);
  ASSERT_NE(net, nullptr);
  RefTensor in = Input({1, 6, 5, 2});
  auto out = net->Run(Nchw(in), {"prob"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  runtime::TfjsToOnnxOptions opt;
  opt.outputs = {"prob:0"};  // TF's tensor name for output 0
  auto named = Import(*m, opt, nullptr);
  ASSERT_NE(named, nullptr);
  auto out2 = named->Run(Nchw(in), {"prob:0"});
  ASSERT_TRUE(out2.ok()) << out2.status().ToString();
  EXPECT_EQ(cv::norm((*out)[0], (*out2)[0], cv::NORM_INF), 0.0);
}

TEST(TfjsImport, ReportsParametersAndMultiplyAccumulates) {
  GraphBuilder g = TinyGraph();
  auto m = g.Parse({"prob"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  runtime::TfjsToOnnxReport rep;
  ASSERT_TRUE(runtime::ConvertTfjsToOnnx(*m, {}, &rep).ok());
  runtime::ModelStats st = runtime::SummariseLayers(rep.layers);
  // conv1: 3x3x2x4 + 4 bias over a 3x3 output; dw2: 3x3x4 over 3x3; skip: 2x3 over 6x5; fc: 63x5 + 5.
  EXPECT_EQ(st.by_type["_FusedConv2D"].first, 76);
  EXPECT_EQ(st.by_type["_FusedConv2D"].second, 3 * 3 * 4 * 9 * 2);
  EXPECT_EQ(st.by_type["DepthwiseConv2dNative"].second, 3 * 3 * 4 * 9);
  EXPECT_EQ(st.by_type["Conv2D"].second, 6 * 5 * 3 * 2);
  EXPECT_EQ(st.by_type["_FusedMatMul"].first, 320);
  EXPECT_EQ(st.by_type["_FusedMatMul"].second, 315);
  EXPECT_EQ(st.by_type["Prelu"].first, 4);
  EXPECT_EQ(st.total_params, 76 + 36 + 4 + 6 + 320);
}

// ---- corrupt and unsupported files ----

void ExpectError(const Result<TfjsModel>& r, StatusCode code, const std::string& words) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("tiny.json"), std::string::npos) << r.status().ToString();
}

Result<TfjsModel> ParseText(const std::string& text, const std::string& shard) {
  return TfjsModel::Parse(text, "tiny.json", [shard](const std::string&) -> Result<std::string> { return shard; });
}

TEST(TfjsModelErrors, TruncatedJson) {
  GraphBuilder g = TinyGraph();
  std::string text = g.Json({"prob"});
  for (size_t cut : {size_t{0}, size_t{1}, text.size() / 2, text.size() - 1}) {
    ExpectError(ParseText(text.substr(0, cut), g.shard()), StatusCode::kModelInvalid, "not valid JSON");
  }
}

// Fuzz finding (tests/fuzz/regressions/tfjs/number-overflow-out-of-range): a
// number too large for a double makes the JSON parser throw out_of_range, not
// parse_error; it escaped Parse and aborted the process.
TEST(TfjsModelErrors, NumberTooLargeIsInvalidJsonNotACrash) {
  ExpectError(ParseText("1e999", ""), StatusCode::kModelInvalid, "not valid JSON");
  ExpectError(ParseText("{\"modelTopology\": {\"node\": [{\"x\": 68888888E88888880}]}}", ""),
              StatusCode::kModelInvalid, "not valid JSON");
}

TEST(TfjsModelErrors, ShardShorterOrLongerThanTheWeights) {
  GraphBuilder g = TinyGraph();
  std::string text = g.Json({"prob"});
  std::string shard = g.shard();
  ExpectError(ParseText(text, shard.substr(0, shard.size() - 3)), StatusCode::kModelInvalid, "truncated shard");
  ExpectError(ParseText(text, shard + "xx"), StatusCode::kModelInvalid, "wrong shard size");
  ExpectError(ParseText(text, ""), StatusCode::kModelInvalid, "w.bin");
}

TEST(TfjsModelErrors, UnknownDtypeAndQuantisation) {
  GraphBuilder g = TinyGraph();
  g.weights()[0]["dtype"] = "complex64";
  g.weights()[0].erase("quantization");
  ExpectError(g.Parse({"prob"}), StatusCode::kModelInvalid, "unknown dtype 'complex64'");
  GraphBuilder q = TinyGraph();
  q.weights()[0]["quantization"]["dtype"] = "int4";
  ExpectError(q.Parse({"prob"}), StatusCode::kModelInvalid, "int4");
  GraphBuilder nm = TinyGraph();
  nm.weights()[2]["quantization"].erase("scale");  // w2 is uint8
  ExpectError(nm.Parse({"prob"}), StatusCode::kModelInvalid, "without min/scale");
}

TEST(TfjsModelErrors, MissingNodeInputAndMissingWeights) {
  GraphBuilder g = TinyGraph();
  g.Node("broken", "Relu", {"nowhere:1"});
  ExpectError(g.Parse({"prob"}), StatusCode::kModelInvalid, "'broken' (Relu) reads 'nowhere:1'");
  GraphBuilder w = TinyGraph();
  w.Node("orphan", "Const");
  ExpectError(w.Parse({"prob"}), StatusCode::kModelInvalid, "constant 'orphan' has no entry");
}

TEST(TfjsModelErrors, WrongFieldTypes) {
  ExpectError(ParseText(R"({"modelTopology": {"node": [{"name": 3, "op": "Relu"}]}, "weightsManifest": []})", ""),
              StatusCode::kModelInvalid, "malformed model JSON");
  ExpectError(ParseText(R"({"modelTopology": {"node": []}})", ""), StatusCode::kModelInvalid, "no weightsManifest");
  ExpectError(ParseText(R"([1, 2])", ""), StatusCode::kModelInvalid, "not a TF.js graph model");
  ExpectError(ParseText(R"({"modelTopology": {"node": [{"name": "a", "op": "Relu", "attr": {"padding": {"s": "%%%"}}}]},
                            "weightsManifest": []})",
                        ""),
              StatusCode::kModelInvalid, "base64");
}

TEST(TfjsModelErrors, UnsupportedOpIsNamed) {
  GraphBuilder g = TinyGraph();
  g.IntConst("k", {}, {3});
  g.Node("top", "TopKV2", {"prob", "k"});
  auto m = g.Parse({"top"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  runtime::TfjsToOnnxOptions opt;
  opt.outputs = {"top"};
  auto r = runtime::ConvertTfjsToOnnx(*m, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r.status().message().find("'top' (op TopKV2)"), std::string::npos) << r.status().ToString();
  // The part before it still imports.
  opt.outputs = {"prob"};
  EXPECT_TRUE(runtime::ConvertTfjsToOnnx(*m, opt).ok());
}

TEST(TfjsModelErrors, MissingShardFileOnDisk) {
  testing::TempDir dir;
  GraphBuilder g = TinyGraph();
  std::ofstream(dir.file("m.json")) << g.Json({"prob"});
  auto r = TfjsModel::Load(dir.file("m.json"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("w.bin"), std::string::npos) << r.status().ToString();
  std::ofstream(dir.file("w.bin"), std::ios::binary) << g.shard();
  EXPECT_TRUE(TfjsModel::Load(dir.file("m.json")).ok());
  // A shard path must stay inside the model's folder.
  std::string escaping = g.Json({"prob"});
  escaping.replace(escaping.find("\"w.bin\""), 7, "\"../w.bin\"");
  std::ofstream(dir.file("m.json"), std::ios::trunc) << escaping;
  auto r2 = TfjsModel::Load(dir.file("m.json"));
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r2.status().message().find("not a plain relative path"), std::string::npos) << r2.status().ToString();
}

// ---- CenterNet ----

TEST(TfjsImport, CenterNetMatchesReferenceOnRealImage) {
  auto manifest = runtime::ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  const runtime::ManifestModel* mm = manifest->FindRole("objects");
  ASSERT_NE(mm, nullptr);
  auto m = TfjsModel::Load(manifest->FilePath(mm->source_file));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  runtime::TfjsToOnnxOptions opt;
  opt.dynamic_spatial = mm->dynamic_spatial;
  opt.outputs = mm->import_outputs;
  runtime::TfjsToOnnxReport rep;
  auto net = Import(*m, opt, &rep);
  ASSERT_NE(net, nullptr);
  EXPECT_GT(rep.fused_hard_swish, 0);
  Image img = testing::MustLoad(testing::Photo("two_people.jpg"));
  cv::Mat rgb;
  cv::cvtColor(AsMat(img), rgb, cv::COLOR_BGR2RGB);
  // The file's 512x512, where the graph's constant upsampling sizes hold,
  // and 128x96, where its x2 upsampling is what the importer exports.
  for (cv::Size size : {cv::Size(512, 512), cv::Size(128, 96)}) {
    cv::Mat small;
    cv::resize(rgb, small, size, 0, 0, cv::INTER_AREA);
    RefTensor in{{1, size.height, size.width, 3}, {}};
    for (int y = 0; y < size.height; ++y)
      for (int x = 0; x < size.width; ++x)
        for (int c = 0; c < 3; ++c) in.data.push_back(small.at<cv::Vec3b>(y, x)[c]);
    testing::TfjsReferenceOptions ro;
    if (size.width != 512) ro.resize_factor = 2;
    auto ref = testing::RunTfjsReference(*m, {{"tower_0/images", in}}, opt.outputs, ro);
    ASSERT_EQ(ref.size(), 2u);
    auto out = net->Run(Nchw(in), opt.outputs);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    float hm_max = 0, wh_max = 0;
    for (float v : ref["tower_0/keypoints"].data) hm_max = std::max(hm_max, v);
    for (float v : ref["tower_0/wh"].data) wh_max = std::max(wh_max, std::fabs(v));
    EXPECT_GT(hm_max, 0.3f) << size;  // the photo's people are found
    EXPECT_GT(wh_max, 10.f) << size;
    EXPECT_LT(MaxDiff((*out)[0], ref["tower_0/keypoints"]), 1e-5f) << size;
    EXPECT_LT(MaxDiff((*out)[1], ref["tower_0/wh"]), 1e-5f * wh_max) << size;
  }
}

}  // namespace
}  // namespace facekit
