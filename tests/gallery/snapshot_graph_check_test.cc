// Regression tests for the snapshot_fuzz findings (docs/fuzzing.md): HNSW
// snapshots whose checksum is right but whose graph layout is not as faiss
// lays it out (per-level neighbour counts, a node's slots, neighbours above
// their level, the entry point's level) or non-finite rows are refused, not
// loaded for a later search or insertion to read past the neighbour array or
// convert a NaN to an integer.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "gallery/vector_index.h"
#include "gallery/snapshot_checksum.h"
#include "test_util.h"

namespace facekit::gallery {
namespace {

// The fields of a 3-row, 2-dimensional HNSW snapshot (format 2), written in
// the order and chunks VectorIndex::Save writes them, with the checksum.
struct CraftedGraph {
  std::vector<std::int64_t> keys = {1, 2, 3};
  std::vector<int> cum = {0, 4, 6};       // 4 slots at layer 0, 2 at layer 1
  std::vector<int> levels = {2, 1, 1};    // node 0 has layers 0 and 1
  std::vector<std::size_t> offsets = {0, 6, 10, 14};
  std::vector<std::int32_t> neighbors = {1, 2, -1, -1, -1, -1,  // node 0: layer 0, layer 1
                                         0, 2, -1, -1,          // node 1
                                         0, 1, -1, -1};         // node 2
  std::int32_t entry = 0;
  std::int32_t max_level = 1;
  std::vector<float> rows = {1, 0, 0, 1, 0.6f, 0.8f};
  std::vector<double> probas = {0.5, 0.5};  // a new node's level: one per level

  std::string Bytes() const {
    index_detail::SnapshotChecksum sum;
    std::string out;
    auto raw = [&](const void* p, std::size_t n) {
      if (n == 0) return;
      sum.Update(p, n);
      out.append(static_cast<const char*>(p), n);
    };
    auto value = [&](const auto& v) { raw(&v, sizeof v); };
    auto array = [&](const auto& v) {
      value(static_cast<std::uint64_t>(v.size()));
      raw(v.data(), v.size() * sizeof(v[0]));
    };
    raw("FKVI", 4);
    value(std::uint32_t{2});                      // format
    value(std::int32_t{2});                       // dim
    value(std::int32_t{1});                       // HNSW
    value(std::uint64_t{9});                      // stamp
    value(std::int32_t{2});                       // M
    array(keys);
    array(std::vector<std::uint64_t>(keys.size(), 0));  // tags
    array(std::vector<std::uint8_t>(keys.size(), 1));   // alive
    array(rows);
    array(probas);                                // assign_probas
    array(cum);
    array(levels);
    array(offsets);
    array(neighbors);
    value(entry);
    value(max_level);
    value(std::int32_t{40});                      // efConstruction
    array(std::vector<float>{-2, -2});            // quantiser min
    array(std::vector<float>{0.02f, 0.02f});      // quantiser step
    const std::uint64_t s = sum.value();
    out.append(reinterpret_cast<const char*>(&s), sizeof s);
    return out;
  }
};

Result<VectorIndex::Loaded> LoadBytes(const testing::TempDir& dir, const std::string& bytes) {
  const std::string path = dir.file("crafted.fkvi");
  std::ofstream(path, std::ios::binary) << bytes;
  return VectorIndex::Load(path, IndexOptions{});
}

TEST(SnapshotGraphCheck, AWellFormedCraftedGraphLoadsAndServes) {
  testing::TempDir dir;
  auto loaded = LoadBytes(dir, CraftedGraph{}.Bytes());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  VectorIndex& index = *loaded->index;
  EXPECT_EQ(index.kind(), IndexKind::kHnsw);
  const float query[2] = {1, 0};
  const auto hits = index.Search(query, 3);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].key, 1);
  const float v[2] = {0, -1};
  ASSERT_TRUE(index.Add(4, v).ok());
  EXPECT_EQ(index.Search(v, 1).at(0).key, 4);
}

// No rows: no levels, one offset, no neighbours, entry -1, max level -1.
CraftedGraph Empty() {
  CraftedGraph g;
  g.keys.clear();
  g.levels.clear();
  g.offsets = {0};
  g.neighbors.clear();
  g.rows.clear();
  g.entry = -1;
  g.max_level = -1;
  return g;
}

TEST(SnapshotGraphCheck, AnEmptyGraphLoadsAndTakesInsertions) {
  testing::TempDir dir;
  auto loaded = LoadBytes(dir, Empty().Bytes());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const float v[2] = {0.6f, 0.8f};
  ASSERT_TRUE(loaded->index->Add(4, v).ok());
  EXPECT_EQ(loaded->index->Search(v, 1).at(0).key, 4);
}

TEST(SnapshotGraphCheck, RefusesLayoutsThatWouldReadPastTheGraph) {
  testing::TempDir dir;
  std::vector<std::pair<std::string, CraftedGraph>> bad;
  CraftedGraph g;
  g.entry = 2;  // a one-level node named as the entry of a two-level graph: layer 1 past the array
  bad.emplace_back("entry below the top level", g);
  g = {};
  g.neighbors[4] = 2;  // node 0's layer-1 neighbour has no layer 1
  bad.emplace_back("neighbour above its level", g);
  g = {};
  g.levels = {1, 1, 1};  // node 0 keeps 6 slots but one level owns 4
  g.max_level = 0;
  bad.emplace_back("offsets not matching the levels", g);
  g = {};
  g.cum = {1, 4, 6};
  bad.emplace_back("level sizes not from 0", g);
  g = {};
  g.cum = {0, 6, 4};
  bad.emplace_back("level sizes decreasing", g);
  g = {};
  g.probas = {0.25, 0.25, 0.25, 0.25};  // snapshot_fuzz: an insertion drew level 3 of a 2-level layout
  bad.emplace_back("more level probabilities than levels", g);
  g = {};
  g.rows[3] = std::numeric_limits<float>::quiet_NaN();  // snapshot_fuzz: NaN reached the quantiser's float-to-int
  bad.emplace_back("NaN in a row", g);
  g = {};
  g.rows[0] = std::numeric_limits<float>::infinity();
  bad.emplace_back("infinity in a row", g);
  g = {};
  g.cum = {0, 4, 4};
  g.offsets = {0, 4, 8, 12};
  g.neighbors.resize(12);
  bad.emplace_back("a level without slots", g);
  g = {};
  g.neighbors[6] = -1;  // snapshot_fuzz: node 1's layer-0 list is full ([-1, 2, ...]) with a hole first
  g.neighbors[7] = 2;
  g.neighbors[8] = 0;
  g.neighbors[9] = 2;
  bad.emplace_back("neighbour list with a gap", g);
  g = Empty();
  g.entry = 0x2bffffff;  // snapshot_fuzz: an empty graph naming an entry point; faiss's insertion started there
  bad.emplace_back("empty graph with an entry point", g);
  for (const auto& [what, graph] : bad) {
    const auto loaded = LoadBytes(dir, graph.Bytes());
    ASSERT_FALSE(loaded.ok()) << what;
    EXPECT_EQ(loaded.status().code(), StatusCode::kDataCorrupt) << what;
  }
}

}  // namespace
}  // namespace facekit::gallery
