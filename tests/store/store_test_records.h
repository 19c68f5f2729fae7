// store_test_records.h - records shared by the gallery store tests (SQLite
// and PostgreSQL run the same batches).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "store/gallery_store.h"

namespace facekit::store::test_records {

inline FaceRecord Face(const std::string& id, std::int64_t person_key, float first) {
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

// A group, a person in it with custom field 0 set, and one face.
inline Batch CreateGroupWithPerson(const std::string& gid, const std::string& pid, const std::string& fid) {
  Batch b;
  b.push_back(mutation::InsertGroup{{0, gid, gid + "-name", "tag", {"dept", "floor"}, "3.0", 1000}});
  b.push_back(mutation::InsertPerson{{0, pid, "Person " + pid, 1, 1001}});
  b.push_back(mutation::InsertMembership{{Placeholder(0), Placeholder(1), {{0, "R&D \"quoted\" ünïcode"}}, 1002}});
  b.push_back(mutation::InsertFace{Face(fid, Placeholder(1), 0.25f)});
  return b;
}

// Both stores' tests run these on a fresh, empty store.

// A batch that fails (duplicate person id, group name; deleting something
// absent) leaves nothing of itself behind.
inline void ExpectFailingBatchesLeaveNothingBehind(GalleryStore& store) {
  ASSERT_TRUE(store.Apply(CreateGroupWithPerson("g1", "p1", "f1")).ok());
  // Same person id in the second batch: its group must not appear either.
  auto r = store.Apply(CreateGroupWithPerson("g2", "p1", "f2"));
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
  Batch dup_name;
  dup_name.push_back(mutation::InsertGroup{{0, "g3", "g1-name", "", {}, "3.0", 1}});
  EXPECT_EQ(store.Apply(dup_name).status().code(), StatusCode::kAlreadyExists);
  auto c = store.Load(false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->groups.size(), 1u);
  EXPECT_EQ(c->persons.size(), 1u);
  EXPECT_EQ(c->faces.size(), 1u);
  // Deleting something absent is an error and rolls back the batch.
  Batch del;
  del.push_back(mutation::DeleteFace{c->faces[0].key});
  del.push_back(mutation::DeletePerson{424242});
  EXPECT_EQ(store.Apply(del).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.Load(false)->faces.size(), 1u);
}

inline void ExpectDeletingAPersonDropsItsFacesAndMemberships(GalleryStore& store) {
  auto keys = store.Apply(CreateGroupWithPerson("g1", "p1", "f1"));
  ASSERT_TRUE(keys.ok());
  Batch more;
  more.push_back(mutation::InsertFace{Face("f2", (*keys)[1], 0.5f)});
  ASSERT_TRUE(store.Apply(more).ok());
  Batch del;
  del.push_back(mutation::DeletePerson{(*keys)[1]});
  ASSERT_TRUE(store.Apply(del).ok());
  auto c = store.Load(false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->persons.size(), 0u);
  EXPECT_EQ(c->faces.size(), 0u);
  EXPECT_EQ(c->memberships.size(), 0u);
  EXPECT_EQ(c->groups.size(), 1u);
}

}  // namespace facekit::store::test_records
