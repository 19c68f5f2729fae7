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

}  // namespace
}  // namespace facekit
