#include "gallery/gallery.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "eval/synthetic_gallery.h"
#include "store/sqlite_store.h"
#include "test_util.h"

namespace facekit::gallery {
namespace {

constexpr int kDim = 32;

std::unique_ptr<Gallery> OpenGallery(const testing::TempDir& dir, std::size_t approx_threshold = 50000,
                                     RowFormat rows = RowFormat::kF32) {
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  GalleryOptions o;
  o.dim = kDim;
  o.index.approx_threshold = approx_threshold;
  o.index.rows = rows;
  o.snapshot_dir = dir.file("index");
  auto g = Gallery::Open(std::move(*store), o);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(*g);
}

Result<std::vector<std::int64_t>> AddGroup(Gallery& g, const std::string& id) {
  return g.Write([&](const Catalog&) -> Result<store::Batch> {
    store::Batch b;
    b.push_back(store::mutation::InsertGroup{{0, id, id, "", {}, "3.0", 1}});
    return b;
  });
}

// A new group's key (0 when it could not be made).
std::int64_t NewGroupKey(Gallery& g, const std::string& id) {
  auto keys = AddGroup(g, id);
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return keys.ok() ? (*keys)[0] : 0;
}

// A person with `faces` faces in group `gkey`, in one batch.
Result<std::vector<std::int64_t>> AddPerson(Gallery& g, std::int64_t gkey, const std::string& pid,
                                            const std::vector<std::vector<float>>& faces) {
  return g.Write([&](const Catalog&) -> Result<store::Batch> {
    store::Batch b;
    b.push_back(store::mutation::InsertPerson{{0, pid, pid, 0, 1}});
    b.push_back(store::mutation::InsertMembership{{gkey, store::Placeholder(0), {}, 1}});
    for (std::size_t i = 0; i < faces.size(); ++i) {
      store::FaceRecord f;
      f.id = pid + "-f" + std::to_string(i);
      f.person_key = store::Placeholder(0);
      f.model_version = "m";
      f.embedding = faces[i];
      b.push_back(store::mutation::InsertFace{f});
    }
    return b;
  });
}

// The 3 faces of synthetic identity `p` in `faces` (SyntheticGallery::Faces, 3 per identity).
std::vector<std::vector<float>> PersonFaces(const std::vector<float>& faces, int p) {
  std::vector<std::vector<float>> fs;
  for (int f = 0; f < 3; ++f) fs.emplace_back(faces.begin() + (p * 3 + f) * kDim, faces.begin() + (p * 3 + f + 1) * kDim);
  return fs;
}

std::vector<std::int64_t> Keys(const std::vector<SearchHit>& hits) {
  std::vector<std::int64_t> k;
  for (const auto& h : hits) k.push_back(h.key);
  return k;
}

// Group "big" with `persons` persons "p0".. of PersonFaces(faces, p); its key (0 on failure).
std::int64_t EnrolBigGroup(Gallery& g, const std::vector<float>& faces, int persons) {
  auto gk = AddGroup(g, "big");
  EXPECT_TRUE(gk.ok());
  if (!gk.ok()) return 0;
  for (int p = 0; p < persons; ++p) {
    const Status s = AddPerson(g, (*gk)[0], "p" + std::to_string(p), PersonFaces(faces, p)).status();
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return 0;
  }
  return (*gk)[0];
}

TEST(Gallery, SearchesFacesAndFusedPersonsAcrossGroups) {
  testing::TempDir dir;
  auto g = OpenGallery(dir);
  eval::SyntheticOptions so;
  so.dim = kDim;
  eval::SyntheticGallery synth(so);
  auto g1 = AddGroup(*g, "g1");
  auto g2 = AddGroup(*g, "g2");
  ASSERT_TRUE(g1.ok() && g2.ok());
  auto faces = synth.Faces(30);  // 10 identities x 3 faces
  for (int p = 0; p < 10; ++p) {
    ASSERT_TRUE(AddPerson(*g, p < 5 ? (*g1)[0] : (*g2)[0], "p" + std::to_string(p), PersonFaces(faces, p)).ok());
  }
  auto probe = synth.Probe(7);
  auto person_hits = g->SearchPersons({(*g1)[0], (*g2)[0]}, probe.data(), 3);
  ASSERT_FALSE(person_hits.empty());
  const std::string best = g->Read([&](const Catalog& c) { return c.PersonByKey(person_hits[0].key)->record.id; });
  EXPECT_EQ(best, "p7");
  EXPECT_EQ(person_hits[0].group_key, (*g2)[0]);
  // Only g1 searched: p7 cannot appear.
  for (const auto& h : g->SearchPersons({(*g1)[0]}, probe.data(), 10)) {
    EXPECT_EQ(g->Read([&](const Catalog& c) { return c.PersonByKey(h.key)->groups.count((*g1)[0]); }), 1u);
  }
  auto face_hits = g->SearchFaces({(*g1)[0], (*g2)[0], 999}, probe.data(), 3);
  ASSERT_EQ(face_hits.size(), 3u);
  for (const auto& h : face_hits) {
    EXPECT_EQ(g->Read([&](const Catalog& c) { return c.PersonByKey(c.FaceByKey(h.key)->person_key)->record.id; }),
              "p7");
  }
}

// The catalog keys its id and source lookups by views of the records' own
// strings (GalleryOptions memory, docs/gallery.md "Catalog memory"): every
// write and a restart keep them right, and ASan sees no dangling view.
TEST(Gallery, IdAndSourceLookupsFollowEveryWriteAndARestart) {
  testing::TempDir dir;
  auto g = OpenGallery(dir);
  const std::int64_t group = NewGroupKey(*g, "g");
  ASSERT_NE(group, 0);
  // Ids longer than a short string's inline buffer: the views point into the heap.
  const std::string long_a = "person-with-a-long-id-a", long_f = "face-with-a-long-id-0000000001";
  std::vector<float> v(kDim, 0.0f);
  v[0] = 1;
  auto face = [&](const std::string& id, const std::string& source, std::int64_t person_key) {
    store::FaceRecord f;
    f.id = id;
    f.person_key = person_key;
    f.model_version = "3.0";
    f.embedding = v;
    f.source = source;
    return store::mutation::InsertFace{f};
  };
  auto keys = g->Write([&](const Catalog&) -> Result<store::Batch> {
    return store::Batch{store::mutation::InsertPerson{{0, long_a, "A", 0, 1}},
                        store::mutation::InsertMembership{{group, store::Placeholder(0), {}, 1}},
                        face(long_f, "/photos/shared.jpg", store::Placeholder(0)),
                        face("a-f2", "/photos/shared.jpg", store::Placeholder(0)),
                        store::mutation::InsertPerson{{0, "b", "B", 0, 1}},
                        store::mutation::InsertMembership{{group, store::Placeholder(4), {}, 1}},
                        face("b-f1", "/photos/b.jpg", store::Placeholder(4))};
  });
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  const std::int64_t a = (*keys)[0], f1 = (*keys)[2], f2 = (*keys)[3], b = (*keys)[4], bf = (*keys)[6];
  auto check = [&](const char* when, std::initializer_list<std::pair<std::string, std::int64_t>> faces,
                   std::initializer_list<std::pair<std::string, bool>> sources) {
    SCOPED_TRACE(when);
    g->Read([&](const Catalog& c) {
      for (const auto& [id, key] : faces) EXPECT_EQ(c.FaceKeyById(id), key) << id;
      for (const auto& [source, known] : sources) EXPECT_EQ(c.FaceSourceKnown(source), known) << source;
      return 0;
    });
  };
  check("enrolled", {{long_f, f1}, {"a-f2", f2}, {"b-f1", bf}, {"nope", 0}},
        {{"/photos/shared.jpg", true}, {"/photos/b.jpg", true}, {"/photos/none.jpg", false}});
  EXPECT_EQ(g->Read([&](const Catalog& c) { return c.PersonById(long_a)->record.key; }), a);

  // Deleting one of two faces of a source keeps the source known (the other face has it).
  ASSERT_TRUE(g->Write([&](const Catalog&) -> Result<store::Batch> {
                 return store::Batch{store::mutation::DeleteFace{f1}};
               }).ok());
  check("one shared-source face deleted", {{long_f, 0}, {"a-f2", f2}}, {{"/photos/shared.jpg", true}});
  // A deleted person takes its faces' ids and sources along; its id may be used again.
  ASSERT_TRUE(g->Write([&](const Catalog&) -> Result<store::Batch> {
                 return store::Batch{store::mutation::DeletePerson{b}};
               }).ok());
  check("person b deleted", {{"b-f1", 0}}, {{"/photos/b.jpg", false}});
  EXPECT_EQ(g->Read([&](const Catalog& c) { return c.PersonById("b"); }), nullptr);
  auto again = g->Write([&](const Catalog&) -> Result<store::Batch> {
    return store::Batch{store::mutation::InsertPerson{{0, "b", "B2", 0, 1}},
                        store::mutation::InsertMembership{{group, store::Placeholder(0), {}, 1}},
                        face(long_f, "/photos/b.jpg", store::Placeholder(0)),
                        store::mutation::PutFaceVector{store::Placeholder(2), "3.1", std::vector<float>(128, 0.5f)}};
  });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const std::int64_t b2 = (*again)[0], f3 = (*again)[2];
  check("ids used again", {{long_f, f3}, {"a-f2", f2}, {"b-f1", 0}},
        {{"/photos/b.jpg", true}, {"/photos/shared.jpg", true}});
  g->Read([&](const Catalog& c) {
    EXPECT_EQ(c.PersonById("b")->record.key, b2);
    EXPECT_EQ(c.FaceByKey(f3)->other_versions.count("3.1"), 1u);
    EXPECT_EQ(c.FaceByKey(f3)->other_versions.count("3.0"), 0u);
    EXPECT_EQ(c.FaceByKey(f2)->other_versions.count("3.1"), 0u);
    EXPECT_EQ(c.FaceSource(f3), "/photos/b.jpg");
    EXPECT_EQ(c.FaceByKey(f3)->person_key, b2);
    return 0;
  });
  // The last face of the shared source deleted: no longer known.
  ASSERT_TRUE(g->Write([&](const Catalog&) -> Result<store::Batch> {
                 return store::Batch{store::mutation::DeleteFace{f2}};
               }).ok());
  check("both shared-source faces deleted", {{"a-f2", 0}}, {{"/photos/shared.jpg", false}});

  g.reset();
  g = OpenGallery(dir);
  check("restarted", {{long_f, f3}, {"a-f2", 0}, {"b-f1", 0}},
        {{"/photos/b.jpg", true}, {"/photos/shared.jpg", false}});
  g->Read([&](const Catalog& c) {
    EXPECT_EQ(c.PersonById(long_a)->record.key, a);
    EXPECT_EQ(c.PersonById("b")->record.key, b2);
    EXPECT_EQ(c.FaceByKey(f3)->other_versions.count("3.1"), 1u);
    EXPECT_EQ(c.face_count(), 1u);
    return 0;
  });
}

// A group's face count (FaceNum, the face limit) is a counter every write
// keeps, not the size of its face index: the same after a restart, and the
// whole group's on a node whose index holds only some shards.
TEST(Gallery, GroupFaceCountsFollowEveryWriteARestartAndAShardFilter) {
  testing::TempDir dir;
  auto g = OpenGallery(dir);
  const std::int64_t g1 = NewGroupKey(*g, "g1"), g2 = NewGroupKey(*g, "g2"), g3 = NewGroupKey(*g, "g3");
  ASSERT_TRUE(g1 != 0 && g2 != 0 && g3 != 0);
  eval::SyntheticOptions so;
  so.dim = kDim;
  eval::SyntheticGallery synth(so);
  const auto faces = synth.Faces(30);
  auto person = [&](std::int64_t gk, const std::string& id, int p, int n) {
    auto fs = PersonFaces(faces, p);
    fs.resize(static_cast<std::size_t>(n));
    auto keys = AddPerson(*g, gk, id, fs);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? (*keys)[0] : 0;
  };
  auto write = [&](store::Batch b) {
    auto keys = g->Write([&](const Catalog&) -> Result<store::Batch> { return b; });
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? *keys : std::vector<std::int64_t>{};
  };
  auto counts = [&] {
    return g->Read([&](const Catalog& c) {
      std::vector<std::size_t> out;
      for (std::int64_t gk : {g1, g2, g3}) out.push_back(c.GroupByKey(gk) ? c.GroupByKey(gk)->face_count : 99);
      return out;
    });
  };
  using V = std::vector<std::size_t>;
  const std::int64_t a = person(g1, "a", 0, 3), b = person(g1, "b", 1, 2);
  person(g3, "c", 2, 1);
  EXPECT_EQ(counts(), (V{5, 0, 1}));
  write({store::mutation::InsertMembership{{g2, a, {}, 1}}});  // a copied to g2
  EXPECT_EQ(counts(), (V{5, 3, 1}));
  store::FaceRecord extra;
  extra.id = "a-extra";
  extra.person_key = a;
  extra.model_version = "m";
  extra.embedding = PersonFaces(faces, 3)[0];
  write({store::mutation::InsertFace{extra}});  // counted in both of a's groups
  EXPECT_EQ(counts(), (V{6, 4, 1}));
  const std::int64_t b_face = g->Read([&](const Catalog& c) { return c.PersonByKey(b)->faces[0]; });
  write({store::mutation::DeleteFace{b_face}});
  EXPECT_EQ(counts(), (V{5, 4, 1}));
  write({store::mutation::DeleteMembership{g1, a}});
  EXPECT_EQ(counts(), (V{1, 4, 1}));
  write({store::mutation::InsertMembership{{g3, b, {}, 1}}});
  EXPECT_EQ(counts(), (V{1, 4, 2}));
  write({store::mutation::DeletePerson{b}});  // from g1 and g3
  EXPECT_EQ(counts(), (V{0, 4, 1}));
  person(g1, "d", 4, 3);
  EXPECT_EQ(counts(), (V{3, 4, 1}));

  g.reset();
  g = OpenGallery(dir);
  EXPECT_EQ(counts(), (V{3, 4, 1}));
  // A node that indexes no shard of any group: its face indexes are empty,
  // the counts stay the groups'.
  ShardFilter none;
  none.shards = 64;
  none.holds = [](const std::string&, int) { return false; };
  ASSERT_TRUE(g->SetIndexFilter(none).ok());
  EXPECT_EQ(g->Read([&](const Catalog& c) { return c.GroupByKey(g2)->faces->size(); }), 0u);
  EXPECT_EQ(counts(), (V{3, 4, 1}));
  person(g2, "e", 5, 2);
  write({store::mutation::DeleteGroup{g3}});
  EXPECT_EQ(counts(), (V{3, 6, 99}));
}

// A snapshot write cut short by a kill leaves PATH.tmp (written, synced,
// then renamed): the next open removes it and keeps the finished files; a
// read-only gallery beside the folder's owner leaves the folder alone.
TEST(Gallery, OpenRemovesSnapshotWritesAKillCutShort) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.file("index"));
  const auto write = [](const std::string& path) { std::ofstream(path) << "partial"; };
  write(dir.file("index/group-1-faces.fkvi.tmp"));
  write(dir.file("index/shard-holdings.tmp"));
  write(dir.file("index/notes.txt"));
  {
    auto store = store::OpenSqliteStore(dir.file("gallery.db"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    GalleryOptions o;
    o.dim = kDim;
    o.snapshot_dir = dir.file("index");
    o.read_only = true;
    ASSERT_TRUE(Gallery::Open(std::move(*store), o).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir.file("index/group-1-faces.fkvi.tmp")));
  auto g = OpenGallery(dir);
  ASSERT_NE(g, nullptr);
  EXPECT_FALSE(std::filesystem::exists(dir.file("index/group-1-faces.fkvi.tmp")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("index/shard-holdings.tmp")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("index/notes.txt")));
}

TEST(Gallery, RestartFromSnapshotsPlusLaterChangesEqualsRebuild) {
  testing::TempDir dir;
  eval::SyntheticOptions so;
  so.dim = kDim;
  eval::SyntheticGallery synth(so);
  auto faces = synth.Faces(900);
  std::int64_t gkey = 0;
  {
    auto g = OpenGallery(dir, /*approx_threshold=*/200);
    gkey = EnrolBigGroup(*g, faces, 200);
    ASSERT_NE(gkey, 0);
    ASSERT_TRUE(g->Checkpoint().ok());
    EXPECT_TRUE(std::filesystem::exists(dir.file("index/group-" + std::to_string(gkey) + "-faces.fkvi")));
    // Changes after the snapshot: more persons, and deletions.
    for (int p = 200; p < 300; ++p) {
      ASSERT_TRUE(AddPerson(*g, gkey, "p" + std::to_string(p), PersonFaces(faces, p)).ok());
    }
    for (int p = 0; p < 300; p += 7) {
      ASSERT_TRUE(g->Write([&](const Catalog& c) -> Result<store::Batch> {
                     store::Batch b;
                     b.push_back(store::mutation::DeletePerson{c.PersonById("p" + std::to_string(p))->record.key});
                     return b;
                   }).ok());
    }
  }  // no checkpoint: the snapshot is stale, as after kill -9
  auto restarted = OpenGallery(dir, 200);
  auto rebuilt = OpenGallery(dir, 200);
  ASSERT_TRUE(rebuilt->RebuildIndexes().ok());
  EXPECT_EQ(restarted->Read([](const Catalog& c) { return c.face_count(); }), (300u - 43u) * 3u);
  for (std::size_t q = 0; q < 50; ++q) {
    auto probe = synth.Probe(q * 5);
    auto a = restarted->SearchFaces({gkey}, probe.data(), 10);
    auto b = rebuilt->SearchFaces({gkey}, probe.data(), 10);
    EXPECT_EQ(Keys(a), Keys(b)) << q;
    auto pa = restarted->SearchPersons({gkey}, probe.data(), 5);
    auto pb = rebuilt->SearchPersons({gkey}, probe.data(), 5);
    EXPECT_EQ(Keys(pa), Keys(pb)) << q;
    for (const auto& h : a) {
      const std::string pid =
          restarted->Read([&](const Catalog& c) { return c.PersonByKey(c.FaceByKey(h.key)->person_key)->record.id; });
      EXPECT_NE(std::stoi(pid.substr(1)) % 7, 0) << "deleted person returned: " << pid;
    }
  }
}

// A gallery whose indexes keep fp16 rows (serve --index-rows fp16) answers
// as the fp32 one does, and a folder opened with the other format converts
// its snapshots instead of failing or answering differently.
TEST(Gallery, HalfRowIndexesAnswerAsFloatOnesAndSnapshotsChangeFormat) {
  testing::TempDir half_dir, full_dir;
  eval::SyntheticOptions so;
  so.dim = kDim;
  eval::SyntheticGallery synth(so);
  auto faces = synth.Faces(900);
  std::int64_t gkey = 0;
  {
    auto half = OpenGallery(half_dir, 200, RowFormat::kF16);
    auto full = OpenGallery(full_dir, 200, RowFormat::kF32);
    gkey = EnrolBigGroup(*half, faces, 300);
    ASSERT_EQ(EnrolBigGroup(*full, faces, 300), gkey);
    ASSERT_TRUE(half->Checkpoint().ok());
    std::size_t same_best = 0, overlap = 0;
    for (std::size_t q = 0; q < 40; ++q) {
      auto probe = synth.Probe(q * 7);
      auto a = half->SearchFaces({gkey}, probe.data(), 10), b = full->SearchFaces({gkey}, probe.data(), 10);
      ASSERT_EQ(a.size(), 10u);
      ASSERT_EQ(b.size(), 10u);
      same_best += a[0].key == b[0].key;
      EXPECT_NEAR(a[0].similarity, b[0].similarity, 2e-3);
      const std::vector<std::int64_t> kb = Keys(b);
      for (const auto& h : a) overlap += std::count(kb.begin(), kb.end(), h.key) > 0 ? 1 : 0;
      auto pa = half->SearchPersons({gkey}, probe.data(), 3), pb = full->SearchPersons({gkey}, probe.data(), 3);
      ASSERT_FALSE(pa.empty());
      EXPECT_EQ(pa[0].key, pb[0].key) << q;
      EXPECT_NEAR(pa[0].similarity, pb[0].similarity, 2e-3);
    }
    EXPECT_EQ(same_best, 40u);
    EXPECT_GE(overlap, 40u * 10u * 95u / 100u);
  }
  // The fp16 snapshots opened as fp32, and as fp16 again: the same answers.
  auto widened = OpenGallery(half_dir, 200, RowFormat::kF32);
  auto again = OpenGallery(half_dir, 200, RowFormat::kF16);
  for (std::size_t q = 0; q < 20; ++q) {
    auto probe = synth.Probe(q * 11);
    auto a = widened->SearchFaces({gkey}, probe.data(), 10), b = again->SearchFaces({gkey}, probe.data(), 10);
    EXPECT_EQ(Keys(a), Keys(b)) << q;
  }
}

// A search never sees part of a write: each write adds a person with two
// identical faces, or deletes one; a search for that vector finds 0 or 2.
TEST(Gallery, SearchesNeverSeeHalfAWrite) {
  testing::TempDir dir;
  auto g = OpenGallery(dir);
  const std::int64_t gkey = NewGroupKey(*g, "g");
  ASSERT_NE(gkey, 0);
  std::mt19937 rng(5);
  std::vector<std::vector<float>> vectors;
  for (int i = 0; i < 40; ++i) {
    std::vector<float> v(kDim);
    std::normal_distribution<float> n;
    float norm = 0;
    for (float& x : v) {
      x = n(rng);
      norm += x * x;
    }
    for (float& x : v) x /= std::sqrt(norm);
    vectors.push_back(v);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> violations{0}, searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::size_t i = static_cast<std::size_t>(t);
      while (!stop.load()) {
        const auto& v = vectors[i++ % vectors.size()];
        int exact = 0;
        for (const auto& h : g->SearchFaces({gkey}, v.data(), 4)) exact += h.similarity > 0.9999f;
        if (exact != 0 && exact != 2) ++violations;
        ++searches;
      }
    });
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      ASSERT_TRUE(AddPerson(*g, gkey, "p" + std::to_string(i), {vectors[i], vectors[i]}).ok());
    }
    for (std::size_t i = 0; i < vectors.size(); ++i) {
      ASSERT_TRUE(g->Write([&](const Catalog& c) -> Result<store::Batch> {
                     store::Batch b;
                     b.push_back(store::mutation::DeletePerson{c.PersonById("p" + std::to_string(i))->record.key});
                     return b;
                   }).ok());
    }
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GT(searches.load(), 100);
}

TEST(Gallery, AFailedStoreWriteLeavesMemoryUntouched) {
  testing::TempDir dir;
  auto g = OpenGallery(dir);
  auto gk = AddGroup(*g, "g");
  ASSERT_TRUE(gk.ok());
  std::vector<float> v(kDim, 0.0f);
  v[0] = 1;
  ASSERT_TRUE(AddPerson(*g, (*gk)[0], "p1", {v}).ok());
  // Same face id again: the store refuses; nothing of the batch shows up.
  auto r = AddPerson(*g, (*gk)[0], "p2", {v});
  ASSERT_TRUE(r.ok());
  auto dup = g->Write([&](const Catalog&) -> Result<store::Batch> {
    store::Batch b;
    b.push_back(store::mutation::InsertPerson{{0, "p3", "p3", 0, 1}});
    b.push_back(store::mutation::InsertMembership{{(*gk)[0], store::Placeholder(0), {}, 1}});
    store::FaceRecord f;
    f.id = "p1-f0";
    f.person_key = store::Placeholder(0);
    f.model_version = "m";
    f.embedding = v;
    b.push_back(store::mutation::InsertFace{f});
    return b;
  });
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  g->Read([](const Catalog& c) {
    EXPECT_EQ(c.PersonById("p3"), nullptr);
    EXPECT_EQ(c.person_count(), 2u);
    return 0;
  });
  EXPECT_EQ(g->SearchFaces({(*gk)[0]}, v.data(), 10).size(), 2u);
}

// Deleting more than the compaction ratio of an HNSW group rebuilds it on the
// compactor thread while searches and writes go on; writes made during the
// rebuild are carried into the new index, and the result equals a rebuild
// from the store.
TEST(Gallery, CompactionRunsInTheBackgroundAndKeepsLaterWrites) {
  testing::TempDir dir;
  eval::SyntheticOptions so;
  so.dim = kDim;
  eval::SyntheticGallery synth(so);
  auto faces = synth.Faces(1200);
  auto g = OpenGallery(dir, /*approx_threshold=*/200);
  auto gk = AddGroup(*g, "big");
  ASSERT_TRUE(gk.ok());
  const std::int64_t gkey = (*gk)[0];
  for (int p = 0; p < 300; ++p) ASSERT_TRUE(AddPerson(*g, gkey, "p" + std::to_string(p), PersonFaces(faces, p)).ok());
  ASSERT_TRUE(g->WaitForCompactions().ok());
  auto kind = [&] { return g->Read([&](const Catalog& c) { return c.GroupByKey(gkey)->faces->kind(); }); };
  ASSERT_EQ(kind(), IndexKind::kHnsw);
  auto delete_person = [&](int p) {
    return g->Write([&](const Catalog& c) -> Result<store::Batch> {
      store::Batch b;
      b.push_back(store::mutation::DeletePerson{c.PersonById("p" + std::to_string(p))->record.key});
      return b;
    });
  };
  // 100 of 300 persons (a third of the rows) removed: over the 20 % ratio.
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0};
  std::thread searcher([&] {
    auto probe = synth.Probe(250);
    while (!stop) {
      if (!g->SearchFaces({gkey}, probe.data(), 5).empty()) ++searches;
    }
  });
  for (int p = 0; p < 100; ++p) ASSERT_TRUE(delete_person(p).ok());
  // Writes while the rebuild may be running: more persons, more deletions.
  for (int p = 300; p < 400; ++p) ASSERT_TRUE(AddPerson(*g, gkey, "p" + std::to_string(p), PersonFaces(faces, p)).ok());
  for (int p = 100; p < 110; ++p) ASSERT_TRUE(delete_person(p).ok());
  ASSERT_TRUE(g->WaitForCompactions().ok());
  stop = true;
  searcher.join();
  EXPECT_GT(searches.load(), 0);

  auto all_hits = [&](const std::vector<float>& probe) { return Keys(g->SearchFaces({gkey}, probe.data(), 10)); };
  g->Read([&](const Catalog& c) {
    const GroupState* group = c.GroupByKey(gkey);
    EXPECT_EQ(group->faces->size(), 290u * 3u);
    EXPECT_FALSE(group->faces->NeedsCompaction());
    EXPECT_FALSE(group->faces->journaling());
    for (int p = 0; p < 110; ++p) EXPECT_EQ(c.PersonById("p" + std::to_string(p)), nullptr);
    for (int p = 110; p < 400; ++p) {
      for (std::int64_t fk : c.PersonById("p" + std::to_string(p))->faces) EXPECT_TRUE(group->faces->Contains(fk));
    }
    return 0;
  });
  // The same content as a rebuild from the store: equal exact answers; and
  // the new graph finds what exact search finds.
  std::vector<std::vector<float>> probes;
  for (int q = 0; q < 20; ++q) probes.push_back(synth.Probe(static_cast<std::size_t>(110 + q * 14)));
  auto exact = [&](const std::vector<float>& probe) {
    return g->Read([&](const Catalog& c) {
      std::vector<std::int64_t> keys;
      for (const Hit& h : c.GroupByKey(gkey)->faces->SearchExact(probe.data(), 10)) keys.push_back(h.key);
      return keys;
    });
  };
  std::vector<std::vector<std::int64_t>> before;
  int top1 = 0;
  for (const auto& probe : probes) {
    before.push_back(exact(probe));
    const auto approx = all_hits(probe);
    top1 += !approx.empty() && approx[0] == before.back()[0] ? 1 : 0;
  }
  EXPECT_GE(top1, 19);
  ASSERT_TRUE(g->RebuildIndexes().ok());
  for (std::size_t q = 0; q < probes.size(); ++q) EXPECT_EQ(exact(probes[q]), before[q]) << q;
}

// A gallery opened with deferred person structures (a sharded node) fills
// the persons' index flat and builds its HNSW on the compactor: the answers
// are those of a gallery that built it at open.
TEST(Gallery, DeferredPersonStructuresWaitForTheFirstIndexFilterThenAreBuiltWithTheSameAnswers) {
  testing::TempDir dir;
  eval::SyntheticOptions so;
  so.dim = kDim;
  eval::SyntheticGallery synth(so);
  auto faces = synth.Faces(1200);
  std::int64_t gkey = 0;
  {
    auto g = OpenGallery(dir, /*approx_threshold=*/200);
    gkey = EnrolBigGroup(*g, faces, 300);
    ASSERT_NE(gkey, 0);
  }
  auto open = [&](bool defer) {
    auto store = store::OpenSqliteStore(dir.file("gallery.db"));
    EXPECT_TRUE(store.ok());
    GalleryOptions o;
    o.dim = kDim;
    o.index.approx_threshold = 200;
    o.defer_person_structures = defer;  // no snapshot_dir: built from the store
    auto g = Gallery::Open(std::move(*store), o);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return std::move(*g);
  };
  auto eager = open(false);
  auto deferred = open(true);
  auto same_answers = [&](const char* when) {
    for (int q = 0; q < 20; ++q) {
      auto probe = synth.Probe(static_cast<std::size_t>(q * 13 % 300));
      EXPECT_EQ(Keys(eager->SearchPersons({gkey}, probe.data(), 3)),
                Keys(deferred->SearchPersons({gkey}, probe.data(), 3)))
          << when << " " << q;
    }
  };
  // Not built before the first index filter (a cluster node's first shard
  // map): the persons' index stays flat and exact, counted as pending.
  ASSERT_TRUE(deferred->WaitForCompactions().ok());
  deferred->Read([&](const Catalog& c) {
    EXPECT_EQ(c.GroupByKey(gkey)->people->kind(), IndexKind::kFlat);
    EXPECT_TRUE(c.GroupByKey(gkey)->people->NeedsCompaction());
    return 0;
  });
  EXPECT_EQ(deferred->PendingIndexBuilds(), 1u);
  same_answers("flat");
  ShardFilter all;
  all.shards = 4;
  all.holds = [](const std::string&, int) { return true; };
  ASSERT_TRUE(deferred->SetIndexFilter(all).ok());
  ASSERT_TRUE(deferred->WaitForCompactions().ok());
  EXPECT_EQ(deferred->PendingIndexBuilds(), 0u);
  for (auto* g : {eager.get(), deferred.get()}) {
    g->Read([&](const Catalog& c) {
      EXPECT_EQ(c.GroupByKey(gkey)->people->kind(), IndexKind::kHnsw);
      EXPECT_FALSE(c.GroupByKey(gkey)->people->NeedsCompaction());
      EXPECT_EQ(c.GroupByKey(gkey)->people->size(), 300u);
      return 0;
    });
  }
  same_answers("built");
}

}  // namespace
}  // namespace facekit::gallery
