#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "test_util.h"
#include "store/store_test_records.h"

namespace facekit::store {
namespace {

using test_records::CreateGroupWithPerson;
using test_records::Face;

TEST(SqliteStore, CreatesSchemaAndPersistsBatches) {
  testing::TempDir dir;
  const std::string path = dir.file("gallery.db");
  {
    auto store = OpenSqliteStore(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->SchemaVersion(), kSqliteSchemaVersion);
    auto keys = (*store)->Apply(CreateGroupWithPerson("g1", "p1", "f1"));
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    EXPECT_GT((*keys)[0], 0);
    EXPECT_GT((*keys)[1], 0);
    EXPECT_EQ((*keys)[2], 0);
    EXPECT_GT((*keys)[3], 0);
  }
  auto store = OpenSqliteStore(path);
  ASSERT_TRUE(store.ok());
  auto c = (*store)->Load(true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->groups.size(), 1u);
  EXPECT_EQ(c->groups[0].id, "g1");
  EXPECT_EQ(c->groups[0].ex_descriptions, (std::vector<std::string>{"dept", "floor"}));
  ASSERT_EQ(c->persons.size(), 1u);
  EXPECT_EQ(c->persons[0].gender, 1);
  ASSERT_EQ(c->memberships.size(), 1u);
  EXPECT_EQ(c->memberships[0].ex_descriptions[0].second, "R&D \"quoted\" ünïcode");
  ASSERT_EQ(c->faces.size(), 1u);
  EXPECT_EQ(c->faces[0].embedding, (std::vector<float>{0.25f, 0.5f, -0.25f, 0.125f}));
  EXPECT_EQ(c->faces[0].rect.x, -3);
  EXPECT_EQ(c->faces[0].source, "folder/f1.jpg");
  auto without = (*store)->Load(false);
  ASSERT_TRUE(without.ok());
  EXPECT_TRUE(without->faces[0].embedding.empty());
  auto e = (*store)->LoadEmbeddings({c->faces[0].key, 999});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 1u);
  EXPECT_EQ((*e)[0].second, c->faces[0].embedding);
}

TEST(SqliteStore, AFailingBatchLeavesNothingBehind) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.file("g.db"));
  ASSERT_TRUE(store.ok());
  test_records::ExpectFailingBatchesLeaveNothingBehind(**store);
}

TEST(SqliteStore, DeletingAPersonDropsItsFacesAndMemberships) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.file("g.db"));
  ASSERT_TRUE(store.ok());
  test_records::ExpectDeletingAPersonDropsItsFacesAndMemberships(**store);
}

TEST(SqliteStore, RefusesNewerSchemaAndForeignFiles) {
  testing::TempDir dir;
  const std::string path = dir.file("g.db");
  { ASSERT_TRUE(OpenSqliteStore(path).ok()); }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(OpenSqliteStore(path).status().code(), StatusCode::kFailedPrecondition);
  const std::string junk = dir.file("junk.db");
  std::ofstream(junk, std::ios::binary) << std::string(4096, 'x');
  EXPECT_EQ(OpenSqliteStore(junk).status().code(), StatusCode::kDataCorrupt);
  EXPECT_EQ(OpenSqliteStore(dir.file("no/such/dir/g.db")).status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace facekit::store
