// The PostgreSQL store against a private PostgreSQL 15 server started by the
// test (Unix socket in a temp folder). Same behaviour as the SQLite store,
// plus the change log and reconnection after a server restart.
#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>

#include <thread>

#include "gallery/gallery.h"
#include "store/pg_test_cluster.h"

namespace facekit::store {
namespace {

using facekit::testing::PgTestCluster;

#define START_PG_OR_SKIP(cluster)                                                \
  if (PgTestCluster::BinDir().empty()) {                                         \
    GTEST_SKIP() << "PostgreSQL 15 not installed (apt-get install postgresql-15)"; \
  }                                                                              \
  if (std::string why = (cluster).Start(); !why.empty()) {                       \
    FAIL() << why;                                                               \
  }                                                                              \
  static_assert(true)

FaceRecord Face(const std::string& id, std::int64_t person_key, float first) {
  FaceRecord f;
  f.id = id;
  f.person_key = person_key;
  f.model_version = "mobilefacenet-1";
  f.embedding = {first, 0.5f, -0.25f, 0.125f};
  f.rect = {-3, 4, 50, 60};
  f.quality = 0.75f;
  f.source = "folder/" + id + ".jpg";
  f.created_ms = 1234;
  return f;
}

Batch CreateGroupWithPerson(const std::string& gid, const std::string& pid, const std::string& fid) {
  Batch b;
  b.push_back(mutation::InsertGroup{{0, gid, gid + "-name", "tag", {"dept", "floor"}, "3.0", 1000}});
  b.push_back(mutation::InsertPerson{{0, pid, "Person " + pid, 1, 1001}});
  b.push_back(mutation::InsertMembership{{Placeholder(0), Placeholder(1), {{0, "R&D \"quoted\" ünïcode"}}, 1002}});
  b.push_back(mutation::InsertFace{Face(fid, Placeholder(1), 0.25f)});
  return b;
}

// One SQL statement on a fresh connection (for the tests' own checks).
std::string Sql(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0)
                    : PQresultStatus(r) == PGRES_COMMAND_OK                ? "ok"
                                                                            : PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  return out;
}

TEST(PostgresStore, CreatesSchemaAndPersistsBatches) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  {
    auto store = OpenPostgresStore(pg.conninfo());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->SchemaVersion(), kPostgresSchemaVersion);
    auto keys = (*store)->Apply(CreateGroupWithPerson("g1", "p1", "f1"));
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    EXPECT_GT((*keys)[0], 0);
    EXPECT_GT((*keys)[1], 0);
    EXPECT_EQ((*keys)[2], 0);
    EXPECT_GT((*keys)[3], 0);
  }
  auto store = OpenPostgresStore(pg.conninfo());  // a second open: no migration, same data
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto c = (*store)->Load(true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->groups.size(), 1u);
  EXPECT_EQ(c->groups[0].id, "g1");
  EXPECT_EQ(c->groups[0].face_model_version, "3.0");
  EXPECT_EQ(c->groups[0].ex_descriptions, (std::vector<std::string>{"dept", "floor"}));
  ASSERT_EQ(c->persons.size(), 1u);
  EXPECT_EQ(c->persons[0].gender, 1);
  EXPECT_EQ(c->persons[0].created_ms, 1001);
  ASSERT_EQ(c->memberships.size(), 1u);
  EXPECT_EQ(c->memberships[0].ex_descriptions[0].second, "R&D \"quoted\" ünïcode");
  ASSERT_EQ(c->faces.size(), 1u);
  EXPECT_EQ(c->faces[0].embedding, (std::vector<float>{0.25f, 0.5f, -0.25f, 0.125f}));
  EXPECT_EQ(c->faces[0].rect.x, -3);
  EXPECT_EQ(c->faces[0].rect.height, 60);
  EXPECT_FLOAT_EQ(c->faces[0].quality, 0.75f);
  EXPECT_EQ(c->faces[0].source, "folder/f1.jpg");
  auto without = (*store)->Load(false);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without->faces[0].embedding.empty());
  auto e = (*store)->LoadEmbeddings({c->faces[0].key, 999});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].second, c->faces[0].embedding);
}

TEST(PostgresStore, AFailingBatchLeavesNothingBehind) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Apply(CreateGroupWithPerson("g1", "p1", "f1")).ok());
  auto r = (*store)->Apply(CreateGroupWithPerson("g2", "p1", "f2"));  // same person id
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
  Batch dup_name;
  dup_name.push_back(mutation::InsertGroup{{0, "g3", "g1-name", "", {}, "3.0", 1}});
  EXPECT_EQ((*store)->Apply(dup_name).status().code(), StatusCode::kAlreadyExists);
  auto c = (*store)->Load(false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->groups.size(), 1u);
  EXPECT_EQ(c->persons.size(), 1u);
  EXPECT_EQ(c->faces.size(), 1u);
  Batch del;
  del.push_back(mutation::DeleteFace{c->faces[0].key});
  del.push_back(mutation::DeletePerson{424242});
  EXPECT_EQ((*store)->Apply(del).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*store)->Load(false)->faces.size(), 1u);
  Batch orphan;  // a face of a person that does not exist
  orphan.push_back(mutation::InsertFace{Face("f9", 777777, 0.1f)});
  EXPECT_EQ((*store)->Apply(orphan).status().code(), StatusCode::kNotFound);
  // The failed batches left nothing in the change log either: 4 mutations of the first batch.
  auto changes = (*store)->ChangesSince(0, 100);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 4u);
}

TEST(PostgresStore, DeletingAPersonDropsItsFacesAndMemberships) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto keys = (*store)->Apply(CreateGroupWithPerson("g1", "p1", "f1"));
  ASSERT_TRUE(keys.ok());
  Batch more;
  more.push_back(mutation::InsertFace{Face("f2", (*keys)[1], 0.5f)});
  ASSERT_TRUE((*store)->Apply(more).ok());
  Batch del;
  del.push_back(mutation::DeletePerson{(*keys)[1]});
  ASSERT_TRUE((*store)->Apply(del).ok());
  auto c = (*store)->Load(false);
  EXPECT_EQ(c->persons.size(), 0u);
  EXPECT_EQ(c->faces.size(), 0u);
  EXPECT_EQ(c->memberships.size(), 0u);
  EXPECT_EQ(c->groups.size(), 1u);
}

TEST(PostgresStore, RefusesNewerSchemaAndUnreachableServers) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  { ASSERT_TRUE(OpenPostgresStore(pg.conninfo()).ok()); }
  EXPECT_EQ(Sql(pg.conninfo(), "UPDATE facekit_schema SET version=99"), "ok");
  auto newer = OpenPostgresStore(pg.conninfo());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("newer"), std::string::npos) << newer.status().ToString();
  auto nowhere = OpenPostgresStore("host=" + pg.root() + "/no-such-dir dbname=x user=y connect_timeout=2");
  EXPECT_EQ(nowhere.status().code(), StatusCode::kIoError);
  EXPECT_NE(nowhere.status().message().find("cannot connect to PostgreSQL"), std::string::npos);
  EXPECT_EQ(OpenPostgresStore(pg.conninfo() + " user=nobody_here").status().code(), StatusCode::kIoError);
  EXPECT_TRUE(IsPostgresUri("postgres://u@h/db"));
  EXPECT_TRUE(IsPostgresUri("postgresql://h/db"));
  EXPECT_FALSE(IsPostgresUri("/var/lib/facekit"));
}

TEST(PostgresStore, ChangeLogIsInCommitOrderAndNotifiesFollowers) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  // A follower's connection listening on the channel.
  PGconn* follower = PQconnectdb(pg.conninfo().c_str());
  ASSERT_EQ(PQstatus(follower), CONNECTION_OK);
  PQclear(PQexec(follower, "LISTEN facekit_changes"));

  auto keys = (*store)->Apply(CreateGroupWithPerson("g1", "p1", "f1"));
  ASSERT_TRUE(keys.ok());
  Batch del;
  del.push_back(mutation::DeleteFace{(*keys)[3]});
  ASSERT_TRUE((*store)->Apply(del).ok());

  auto all = (*store)->ChangesSince(0, 100);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 5u);
  const char* kinds[] = {"InsertGroup", "InsertPerson", "InsertMembership", "InsertFace", "DeleteFace"};
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].kind, kinds[i]);
    if (i > 0) {
      EXPECT_GT((*all)[i].seq, (*all)[i - 1].seq);
    }
  }
  EXPECT_EQ((*all)[0].group_key, (*keys)[0]);
  EXPECT_EQ((*all)[2].person_key, (*keys)[1]);
  EXPECT_EQ((*all)[3].face_key, (*keys)[3]);
  EXPECT_EQ((*all)[4].face_key, (*keys)[3]);
  auto last = (*store)->LastChange();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, all->back().seq);
  // Catch-up from a sequence number, with a limit.
  auto tail = (*store)->ChangesSince((*all)[1].seq, 2);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].kind, "InsertMembership");

  // One notification per committed batch, carrying its last sequence number.
  std::vector<std::string> payloads;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (payloads.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{PQsocket(follower), POLLIN, 0};
    ::poll(&p, 1, 100);
    PQconsumeInput(follower);
    while (PGnotify* n = PQnotifies(follower)) {
      payloads.emplace_back(n->extra);
      PQfreemem(n);
    }
  }
  PQfinish(follower);
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_EQ(payloads[0], std::to_string((*all)[3].seq));
  EXPECT_EQ(payloads[1], std::to_string((*all)[4].seq));
}

TEST(PostgresStore, ConcurrentWritersFromTwoNodesLoseNothing) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto a = OpenPostgresStore(pg.conninfo());
  auto b = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(a.ok() && b.ok());
  Batch group;
  group.push_back(mutation::InsertGroup{{0, "g", "g", "", {}, "3.0", 1}});
  ASSERT_TRUE((*a)->Apply(group).ok());
  auto write = [](PostgresStore* s, const std::string& prefix) {
    for (int i = 0; i < 25; ++i) {
      Batch batch;
      batch.push_back(mutation::InsertPerson{{0, prefix + std::to_string(i), "n", 0, 1}});
      batch.push_back(mutation::InsertFace{Face(prefix + "f" + std::to_string(i), Placeholder(0), 0.1f * i)});
      EXPECT_TRUE(s->Apply(batch).ok());
    }
  };
  std::thread ta(write, a->get(), "a");
  std::thread tb(write, b->get(), "b");
  ta.join();
  tb.join();
  auto c = (*b)->Load(true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->persons.size(), 50u);
  EXPECT_EQ(c->faces.size(), 50u);
  auto changes = (*a)->ChangesSince(0, 1000);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 101u);
  // Writers serialise on the advisory lock, so each batch's two changes are adjacent.
  for (std::size_t i = 1; i + 1 < changes->size(); i += 2) {
    EXPECT_EQ((*changes)[i].kind, "InsertPerson");
    EXPECT_EQ((*changes)[i + 1].kind, "InsertFace");
    EXPECT_EQ((*changes)[i + 1].person_key, (*changes)[i].person_key);
  }
}

TEST(PostgresStore, ReconnectsAfterTheServerRestartsAndKeepsAcknowledgedWrites) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Apply(CreateGroupWithPerson("g1", "p1", "f1")).ok());
  pg.Kill();  // kill -9 of the postmaster: the acknowledged batch must survive crash recovery
  Batch more;
  more.push_back(mutation::InsertGroup{{0, "g2", "g2", "", {}, "3.0", 1}});
  auto down = (*store)->Apply(more);
  EXPECT_EQ(down.status().code(), StatusCode::kIoError);
  ASSERT_EQ(pg.Start(), "");
  auto again = (*store)->Apply(more);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto c = (*store)->Load(true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->groups.size(), 2u);
  EXPECT_EQ(c->faces.size(), 1u);
}

TEST(PostgresStore, TheGalleryRunsOnItUnchanged) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  gallery::GalleryOptions options;
  options.dim = 4;
  auto gallery = gallery::Gallery::Open(std::unique_ptr<GalleryStore>(std::move(*store)), options);
  ASSERT_TRUE(gallery.ok()) << gallery.status().ToString();
  auto keys = (*gallery)->Write([](const gallery::Catalog&) -> Result<Batch> {
    Batch b = CreateGroupWithPerson("g1", "p1", "f1");
    b.push_back(mutation::InsertPerson{{0, "p2", "Second", 2, 5}});
    b.push_back(mutation::InsertMembership{{Placeholder(0), Placeholder(4), {}, 6}});
    FaceRecord f = Face("f2", Placeholder(4), -0.9f);
    b.push_back(mutation::InsertFace{f});
    return b;
  });
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  const float query[4] = {-0.9f, 0.5f, -0.25f, 0.125f};
  auto hits = (*gallery)->SearchFaces({(*keys)[0]}, query, 2);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].key, (*keys)[6]);
  // A second node opening the same database sees the same gallery.
  auto other_store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(other_store.ok());
  auto other = gallery::Gallery::Open(std::unique_ptr<GalleryStore>(std::move(*other_store)), options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto other_hits = (*other)->SearchFaces({(*keys)[0]}, query, 2);
  ASSERT_EQ(other_hits.size(), 2u);
  EXPECT_EQ(other_hits[0].key, hits[0].key);
  EXPECT_FLOAT_EQ(other_hits[0].similarity, hits[0].similarity);
}

}  // namespace
}  // namespace facekit::store
