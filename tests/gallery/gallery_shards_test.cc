// Gallery::SetIndexFilter builds the new face and person indexes beside the
// serving ones: searches go on while it runs, and writes applied meanwhile end
// up indexed exactly as the new filter says.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <tuple>

#include "gallery/gallery.h"
#include "random_vectors.h"
#include "store/face_shard.h"
#include "store/sqlite_store.h"
#include "test_util.h"

namespace facekit::gallery {
namespace {

constexpr int kDim = 32;
constexpr int kShards = 64;

ShardFilter Holding(std::map<std::string, std::set<int>> held) {
  ShardFilter f;
  f.shards = kShards;
  f.holds = [held = std::move(held)](const std::string& group, int shard) {
    auto it = held.find(group);
    return it != held.end() && it->second.count(shard) != 0;
  };
  return f;
}

std::set<int> Modulo(int m, std::set<int> residues) {
  std::set<int> out;
  for (int s = 0; s < kShards; ++s) {
    if (residues.count(s % m)) out.insert(s);
  }
  return out;
}

std::set<std::string> IndexedIds(const Gallery& g, const std::string& group) {
  return g.Read([&](const Catalog& c) {
    std::set<std::string> out;
    for (const IndexEntry& e : c.GroupById(group)->faces->Entries()) {
      const FaceState* f = c.FaceByKey(e.key);
      out.insert(f != nullptr ? f->id.str() : "(deleted face " + std::to_string(e.key) + ")");
    }
    return out;
  });
}

std::set<std::string> IdsInShards(const Gallery& g, const std::string& group, const std::set<int>& shards) {
  return g.Read([&](const Catalog& c) {
    std::set<std::string> out;
    for (std::int64_t pkey : c.GroupById(group)->persons) {
      for (std::int64_t fk : c.PersonByKey(pkey)->faces) {
        const std::string id = c.FaceByKey(fk)->id.str();
        if (shards.count(store::ShardOfFace(id, kShards))) out.insert(id);
      }
    }
    return out;
  });
}

store::Batch PersonBatch(std::int64_t gkey, const std::string& pid, int faces, std::mt19937& rng) {
  store::Batch b;
  b.push_back(store::mutation::InsertPerson{{0, pid, pid, 0, 1}});
  b.push_back(store::mutation::InsertMembership{{gkey, store::Placeholder(0), {}, 1}});
  for (int i = 0; i < faces; ++i) {
    store::FaceRecord f;
    f.id = pid + "-f" + std::to_string(i);
    f.person_key = store::Placeholder(0);
    f.model_version = "3.0";
    f.embedding = testing::RandomUnit(rng, kDim);
    b.push_back(store::mutation::InsertFace{f});
  }
  return b;
}

// Creates group `id`; its key (0 when the write failed).
std::int64_t CreateGroup(Gallery& g, const std::string& id) {
  auto keys = g.Write([&](const Catalog&) -> Result<store::Batch> {
    store::Batch b;
    b.push_back(store::mutation::InsertGroup{{0, id, id, "", {}, "3.0", 1}});
    return b;
  });
  return keys.ok() && !keys->empty() ? keys->front() : 0;
}

// The ids of the persons in group `group`'s person index.
std::set<std::string> IndexedPersons(const Gallery& g, const std::string& group) {
  return g.Read([&](const Catalog& c) {
    std::set<std::string> out;
    for (const IndexEntry& e : c.GroupById(group)->people->Entries()) {
      const PersonState* p = c.PersonByKey(e.key);
      out.insert(p != nullptr ? p->record.id : "(deleted person " + std::to_string(e.key) + ")");
    }
    return out;
  });
}

// The persons of group `group` with a face whose person shard is in `shards`.
std::set<std::string> PersonsInShards(const Gallery& g, const std::string& group, const std::set<int>& shards) {
  return g.Read([&](const Catalog& c) {
    std::set<std::string> out;
    for (std::int64_t pkey : c.GroupById(group)->persons) {
      const PersonState* p = c.PersonByKey(pkey);
      if (!p->faces.empty() && shards.count(store::ShardOfPerson(p->record.id, kShards))) out.insert(p->record.id);
    }
    return out;
  });
}

// Every person entry of `group` is the normalised mean of all the person's
// face vectors in the store (faces indexed here or not), with its face set's tag.
void ExpectFusedFeaturesWhole(const Gallery& g, const std::string& group) {
  std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> persons;  // key, faces
  std::map<std::int64_t, std::pair<std::vector<float>, std::uint64_t>> entries;
  g.Read([&](const Catalog& c) {
    const GroupState* grp = c.GroupById(group);
    for (const IndexEntry& e : grp->people->Entries()) {
      persons.emplace_back(e.key, c.PersonByKey(e.key)->faces);
      entries[e.key] = {grp->people->Vector(e.key), e.tag};
    }
    return 0;
  });
  for (const auto& [pkey, faces] : persons) {
    auto vectors = g.FaceVectors(faces, "3.0");
    ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
    std::vector<std::vector<float>> vs;
    for (auto& [fk, v] : *vectors) vs.push_back(std::move(v));
    const std::vector<float> want = NormalisedMean(vs);
    const auto& [got, tag] = entries.at(pkey);
    ASSERT_EQ(got.size(), want.size()) << "person " << pkey;
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "person " << pkey;
    EXPECT_EQ(tag, FaceSetTag(faces)) << "person " << pkey;
  }
}

// Each face of `group`'s index is found first by its own vector, with its
// own score (by brute force, or through the index's structure).
void ExpectEachFaceFindsItself(const Gallery& g, const std::string& group, bool exact) {
  g.Read([&](const Catalog& c) {
    const GroupState* grp = c.GroupById(group);
    for (const IndexEntry& e : grp->faces->Entries()) {
      const std::vector<float> v = grp->faces->Vector(e.key);
      const auto hits = exact ? grp->faces->SearchExact(v.data(), 1) : grp->faces->Search(v.data(), 1);
      ASSERT_EQ(hits.size(), 1u);
      EXPECT_EQ(hits[0].key, e.key);
      EXPECT_NEAR(hits[0].score, 1.0f, 1e-4);
    }
  });
}

// A gallery on SQLite in `dir` whose SetIndexFilter hook calls `*building`
// (when set), with group "g" (key in `*gkey`) of 60 persons of 3 faces from
// `rng`; null (and a test failure) when something fails.
std::unique_ptr<Gallery> OpenWithGroupG(const testing::TempDir& dir, GalleryOptions o,
                                        const std::function<void()>* building, std::mt19937& rng, std::int64_t* gkey) {
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  o.on_index_filter_building = [building] {
    if (*building) (*building)();
  };
  auto opened = Gallery::Open(std::move(*store), o);
  if (!opened.ok()) {
    ADD_FAILURE() << opened.status().ToString();
    return nullptr;
  }
  Gallery& g = **opened;
  *gkey = CreateGroup(g, "g");
  for (int p = 0; *gkey != 0 && p < 60; ++p) {
    auto w = g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(*gkey, "p" + std::to_string(p), 3, rng)); });
    if (!w.ok()) {
      ADD_FAILURE() << w.status().ToString();
      return nullptr;
    }
  }
  if (*gkey == 0) {
    ADD_FAILURE() << "group g not created";
    return nullptr;
  }
  return std::move(*opened);
}

// The first face of group `group` whose shard is in `shards` (and not `except`).
std::int64_t FaceIn(const Gallery& g, const std::string& group, const std::set<int>& shards) {
  return g.Read([&](const Catalog& c) -> std::int64_t {
    for (std::int64_t pkey : c.GroupById(group)->persons) {
      for (std::int64_t fk : c.PersonByKey(pkey)->faces) {
        if (shards.count(store::ShardOfFace(c.FaceByKey(fk)->id, kShards))) return fk;
      }
    }
    return 0;
  });
}

// (approx_threshold, whether the new filter drops shards, grow_in_place):
// 50,000 keeps the indexes flat (copied), 10 makes them HNSW: rebuilt from
// the rows kept when the change drops many of them; when it only adds,
// grown in place (grow_in_place) or copied.
class SetIndexFilter : public ::testing::TestWithParam<std::tuple<std::size_t, bool, bool>> {};

TEST_P(SetIndexFilter, SearchesGoOnAndWritesMeanwhileAreIndexedByTheNewFilter) {
  testing::TempDir dir;
  std::function<void()> building;  // set below; the gallery's hook calls it
  GalleryOptions o;
  o.dim = kDim;
  o.index.approx_threshold = std::get<0>(GetParam());  // flat or HNSW
  o.index_filter_batch = 7;  // the gained entries added in many batches
  o.grow_in_place = std::get<2>(GetParam());
  const bool drops = std::get<1>(GetParam());
  const std::set<int> kept_residues = drops ? std::set<int>{1, 2} : std::set<int>{0, 1, 2};
  o.index_filter = Holding({{"g", Modulo(4, {0, 1})}});
  std::mt19937 rng(7);
  std::int64_t gkey = 0;
  auto opened = OpenWithGroupG(dir, o, &building, rng, &gkey);
  ASSERT_NE(opened, nullptr);
  Gallery& g = *opened;
  ASSERT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", Modulo(4, {0, 1})));
  // Persons' fused features: only those of the held person shards.
  ASSERT_EQ(IndexedPersons(g, "g"), PersonsInShards(g, "g", Modulo(4, {0, 1})));
  ASSERT_LT(IndexedPersons(g, "g").size(), 60u);
  ExpectFusedFeaturesWhole(g, "g");

  // The new filter keeps residues 1 and 2 of g (drops 0 or not, adds 2) and
  // holds residue 1 of h, a group created while it builds.
  const ShardFilter next = Holding({{"g", Modulo(4, kept_residues)}, {"h", Modulo(4, {1})}});
  const std::int64_t adding = FaceIn(g, "g", Modulo(4, {2}));     // not indexed yet: planned to be added
  const std::int64_t kept = FaceIn(g, "g", Modulo(4, {1}));       // indexed under both filters
  const std::int64_t dropped = FaceIn(g, "g", Modulo(4, {0}));    // indexed, dropped by the new filter (or kept)
  ASSERT_TRUE(adding != 0 && kept != 0 && dropped != 0);
  // Its person leaves g while the copies are built: the person's other
  // planned faces must not stay indexed.
  const std::int64_t leaving = g.Read([&](const Catalog& c) { return c.FaceByKey(adding)->person_key; });
  int calls = 0;
  building = [&] {
    ++calls;
    // A search from another thread answers while the copies are built (a
    // lock held here would keep it waiting).
    const std::vector<float> query = testing::RandomUnit(rng, kDim);
    auto search = std::async(std::launch::async, [&] { return g.SearchFaces({gkey}, query.data(), 5).size(); });
    ASSERT_EQ(search.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    EXPECT_EQ(search.get(), 5u);
    // Writes meanwhile: a new person in g; a planned, a kept and a dropped
    // face deleted; the person of the planned face removed from g (it keeps
    // its other faces); a new group h with a person.
    ASSERT_TRUE(g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(gkey, "late", 8, rng)); }).ok());
    ASSERT_TRUE(g.Write([&](const Catalog&) -> Result<store::Batch> {
                   store::Batch b;
                   b.push_back(store::mutation::DeleteFace{kept});
                   b.push_back(store::mutation::DeleteFace{adding});
                   b.push_back(store::mutation::DeleteFace{dropped});
                   b.push_back(store::mutation::DeleteMembership{gkey, leaving});
                   return b;
                 }).ok());
    const std::int64_t hkey = CreateGroup(g, "h");
    ASSERT_NE(hkey, 0);
    ASSERT_TRUE(g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(hkey, "h0", 12, rng)); }).ok());
  };
  auto seq = g.SetIndexFilter(next);
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", Modulo(4, kept_residues)));
  EXPECT_EQ(IndexedIds(g, "h"), IdsInShards(g, "h", Modulo(4, {1})));
  EXPECT_FALSE(IdsInShards(g, "g", Modulo(4, kept_residues)).empty());
  // Persons moved with their shards; those written meanwhile (a new person,
  // one who left g, faces deleted) follow the new filter too.
  EXPECT_EQ(IndexedPersons(g, "g"), PersonsInShards(g, "g", Modulo(4, kept_residues)));
  EXPECT_EQ(IndexedPersons(g, "h"), PersonsInShards(g, "h", Modulo(4, {1})));
  EXPECT_FALSE(PersonsInShards(g, "g", Modulo(4, {2})).empty());
  ExpectFusedFeaturesWhole(g, "g");
  ExpectFusedFeaturesWhole(g, "h");
  ExpectEachFaceFindsItself(g, "g", /*exact=*/true);
  // The same holdings again: nothing to build, the hook is not called.
  building = nullptr;
  ASSERT_TRUE(g.SetIndexFilter(Holding({{"g", Modulo(4, kept_residues)}, {"h", Modulo(4, {1})}})).ok());
  EXPECT_EQ(calls, 1);
  // After one more write the indexes still follow the filter.
  ASSERT_TRUE(g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(gkey, "later", 8, rng)); }).ok());
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", Modulo(4, kept_residues)));
  EXPECT_EQ(IndexedPersons(g, "g"), PersonsInShards(g, "g", Modulo(4, kept_residues)));
  ExpectFusedFeaturesWhole(g, "g");
}

// Shards handed back and none gained: the serving indexes lose the entries
// at the swap (no copy: the same index objects keep serving), writes
// meanwhile for the dropped shards are removed too, and once the dead rows of
// an HNSW index pass the compaction ratio it is rebuilt in the background.
TEST(SetIndexFilterDrops, OnlyDroppingShardsRemovesInPlaceAndACompactionRebuildsLater) {
  testing::TempDir dir;
  std::function<void()> building;
  GalleryOptions o;
  o.dim = kDim;
  o.index.approx_threshold = 10;  // HNSW
  o.index.compaction_ratio = 0.5;
  o.index_filter = Holding({{"g", Modulo(4, {0, 1, 2, 3})}});
  std::mt19937 rng(11);
  std::int64_t gkey = 0;
  auto opened = OpenWithGroupG(dir, o, &building, rng, &gkey);
  ASSERT_NE(opened, nullptr);
  Gallery& g = *opened;
  ASSERT_TRUE(g.WaitForCompactions().ok());
  using Indexes = std::pair<const VectorIndex*, const VectorIndex*>;
  auto indexes = [&] {
    return g.Read([](const Catalog& c) { return Indexes{c.GroupById("g")->faces.get(), c.GroupById("g")->people.get()}; });
  };
  const Indexes before = indexes();
  const std::int64_t kept = FaceIn(g, "g", Modulo(4, {1}));
  ASSERT_NE(kept, 0);
  int calls = 0;
  building = [&] {
    ++calls;
    // While it runs: a person with faces in every shard, a kept face deleted.
    ASSERT_TRUE(g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(gkey, "late", 12, rng)); }).ok());
    ASSERT_TRUE(g.Write([&](const Catalog&) -> Result<store::Batch> {
                   store::Batch b;
                   b.push_back(store::mutation::DeleteFace{kept});
                   return b;
                 }).ok());
  };
  // A quarter of the shards handed back: removed from the serving indexes.
  ASSERT_TRUE(g.SetIndexFilter(Holding({{"g", Modulo(4, {1, 2, 3})}})).ok());
  EXPECT_EQ(calls, 1);
  // The same face index (its dead rows stay under the ratio). The persons'
  // may already be rebuilt by the compactor: the late person's refreshes
  // and the dropped quarter pass half its live rows.
  EXPECT_EQ(indexes().first, before.first);
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", Modulo(4, {1, 2, 3})));
  EXPECT_EQ(IndexedPersons(g, "g"), PersonsInShards(g, "g", Modulo(4, {1, 2, 3})));
  // Two more quarters: the dead rows pass half the live ones, and the
  // compactor rebuilds both indexes with the same entries.
  building = nullptr;
  ASSERT_TRUE(g.SetIndexFilter(Holding({{"g", Modulo(4, {1})}})).ok());
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", Modulo(4, {1})));
  ASSERT_TRUE(g.WaitForCompactions().ok());
  EXPECT_EQ(g.PendingIndexBuilds(), 0u);
  const Indexes after = indexes();
  EXPECT_NE(after.first, before.first);
  EXPECT_NE(after.second, before.second);
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", Modulo(4, {1})));
  EXPECT_EQ(IndexedPersons(g, "g"), PersonsInShards(g, "g", Modulo(4, {1})));
  ExpectFusedFeaturesWhole(g, "g");
  ExpectEachFaceFindsItself(g, "g", /*exact=*/false);
}

INSTANTIATE_TEST_SUITE_P(Structures, SetIndexFilter,
                         ::testing::Values(std::make_tuple(std::size_t{50000}, false, true),
                                           std::make_tuple(std::size_t{50000}, true, true),
                                           std::make_tuple(std::size_t{10}, false, true),
                                           std::make_tuple(std::size_t{10}, false, false),
                                           std::make_tuple(std::size_t{10}, true, true)));

// An HNSW or IVF index that gains shards grows in place: the same index
// object serves throughout (no copy), a slice at a time, and the writes and
// searches between slices see a consistent index; at the end it holds
// exactly the new filter's faces and persons, each findable through the
// structure.
class SetIndexFilterGrowsInPlace : public ::testing::TestWithParam<IndexKind> {};

TEST_P(SetIndexFilterGrowsInPlace, SliceBySliceWithWritesBetweenSlices) {
  testing::TempDir dir;
  std::function<void()> building;
  GalleryOptions o;
  o.dim = kDim;
  o.index.approx_threshold = 10;  // the structure under test
  o.index.approx_kind = GetParam();
  o.index_filter_batch = 3;  // below the slice's usual floor of 4
  o.grow_slice_ms = 1;  // small slices: many hook calls
  int slices = 0;
  std::function<void()> between;
  o.on_grow_slice = [&] {
    ++slices;
    if (between) between();
  };
  o.index_filter = Holding({{"g", Modulo(4, {0})}});
  std::mt19937 rng(11);
  std::int64_t gkey = 0;
  auto opened = OpenWithGroupG(dir, o, &building, rng, &gkey);
  ASSERT_NE(opened, nullptr);
  Gallery& g = *opened;
  ASSERT_TRUE(g.WaitForCompactions().ok());  // the enrolment's dead person rows: rebuilt before the pointers are taken
  const auto [faces_before, persons_before] = g.Read([&](const Catalog& c) {
    return std::make_pair(c.GroupById("g")->faces.get(), c.GroupById("g")->people.get());
  });
  ASSERT_EQ(g.Read([&](const Catalog& c) { return c.GroupById("g")->faces->kind(); }), GetParam());
  const std::set<int> next_shards = Modulo(4, {0, 1, 2});
  // Faces planned to be added, deleted or moved between slices.
  std::vector<std::int64_t> planned;
  g.Read([&](const Catalog& c) {
    for (std::int64_t pkey : c.GroupById("g")->persons) {
      for (std::int64_t fk : c.PersonByKey(pkey)->faces) {
        if (Modulo(4, {1, 2}).count(store::ShardOfFace(c.FaceByKey(fk)->id, kShards))) planned.push_back(fk);
      }
    }
    return 0;
  });
  ASSERT_GT(planned.size(), 40u);
  const std::int64_t last_planned = *std::max_element(planned.begin(), planned.end());
  const std::int64_t leaving = g.Read([&](const Catalog& c) { return c.FaceByKey(planned[3])->person_key; });
  std::size_t searched = 0;
  int copies_seen = 0;
  between = [&] {
    const std::vector<float> query = testing::RandomUnit(rng, kDim);
    searched += g.SearchFaces({gkey}, query.data(), 5).size();
    // No copy: the original index objects serve (and grow) throughout.
    g.Read([&](const Catalog& c) {
      copies_seen += c.GroupById("g")->faces.get() != faces_before || c.GroupById("g")->people.get() != persons_before;
      return 0;
    });
    if (slices == 2) {
      // A new person (faces in every shard), a planned face not grown yet
      // deleted, and a person of planned faces leaving g.
      ASSERT_TRUE(g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(gkey, "late", 8, rng)); }).ok());
      ASSERT_TRUE(g.Write([&](const Catalog&) -> Result<store::Batch> {
                     store::Batch b;
                     b.push_back(store::mutation::DeleteFace{last_planned});
                     b.push_back(store::mutation::DeleteMembership{gkey, leaving});
                     return b;
                   }).ok());
    }
  };
  auto seq = g.SetIndexFilter(Holding({{"g", next_shards}}));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_GT(slices, 5);
  EXPECT_EQ(searched, static_cast<std::size_t>(slices) * 5);
  EXPECT_EQ(copies_seen, 0);
  // The face index is still the original; the persons' may have been
  // compacted since (the writes above left dead rows in it).
  g.Read([&](const Catalog& c) {
    EXPECT_EQ(c.GroupById("g")->faces.get(), faces_before);
    EXPECT_FALSE(c.GroupById("g")->faces->journaling());
    return 0;
  });
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", next_shards));
  EXPECT_EQ(IndexedPersons(g, "g"), PersonsInShards(g, "g", next_shards));
  ExpectFusedFeaturesWhole(g, "g");
  ExpectEachFaceFindsItself(g, "g", /*exact=*/false);
  // Writes after it follow the new filter.
  between = nullptr;
  ASSERT_TRUE(g.Write([&](const Catalog&) { return Result<store::Batch>(PersonBatch(gkey, "later", 8, rng)); }).ok());
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", next_shards));
}

INSTANTIATE_TEST_SUITE_P(Structures, SetIndexFilterGrowsInPlace, ::testing::Values(IndexKind::kHnsw, IndexKind::kIvf),
                         [](const ::testing::TestParamInfo<IndexKind>& kind) {
                           return std::string(IndexKindName(kind.param));
                         });

// A node's first map on an empty node: the face index grows in place (the
// same object throughout, no copy), and a checkpoint taken midway keeps what
// it had indexed, naming only the shards grown whole, so that a node killed
// then resumes from its snapshot: the reopened gallery (the checkpoint's
// files put back, as a kill -9 right after it would leave them) holds those
// shards, and the map applied again grows only the rest.
TEST(SetIndexFilterGrows, AnEmptyNodesFirstMapGrowsInPlaceAndAMidwayCheckpointResumes) {
  testing::TempDir dir;
  std::function<void()> building;
  GalleryOptions o;
  o.dim = kDim;
  o.index.approx_threshold = 10;  // HNSW once past 10 entries
  o.index_filter_batch = 3;
  o.grow_slice_ms = 1;
  o.snapshot_dir = dir.file("index");
  o.index_filter = Holding({});  // a cluster node before its first map
  o.resume_index_filter = true;
  int slices = 0;
  std::function<void()> between;
  o.on_grow_slice = [&] {
    ++slices;
    if (between) between();
  };
  std::mt19937 rng(17);
  std::int64_t gkey = 0;
  auto opened = OpenWithGroupG(dir, o, &building, rng, &gkey);
  ASSERT_NE(opened, nullptr);
  Gallery& g = *opened;
  ASSERT_TRUE(IndexedIds(g, "g").empty());
  const VectorIndex* faces_before = g.Read([&](const Catalog& c) { return c.GroupById("g")->faces.get(); });
  const std::set<int> shards = Modulo(4, {0, 1, 3});
  const std::size_t want = IdsInShards(g, "g", shards).size();
  ASSERT_GT(want, 60u);
  int copies_seen = 0;
  std::size_t at_checkpoint = 0;
  const std::string saved = dir.file("index-at-checkpoint");
  between = [&] {
    g.Read([&](const Catalog& c) {
      copies_seen += c.GroupById("g")->faces.get() != faces_before;
      return 0;
    });
    // Once the index is a graph (past the flat threshold of 10), a checkpoint.
    if (at_checkpoint == 0 && IndexedIds(g, "g").size() >= 30) {
      ASSERT_EQ(g.Read([&](const Catalog& c) { return c.GroupById("g")->faces->kind(); }), IndexKind::kHnsw);
      ASSERT_TRUE(g.Checkpoint().ok());
      at_checkpoint = IndexedIds(g, "g").size();
      std::filesystem::copy(dir.file("index"), saved, std::filesystem::copy_options::recursive);
    }
  };
  auto seq = g.SetIndexFilter(Holding({{"g", shards}}));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_GT(slices, 10);
  EXPECT_EQ(copies_seen, 0);
  EXPECT_EQ(g.Read([&](const Catalog& c) { return c.GroupById("g")->faces.get(); }), faces_before);
  EXPECT_EQ(IndexedIds(g, "g"), IdsInShards(g, "g", shards));
  ExpectEachFaceFindsItself(g, "g", /*exact=*/false);
  // The checkpoint kept part of the share: some indexed, not all.
  EXPECT_GT(at_checkpoint, 0u);
  EXPECT_LT(at_checkpoint, want);

  between = nullptr;
  opened.reset();
  std::filesystem::remove_all(dir.file("index"));
  std::filesystem::rename(saved, dir.file("index"));
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // The checkpoint's holdings name the shards grown whole by then: some, not all.
  std::set<int> held;
  {
    std::ifstream in(dir.file("index/shard-holdings"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("group ", 0) != 0) continue;
      std::istringstream fields(line.substr(6));
      std::string key, list;
      fields >> key >> list;
      std::istringstream items(list);
      for (std::string item; std::getline(items, item, ',');) held.insert(std::stoi(item));
    }
  }
  EXPECT_FALSE(held.empty());
  EXPECT_LT(held.size(), shards.size());
  auto again = Gallery::Open(std::move(*store), o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->resumed_shards(), held.size());
  // Those shards whole (a half-grown chunk's entries dropped), and the map
  // applied again grows the rest in place.
  EXPECT_EQ(IndexedIds(**again, "g"), IdsInShards(**again, "g", held));
  slices = 0;
  auto resumed = (*again)->SetIndexFilter(Holding({{"g", shards}}));
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_GT(slices, 0);
  EXPECT_EQ(IndexedIds(**again, "g"), IdsInShards(**again, "g", shards));
  ExpectEachFaceFindsItself(**again, "g", /*exact=*/false);
}

// A node's first map with IVF as the approximate structure leaves nothing
// to the compactor (which would copy an index: its rows and a new index
// beside them, the index's memory twice): the face index grows in place and
// retrains in place once it outgrows its training (ivf_regrow), and the
// persons' copy gets its IVF before the swap instead of staying flat.
TEST(SetIndexFilterGrows, AFirstMapWithIvfLeavesNoStructureToTheCompactor) {
  testing::TempDir dir;
  GalleryOptions o;
  o.dim = kDim;
  o.index.approx_threshold = 10;
  o.index.approx_kind = IndexKind::kIvf;
  o.index_filter = Holding({});  // a cluster node before its first map
  o.defer_person_structures = true;
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto opened = Gallery::Open(std::move(*store), o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Gallery& g = **opened;
  const std::int64_t gkey = CreateGroup(g, "g");
  ASSERT_NE(gkey, 0);
  // 1,400 persons of 3 faces: 4,200 faces, past 4 x the 1,000 rows IVF
  // counts its training as at least.
  std::mt19937 rng(23);
  for (int chunk = 0; chunk < 14; ++chunk) {
    auto written = g.Write([&](const Catalog&) {
      store::Batch b;
      for (int p = 0; p < 100; ++p) {
        const std::string pid = "p" + std::to_string(chunk * 100 + p);
        const auto person = static_cast<int>(b.size());
        b.push_back(store::mutation::InsertPerson{{0, pid, pid, 0, 1}});
        b.push_back(store::mutation::InsertMembership{{gkey, store::Placeholder(person), {}, 1}});
        for (int i = 0; i < 3; ++i) {
          store::FaceRecord f;
          f.id = pid + "-f" + std::to_string(i);
          f.person_key = store::Placeholder(person);
          f.model_version = "3.0";
          f.embedding = testing::RandomUnit(rng, kDim);
          b.push_back(store::mutation::InsertFace{f});
        }
      }
      return Result<store::Batch>(std::move(b));
    });
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }
  using Indexes = std::pair<const VectorIndex*, const VectorIndex*>;
  auto indexes = [&] {
    return g.Read([](const Catalog& c) {
      return Indexes{c.GroupById("g")->faces.get(), c.GroupById("g")->people.get()};
    });
  };
  const Indexes before = indexes();
  ASSERT_TRUE(g.SetIndexFilter(Holding({{"g", Modulo(1, {0})}})).ok());
  const Indexes mapped = indexes();
  EXPECT_EQ(mapped.first, before.first);  // grown and retrained in place
  g.Read([](const Catalog& c) {
    EXPECT_EQ(c.GroupById("g")->faces->kind(), IndexKind::kIvf);
    EXPECT_EQ(c.GroupById("g")->people->kind(), IndexKind::kIvf);
    return 0;
  });
  EXPECT_EQ(g.PendingIndexBuilds(), 0u);
  ASSERT_TRUE(g.WaitForCompactions().ok());
  EXPECT_EQ(indexes(), mapped);  // the compactor replaced neither
  EXPECT_EQ(IndexedIds(g, "g").size(), 4200u);
  EXPECT_EQ(IndexedPersons(g, "g").size(), 1400u);
  ExpectEachFaceFindsItself(g, "g", /*exact=*/false);
}

}  // namespace
}  // namespace facekit::gallery
