#include "gallery/vector_index.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "eval/synthetic_gallery.h"
#include "gallery/vector_kernels.h"
#include "random_vectors.h"
#include "test_util.h"

namespace facekit::gallery {
namespace {

using testing::RandomUnit;

TEST(VectorKernels, MatchPortableVersion) {
  std::mt19937 rng(7);
  for (int dim : {1, 7, 8, 15, 16, 31, 32, 100, 192, 513}) {
    auto a = RandomUnit(rng, dim), b = RandomUnit(rng, dim);
    EXPECT_NEAR(Dot(a.data(), b.data(), a.size()), DotPortable(a.data(), b.data(), a.size()), 1e-5) << dim;
    std::vector<float> base;
    for (int i = 0; i < 5; ++i) {
      auto r = RandomUnit(rng, dim);
      base.insert(base.end(), r.begin(), r.end());
    }
    float out[5];
    DotMany(a.data(), base.data(), 5, a.size(), out);
    for (int i = 0; i < 5; ++i) {
      EXPECT_NEAR(out[i], DotPortable(a.data(), base.data() + i * dim, a.size()), 1e-5);
    }
  }
}

TEST(VectorIndex, FlatSearchIsExactAndRemovalIsImmediate) {
  std::mt19937 rng(1);
  IndexOptions o;
  o.kind = IndexKind::kFlat;
  VectorIndex index(16, o);
  std::vector<std::vector<float>> vs;
  for (int i = 0; i < 200; ++i) {
    vs.push_back(RandomUnit(rng, 16));
    ASSERT_TRUE(index.Add(i + 1, vs.back()).ok());
  }
  EXPECT_EQ(index.size(), 200u);
  auto hits = index.Search(vs[42].data(), 5);
  ASSERT_EQ(hits.size(), 5u);
  EXPECT_EQ(hits[0].key, 43);
  EXPECT_NEAR(hits[0].score, 1.0f, 1e-5);
  for (std::size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);
  EXPECT_TRUE(index.Remove(43));
  EXPECT_FALSE(index.Remove(43));
  for (const Hit& h : index.Search(vs[42].data(), 200)) EXPECT_NE(h.key, 43);
  EXPECT_EQ(index.Search(vs[42].data(), 1000).size(), 199u);
  // Replacing a key keeps one entry.
  ASSERT_TRUE(index.Add(7, vs[0]).ok());
  EXPECT_EQ(index.size(), 199u);
  EXPECT_EQ(index.Search(vs[0].data(), 2).size(), 2u);
  EXPECT_EQ(index.Vector(7), vs[0]);
}

TEST(VectorIndex, RejectsBadVectors) {
  VectorIndex index(4, {});
  EXPECT_EQ(index.Add(1, std::vector<float>{1, 0, 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index.Add(1, std::vector<float>{1, 0, NAN, 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(index.size(), 0u);
}

// `queries` probes of identities q * stride (mod `identities`); each Probe
// call draws a new one, so settings compared on one index share a list.
std::vector<std::vector<float>> Probes(eval::SyntheticGallery& synth, std::size_t identities, std::size_t queries,
                                       std::size_t stride) {
  std::vector<std::vector<float>> probes;
  for (std::size_t q = 0; q < queries; ++q) probes.push_back(synth.Probe(q * stride % identities));
  return probes;
}

// Recall@10 of `index` against its exact search over `probes`.
double RecallAt10(const VectorIndex& index, const std::vector<std::vector<float>>& probes) {
  double found = 0, total = 0;
  for (const auto& probe : probes) {
    auto approx = index.Search(probe.data(), 10);
    auto exact = index.SearchExact(probe.data(), 10);
    for (const Hit& e : exact) {
      for (const Hit& a : approx) found += a.key == e.key;
    }
    total += static_cast<double>(exact.size());
  }
  return found / total;
}

double RecallAt10(const VectorIndex& index, eval::SyntheticGallery& synth, std::size_t identities, std::size_t queries,
                  std::size_t stride) {
  return RecallAt10(index, Probes(synth, identities, queries, stride));
}

// Keys first, first + 1, ... (n of them).
std::vector<std::int64_t> KeysFrom(std::int64_t first, std::size_t n) {
  std::vector<std::int64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = first + static_cast<std::int64_t>(i);
  return keys;
}

TEST(VectorIndex, AutoSwitchesToHnswAndKeepsRecall) {
  IndexOptions o;
  o.kind = IndexKind::kAuto;
  o.approx_threshold = 1500;
  o.ef_search = 128;
  eval::SyntheticOptions so;
  so.dim = 64;
  eval::SyntheticGallery synth(so);
  const std::size_t n = 3000;
  std::vector<float> data = synth.Faces(n);
  VectorIndex index(64, o);
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(index.Add(static_cast<std::int64_t>(i) + 1, std::span<const float>(data.data() + i * 64, 64)).ok());
    if (i + 1 == o.approx_threshold - 1) {
      EXPECT_EQ(index.kind(), IndexKind::kFlat);
    }
  }
  EXPECT_EQ(index.kind(), IndexKind::kHnsw);
  EXPECT_GE(RecallAt10(index, synth, n / so.faces_per_identity, 100, 7), 0.95);
  // Removal in HNSW mode is honoured at once.
  auto probe = std::vector<float>(data.begin() + 64 * 10, data.begin() + 64 * 11);
  ASSERT_EQ(index.Search(probe.data(), 1)[0].key, 11);
  EXPECT_TRUE(index.Remove(11));
  for (const Hit& h : index.Search(probe.data(), 50)) EXPECT_NE(h.key, 11);
  for (const Hit& h : index.SearchExact(probe.data(), 50)) EXPECT_NE(h.key, 11);
  EXPECT_EQ(index.size(), n - 1);
}

TEST(VectorIndex, CompactsWhenManyRowsAreDeadAndFallsBackToFlat) {
  IndexOptions o;
  o.kind = IndexKind::kAuto;
  o.approx_threshold = 400;
  std::mt19937 rng(3);
  VectorIndex index(8, o);
  std::vector<std::int64_t> keys;
  std::vector<float> data;
  for (int i = 0; i < 500; ++i) {
    auto v = RandomUnit(rng, 8);
    keys.push_back(i + 1);
    data.insert(data.end(), v.begin(), v.end());
  }
  ASSERT_TRUE(index.AddBatch(keys, data).ok());
  EXPECT_EQ(index.kind(), IndexKind::kHnsw);
  for (int i = 0; i < 350; ++i) index.Remove(i + 1);
  EXPECT_TRUE(index.NeedsCompaction());
  ASSERT_TRUE(index.Compact().ok());
  EXPECT_EQ(index.kind(), IndexKind::kFlat);  // 150 < threshold / 2
  EXPECT_EQ(index.size(), 150u);
  EXPECT_EQ(index.Search(data.data() + 8 * 400, 1)[0].key, 401);
}

TEST(VectorIndex, SnapshotRoundTripAndDamageDetection) {
  testing::TempDir dir;
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  eval::SyntheticOptions so;
  so.dim = 32;
  eval::SyntheticGallery synth(so);
  std::vector<float> data = synth.Faces(1000);
  std::vector<std::int64_t> keys(1000);
  std::vector<std::uint64_t> tags(1000);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    keys[i] = static_cast<std::int64_t>(i) * 3 + 5;
    tags[i] = i * 11;
  }
  VectorIndex index(32, o);
  ASSERT_TRUE(index.AddBatch(keys, data, tags).ok());
  index.Remove(5);
  const std::string path = dir.file("g.fkvi");
  ASSERT_TRUE(index.Save(path, 77).ok());
  auto loaded = VectorIndex::Load(path, o);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->stamp, 77u);
  VectorIndex& back = *loaded->index;
  EXPECT_EQ(back.kind(), IndexKind::kHnsw);
  EXPECT_EQ(back.size(), index.size());
  EXPECT_EQ(back.Entries().size(), index.Entries().size());
  EXPECT_EQ(back.Entries()[3].tag, index.Entries()[3].tag);
  for (std::size_t q = 0; q < 20; ++q) {
    auto probe = synth.Probe(q);
    auto a = index.Search(probe.data(), 10), b = back.Search(probe.data(), 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, b[i].key);
  }
  EXPECT_FALSE(back.Contains(5));
  // The loaded graph keeps accepting entries.
  ASSERT_TRUE(back.Add(1, std::span<const float>(data.data(), 32)).ok());
  EXPECT_EQ(back.Search(data.data(), 1)[0].key, 1);

  // One flipped byte, a truncation, and a foreign file are all refused.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    bytes.resize(static_cast<std::size_t>(in.tellg()));
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  for (std::size_t pos : {std::size_t{40}, bytes.size() / 2, bytes.size() - 20}) {
    std::string damaged = bytes;
    damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5A);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
    EXPECT_EQ(VectorIndex::Load(path, o).status().code(), StatusCode::kDataCorrupt) << pos;
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 3);
  EXPECT_EQ(VectorIndex::Load(path, o).status().code(), StatusCode::kDataCorrupt);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "hello";
  EXPECT_EQ(VectorIndex::Load(path, o).status().code(), StatusCode::kDataCorrupt);
  EXPECT_EQ(VectorIndex::Load(dir.file("absent"), o).status().code(), StatusCode::kNotFound);
}


TEST(VectorIndexTest, ADeferredStructureStaysFlatUntilACompactionBuildsIt) {
  IndexOptions o;
  o.kind = IndexKind::kAuto;
  o.approx_threshold = 300;
  eval::SyntheticOptions so;
  so.dim = 64;
  eval::SyntheticGallery synth(so);
  const std::size_t n = 600;
  std::vector<float> data = synth.Faces(n);
  std::vector<std::int64_t> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back(static_cast<std::int64_t>(i) + 1);
  VectorIndex index(64, o);
  index.DeferStructure(true);
  ASSERT_TRUE(index.AddBatch(std::span<const std::int64_t>(keys.data(), 400),
                             std::span<const float>(data.data(), 400 * 64))
                  .ok());
  for (std::size_t i = 400; i < n; ++i) {
    ASSERT_TRUE(index.Add(keys[i], std::span<const float>(data.data() + i * 64, 64)).ok());
  }
  EXPECT_TRUE(index.Remove(7));
  // Flat past the threshold, exact, and flagged for the compactor.
  EXPECT_EQ(index.kind(), IndexKind::kFlat);
  EXPECT_TRUE(index.NeedsCompaction());
  auto probe = synth.Probe(3);
  const auto exact = index.SearchExact(probe.data(), 10);
  const auto flat = index.Search(probe.data(), 10);
  ASSERT_EQ(flat.size(), exact.size());
  for (std::size_t i = 0; i < exact.size(); ++i) EXPECT_EQ(flat[i].key, exact[i].key);
  // What the gallery's background compaction does: a new index from the live rows.
  std::vector<std::int64_t> live_keys;
  std::vector<std::uint64_t> tags;
  std::vector<float> rows;
  index.CopyLive(&live_keys, &tags, &rows);
  VectorIndex built(64, index.options());
  ASSERT_TRUE(built.AddBatch(live_keys, rows, tags).ok());
  EXPECT_EQ(built.kind(), IndexKind::kHnsw);
  EXPECT_FALSE(built.NeedsCompaction());
  EXPECT_EQ(built.size(), n - 1);
  // Switched off, the next add builds the structure in place as usual.
  index.DeferStructure(false);
  ASSERT_TRUE(index.Add(7, std::span<const float>(data.data() + 6 * 64, 64)).ok());
  EXPECT_EQ(index.kind(), IndexKind::kHnsw);
}

}  // namespace
}  // namespace facekit::gallery

namespace facekit::gallery {
namespace {

TEST(VectorIndex, IvfRemovesAtOnceKeepsRecallAndSurvivesASnapshot) {
  testing::TempDir dir;
  IndexOptions o;
  o.kind = IndexKind::kIvf;
  o.ivf_nlist = 32;
  o.nprobe = 32;  // every list: results must equal exact search
  eval::SyntheticOptions so;
  so.dim = 48;
  eval::SyntheticGallery synth(so);
  const std::size_t n = 3000;
  std::vector<float> data = synth.Faces(n);
  const std::vector<std::int64_t> keys = KeysFrom(100, n);
  VectorIndex index(48, o);
  ASSERT_TRUE(index.AddBatch(keys, data).ok());
  EXPECT_EQ(index.kind(), IndexKind::kIvf);
  for (std::size_t q = 0; q < 30; ++q) {
    auto probe = synth.Probe(q * 13 % (n / 3));
    auto a = index.Search(probe.data(), 10), e = index.SearchExact(probe.data(), 10);
    ASSERT_EQ(a.size(), e.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, e[i].key) << q;
  }
  // Removal (including of rows that get moved into the hole) and re-adding.
  const float* v7 = data.data() + 7 * 48;
  ASSERT_EQ(index.Search(v7, 1)[0].key, 107);
  for (std::int64_t k = 100; k < 1100; k += 2) ASSERT_TRUE(index.Remove(k));
  EXPECT_EQ(index.size(), n - 500);
  for (const Hit& h : index.Search(v7, 50)) EXPECT_TRUE(h.key >= 1100 || h.key % 2 == 1) << h.key;
  EXPECT_EQ(index.Search(v7, 1)[0].key, 107);
  ASSERT_TRUE(index.Add(100, std::span<const float>(data.data(), 48)).ok());
  EXPECT_EQ(index.Search(data.data(), 1)[0].key, 100);
  // Snapshot round trip keeps the structure and the answers.
  ASSERT_TRUE(index.Save(dir.file("ivf.fkvi"), 5).ok());
  auto loaded = VectorIndex::Load(dir.file("ivf.fkvi"), o);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->index->kind(), IndexKind::kIvf);
  for (std::size_t q = 0; q < 10; ++q) {
    auto probe = synth.Probe(q);
    auto a = index.Search(probe.data(), 10), b = loaded->index->Search(probe.data(), 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, b[i].key);
  }
  // Fewer probes still find the query's own vector first.
  index.SetNprobe(2);
  EXPECT_EQ(index.Search(v7, 1)[0].key, 107);
}

// IVF over fp16 rows: k-means trains on a sample of 64 rows a list (here
// 4,096 of 20,000) and every row still lands in a list; with nprobe 0 a
// search scans 3/8 of the lists (AutoNprobe).
TEST(VectorIndex, IvfTrainsOnASampleAndScansThreeEighthsOfItsListsByDefault) {
  IndexOptions o;
  o.kind = IndexKind::kIvf;
  o.rows = RowFormat::kF16;
  o.ivf_nlist = 64;
  o.nprobe = 0;
  EXPECT_EQ(AutoNprobe(64), 24);
  EXPECT_EQ(AutoNprobe(4096), 1536);
  EXPECT_EQ(AutoNprobe(8), 16);  // at least 16 (the search caps it at the lists' count)
  eval::SyntheticOptions so;
  so.dim = 48;
  eval::SyntheticGallery synth(so);
  const std::size_t n = 20000;
  std::vector<float> data = synth.Faces(n);
  const std::vector<std::int64_t> keys = KeysFrom(1, n);
  VectorIndex index(48, o);
  ASSERT_TRUE(index.AddBatch(keys, data).ok());
  ASSERT_EQ(index.kind(), IndexKind::kIvf);
  const auto probes = Probes(synth, n / so.faces_per_identity, 200, 7);
  const auto recall = [&] { return RecallAt10(index, probes); };
  const double by_default = recall();
  index.SetNprobe(24);
  EXPECT_EQ(recall(), by_default);
  index.SetNprobe(1);
  EXPECT_LT(recall(), by_default - 0.1);
  // Every list scanned: the sample's centroids cover every row.
  index.SetNprobe(64);
  EXPECT_GE(recall(), 0.99);
  // Every row is in a list: each finds itself.
  for (std::size_t i = 0; i < n; i += 97) {
    const auto hits = index.Search(data.data() + i * 48, 1);
    ASSERT_FALSE(hits.empty());
    EXPECT_EQ(hits[0].key, keys[i]) << i;
  }
}

TEST(VectorKernels, QuantisedDotMatchesPortable) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> byte(0, 255);
  std::normal_distribution<float> n;
  for (std::size_t dim : {8u, 16u, 19u, 192u}) {
    std::vector<float> w(dim);
    std::vector<std::uint8_t> codes(dim * 3);
    for (float& x : w) x = n(rng);
    for (auto& c : codes) c = static_cast<std::uint8_t>(byte(rng));
    float out[3];
    DotU8Many(w.data(), codes.data(), 3, dim, out);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(out[i], DotU8Portable(w.data(), codes.data() + i * dim, dim), 1e-2) << dim;
      EXPECT_NEAR(DotU8(w.data(), codes.data() + i * dim, dim), out[i], 1e-2) << dim;
    }
  }
}

// The graph is walked over 8-bit codes, yet results carry exact scores, find
// what the float walk finds, and removal is still honoured at once.
TEST(VectorIndex, QuantisedHnswWalkGivesExactScoresAndRecall) {
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  o.ef_search = 96;
  o.rerank = 30;
  eval::SyntheticOptions so;
  so.dim = 48;
  eval::SyntheticGallery synth(so);
  const std::size_t n = 6000;
  std::vector<float> data = synth.Faces(n);
  std::vector<std::int64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = static_cast<std::int64_t>(i) + 1;
  VectorIndex index(48, o);
  ASSERT_TRUE(index.AddBatch(keys, data).ok());
  double found_u8 = 0, found_fp32 = 0, total = 0;
  for (std::size_t q = 0; q < 60; ++q) {
    auto probe = synth.Probe(q * 13 % (n / so.faces_per_identity));
    index.SetHnswQuantised(true);
    auto u8 = index.Search(probe.data(), 10);
    index.SetHnswQuantised(false);
    auto fp32 = index.Search(probe.data(), 10);
    auto exact = index.SearchExact(probe.data(), 10);
    ASSERT_EQ(u8.size(), 10u);
    for (std::size_t i = 0; i < u8.size(); ++i) {
      const auto v = index.Vector(u8[i].key);
      EXPECT_FLOAT_EQ(u8[i].score, Dot(probe.data(), v.data(), v.size()));
      if (i > 0) {
        EXPECT_GE(u8[i - 1].score, u8[i].score);
      }
    }
    for (const Hit& e : exact) {
      for (const Hit& a : u8) found_u8 += a.key == e.key;
      for (const Hit& a : fp32) found_fp32 += a.key == e.key;
    }
    total += static_cast<double>(exact.size());
  }
  EXPECT_GE(found_u8 / total, 0.95);
  EXPECT_GE(found_u8, found_fp32 - 0.02 * total);
  index.SetHnswQuantised(true);
  const float* v9 = data.data() + 48 * 8;
  ASSERT_EQ(index.Search(v9, 1)[0].key, 9);
  EXPECT_TRUE(index.Remove(9));
  for (const Hit& h : index.Search(v9, 40)) EXPECT_NE(h.key, 9);
  // An index that starts empty (quantiser over [-1, 1]) grows one face at a time.
  VectorIndex grown(48, o);
  for (std::size_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(grown.Add(keys[i], std::span<const float>(data.data() + i * 48, 48)).ok());
  }
  for (std::size_t i = 0; i < 500; i += 50) EXPECT_EQ(grown.Search(data.data() + i * 48, 1)[0].key, keys[i]);
}

// Version 1 snapshots (no graph quantiser) still load; unknown versions are
// refused with a message that names them.
TEST(VectorIndex, LoadsVersionOneSnapshotsAndRefusesUnknownVersions) {
  testing::TempDir dir;
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  eval::SyntheticOptions so;
  so.dim = 32;
  eval::SyntheticGallery synth(so);
  std::vector<float> data = synth.Faces(2000);
  std::vector<std::int64_t> keys(2000);
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<std::int64_t>(i) + 1;
  VectorIndex index(32, o);
  ASSERT_TRUE(index.AddBatch(keys, data).ok());
  index.Remove(3);
  const std::string v1 = dir.file("v1.fkvi"), v2 = dir.file("v2.fkvi"), v3 = dir.file("v3.fkvi");
  ASSERT_TRUE(index.Save(v1, 5, 1).ok());
  ASSERT_TRUE(index.Save(v2, 6, 2).ok());
  ASSERT_TRUE(index.Save(v3, 6).ok());
  auto two = VectorIndex::Load(v2, o);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->index->Vector(1), index.Vector(1));
  EXPECT_FALSE(index.Save(dir.file("v9.fkvi"), 7, 9).ok());
  auto old = VectorIndex::Load(v1, o);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  auto cur = VectorIndex::Load(v3, o);
  ASSERT_TRUE(cur.ok()) << cur.status().ToString();
  EXPECT_EQ(old->stamp, 5u);
  EXPECT_EQ(old->index->size(), index.size());
  EXPECT_FALSE(old->index->Contains(3));
  for (std::size_t q = 0; q < 20; ++q) {
    auto probe = synth.Probe(q);
    auto a = index.Search(probe.data(), 10), b = cur->index->Search(probe.data(), 10);
    auto c = old->index->Search(probe.data(), 10), e = index.SearchExact(probe.data(), 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].key, b[i].key);  // same quantiser
    ASSERT_EQ(c.size(), 10u);
    EXPECT_EQ(c[0].key, e[0].key);
  }
  // A file from a newer build: the version is refused before anything else.
  std::string bytes;
  {
    std::ifstream in(v3, std::ios::binary | std::ios::ate);
    bytes.resize(static_cast<std::size_t>(in.tellg()));
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  bytes[4] = static_cast<char>(VectorIndex::kSnapshotVersion + 1);
  std::ofstream(v3, std::ios::binary | std::ios::trunc) << bytes;
  auto newer = VectorIndex::Load(v3, o);
  EXPECT_EQ(newer.status().code(), StatusCode::kDataCorrupt);
  EXPECT_NE(newer.status().ToString().find("version 4"), std::string::npos) << newer.status().ToString();
}

TEST(VectorIndexTest, CandidateListGrowsWithTheIndexUnlessSet) {
  EXPECT_EQ(AutoEfSearch(100000), 192);
  EXPECT_NEAR(AutoEfSearch(1000000), 768, 8);
  EXPECT_EQ(AutoEfSearch(10), 64);
  EXPECT_LT(AutoEfSearch(200000), AutoEfSearch(1000000));
  IndexOptions o;
  o.kind = IndexKind::kFlat;
  VectorIndex index(8, o);
  EXPECT_EQ(index.effective_ef_search(), 64);
  index.SetEfSearch(300);
  EXPECT_EQ(index.effective_ef_search(), 300);
  index.SetEfSearch(0);
  std::vector<float> v(8, 0.0f);
  v[0] = 1.0f;
  for (std::int64_t key = 1; key <= 100; ++key) ASSERT_TRUE(index.Add(key, v).ok());
  EXPECT_EQ(index.effective_ef_search(), AutoEfSearch(100));
}

// A copy built from CopyLive() and the journal replayed onto it holds
// exactly what the original holds.
TEST(VectorIndexTest, JournalLetsACopyCatchUp) {
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  eval::SyntheticOptions so;
  so.dim = 16;
  eval::SyntheticGallery synth(so);
  const std::vector<float> data = synth.Faces(400);
  VectorIndex index(16, o);
  for (std::int64_t k = 0; k < 300; ++k) {
    ASSERT_TRUE(index.Add(k + 1, std::span<const float>(data.data() + k * 16, 16), static_cast<std::uint64_t>(k)).ok());
  }
  for (std::int64_t k = 291; k <= 300; ++k) index.Remove(k);  // dead rows: not copied
  std::vector<std::int64_t> keys;
  std::vector<std::uint64_t> tags;
  std::vector<float> rows;
  index.CopyLive(&keys, &tags, &rows);
  EXPECT_EQ(keys.size(), 290u);
  index.StartJournal();
  EXPECT_TRUE(index.journaling());
  for (std::int64_t k = 1; k <= 50; ++k) index.Remove(k);
  for (std::int64_t k = 300; k < 400; ++k) {
    ASSERT_TRUE(index.Add(k + 1, std::span<const float>(data.data() + k * 16, 16), 7).ok());
  }
  ASSERT_TRUE(index.Add(60, std::span<const float>(data.data() + 399 * 16, 16), 9).ok());  // replaced
  VectorIndex copy(16, o);
  ASSERT_TRUE(copy.AddBatch(keys, rows, tags).ok());
  for (const auto& op : index.TakeJournal()) {
    if (op.add) {
      ASSERT_TRUE(copy.Add(op.key, op.vector, op.tag).ok());
    } else {
      copy.Remove(op.key);
    }
  }
  EXPECT_FALSE(index.journaling());
  const auto a = index.Entries(), b = copy.Entries();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key);
    EXPECT_EQ(a[i].tag, b[i].tag);
    EXPECT_EQ(index.Vector(a[i].key), copy.Vector(b[i].key));
  }
  EXPECT_EQ(copy.size(), 300u - 10u - 50u + 100u);
}

// A clone searches as the original does (same structure, same answers),
// then changes without touching the original, in each structure.
TEST(VectorIndexTest, CloneAnswersAsTheOriginalAndChangesAlone) {
  eval::SyntheticOptions so;
  so.dim = 16;
  eval::SyntheticGallery synth(so);
  const std::vector<float> data = synth.Faces(600);
  for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kIvf}) {
    SCOPED_TRACE(IndexKindName(kind));
    IndexOptions o;
    o.kind = kind;
    o.nprobe = 4;
    VectorIndex index(16, o);
    std::vector<std::int64_t> keys;
    for (std::int64_t k = 1; k <= 500; ++k) keys.push_back(k);
    ASSERT_TRUE(index.AddBatch(keys, std::span<const float>(data.data(), 500 * 16)).ok());
    for (std::int64_t k = 1; k <= 20; ++k) index.Remove(k);  // dead rows in HNSW
    const std::unique_ptr<VectorIndex> clone = index.Clone();
    EXPECT_EQ(clone->kind(), index.kind());
    EXPECT_EQ(clone->size(), index.size());
    for (int q = 0; q < 600; q += 7) {
      const float* query = data.data() + q * 16;
      const auto a = index.Search(query, 10), b = clone->Search(query, 10);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].key, b[i].key);
        EXPECT_EQ(a[i].score, b[i].score);
      }
    }
    // The clone takes inserts and removals (HNSW: into its own copy of the graph).
    for (std::int64_t k = 501; k <= 600; ++k) {
      ASSERT_TRUE(clone->Add(k, std::span<const float>(data.data() + (k - 1) * 16, 16)).ok());
    }
    for (std::int64_t k = 21; k <= 60; ++k) clone->Remove(k);
    EXPECT_EQ(clone->size(), 500u - 20u + 100u - 40u);
    EXPECT_EQ(index.size(), 480u);
    EXPECT_FALSE(index.Contains(555));
    EXPECT_TRUE(index.Contains(30));
    int found = 0;
    for (std::int64_t k = 501; k <= 600; ++k) {
      const auto hits = clone->Search(data.data() + (k - 1) * 16, 1);
      found += !hits.empty() && hits[0].key == k;
    }
    EXPECT_GE(found, 99);
    for (const Hit& h : clone->Search(data.data() + 30 * 16, 50)) EXPECT_FALSE(h.key >= 21 && h.key <= 60);
    const auto again = index.Search(data.data() + 30 * 16, 1);  // the original still finds key 31
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].key, 31);
  }
}

// Small inserts into a graph (a write, a grow slice) go through
// Graph::InsertFew rather than FAISS's add: the graph they make answers as
// well as one FAISS built from the same rows in one batch.
TEST(VectorIndex, SmallInsertsIntoALargeGraphAnswerAsABatchBuild) {
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  o.ef_search = 96;
  eval::SyntheticOptions so;
  so.dim = 64;
  eval::SyntheticGallery synth(so);
  const std::size_t n = 6000, first = 1500;
  const std::vector<float> data = synth.Faces(n);
  std::vector<std::int64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = static_cast<std::int64_t>(i) + 1;
  VectorIndex batch(64, o), few(64, o);
  ASSERT_TRUE(batch.AddBatch(keys, data).ok());
  ASSERT_TRUE(
      few.AddBatch(std::span<const std::int64_t>(keys.data(), first), std::span<const float>(data.data(), first * 64))
          .ok());
  ASSERT_EQ(few.kind(), IndexKind::kHnsw);
  // The rest one at a time and in batches of 2 to 7 (the locks and the
  // visited table grow several times).
  std::mt19937 rng(3);
  for (std::size_t at = first; at < n;) {
    const std::size_t count = std::min<std::size_t>(n - at, at % 3 == 0 ? 1 : 2 + rng() % 6);
    if (count == 1) {
      ASSERT_TRUE(few.Add(keys[at], std::span<const float>(data.data() + at * 64, 64)).ok());
    } else {
      ASSERT_TRUE(few.AddBatch(std::span<const std::int64_t>(keys.data() + at, count),
                               std::span<const float>(data.data() + at * 64, count * 64))
                      .ok());
    }
    at += count;
  }
  ASSERT_EQ(few.size(), n);
  const std::size_t identities = n / so.faces_per_identity;
  const double batch_recall = RecallAt10(batch, synth, identities, 200, 13);
  const double few_recall = RecallAt10(few, synth, identities, 200, 13);
  EXPECT_GE(few_recall, 0.95);
  EXPECT_GE(few_recall, batch_recall - 0.02) << "batch " << batch_recall;
  // Every row inserted one at a time or in a small batch finds itself.
  std::size_t self = 0;
  for (std::size_t i = first; i < n; ++i) {
    const auto hits = few.Search(data.data() + i * 64, 1);
    self += !hits.empty() && hits[0].key == keys[i];
  }
  EXPECT_GE(static_cast<double>(self), 0.99 * static_cast<double>(n - first));
}

}  // namespace
}  // namespace facekit::gallery
