// store_test_records.h - records shared by the gallery store tests (SQLite
// and PostgreSQL run the same batches).
#pragma once

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

}  // namespace facekit::store::test_records
