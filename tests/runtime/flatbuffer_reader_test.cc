// Malformed .tflite files produce kModelInvalid, never a crash.
#include <gtest/gtest.h>

#include <random>

#include "runtime/tflite_model.h"
#include "test_util.h"

namespace facekit {
namespace {

using runtime::TfliteModel;

std::vector<uint8_t> Bytes(const std::string& file) {
  auto b = ReadFileBytes(testing::ModelsDir() + "/files/" + file);
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : std::vector<uint8_t>{};
}

TEST(TfliteModel, ParsesPnetStructure) {
  auto m = TfliteModel::Parse(Bytes("pnet.tflite"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version, 3u);
  EXPECT_EQ(m->operators.size(), 29u);
  ASSERT_EQ(m->inputs.size(), 1u);
  EXPECT_EQ(m->tensors[static_cast<size_t>(m->inputs[0])].name, "pnet/input");
  EXPECT_EQ(m->tensors[static_cast<size_t>(m->inputs[0])].shape, (std::vector<int32_t>{1, 1280, 960, 3}));
  const auto& conv = m->operators[0];
  EXPECT_EQ(conv.op(), runtime::TfliteOp::kConv2D);
  EXPECT_EQ(conv.options.padding, runtime::TflitePadding::kValid);
  EXPECT_EQ(m->tensors[static_cast<size_t>(conv.inputs[1])].shape, (std::vector<int32_t>{10, 3, 3, 3}));
}

TEST(TfliteModel, RejectsWrongIdentifierAndTruncation) {
  std::vector<uint8_t> b = Bytes("rnet.tflite");
  EXPECT_EQ(TfliteModel::Parse({}).status().code(), StatusCode::kModelInvalid);
  std::vector<uint8_t> wrong = b;
  wrong[4] = 'X';
  EXPECT_EQ(TfliteModel::Parse(wrong).status().code(), StatusCode::kModelInvalid);
  for (size_t cut : {size_t{8}, size_t{100}, b.size() / 2, b.size() * 3 / 4}) {
    std::vector<uint8_t> t(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = TfliteModel::Parse(t);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
    }
  }
}

TEST(TfliteModel, RandomCorruptionNeverCrashes) {
  std::vector<uint8_t> b = Bytes("pnet.tflite");
  std::mt19937 rng(1234);
  int rejected = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<uint8_t> c = b;
    // Corrupt the structural part (offsets, vtables) near the start and end.
    for (int k = 0; k < 8; ++k) {
      size_t pos = rng() % 2 ? rng() % 2048 : c.size() - 1 - rng() % 4096;
      c[pos] = static_cast<uint8_t>(rng());
    }
    auto r = TfliteModel::Parse(c);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

// tflite_fuzz finding (docs/fuzzing.md): pnet.tflite with these bytes
// changed has a Conv2D stride of 0, which parsed and then divided by zero in
// the ONNX converter's SAME padding. The parser now refuses it.
TEST(TfliteModel, RefusesAZeroStride) {
  std::vector<uint8_t> b = Bytes("pnet.tflite");
  ASSERT_EQ(b.size(), 32352u);
  const std::pair<size_t, uint8_t> patch[] = {
      {10400, 0x5e}, {10401, 0xa9}, {19606, 0x70}, {19607, 0xc2}, {19608, 0x2d}, {19609, 0x0d}, {29290, 0x00},
      {29291, 0x06}, {31447, 0x05}, {31448, 0x00}, {31566, 0x19}, {31567, 0x00}, {31568, 0x00}, {31572, 0x00}};
  for (const auto& [at, value] : patch) b[at] = value;
  auto r = TfliteModel::Parse(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelInvalid);
  EXPECT_NE(r.status().message().find("must be in [1, 65536]"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace facekit
