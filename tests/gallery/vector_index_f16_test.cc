// fp16 rows (IndexOptions::rows == RowFormat::kF16): the conversions, the
// kernels, and an index that keeps its rows in half precision answering as
// the fp32 one does, through removal, compaction, clones and snapshots.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>

#include "eval/synthetic_gallery.h"
#include "gallery/vector_index.h"
#include "gallery/vector_kernels.h"
#include "random_vectors.h"
#include "test_util.h"

namespace facekit::gallery {
namespace {

using testing::RandomUnit;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(VectorKernels, HalfConversionsRoundToNearestEvenAndMatchTheCpu) {
  // Values with known halves: exact ones, a tie each way, the largest half,
  // what rounds past it, the smallest subnormal and below half of it.
  const struct {
    float in;
    std::uint16_t half;
  } known[] = {{0.0f, 0x0000},         {-0.0f, 0x8000},        {1.0f, 0x3c00},         {-2.0f, 0xc000},
               {0.5f, 0x3800},         {65504.0f, 0x7bff},     {65520.0f, 0x7c00},     {1e6f, 0x7c00},
               {std::ldexp(1.0f, -24), 0x0001},                {std::ldexp(1.0f, -25), 0x0000},
               {std::ldexp(3.0f, -25), 0x0002},                {std::ldexp(1.0f, -14), 0x0400},
               // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even 1.
               {1.0f + std::ldexp(1.0f, -11), 0x3c00},
               // 1 + 3 * 2^-11 is halfway between two odd/even neighbours: up to the even one.
               {1.0f + 3 * std::ldexp(1.0f, -11), 0x3c02}};
  for (const auto& k : known) {
    EXPECT_EQ(HalfFromFloatPortable(k.in), k.half) << k.in;
    std::uint16_t cpu = 0;
    FloatsToHalves(&k.in, 1, &cpu);
    EXPECT_EQ(cpu, k.half) << k.in;
  }
  EXPECT_TRUE(std::isinf(FloatFromHalfPortable(0x7c00)));
  EXPECT_TRUE(std::isnan(FloatFromHalfPortable(0x7e00)));
  // Every half decodes the same both ways and encodes back to itself.
  std::vector<std::uint16_t> all(65536);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint16_t>(i);
  std::vector<float> decoded(all.size());
  HalvesToFloats(all.data(), all.size(), decoded.data());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const float portable = FloatFromHalfPortable(all[i]);
    if (std::isnan(portable)) {
      EXPECT_TRUE(std::isnan(decoded[i])) << i;
      continue;
    }
    ASSERT_EQ(std::bit_cast<std::uint32_t>(decoded[i]), std::bit_cast<std::uint32_t>(portable)) << i;
    ASSERT_EQ(HalfFromFloatPortable(portable), all[i]) << i;
  }
  // Random floats of a unit vector's range: the CPU's conversion and ours agree.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> in(4099);
  for (float& v : in) v = u(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 20) - 16);
  std::vector<std::uint16_t> out(in.size());
  FloatsToHalves(in.data(), in.size(), out.data());
  for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(out[i], HalfFromFloatPortable(in[i])) << in[i];
}

TEST(VectorKernels, HalfDotMatchesPortable) {
  std::mt19937 rng(5);
  for (int dim : {1, 7, 8, 15, 16, 31, 32, 100, 192, 513}) {
    auto q = RandomUnit(rng, dim);
    std::vector<std::uint16_t> rows(static_cast<std::size_t>(dim) * 3);
    for (int r = 0; r < 3; ++r) {
      auto v = RandomUnit(rng, dim);
      FloatsToHalves(v.data(), v.size(), rows.data() + r * dim);
    }
    float out[3];
    DotF16Many(q.data(), rows.data(), 3, q.size(), out);
    for (int r = 0; r < 3; ++r) {
      const float portable = DotF16Portable(q.data(), rows.data() + r * dim, q.size());
      EXPECT_NEAR(DotF16(q.data(), rows.data() + r * dim, q.size()), portable, 1e-5) << dim;
      EXPECT_NEAR(out[r], portable, 1e-5) << dim;
    }
  }
}

// The same gallery in an fp32 and an fp16 index of the given kind.
struct Twin {
  explicit Twin(IndexKind kind, std::size_t n = 4000, int d = 64) : dim(d) {
    IndexOptions o;
    o.kind = kind;
    o.ef_search = 128;
    o.rerank = 40;
    eval::SyntheticOptions so;
    so.dim = dim;
    synth = std::make_unique<eval::SyntheticGallery>(so);
    data = synth->Faces(n);
    keys.resize(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = static_cast<std::int64_t>(i) + 1;
    f32 = std::make_unique<VectorIndex>(dim, o);
    o.rows = RowFormat::kF16;
    f16 = std::make_unique<VectorIndex>(dim, o);
  }
  int dim;
  std::unique_ptr<eval::SyntheticGallery> synth;
  std::vector<float> data;
  std::vector<std::int64_t> keys;
  std::unique_ptr<VectorIndex> f32, f16;
};

// Recall@10 of `index` against the fp32 index's exact answers, and the
// largest score difference of a key both return.
struct Agreement {
  double recall = 0;
  float max_score_error = 0;
};
Agreement Agree(const Twin& t, const VectorIndex& index, std::size_t queries = 50) {
  double found = 0, total = 0;
  float worst = 0;
  for (std::size_t q = 0; q < queries; ++q) {
    auto probe = t.synth->Probe(q * 7 % 400);
    auto exact = t.f32->SearchExact(probe.data(), 10);
    auto got = index.Search(probe.data(), 10);
    for (const Hit& e : exact) {
      for (const Hit& g : got) {
        if (g.key != e.key) continue;
        found += 1;
        worst = std::max(worst, std::abs(g.score - e.score));
      }
    }
    total += static_cast<double>(exact.size());
  }
  return {found / total, worst};
}

TEST(VectorIndex, HalfRowsAnswerAsFloatRowsInEveryStructure) {
  for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kIvf}) {
    SCOPED_TRACE(IndexKindName(kind));
    Twin t(kind);
    ASSERT_TRUE(t.f32->AddBatch(t.keys, t.data).ok());
    ASSERT_TRUE(t.f16->AddBatch(t.keys, t.data).ok());
    ASSERT_EQ(t.f16->kind(), kind);
    const Agreement a32 = Agree(t, *t.f32), a16 = Agree(t, *t.f16);
    EXPECT_GE(a16.recall, kind == IndexKind::kFlat ? 0.99 : 0.9);
    EXPECT_GE(a16.recall, a32.recall - 0.02);
    // A unit vector's values to 11 significant bits: a score within ~1e-3.
    EXPECT_LT(a16.max_score_error, 2e-3f);
    // The rows are half the size.
    const std::size_t saved = t.keys.size() * static_cast<std::size_t>(t.dim) * sizeof(std::uint16_t);
    EXPECT_LT(t.f16->MemoryBytes(), t.f32->MemoryBytes() - saved * 9 / 10);
    // Vector() gives the row back to fp16 precision; search finds it first.
    const auto v = t.f16->Vector(17);
    ASSERT_EQ(v.size(), static_cast<std::size_t>(t.dim));
    for (int j = 0; j < t.dim; ++j) EXPECT_NEAR(v[j], t.data[16 * t.dim + j], 1e-3f);
    EXPECT_EQ(t.f16->Search(t.data.data() + 16 * t.dim, 1)[0].key, 17);
    // Removal at once; the moved rows (flat, IVF) keep their own vectors.
    for (std::int64_t key = 1; key <= 400; ++key) ASSERT_TRUE(t.f16->Remove(key));
    for (const Hit& h : t.f16->Search(t.data.data() + 16 * t.dim, 50)) EXPECT_GT(h.key, 400);
    for (std::int64_t key : {401, 2000, 3999, 4000}) {
      const auto row = t.f16->Vector(key);
      ASSERT_EQ(row.size(), static_cast<std::size_t>(t.dim));
      EXPECT_NEAR(row[5], t.data[static_cast<std::size_t>(key - 1) * t.dim + 5], 1e-3f) << key;
      EXPECT_EQ(t.f16->Search(t.data.data() + static_cast<std::size_t>(key - 1) * t.dim, 1)[0].key, key);
    }
    // Compaction keeps the live rows in half precision; a clone answers alike.
    ASSERT_TRUE(t.f16->Compact().ok());
    EXPECT_EQ(t.f16->size(), 3600u);
    const auto clone = t.f16->Clone();
    for (std::int64_t key : {401, 1234, 4000}) {
      const float* q = t.data.data() + static_cast<std::size_t>(key - 1) * t.dim;
      EXPECT_EQ(t.f16->Search(q, 1)[0].key, key);
      EXPECT_EQ(clone->Search(q, 3)[0].key, key);
      EXPECT_EQ(clone->Vector(key), t.f16->Vector(key));
    }
    // CopyLive gives floats (what a rebuild starts from).
    std::vector<std::int64_t> keys;
    std::vector<std::uint64_t> tags;
    std::vector<float> vectors;
    t.f16->CopyLive(&keys, &tags, &vectors);
    ASSERT_EQ(vectors.size(), 3600u * static_cast<std::size_t>(t.dim));
  }
}

TEST(VectorIndex, HalfRowsRefuseValuesBeyondTheHalfRange) {
  IndexOptions o;
  o.rows = RowFormat::kF16;
  VectorIndex half(4, o);
  const std::vector<float> huge = {1e5f, 0, 0, 0};
  EXPECT_EQ(half.Add(1, huge).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(half.size(), 0u);
  EXPECT_TRUE(half.Add(2, std::vector<float>{65504.0f, 0, 0, 0}).ok());
  VectorIndex full(4, IndexOptions{});
  EXPECT_TRUE(full.Add(1, huge).ok());
}

TEST(VectorIndex, HalfRowsGrowOneAtATimeIntoAGraph) {
  Twin t(IndexKind::kAuto, 3000, 48);
  IndexOptions o;
  o.rows = RowFormat::kF16;
  o.approx_threshold = 1000;
  VectorIndex grown(48, o);
  for (std::size_t i = 0; i < 3000; ++i) {
    ASSERT_TRUE(grown.Add(t.keys[i], std::span<const float>(t.data.data() + i * 48, 48)).ok());
  }
  EXPECT_EQ(grown.kind(), IndexKind::kHnsw);
  for (std::size_t i = 0; i < 3000; i += 150) EXPECT_EQ(grown.Search(t.data.data() + i * 48, 1)[0].key, t.keys[i]);
}

TEST(VectorIndex, HalfRowSnapshotsRoundTripAndConvertOnLoad) {
  testing::TempDir tmp;
  const std::string dir = tmp.path();
  for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kIvf}) {
    SCOPED_TRACE(IndexKindName(kind));
    Twin t(kind, 2500, 32);
    ASSERT_TRUE(t.f16->AddBatch(t.keys, t.data).ok());
    ASSERT_TRUE(t.f32->AddBatch(t.keys, t.data).ok());
    if (kind == IndexKind::kHnsw) {
      ASSERT_TRUE(t.f16->Remove(5));
    }
    const std::string path16 = dir + "/f16.snap", path32 = dir + "/f32.snap";
    ASSERT_TRUE(t.f16->Save(path16, 77).ok());
    ASSERT_TRUE(t.f32->Save(path32, 78).ok());
    // fp16 rows do not fit the formats before 3.
    EXPECT_EQ(t.f16->Save(dir + "/old.snap", 1, 2).code(), StatusCode::kInvalidArgument);
    // fp16 file, fp16 options: the same rows, graph and answers.
    IndexOptions half = t.f16->options();
    auto same = VectorIndex::Load(path16, half);
    ASSERT_TRUE(same.ok()) << same.status().ToString();
    EXPECT_EQ(same->stamp, 77u);
    EXPECT_EQ(same->index->kind(), kind);
    EXPECT_EQ(same->index->size(), t.f16->size());
    for (std::int64_t key : {1, 777, 2500}) {
      const float* q = t.data.data() + static_cast<std::size_t>(key - 1) * 32;
      EXPECT_EQ(same->index->Vector(key), t.f16->Vector(key));
      const auto a = same->index->Search(q, 5), b = t.f16->Search(q, 5);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, b[i].key);
    }
    // fp16 file loaded as fp32 and fp32 file loaded as fp16: converted.
    IndexOptions full = half;
    full.rows = RowFormat::kF32;
    auto widened = VectorIndex::Load(path16, full);
    ASSERT_TRUE(widened.ok()) << widened.status().ToString();
    EXPECT_EQ(widened->index->options().rows, RowFormat::kF32);
    EXPECT_EQ(widened->index->Vector(777), t.f16->Vector(777));
    auto narrowed = VectorIndex::Load(path32, half);
    ASSERT_TRUE(narrowed.ok()) << narrowed.status().ToString();
    EXPECT_EQ(narrowed->index->options().rows, RowFormat::kF16);
    EXPECT_EQ(narrowed->index->Vector(777), t.f16->Vector(777));
    EXPECT_LT(narrowed->index->MemoryBytes(), widened->index->MemoryBytes());
    EXPECT_EQ(narrowed->index->Search(t.data.data() + 776 * 32, 1)[0].key, 777);
    // A damaged row format byte or a non-finite half is refused, not loaded.
    const std::string bytes = ReadBytes(path16);
    const std::size_t format_at = 4 + 4 + 4 + 4 + 8 + 4 + (8 + 8 * 2500) + (8 + 8 * 2500) + (8 + 2500);
    ASSERT_EQ(bytes[format_at], 1);
    std::string bad = bytes;
    bad[format_at] = 2;
    WriteBytes(dir + "/bad.snap", bad);
    auto refused = VectorIndex::Load(dir + "/bad.snap", half);
    EXPECT_EQ(refused.status().code(), StatusCode::kDataCorrupt);
    EXPECT_NE(refused.status().message().find("unknown row format"), std::string::npos) << refused.status().message();
    bad = bytes;
    bad[format_at + 1 + 8 + 1] = static_cast<char>(0x7c);  // the first value's high byte: infinity
    WriteBytes(dir + "/bad.snap", bad);
    refused = VectorIndex::Load(dir + "/bad.snap", half);
    EXPECT_EQ(refused.status().code(), StatusCode::kDataCorrupt);
    EXPECT_NE(refused.status().message().find("non-finite"), std::string::npos) << refused.status().message();
  }
}

}  // namespace
}  // namespace facekit::gallery
