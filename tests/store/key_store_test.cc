#include "store/key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "test_util.h"

namespace facekit::store {
namespace {

TEST(KeyStoreTest, CreateFindListRevoke) {
  testing::TempDir dir;
  const std::string path = dir.file("keys.db");
  std::string id;
  {
    auto ks = KeyStore::Open(path);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    NewKey nk;
    nk.role = KeyRole::kReadOnly;
    nk.groups = {"a", "b"};
    nk.actions = {"SearchFaces"};
    nk.rate_limit = 5;
    auto k = (*ks)->Create(nk, 1000);
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(k->secret_id.size(), 36u);
    EXPECT_EQ(k->secret_id.rfind("AKID", 0), 0u);
    EXPECT_EQ(k->secret_key.size(), 40u);
    id = k->secret_id;
    auto other = (*ks)->Create(NewKey{}, 2000);
    ASSERT_TRUE(other.ok());
    EXPECT_NE(other->secret_key, k->secret_key);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto ks = KeyStore::Open(path);  // durable across reopen
  ASSERT_TRUE(ks.ok());
  auto found = (*ks)->Find(id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->role, KeyRole::kReadOnly);
  EXPECT_EQ(found->groups, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(found->actions, (std::vector<std::string>{"SearchFaces"}));
  EXPECT_DOUBLE_EQ(found->rate_limit, 5);
  EXPECT_EQ((*ks)->List()->size(), 2u);
  EXPECT_EQ((*ks)->Find("AKIDnone").status().code(), StatusCode::kNotFound);

  auto v0 = (*ks)->DataVersion();
  ASSERT_TRUE(v0.ok());
  {
    auto other = KeyStore::Open(path);  // another process revokes
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Revoke(id, 3000).ok());
    EXPECT_EQ((*other)->Revoke(id, 4000).code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ((*other)->Revoke("AKIDnone", 4000).code(), StatusCode::kNotFound);
  }
  EXPECT_NE(*(*ks)->DataVersion(), *v0);
  EXPECT_EQ((*ks)->Find(id)->revoked_ms, 3000);
}

TEST(KeyStoreTest, UpdateChangesRoleAndGroupsOfActiveKeysOnly) {
  testing::TempDir dir;
  auto ks = KeyStore::Open(dir.file("keys.db"));
  ASSERT_TRUE(ks.ok());
  NewKey nk;
  nk.role = KeyRole::kReadOnly;
  nk.groups = {"a"};
  nk.description = "kiosk";
  auto k = (*ks)->Create(nk, 1000);
  ASSERT_TRUE(k.ok());

  KeyChange role_only;
  role_only.role = KeyRole::kReadWrite;
  auto changed = (*ks)->Update(k->secret_id, role_only);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->role, KeyRole::kReadWrite);
  EXPECT_EQ(changed->groups, (std::vector<std::string>{"a"}));  // unset: unchanged
  EXPECT_EQ(changed->secret_key, k->secret_key);

  KeyChange groups_only;
  groups_only.groups = std::vector<std::string>{};
  ASSERT_TRUE((*ks)->Update(k->secret_id, groups_only).ok());
  auto found = (*ks)->Find(k->secret_id);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->role, KeyRole::kReadWrite);
  EXPECT_TRUE(found->groups.empty());
  EXPECT_EQ(found->description, "kiosk");

  EXPECT_EQ((*ks)->Update("AKIDnone", role_only).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE((*ks)->Revoke(k->secret_id, 2000).ok());
  EXPECT_EQ((*ks)->Update(k->secret_id, role_only).status().code(), StatusCode::kFailedPrecondition);
}

TEST(KeyStoreTest, RejectsFilesThatAreNotKeyDatabases) {
  testing::TempDir dir;
  const std::string path = dir.file("keys.db");
  std::ofstream(path) << "this is not sqlite, just text that is long enough to have a header............";
  auto ks = KeyStore::Open(path);
  ASSERT_FALSE(ks.ok());
  EXPECT_EQ(ks.status().code(), StatusCode::kDataCorrupt) << ks.status().ToString();
}

TEST(KeyStoreTest, RoleNames) {
  for (KeyRole r : {KeyRole::kAdmin, KeyRole::kReadWrite, KeyRole::kReadOnly}) {
    EXPECT_EQ(*ParseKeyRole(KeyRoleName(r)), r);
  }
  EXPECT_FALSE(ParseKeyRole("root").ok());
}

}  // namespace
}  // namespace facekit::store
