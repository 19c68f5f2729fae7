// The PostgreSQL store against a private PostgreSQL 15 server started by the
// test (Unix socket in a temp folder). Same behaviour as the SQLite store,
// plus the change log and reconnection after a server restart.
#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "gallery/gallery.h"
#include "store/mutation_codec.h"
#include "store/pg_test_cluster.h"
#include "store/store_test_records.h"

namespace facekit::store {
namespace {

using facekit::testing::PgTestCluster;

using test_records::CreateGroupWithPerson;
using test_records::Face;

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
  test_records::ExpectFailingBatchesLeaveNothingBehind(**store);
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
  test_records::ExpectDeletingAPersonDropsItsFacesAndMemberships(**store);
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

namespace facekit::store {
namespace {

using facekit::testing::PgTestCluster;

TEST(MutationCodec, EveryMutationRoundTripsWithResolvedKeys) {
  Batch b = CreateGroupWithPerson("g1", "p1", "f1");
  b.push_back(mutation::UpdateGroup{{10, "g1", "renamed", "t2", {"a"}, "3.0", 5}});
  b.push_back(mutation::UpdatePerson{{Placeholder(1), "p1", "New name", 2, 7}});
  b.push_back(mutation::UpdateMembership{{10, 11, {{1, "x"}}, 9}});
  b.push_back(mutation::DeleteMembership{10, 11});
  b.push_back(mutation::DeleteFace{12});
  b.push_back(mutation::DeletePerson{11});
  b.push_back(mutation::DeleteGroup{10});
  b.push_back(mutation::PutFaceVector{Placeholder(3), "3.1", {0.5f, -0.5f}});
  b.push_back(mutation::SetGroupModelVersion{10, "3.1"});
  store::ModelJobRecord job;
  job.id = "job-1";
  job.group_key = Placeholder(0);
  job.group_id = "g1";
  job.from_version = "3.0";
  job.to_version = "3.1";
  job.progress = 37.5f;
  job.start_ms = 99;
  b.push_back(mutation::PutModelJob{job});
  FaceRecord with_extras = Face("f3", Placeholder(1), 0.75f);
  with_extras.other_vectors = {{"3.1", {0.1f, 0.2f}}};
  with_extras.crop = {0xff, 0xd8, 0x00, 0x7f};
  with_extras.crop_landmarks = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  b.push_back(mutation::InsertFace{with_extras});
  const std::vector<std::int64_t> keys = {10, 11, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13};
  for (std::size_t i = 0; i < b.size(); ++i) {
    auto text = EncodeMutation(b[i], keys, keys[i]);
    ASSERT_TRUE(text.ok()) << i;
    auto d = DecodeMutation(*text);
    ASSERT_TRUE(d.ok()) << d.status().ToString() << " " << *text;
    EXPECT_EQ(d->mutation.index(), b[i].index());
    EXPECT_EQ(d->key, keys[i]);
    auto again = EncodeMutation(d->mutation, keys, d->key);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *text) << "re-encoding a decoded mutation changes it";
  }
  auto face = DecodeMutation(*EncodeMutation(b[3], keys, 12));
  const auto& f = std::get<mutation::InsertFace>(face->mutation).face;
  EXPECT_EQ(f.person_key, 11);  // the placeholder resolved
  EXPECT_EQ(f.embedding, (std::vector<float>{0.25f, 0.5f, -0.25f, 0.125f}));
  EXPECT_EQ(f.rect.x, -3);
  auto membership = DecodeMutation(*EncodeMutation(b[2], keys, 0));
  EXPECT_EQ(std::get<mutation::InsertMembership>(membership->mutation).membership.group_key, 10);
  auto extras = DecodeMutation(*EncodeMutation(b[14], keys, 13));
  const auto& fx = std::get<mutation::InsertFace>(extras->mutation).face;
  EXPECT_EQ(fx.other_vectors, with_extras.other_vectors);
  EXPECT_EQ(fx.crop, with_extras.crop);
  EXPECT_EQ(fx.crop_landmarks, with_extras.crop_landmarks);
  auto j = DecodeMutation(*EncodeMutation(b[13], keys, 0));
  EXPECT_EQ(std::get<mutation::PutModelJob>(j->mutation).job.group_key, 10);
  EXPECT_FLOAT_EQ(std::get<mutation::PutModelJob>(j->mutation).job.progress, 37.5f);
  // A placeholder that names no earlier insert cannot be encoded.
  EXPECT_FALSE(EncodeMutation(b[3], {0, 0, 0, 0}, 12).ok());
}

TEST(MutationCodec, VectorsAreBase64OfTheirBytesAndTheOldArraysStillRead) {
  FaceRecord f = Face("f1", 11, 0.25f);
  f.embedding.resize(192);
  for (std::size_t i = 0; i < f.embedding.size(); ++i) f.embedding[i] = std::sin(0.37f * static_cast<float>(i)) / 9.7f;
  Batch b;
  b.push_back(mutation::InsertFace{f});
  b.push_back(mutation::PutFaceVector{12, "3.1", f.embedding});
  auto text = EncodeMutation(b[0], {}, 12);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"embedding\":\""), std::string::npos) << *text;
  // Under PostgreSQL's TOAST threshold (2,032 bytes): kept in the row, not compressed.
  EXPECT_LT(text->size(), 2032u);
  auto face = DecodeMutation(*text);
  ASSERT_TRUE(face.ok()) << face.status().ToString();
  EXPECT_EQ(std::get<mutation::InsertFace>(face->mutation).face.embedding, f.embedding);  // bit for bit
  auto vector = DecodeMutation(*EncodeMutation(b[1], {}, 0));
  ASSERT_TRUE(vector.ok());
  EXPECT_EQ(std::get<mutation::PutFaceVector>(vector->mutation).vector, f.embedding);
  // As logged before vectors were base64: arrays of numbers.
  auto old_face = DecodeMutation(
      R"({"op":"InsertFace","face":{"key":5,"id":"f","pkey":2,"mv":"3.0","embedding":[0.5,-0.25],"rect":[0,0,1,1],)"
      R"("quality":0,"source":"","created_ms":0,"other_vectors":[["3.1",[0.125,1]]],"crop":"","crop_landmarks":[]}})");
  ASSERT_TRUE(old_face.ok()) << old_face.status().ToString();
  const auto& of = std::get<mutation::InsertFace>(old_face->mutation).face;
  EXPECT_EQ(of.embedding, (std::vector<float>{0.5f, -0.25f}));
  ASSERT_EQ(of.other_vectors.size(), 1u);
  EXPECT_EQ(of.other_vectors[0].second, (std::vector<float>{0.125f, 1.0f}));
  auto old_vector = DecodeMutation(R"({"op":"PutFaceVector","fkey":3,"mv":"3.1","vector":[1,2]})");
  ASSERT_TRUE(old_vector.ok());
  EXPECT_EQ(std::get<mutation::PutFaceVector>(old_vector->mutation).vector, (std::vector<float>{1.0f, 2.0f}));
}

TEST(MutationCodec, DamagedEntriesAreDataCorruptNeverACrash) {
  for (const char* text :
       {"", "null", "[]", "{}", R"({"op":7})", R"({"op":"Explode"})", R"({"op":"DeleteFace"})",
        R"({"op":"DeleteFace","key":"1"})", R"({"op":"InsertGroup","group":[]})",
        R"({"op":"InsertFace","face":{"key":1,"id":"f","pkey":2,"mv":"m","embedding":[],"rect":[0,0,1,1],)"
        R"("quality":0,"source":"","created_ms":0}})",
        R"({"op":"InsertFace","face":{"key":1,"id":"f","pkey":2,"mv":"m","embedding":[1],"rect":[0,0,1],)"
        R"("quality":0,"source":"","created_ms":0}})",
        R"({"op":"InsertMembership","membership":{"gkey":1,"pkey":2,"ex":[[1]],"added_ms":0}})", "{\"op\":",
        R"({"op":"PutFaceVector","fkey":3,"mv":"3.1","vector":"AAAA"})",     // 3 bytes: not whole floats
        R"({"op":"PutFaceVector","fkey":3,"mv":"3.1","vector":"%%%%"})"}) {  // not base64
    auto d = DecodeMutation(text);
    EXPECT_EQ(d.status().code(), StatusCode::kDataCorrupt) << text;
  }
}

// Load reads persons, memberships and faces a page of rows a query (a
// large gallery's result set would be held whole by libpq): with pages of 3
// rows it returns what one page returns, and LoadPages hands the parts over
// in the order a reader builds from (groups, persons, memberships, faces,
// the rest), none larger than a page, every record once.
TEST(PostgresStore, LoadsAPageOfRowsAtATimeAndReturnsTheSame) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<std::int64_t> groups, persons;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    Batch b = CreateGroupWithPerson("g" + n, "p" + n, "f" + n + "-0");
    for (int f = 1; f < 3 + i; ++f)
      b.push_back(
          mutation::InsertFace{Face("f" + n + "-" + std::to_string(f), Placeholder(1), 0.1f * static_cast<float>(f))});
    auto keys = (*store)->Apply(b);
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    groups.push_back((*keys)[0]);
    persons.push_back((*keys)[1]);
  }
  Batch more;  // person p0 in every group: 7 memberships
  for (int i = 1; i < 4; ++i)
    more.push_back(mutation::InsertMembership{{groups[static_cast<std::size_t>(i)], persons[0], {}, 7}});
  ASSERT_TRUE((*store)->Apply(more).ok());

  auto whole = (*store)->Load(/*with_embeddings=*/true);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_EQ(whole->groups.size(), 4u);
  ASSERT_EQ(whole->persons.size(), 4u);
  ASSERT_EQ(whole->memberships.size(), 7u);
  ASSERT_EQ(whole->faces.size(), 18u);
  (*store)->SetLoadPageRows(3);
  auto paged = (*store)->Load(/*with_embeddings=*/true);
  ASSERT_TRUE(paged.ok()) << paged.status().ToString();
  EXPECT_EQ(paged->log_seq, whole->log_seq);
  ASSERT_EQ(paged->persons.size(), whole->persons.size());
  for (std::size_t i = 0; i < whole->persons.size(); ++i) EXPECT_EQ(paged->persons[i].id, whole->persons[i].id);
  ASSERT_EQ(paged->memberships.size(), whole->memberships.size());
  for (std::size_t i = 0; i < whole->memberships.size(); ++i) {
    EXPECT_EQ(paged->memberships[i].group_key, whole->memberships[i].group_key);
    EXPECT_EQ(paged->memberships[i].person_key, whole->memberships[i].person_key);
    EXPECT_EQ(paged->memberships[i].ex_descriptions, whole->memberships[i].ex_descriptions);
  }
  ASSERT_EQ(paged->faces.size(), whole->faces.size());
  for (std::size_t i = 0; i < whole->faces.size(); ++i) {
    EXPECT_EQ(paged->faces[i].key, whole->faces[i].key);
    EXPECT_EQ(paged->faces[i].id, whole->faces[i].id);
    EXPECT_EQ(paged->faces[i].embedding, whole->faces[i].embedding);
    EXPECT_EQ(paged->faces[i].source, whole->faces[i].source);
  }

  // The parts: kinds in order, each at most a page, keys ascending.
  std::vector<int> kinds;  // 0 groups, 1 persons, 2 memberships, 3 faces, 4 the rest
  std::vector<std::int64_t> face_keys;
  std::size_t parts = 0;
  Status loaded = (*store)->LoadPages(false, [&](StoreContents& part) {
    if (parts++ == 0) {
      EXPECT_EQ(part.groups.size(), 4u);
      EXPECT_EQ(part.log_seq, whole->log_seq);
    } else {
      EXPECT_TRUE(part.groups.empty());
      EXPECT_EQ(part.log_seq, 0);
    }
    const int kind = !part.groups.empty()        ? 0
                     : !part.persons.empty()     ? 1
                     : !part.memberships.empty() ? 2
                     : !part.faces.empty()       ? 3
                                                 : 4;
    EXPECT_LE(part.persons.size() + part.memberships.size() + part.faces.size(), 3u);
    EXPECT_LE((!part.persons.empty()) + (!part.memberships.empty()) + (!part.faces.empty()), 1);
    for (const FaceRecord& f : part.faces) {
      EXPECT_TRUE(f.embedding.empty());
      face_keys.push_back(f.key);
    }
    kinds.push_back(kind);
    return Status::Ok();
  });
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();
  EXPECT_TRUE(std::is_sorted(kinds.begin(), kinds.end()));
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), 3), 6);  // 18 faces, 3 a part
  EXPECT_EQ(kinds.back(), 4);
  std::vector<std::int64_t> want;
  for (const FaceRecord& f : whole->faces) want.push_back(f.key);
  EXPECT_EQ(face_keys, want);
  // A part's error stops the load and is returned.
  EXPECT_EQ((*store)->LoadPages(false, [](StoreContents&) { return Status(StatusCode::kUnavailable, "stop"); }).code(),
            StatusCode::kUnavailable);
}

TEST(PostgresStore, KeepsFaceVectorsCropsAndModelJobsLikeTheSqliteStore) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Batch b = CreateGroupWithPerson("g1", "p1", "f1");
  FaceRecord f = Face("f2", Placeholder(1), 0.5f);
  f.other_vectors = {{"3.1", {0.1f, 0.2f, 0.3f}}};
  f.crop = {0xff, 0xd8, 0xff, 0x00, 0x10};
  f.crop_landmarks = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  b.push_back(mutation::InsertFace{f});
  auto keys = (*store)->Apply(b);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ModelJobRecord job;
  job.id = "job-1";
  job.group_key = (*keys)[0];
  job.group_id = "g1";
  job.from_version = "3.0";
  job.to_version = "3.1";
  job.start_ms = 5;
  Batch more;
  more.push_back(mutation::PutModelJob{job});
  more.push_back(mutation::PutFaceVector{(*keys)[3], "3.1", {0.4f, 0.5f, 0.6f}});
  ASSERT_TRUE((*store)->Apply(more).ok());
  job.status = 1;
  job.progress = 100;
  job.end_ms = 9;
  Batch done;
  done.push_back(mutation::PutModelJob{job});  // replaces the job by id
  done.push_back(mutation::SetGroupModelVersion{(*keys)[0], "3.1"});
  ASSERT_TRUE((*store)->Apply(done).ok());
  Batch missing;
  missing.push_back(mutation::SetGroupModelVersion{4242, "3.1"});
  EXPECT_EQ((*store)->Apply(missing).status().code(), StatusCode::kNotFound);

  auto c = (*store)->Load(false);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->groups[0].face_model_version, "3.1");
  ASSERT_EQ(c->jobs.size(), 1u);
  EXPECT_EQ(c->jobs[0].status, 1);
  EXPECT_FLOAT_EQ(c->jobs[0].progress, 100.0f);
  EXPECT_EQ(c->jobs[0].end_ms, 9);
  ASSERT_EQ(c->other_vectors.size(), 2u);
  EXPECT_EQ(c->crop_keys, (std::vector<std::int64_t>{(*keys)[4]}));
  auto v = (*store)->LoadFaceVectors("3.1", {(*keys)[3], (*keys)[4], 999});
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 2u);
  EXPECT_EQ((*v)[0].second, (std::vector<float>{0.4f, 0.5f, 0.6f}));
  EXPECT_EQ((*v)[1].second, (std::vector<float>{0.1f, 0.2f, 0.3f}));
  auto crop = (*store)->LoadFaceCrop((*keys)[4]);
  ASSERT_TRUE(crop.ok() && crop->has_value());
  EXPECT_EQ((*crop)->image, f.crop);
  EXPECT_EQ((*crop)->landmarks, f.crop_landmarks);
  auto none = (*store)->LoadFaceCrop((*keys)[3]);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(PostgresStore, TwoGalleriesOnOneDatabaseFollowEachOther) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  gallery::GalleryOptions options;
  options.dim = 4;
  options.follow_interval_ms = 100;
  auto open = [&]() {
    auto store = OpenPostgresStore(pg.conninfo());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return gallery::Gallery::Open(std::unique_ptr<GalleryStore>(std::move(*store)), options);
  };
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a.ok() && b.ok());
  auto keys = (*a)->Write([](const gallery::Catalog&) -> Result<Batch> { return CreateGroupWithPerson("g1", "p1", "f1"); });
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  // Visible on A when Write returns; on B once its follower has applied it.
  EXPECT_EQ((*a)->Read([](const gallery::Catalog& c) { return c.face_count(); }), 1u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*b)->Read([](const gallery::Catalog& c) { return c.face_count(); }) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ((*b)->Read([](const gallery::Catalog& c) { return c.face_count(); }), 1u);
  EXPECT_EQ((*b)->applied_seq(), (*a)->applied_seq());
  // B plans against A's writes even before its follower wakes: the same group id is taken.
  auto dup = (*b)->Write([](const gallery::Catalog& c) -> Result<Batch> {
    if (c.GroupById("g1")) return Status(StatusCode::kAlreadyExists, "group g1 exists");
    return CreateGroupWithPerson("g1", "p9", "f9");
  });
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);
  // B adds a face to A's person; A removes the first face; both converge.
  const std::int64_t gkey = (*keys)[0], pkey = (*keys)[1], f1 = (*keys)[3];
  auto added = (*b)->Write([&](const gallery::Catalog&) -> Result<Batch> {
    Batch batch;
    batch.push_back(mutation::InsertFace{Face("f2", pkey, -0.9f)});
    return batch;
  });
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_TRUE((*a)->Write([&](const gallery::Catalog&) -> Result<Batch> {
                  Batch batch;
                  batch.push_back(mutation::DeleteFace{f1});
                  return batch;
                }).ok());
  ASSERT_TRUE((*a)->CatchUp().ok());
  ASSERT_TRUE((*b)->CatchUp().ok());
  const float query[4] = {0.25f, 0.5f, -0.25f, 0.125f};
  for (auto* g : {a->get(), b->get()}) {
    EXPECT_EQ(g->Read([](const gallery::Catalog& c) { return c.face_count(); }), 1u);
    auto hits = g->SearchFaces({gkey}, query, 5);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].key, (*added)[0]);
  }
  EXPECT_EQ((*a)->applied_seq(), (*b)->applied_seq());
  // A third node started now loads the same state and replays nothing twice.
  auto c = open();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->applied_seq(), (*a)->applied_seq());
  auto hits = (*c)->SearchFaces({gkey}, query, 5);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].key, (*added)[0]);
}

// Read-your-writes (docs/scale-out.md): a write's position given to another
// gallery of the database makes it read the log that far, with no follower.
TEST(PostgresStore, AWritesPositionIsReachedOnAnotherGalleryWithoutItsFollower) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  gallery::GalleryOptions options;
  options.dim = 4;
  auto open = [&](int follow_ms) {
    auto store = OpenPostgresStore(pg.conninfo());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    options.follow_interval_ms = follow_ms;
    return gallery::Gallery::Open(std::unique_ptr<GalleryStore>(std::move(*store)), options);
  };
  auto a = open(100);
  auto b = open(0);  // no follower thread: only WaitForPosition moves it
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->position(), 0);
  auto faces = [](gallery::Gallery& g) { return g.Read([](const gallery::Catalog& c) { return c.face_count(); }); };
  const auto soon = [] { return std::chrono::steady_clock::now() + std::chrono::seconds(5); };
  auto keys = (*a)->Write([](const gallery::Catalog&) -> Result<Batch> { return CreateGroupWithPerson("g1", "p1", "f1"); });
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  const std::int64_t first = (*a)->position();
  EXPECT_GT(first, 0);
  EXPECT_EQ((*a)->position(), (*a)->applied_seq());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(faces(**b), 0u) << "b follows the log by itself: the test below proves nothing";
  ASSERT_TRUE((*b)->WaitForPosition(first, soon()).ok());
  EXPECT_EQ(faces(**b), 1u);
  EXPECT_GE((*b)->position(), first);
  // Reached already: at once, even with the deadline passed.
  EXPECT_TRUE((*b)->WaitForPosition(first, std::chrono::steady_clock::now()).ok());
  // A position no write returned: refused once the whole log was read.
  const Status past = (*b)->WaitForPosition(first + 1000, soon());
  EXPECT_EQ(past.code(), StatusCode::kInvalidArgument) << past.ToString();
  EXPECT_NE(past.message().find("past the change log's end"), std::string::npos) << past.message();
  // The database away: not reached by the deadline, and said why.
  ASSERT_TRUE((*a)->Write([&](const gallery::Catalog&) -> Result<Batch> {
                  Batch batch;
                  batch.push_back(mutation::InsertFace{Face("f2", (*keys)[1], 0.5f)});
                  return batch;
                }).ok());
  const std::int64_t second = (*a)->position();
  ASSERT_GT(second, first);
  pg.Stop();
  const auto started = std::chrono::steady_clock::now();
  const Status away = (*b)->WaitForPosition(second, started + std::chrono::milliseconds(300));
  EXPECT_EQ(away.code(), StatusCode::kUnavailable) << away.ToString();
  EXPECT_NE(away.message().find("reading the change log failed"), std::string::npos) << away.message();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300));
  EXPECT_EQ(faces(**b), 1u);
  ASSERT_EQ(pg.Start(), "");
  ASSERT_TRUE((*b)->WaitForPosition(second, soon()).ok());
  EXPECT_EQ(faces(**b), 2u);
}

}  // namespace
}  // namespace facekit::store
