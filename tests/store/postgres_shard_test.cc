// The PostgreSQL store's face shards (docs/scale-out.md): schema version 2
// keeps a fixed shard count in facekit_settings and each face's
// ShardOfFace(face id, S) in faces.shard, filled on insert and back-filled by
// the migration. Against a private PostgreSQL 15 (skipped where absent).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_search.h"
#include "gallery/gallery.h"
#include "random_vectors.h"
#include "store/face_shard.h"
#include "store/pg_test_cluster.h"
#include "store/postgres_schema.h"
#include "store/postgres_store.h"
#include "store/store_test_records.h"
#include "test_util.h"

namespace facekit::store {
namespace {

using facekit::testing::PgTestCluster;

// Runs SQL (several statements) on a fresh connection; "" on success.
std::string Exec(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  std::string out = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? "" : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  return out;
}

// Rows of a query as text, one vector per row.
std::vector<std::vector<std::string>> Rows(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  std::vector<std::vector<std::string>> out;
  for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); ++i) {
    out.emplace_back();
    for (int j = 0; j < PQnfields(r); ++j) out.back().push_back(PQgetvalue(r, i, j));
  }
  PQclear(r);
  PQfinish(c);
  return out;
}

// A database at schema version 1 (what the previous build created), holding
// one group, one person in it and `faces` faces ("face-1".."face-N") with a
// 4-D embedding, written with SQL as that build would have.
std::string MakeVersionOneDatabase(const std::string& conninfo, int faces) {
  std::string sql = "BEGIN; CREATE TABLE facekit_schema (version integer NOT NULL);";
  sql += PostgresMigrationFrom(0).sql;
  sql += "INSERT INTO facekit_schema(version) VALUES(1);"
         "INSERT INTO groups(id,name,face_model_version,created_ms) VALUES('g','g-name','3.0',1);"
         "INSERT INTO persons(id,name,created_ms) VALUES('p','P',1);"
         "INSERT INTO memberships(gkey,pkey,added_ms) VALUES(1,1,1);"
         "INSERT INTO faces(id,pkey,model_version,dim,embedding,rect_x,rect_y,rect_w,rect_h,created_ms) "
         "SELECT 'face-'||i, 1, '3.0', 4, '\\x0000803f000000000000000000000000'::bytea, 0, 0, 1, 1, 1 "
         "FROM generate_series(1," +
         std::to_string(faces) + ") AS i; COMMIT;";
  return Exec(conninfo, sql);
}

// Every face's stored shard equals ShardOfFace(id, S); returns the count.
std::size_t ExpectShardsMatch(const std::string& conninfo, int shards) {
  const auto rows = Rows(conninfo, "SELECT id, shard FROM faces ORDER BY fkey");
  for (const auto& row : rows) {
    EXPECT_EQ(std::stoi(row[1]), ShardOfFace(row[0], shards)) << row[0];
  }
  return rows.size();
}

TEST(PostgresShards, AVersionOneDatabaseMigratesAndEveryFaceGetsItsShard) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  // More faces than one back-fill batch, not a multiple of it.
  const int faces = 2 * kShardBackfillBatch + 37;
  ASSERT_EQ(MakeVersionOneDatabase(pg.conninfo(), faces), "");
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->SchemaVersion(), kPostgresSchemaVersion);
  EXPECT_EQ((*store)->face_shards(), kDefaultFaceShards);
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT value FROM facekit_settings WHERE name='shards'")[0][0], "64");
  EXPECT_EQ(ExpectShardsMatch(pg.conninfo(), 64), static_cast<std::size_t>(faces));
  // The shards are spread: every one of the 64 holds some of 2037 faces.
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT count(DISTINCT shard) FROM faces")[0][0], "64");
  // NOT NULL and indexed.
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT is_nullable FROM information_schema.columns WHERE table_name='faces' AND "
                                "column_name='shard'")[0][0],
            "NO");
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT count(*) FROM pg_indexes WHERE indexname='faces_by_shard'")[0][0], "1");
  // New inserts carry it.
  auto keys = (*store)->Apply(test_records::CreateGroupWithPerson("g2", "p2", "new-face"));
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT shard FROM faces WHERE id='new-face'")[0][0],
            std::to_string(ShardOfFace("new-face", 64)));
  EXPECT_EQ(ExpectShardsMatch(pg.conninfo(), 64), static_cast<std::size_t>(faces) + 1);
  // Version 3 back-filled the persons' fused features: p's 2037 equal faces.
  auto fused = (*store)->LoadPersonFeatures("", {1});
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  ASSERT_EQ(fused->size(), 1u);
  EXPECT_EQ((*fused)[0].second, (std::vector<float>{1, 0, 0, 0}));
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT count(*) FROM person_features")[0][0], "2");  // p, and p2 written since
  // A second open finds the current version: nothing to do.
  auto again = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->SchemaVersion(), kPostgresSchemaVersion);
}

TEST(PostgresShards, TheMigrationRunsOnceForNodesOpeningTogetherAndAgainAfterAnInterruption) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  ASSERT_EQ(MakeVersionOneDatabase(pg.conninfo(), 1500), "");
  // Four nodes open the old database at once: the advisory lock lets one
  // migrate; the others find version 2.
  std::vector<Status> opened(4);
  std::vector<std::thread> nodes;
  for (std::size_t i = 0; i < opened.size(); ++i) {
    nodes.emplace_back([&, i] {
      auto s = OpenPostgresStore(pg.conninfo());
      opened[i] = s.ok() ? Status::Ok() : s.status();
    });
  }
  for (auto& t : nodes) t.join();
  for (const Status& s : opened) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ExpectShardsMatch(pg.conninfo(), 64), 1500u);
  // A database left between the two (the column there, some shards missing,
  // still version 1: e.g. a migration run by hand and stopped) migrates too.
  ASSERT_EQ(Exec(pg.conninfo(), "ALTER TABLE faces ALTER COLUMN shard DROP NOT NULL; DROP INDEX faces_by_shard; "
                                "UPDATE faces SET shard=NULL WHERE fkey % 3 = 0; UPDATE facekit_schema SET version=1"),
            "");
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->SchemaVersion(), kPostgresSchemaVersion);
  EXPECT_EQ(ExpectShardsMatch(pg.conninfo(), 64), 1500u);
  EXPECT_EQ(Rows(pg.conninfo(), "SELECT count(*) FROM faces WHERE shard IS NULL")[0][0], "0");
}

TEST(PostgresShards, TheDatabasesShardCountIsFixedAndANodeWithAnotherIsRefused) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  ASSERT_EQ(MakeVersionOneDatabase(pg.conninfo(), 10), "");
  // A database whose settings say 16 (written before the migration, which
  // keeps an existing row): the back-fill and the inserts use 16.
  ASSERT_EQ(Exec(pg.conninfo(), "CREATE TABLE facekit_settings (name text PRIMARY KEY, value text NOT NULL); "
                                "INSERT INTO facekit_settings VALUES ('shards','16')"),
            "");
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->face_shards(), 16);
  ASSERT_TRUE((*store)->Apply(test_records::CreateGroupWithPerson("g2", "p2", "another")).ok());
  EXPECT_EQ(ExpectShardsMatch(pg.conninfo(), 16), 11u);

  gallery::GalleryOptions go;
  go.dim = 4;
  auto g = gallery::Gallery::Open(std::move(*store), go);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ((*g)->store_face_shards(), 16);
  EXPECT_TRUE(cluster::CheckShardCount(**g, 16).ok());
  const Status refused = cluster::CheckShardCount(**g, 64);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("split into 16 shards"), std::string::npos) << refused.ToString();
  EXPECT_NE(refused.message().find("this node uses 64"), std::string::npos) << refused.ToString();
  // A ClusterSearch given a map of another shard count refuses it too.
  cluster::ClusterSearch search(**g, {});
  auto map = std::make_shared<const cluster::ShardMap>(std::vector<std::string>{"n1"}, 64, 1);
  EXPECT_EQ(search.OnMembership("n1", {{"n1", "http://127.0.0.1:1"}}, map).code(), StatusCode::kFailedPrecondition);

  // A shard count out of range is a damaged database.
  ASSERT_EQ(Exec(pg.conninfo(), "UPDATE facekit_settings SET value='0' WHERE name='shards'"), "");
  EXPECT_EQ(OpenPostgresStore(pg.conninfo()).status().code(), StatusCode::kDataCorrupt);
}

constexpr int kDim = 8;

// Group "g": persons p0-p59 of 1-3 faces; group "h": p59 (3 faces, also in
// "g") and p60-p69 of 2 faces. Random unit vectors, fixed seed.
void WriteTwoGroups(GalleryStore& store) {
  std::mt19937 rng(7);
  Batch b;
  b.push_back(mutation::InsertGroup{{0, "g", "g", "", {}, "3.0", 1}});
  b.push_back(mutation::InsertGroup{{0, "h", "h", "", {}, "3.0", 1}});
  auto groups = store.Apply(b);
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  for (int p = 0; p < 70; ++p) {
    b.clear();
    const std::string pid = "p" + std::to_string(p);
    b.push_back(mutation::InsertPerson{{0, pid, pid, 0, 1}});
    if (p < 60) b.push_back(mutation::InsertMembership{{(*groups)[0], Placeholder(0), {}, 1}});
    if (p >= 59) b.push_back(mutation::InsertMembership{{(*groups)[1], Placeholder(0), {}, 1}});
    for (int f = 0; f < (p < 60 ? 1 + p % 3 : 2); ++f) {
      FaceRecord r;
      r.id = pid + "-f" + std::to_string(f);
      r.person_key = Placeholder(0);
      r.model_version = "3.0";
      r.embedding = testing::RandomUnit(rng, kDim);
      b.push_back(mutation::InsertFace{r});
    }
    ASSERT_TRUE(store.Apply(b).ok());
  }
}

gallery::ShardFilter Holding(std::map<std::string, std::set<int>> held) {
  gallery::ShardFilter f;
  f.shards = kDefaultFaceShards;
  f.holds = [held = std::move(held)](const std::string& group, int shard) {
    auto it = held.find(group);
    return it != held.end() && it->second.count(shard) != 0;
  };
  return f;
}

std::set<int> ShardsModulo(int m, int r) {
  std::set<int> out;
  for (int s = 0; s < kDefaultFaceShards; ++s) {
    if (s % m == r) out.insert(s);
  }
  return out;
}

// Face ids of a group's index; and of the group's faces whose shard is held.
std::set<std::string> IndexedIds(const gallery::Gallery& g, const std::string& group) {
  return g.Read([&](const gallery::Catalog& c) {
    std::set<std::string> out;
    for (const gallery::IndexEntry& e : c.GroupById(group)->faces->Entries()) out.insert(c.FaceByKey(e.key)->id.str());
    return out;
  });
}
std::set<std::string> IdsInShards(const gallery::Gallery& g, const std::string& group, const std::set<int>& shards) {
  return g.Read([&](const gallery::Catalog& c) {
    std::set<std::string> out;
    for (std::int64_t pkey : c.GroupById(group)->persons) {
      for (std::int64_t fk : c.PersonByKey(pkey)->faces) {
        const std::string id = c.FaceByKey(fk)->id.str();
        if (shards.count(ShardOfFace(id, kDefaultFaceShards))) out.insert(id);
      }
    }
    return out;
  });
}

// Keys of a group's persons (with a face) whose person shard is held; and of its person index.
std::set<std::int64_t> PersonsInShards(const gallery::Gallery& g, const std::string& group, const std::set<int>& shards) {
  return g.Read([&](const gallery::Catalog& c) {
    std::set<std::int64_t> out;
    for (std::int64_t pkey : c.GroupById(group)->persons) {
      const gallery::PersonState* p = c.PersonByKey(pkey);
      if (!p->faces.empty() && shards.count(ShardOfPerson(p->record.id, kDefaultFaceShards))) out.insert(pkey);
    }
    return out;
  });
}
std::set<std::int64_t> IndexedPersons(const gallery::Gallery& g, const std::string& group) {
  return g.Read([&](const gallery::Catalog& c) {
    std::set<std::int64_t> out;
    for (const gallery::IndexEntry& e : c.GroupById(group)->people->Entries()) out.insert(e.key);
    return out;
  });
}
// The node's person entries of `group` equal the whole gallery's, entry by entry.
void ExpectSamePersonEntries(const gallery::Gallery& node, const gallery::Gallery& whole, const std::string& group) {
  whole.Read([&](const gallery::Catalog& wc) {
    node.Read([&](const gallery::Catalog& nc) {
      for (const gallery::IndexEntry& e : nc.GroupById(group)->people->Entries()) {
        EXPECT_EQ(nc.GroupById(group)->people->Vector(e.key), wc.GroupById(group)->people->Vector(e.key))
            << group << " " << e.key;
      }
    });
  });
}

// Appends `n` faces of random vectors to person `person_id`, ids PREFIX0, PREFIX1, ...
void AppendFaces(Batch& b, const gallery::Catalog& c, const std::string& person_id, const std::string& prefix, int n,
                 std::mt19937& rng) {
  for (int i = 0; i < n; ++i) {
    FaceRecord r;
    r.id = prefix + std::to_string(i);
    r.person_key = c.PersonById(person_id)->record.key;
    r.model_version = "3.0";
    r.embedding = testing::RandomUnit(rng, kDim);
    b.push_back(mutation::InsertFace{r});
  }
}

// WriteTwoGroups into the cluster's database, then the whole gallery of it
// (no index filter); null (the failure reported) when either fails.
std::unique_ptr<gallery::Gallery> TwoGroupsWhole(const PgTestCluster& pg) {
  {
    auto store = OpenPostgresStore(pg.conninfo());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    WriteTwoGroups(**store);
  }
  gallery::GalleryOptions go;
  go.dim = kDim;
  auto whole_store = OpenPostgresStore(pg.conninfo());
  EXPECT_TRUE(whole_store.ok());
  if (!whole_store.ok()) return nullptr;
  auto whole = gallery::Gallery::Open(std::move(*whole_store), go);
  EXPECT_TRUE(whole.ok()) << whole.status().ToString();
  return whole.ok() ? std::move(*whole) : nullptr;
}

TEST(PostgresShards, ANodeIndexesOnlyItsShardsAndReadsOnlyNewlyOwnedShardsOnAMapChange) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  std::unique_ptr<gallery::Gallery> whole = TwoGroupsWhole(pg);
  ASSERT_NE(whole, nullptr);
  gallery::GalleryOptions go;
  go.dim = kDim;
  const std::set<std::string> all_g = IdsInShards(*whole, "g", ShardsModulo(1, 0));
  const std::set<std::string> all_h = IdsInShards(*whole, "h", ShardsModulo(1, 0));
  ASSERT_EQ(all_g.size(), 120u);  // 20 x (1 + 2 + 3)
  ASSERT_EQ(all_h.size(), 23u);   // p59's 3 and 10 x 2

  // The store reads a group's faces of given shards, and only those.
  auto opened = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<PostgresStore> owned_store = std::move(*opened);
  PostgresStore* shard_store = owned_store.get();  // the node's gallery owns it below
  const std::int64_t gkey = whole->Read([](const gallery::Catalog& c) { return c.GroupById("g")->record.key; });
  auto rows = shard_store->LoadShardVectors({gkey, {0, 4, 8}, ""});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), IdsInShards(*whole, "g", {0, 4, 8}).size());
  for (const auto& [fk, v] : *rows) {
    const int shard = ShardOfFace(whole->Read([&](const gallery::Catalog& c) { return c.FaceByKey(fk)->id; }), 64);
    EXPECT_TRUE(shard == 0 || shard == 4 || shard == 8);
    EXPECT_EQ(v, whole->Read([&](const gallery::Catalog& c) { return c.FaceVector(fk); }));
  }
  EXPECT_EQ(shard_store->vectors_read(), static_cast<std::int64_t>(rows->size()));

  // A node holding a quarter of g's shards and another quarter of h's from the start.
  go.index_filter = Holding({{"g", ShardsModulo(4, 0)}, {"h", ShardsModulo(4, 1)}});
  auto node = gallery::Gallery::Open(std::move(owned_store), go);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", ShardsModulo(4, 0)));
  EXPECT_EQ(IndexedIds(**node, "h"), IdsInShards(*whole, "h", ShardsModulo(4, 1)));
  // The face index read its shards only (the rows of the LoadShardVectors
  // call above included); the person index holds the persons of the same
  // shards (by person id), their fused features read from person_features,
  // one row per such person.
  EXPECT_EQ(shard_store->vectors_read(),
            static_cast<std::int64_t>(rows->size() + IdsInShards(*whole, "g", ShardsModulo(4, 0)).size() +
                                      IdsInShards(*whole, "h", ShardsModulo(4, 1)).size()));
  const std::set<std::int64_t> persons_g = PersonsInShards(*whole, "g", ShardsModulo(4, 0));
  const std::set<std::int64_t> persons_h = PersonsInShards(*whole, "h", ShardsModulo(4, 1));
  ASSERT_FALSE(persons_g.empty());
  ASSERT_LT(persons_g.size(), 60u);
  EXPECT_EQ(IndexedPersons(**node, "g"), persons_g);
  EXPECT_EQ(IndexedPersons(**node, "h"), persons_h);
  EXPECT_EQ(shard_store->person_features_read(), static_cast<std::int64_t>(persons_g.size() + persons_h.size()));
  // Fused features as on the whole gallery.
  ExpectSamePersonEntries(**node, *whole, "g");
  ExpectSamePersonEntries(**node, *whole, "h");

  // The map changes: g's shards 2 mod 4 are added. Only their faces and persons are read.
  const std::int64_t read_before = shard_store->vectors_read();
  const std::int64_t persons_read_before = shard_store->person_features_read();
  std::set<int> more = ShardsModulo(4, 0);
  for (int s : ShardsModulo(4, 2)) more.insert(s);
  auto seq = (*node)->SetIndexFilter(Holding({{"g", more}, {"h", ShardsModulo(4, 1)}}));
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", more));
  EXPECT_EQ(shard_store->vectors_read() - read_before,
            static_cast<std::int64_t>(IdsInShards(*whole, "g", ShardsModulo(4, 2)).size()));
  EXPECT_EQ(IndexedPersons(**node, "g"), PersonsInShards(*whole, "g", more));
  EXPECT_EQ(shard_store->person_features_read() - persons_read_before,
            static_cast<std::int64_t>(PersonsInShards(*whole, "g", ShardsModulo(4, 2)).size()));
  ExpectSamePersonEntries(**node, *whole, "g");
  // Dropping shards reads nothing.
  const std::int64_t read_mid = shard_store->vectors_read();
  const std::int64_t persons_read_mid = shard_store->person_features_read();
  ASSERT_TRUE((*node)->SetIndexFilter(Holding({{"g", ShardsModulo(4, 2)}})).ok());
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", ShardsModulo(4, 2)));
  EXPECT_TRUE(IndexedIds(**node, "h").empty());
  EXPECT_EQ(IndexedPersons(**node, "g"), PersonsInShards(*whole, "g", ShardsModulo(4, 2)));
  EXPECT_TRUE(IndexedPersons(**node, "h").empty());
  EXPECT_EQ(shard_store->vectors_read(), read_mid);
  EXPECT_EQ(shard_store->person_features_read(), persons_read_mid);

  // Writes through the whole gallery (a face added to p0, one of p2's
  // deleted, p3 deleted): the node follows them from the change log, its
  // fused features read from the store equal to the whole gallery's own.
  std::mt19937 rng(99);
  auto w = whole->Write([&](const gallery::Catalog& c) -> Result<Batch> {
    Batch b;
    FaceRecord r;
    r.id = "p0-extra";
    r.person_key = c.PersonById("p0")->record.key;
    r.model_version = "3.0";
    r.embedding = testing::RandomUnit(rng, kDim);
    b.push_back(mutation::InsertFace{r});
    b.push_back(mutation::DeleteFace{c.PersonById("p2")->faces.front()});
    b.push_back(mutation::DeletePerson{c.PersonById("p3")->record.key});
    return b;
  });
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*node)->CatchUp().ok());
  EXPECT_EQ((*node)->applied_seq(), whole->applied_seq());
  EXPECT_EQ(IndexedPersons(**node, "g"), PersonsInShards(*whole, "g", ShardsModulo(4, 2)));
  ExpectSamePersonEntries(**node, *whole, "g");
}

// The faces of `whole` (every group's), by key.
std::set<std::int64_t> AllFaceKeys(const gallery::Gallery& whole) {
  return whole.Read([](const gallery::Catalog& c) {
    std::set<std::int64_t> out;
    for (const gallery::GroupState* g : c.Groups()) {
      for (std::int64_t pkey : g->persons) {
        for (std::int64_t fk : c.PersonByKey(pkey)->faces) out.insert(fk);
      }
    }
    return out;
  });
}

// The node knows every face of `whole` with its person and shard, and keeps
// a face's record exactly when a group of its person holds the face's shard
// under `filter`; FacesByKey / FacesById answer every face as `whole` does.
void ExpectSplitRecords(const gallery::Gallery& node, const gallery::Gallery& whole,
                        const gallery::ShardFilter& filter) {
  const std::set<std::int64_t> keys = AllFaceKeys(whole);
  std::size_t kept = 0;
  whole.Read([&](const gallery::Catalog& wc) {
    node.Read([&](const gallery::Catalog& nc) {
      EXPECT_EQ(nc.face_count(), wc.face_count());
      for (std::int64_t fk : keys) {
        const gallery::FaceState* wf = wc.FaceByKey(fk);
        ASSERT_NE(wf, nullptr);
        const int shard = ShardOfFace(wf->id.view(), kDefaultFaceShards);
        const gallery::PersonState* p = nc.PersonByKey(wf->person_key);
        ASSERT_NE(p, nullptr);
        bool wanted = false;
        for (const auto& [gkey, m] : p->groups) wanted = wanted || filter.holds(nc.GroupByKey(gkey)->record.id, shard);
        EXPECT_TRUE(nc.FaceKnown(fk)) << wf->id.str();
        EXPECT_EQ(nc.FacePersonKey(fk), wf->person_key) << wf->id.str();
        EXPECT_EQ(nc.FaceShard(fk, kDefaultFaceShards), shard) << wf->id.str();
        EXPECT_EQ(nc.FaceByKey(fk) != nullptr, wanted) << wf->id.str() << " shard " << shard;
        if (wanted) ++kept;
      }
      EXPECT_EQ(nc.face_record_count(), kept);
    });
  });
  const std::vector<std::int64_t> key_list(keys.begin(), keys.end());
  auto at_node = node.FacesByKey(key_list);
  auto at_whole = whole.FacesByKey(key_list);
  ASSERT_TRUE(at_node.ok() && at_whole.ok()) << at_node.status().ToString();
  ASSERT_EQ(at_node->size(), keys.size());
  ASSERT_EQ(at_whole->size(), keys.size());
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& a = (*at_node)[i];
    const auto& b = (*at_whole)[i];
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.state.id.view(), b.state.id.view());
    EXPECT_EQ(a.state.person_key, b.state.person_key);
    EXPECT_EQ(a.state.created_ms, b.state.created_ms);
    EXPECT_EQ(a.state.rect.width, b.state.rect.width);
    EXPECT_EQ(a.state.quality, b.state.quality);
    EXPECT_EQ(a.state.has_crop, b.state.has_crop);
    EXPECT_EQ(a.source, b.source);
    ids.push_back(b.state.id.str());
  }
  ids.push_back("no-such-face");
  auto by_id = node.FacesById(ids);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  ASSERT_EQ(by_id->size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ((*by_id)[i].key, (*at_whole)[i].key);
}

// The catalog split by shard for faces (docs/scale-out.md): a node keeps
// the records of its shards' faces only, and of the others their person and
// shard; what it lacks is read from the store; writes replayed from the log
// (a face added or deleted, a person joining or leaving a group) and map
// changes keep it so.
TEST(PostgresShards, ANodeKeepsItsShardsFaceRecordsAndReadsTheOthersFromTheStore) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  std::unique_ptr<gallery::Gallery> whole = TwoGroupsWhole(pg);
  ASSERT_NE(whole, nullptr);
  gallery::GalleryOptions go;
  go.dim = kDim;
  EXPECT_FALSE(whole->SplitsFaceRecords());

  // A node before its first map holds no shard: it keeps no face record (its
  // first map reads its faces' records), only every face's place.
  go.index_filter = Holding({});
  auto node_store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(node_store.ok());
  auto node = gallery::Gallery::Open(std::move(*node_store), go);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_TRUE((*node)->SplitsFaceRecords());
  const std::size_t faces = whole->Read([](const gallery::Catalog& c) { return c.face_count(); });
  EXPECT_EQ((*node)->Read([](const gallery::Catalog& c) { return c.face_record_count(); }), 0u);
  EXPECT_EQ((*node)->Read([](const gallery::Catalog& c) { return c.face_count(); }), faces);
  ExpectSplitRecords(**node, *whole, Holding({}));

  const gallery::ShardFilter map1 = Holding({{"g", ShardsModulo(4, 0)}, {"h", ShardsModulo(4, 1)}});
  ASSERT_TRUE((*node)->SetIndexFilter(map1).ok());
  ExpectSplitRecords(**node, *whole, map1);
  const std::size_t kept = (*node)->Read([](const gallery::Catalog& c) { return c.face_record_count(); });
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept * 2, faces);
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", ShardsModulo(4, 0)));

  // Writes through the whole gallery: six faces for p0 (in g), a face the
  // node keeps no record of deleted (p1's), p2 (in g) copied into h, p59 (in
  // g and h) taken out of h.
  std::mt19937 rng(11);
  std::int64_t doomed = 0;
  auto w = whole->Write([&](const gallery::Catalog& c) -> Result<Batch> {
    Batch b;
    AppendFaces(b, c, "p0", "p0-new-", 6, rng);
    for (std::int64_t pkey : c.GroupById("g")->persons) {
      const gallery::PersonState* p = c.PersonByKey(pkey);
      if (doomed != 0 || p->faces.size() < 2 || p->record.id == "p0") continue;
      for (std::int64_t fk : p->faces) {
        const int shard = ShardOfFace(c.FaceByKey(fk)->id.view(), kDefaultFaceShards);
        if (shard % 4 != 0 && (p->groups.size() == 1 || shard % 4 != 1)) {
          doomed = fk;
          break;
        }
      }
    }
    b.push_back(mutation::DeleteFace{doomed});
    // p2's three faces lie in shards 2, 1 and 3 mod 4: one of them is h's here.
    b.push_back(mutation::InsertMembership{{c.GroupById("h")->record.key, c.PersonById("p2")->record.key, {}, 1}});
    b.push_back(mutation::DeleteMembership{c.GroupById("h")->record.key, c.PersonById("p59")->record.key});
    return b;
  });
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_NE(doomed, 0);
  EXPECT_FALSE((*node)->Read([&](const gallery::Catalog& c) { return c.FaceByKey(doomed) != nullptr; }));
  ASSERT_TRUE((*node)->CatchUp().ok());
  EXPECT_FALSE((*node)->Read([&](const gallery::Catalog& c) { return c.FaceKnown(doomed); }));
  ExpectSplitRecords(**node, *whole, map1);
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", ShardsModulo(4, 0)));
  EXPECT_EQ(IndexedIds(**node, "h"), IdsInShards(*whole, "h", ShardsModulo(4, 1)));
  // p2 taken out of h again: its face kept for h (the one in a shard 1 mod
  // 4) becomes a place (DropUnwantedFaceRecordsOf).
  auto p2_records = [&] {
    return (*node)->Read([](const gallery::Catalog& c) {
      int n = 0;
      for (std::int64_t fk : c.PersonById("p2")->faces) n += c.FaceByKey(fk) != nullptr ? 1 : 0;
      return n;
    });
  };
  const int p2_in_h = p2_records();
  w = whole->Write([&](const gallery::Catalog& c) -> Result<Batch> {
    return Batch{mutation::DeleteMembership{c.GroupById("h")->record.key, c.PersonById("p2")->record.key}};
  });
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*node)->CatchUp().ok());
  EXPECT_LT(p2_records(), p2_in_h);
  ExpectSplitRecords(**node, *whole, map1);

  // Map changes: other shards (records read for the gained ones, the
  // dropped ones' records let go), then no filter at all (every record).
  const gallery::ShardFilter map2 = Holding({{"g", ShardsModulo(4, 2)}});
  ASSERT_TRUE((*node)->SetIndexFilter(map2).ok());
  ExpectSplitRecords(**node, *whole, map2);
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", ShardsModulo(4, 2)));
  // Half the shards, then a few of them given up (records dropped one by one,
  // where a large drop moves the kept records into a new map).
  std::set<int> half = ShardsModulo(2, 0);
  const gallery::ShardFilter map3 = Holding({{"g", half}});
  ASSERT_TRUE((*node)->SetIndexFilter(map3).ok());
  ExpectSplitRecords(**node, *whole, map3);
  half.erase(0);
  half.erase(4);
  const gallery::ShardFilter map4 = Holding({{"g", half}});
  ASSERT_TRUE((*node)->SetIndexFilter(map4).ok());
  ExpectSplitRecords(**node, *whole, map4);
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", half));
  ASSERT_TRUE((*node)->SetIndexFilter({}).ok());
  EXPECT_FALSE((*node)->SplitsFaceRecords());
  EXPECT_EQ((*node)->Read([](const gallery::Catalog& c) { return c.face_record_count(); }),
            whole->Read([](const gallery::Catalog& c) { return c.face_count(); }));
  EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(*whole, "g", ShardsModulo(1, 0)));

  // Off (GalleryOptions::split_face_records): every record stays.
  go.split_face_records = false;
  auto full_store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(full_store.ok());
  auto full = gallery::Gallery::Open(std::move(*full_store), go);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  ASSERT_TRUE((*full)->SetIndexFilter(map1).ok());
  EXPECT_FALSE((*full)->SplitsFaceRecords());
  EXPECT_EQ((*full)->Read([](const gallery::Catalog& c) { return c.face_record_count(); }),
            whole->Read([](const gallery::Catalog& c) { return c.face_count(); }));
}

// A restarted node (GalleryOptions::resume_index_filter) takes its shards
// from the holdings its last checkpoint recorded beside the snapshots: the
// snapshotted group's faces come from the snapshot (only the faces written
// since are read), a group without a snapshot from the filter given, and the
// same map again re-indexes nothing.
TEST(PostgresShards, ARestartedNodeResumesItsSnapshotsShardsAndReadsOnlyTheFacesWrittenSince) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  {
    auto store = OpenPostgresStore(pg.conninfo());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    WriteTwoGroups(**store);
  }
  testing::TempDir dir;
  gallery::GalleryOptions whole_options;
  whole_options.dim = kDim;
  auto whole_store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(whole_store.ok());
  auto whole = gallery::Gallery::Open(std::move(*whole_store), whole_options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();

  gallery::GalleryOptions go;
  go.dim = kDim;
  go.index.approx_threshold = 20;  // g's quarter (about 30 faces) uses HNSW, h's (about 6) an exact index
  go.snapshot_dir = dir.file("index");
  go.index_filter = Holding({});  // a cluster node before its first map: nothing
  go.resume_index_filter = true;
  const gallery::ShardFilter map = Holding({{"g", ShardsModulo(4, 0)}, {"h", ShardsModulo(4, 1)}});
  auto open_node = [&](PostgresStore** store_out, gallery::GalleryOptions options) {
    auto opened = OpenPostgresStore(pg.conninfo());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    *store_out = opened->get();
    return gallery::Gallery::Open(std::move(*opened), std::move(options));
  };
  PostgresStore* store = nullptr;
  {
    auto node = open_node(&store, go);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_EQ((*node)->resumed_shards(), 0u);  // no holdings recorded yet
    EXPECT_TRUE(IndexedIds(**node, "g").empty());
    ASSERT_TRUE((*node)->SetIndexFilter(map).ok());
    ASSERT_TRUE((*node)->Checkpoint().ok());
  }
  // Both groups were snapshotted (a sharded node keeps exact indexes too);
  // h's face snapshot is lost: h starts from the filter given.
  const std::int64_t hkey = (*whole)->Read([](const gallery::Catalog& c) { return c.GroupById("h")->record.key; });
  const std::string h_snapshot = dir.file("index/group-" + std::to_string(hkey) + "-faces.fkvi");
  ASSERT_TRUE(std::filesystem::exists(h_snapshot));
  ASSERT_TRUE(std::filesystem::remove(h_snapshot));
  // Written while the node is down: four faces of p0 (some in its shards), one of p2's deleted.
  std::mt19937 rng(5);
  auto w = (*whole)->Write([&](const gallery::Catalog& c) -> Result<Batch> {
    Batch b;
    AppendFaces(b, c, "p0", "p0-late-", 4, rng);
    b.push_back(mutation::DeleteFace{c.PersonById("p2")->faces.front()});
    return b;
  });
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::int64_t late_in_shards = 0;
  std::set<int> late_shards;  // of those in the node's shards
  for (int i = 0; i < 4; ++i) {
    const int shard = ShardOfFace("p0-late-" + std::to_string(i), kDefaultFaceShards);
    if (shard % 4 == 0) {
      ++late_in_shards;
      late_shards.insert(shard);
    }
  }
  ASSERT_GT(late_in_shards, 0);

  {
    auto node = open_node(&store, go);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_EQ((*node)->resumed_shards(), 16u);  // g's shards 0 mod 4; h's snapshot is gone
    EXPECT_EQ(IndexedIds(**node, "g"), IdsInShards(**whole, "g", ShardsModulo(4, 0)));
    EXPECT_TRUE(IndexedIds(**node, "h").empty());
    // Its face records are those of the resumed shards, kept while loading.
    ExpectSplitRecords(**node, **whole, Holding({{"g", ShardsModulo(4, 0)}}));
    // Only the faces written since the snapshot: by key, or (few faces per
    // shard, as here) the shards they are in.
    const std::int64_t read = store->vectors_read();
    EXPECT_GE(read, late_in_shards);
    EXPECT_LE(read, static_cast<std::int64_t>(IdsInShards(**whole, "g", late_shards).size()));
    EXPECT_LT(read, static_cast<std::int64_t>(IdsInShards(**whole, "g", ShardsModulo(4, 0)).size()) / 2);
    // The same map: g's index is not rebuilt or copied, h's shards are read.
    const auto* g_index = (*node)->Read([](const gallery::Catalog& c) { return c.GroupById("g")->faces.get(); });
    ASSERT_TRUE((*node)->SetIndexFilter(map).ok());
    EXPECT_EQ((*node)->Read([](const gallery::Catalog& c) { return c.GroupById("g")->faces.get(); }), g_index);
    EXPECT_EQ(IndexedIds(**node, "h"), IdsInShards(**whole, "h", ShardsModulo(4, 1)));
    EXPECT_EQ(store->vectors_read() - read,
              static_cast<std::int64_t>(IdsInShards(**whole, "h", ShardsModulo(4, 1)).size()));
    // Searches on the resumed index answer as the whole gallery's exact search over those shards.
    const std::set<std::string> held = IdsInShards(**whole, "g", ShardsModulo(4, 0));
    (*node)->Read([&](const gallery::Catalog& c) {
      const gallery::GroupState* grp = c.GroupById("g");
      for (const gallery::IndexEntry& e : grp->faces->Entries()) {
        const std::vector<float> v = (*whole)->Read([&](const gallery::Catalog& wc) { return wc.FaceVector(e.key); });
        ASSERT_EQ(grp->faces->Vector(e.key), v) << c.FaceByKey(e.key)->id;
      }
    });
    ASSERT_TRUE((*node)->Checkpoint().ok());
  }
  {
    // Not asked to resume, or recorded with another shard count: the filter given.
    auto node = open_node(&store, [&] {
      auto o = go;
      o.resume_index_filter = false;
      return o;
    }());
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_EQ((*node)->resumed_shards(), 0u);
    EXPECT_TRUE(IndexedIds(**node, "g").empty());
  }
  {
    auto o = go;
    o.index_filter.shards = 32;
    auto node = open_node(&store, o);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_EQ((*node)->resumed_shards(), 0u);
    EXPECT_TRUE(IndexedIds(**node, "g").empty());
  }
}

}  // namespace
}  // namespace facekit::store
