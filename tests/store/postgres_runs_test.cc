// The PostgreSQL store's multi-row writes (src/store/postgres_runs.*): runs of
// inserts in one statement keep every field, key and change-log row of one
// statement a mutation, and a failing row fails the batch.
#include "store/postgres_runs.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "store/pg_test_cluster.h"
#include "store/postgres_store.h"
#include "store/store_test_records.h"

namespace facekit::store {
namespace {

using facekit::testing::PgTestCluster;
using test_records::Face;

TEST(ArrayLiteral, QuotesEveryTextAndEscapesQuotesAndBackslashes) {
  pg::ArrayLiteral a;
  a.Add(std::string_view("plain"));
  a.Add(std::string_view("a \"quoted\" \\ back,slash {x}"));
  a.Add(std::string_view(""));
  a.Add(std::string_view("NULL"));
  EXPECT_EQ(a.Take().value, R"({"plain","a \"quoted\" \\ back,slash {x}","","NULL"})");
  a.Add(std::int64_t{-7});
  a.Add(42);
  EXPECT_EQ(a.Take().value, "{-7,42}");
  a.Add(0.75f);
  EXPECT_EQ(a.Take().value, "{0.75}");
  EXPECT_EQ(a.Take().value, "{}");
}

TEST(PostgresRuns, RunsRecognisedByKind) {
  Batch b;
  b.push_back(mutation::InsertGroup{{0, "g", "g", "", {}, "3.0", 1}});
  b.push_back(mutation::InsertPerson{{0, "p1", "", 0, 1}});
  b.push_back(mutation::InsertPerson{{0, "p2", "", 0, 1}});
  b.push_back(mutation::InsertMembership{{Placeholder(0), Placeholder(1), {}, 1}});
  b.push_back(mutation::InsertFace{Face("f1", Placeholder(1), 0.1f)});
  b.push_back(mutation::InsertFace{Face("f2", Placeholder(1), 0.2f)});
  b.push_back(mutation::DeletePerson{5});
  EXPECT_FALSE(pg::InRuns(b[0]));
  EXPECT_EQ(pg::RunEnd(b, 0), 1u);
  EXPECT_EQ(pg::RunEnd(b, 1), 3u);
  EXPECT_EQ(pg::RunEnd(b, 2), 3u);
  EXPECT_EQ(pg::RunEnd(b, 3), 4u);
  EXPECT_EQ(pg::RunEnd(b, 4), 6u);
  EXPECT_EQ(pg::RunEnd(b, 6), 7u);
}

// Persons, memberships and faces whose texts need quoting in an array
// literal; faces with and without crops and one with a second model's vector.
TEST(PostgresRuns, ARunKeepsEveryFieldKeyAndChangeInBatchOrder) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::vector<std::string> names = {"a \"quoted\" name", "back\\slash, comma {braces}", "", "NULL",
                                          "ünïcode 名字"};
  Batch b;
  b.push_back(mutation::InsertGroup{{0, "g", "g-name", "", {"dept"}, "3.0", 1}});
  for (std::size_t p = 0; p < names.size(); ++p) {
    b.push_back(mutation::InsertPerson{{0, "p" + std::to_string(p), names[p], static_cast<int>(p % 3), 100 + int(p)}});
  }
  for (std::size_t p = 0; p < names.size(); ++p) {
    b.push_back(mutation::InsertMembership{{Placeholder(0), Placeholder(1 + p), {{0, names[p] + "\"}"}}, 200}});
  }
  std::map<std::string, std::size_t> person_of_face;  // face id -> person index
  for (std::size_t p = 0; p < names.size(); ++p) {
    for (int k = 0; k < 2; ++k) {
      FaceRecord f = Face("f" + std::to_string(p) + "-" + std::to_string(k), Placeholder(1 + p),
                          0.1f * static_cast<float>(p + 1) + 0.01f * static_cast<float>(k));
      f.source = names[p] + "/" + f.id + ".jpg";
      f.rect = {static_cast<int>(p), -k, 40 + k, 50};
      if (k == 1) {
        f.crop = {0xff, 0xd8, static_cast<std::uint8_t>(p), 0x00, 0x22, 0x5c};
        f.crop_landmarks = {1, 2, 3, 4, 5, 6, 7, 8, 9, static_cast<float>(p)};
      }
      if (p == 2 && k == 0) f.other_vectors = {{"3.1", {0.3f, 0.2f, 0.1f}}};
      person_of_face[f.id] = p;
      b.push_back(mutation::InsertFace{f});
    }
  }
  auto keys = (*store)->Apply(b);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), b.size());
  std::set<std::int64_t> persons, faces;
  for (std::size_t i = 1; i <= names.size(); ++i) persons.insert((*keys)[i]);
  for (std::size_t i = 1 + 2 * names.size(); i < b.size(); ++i) faces.insert((*keys)[i]);
  EXPECT_EQ(persons.size(), names.size());
  EXPECT_EQ(faces.size(), 2 * names.size());
  EXPECT_GT(*persons.begin(), 0);
  EXPECT_GT(*faces.begin(), 0);

  auto c = (*store)->Load(true);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->persons.size(), names.size());
  for (const PersonRecord& p : c->persons) {
    const std::size_t i = std::stoul(p.id.substr(1));
    EXPECT_EQ(p.key, (*keys)[1 + i]);
    EXPECT_EQ(p.name, names[i]);
    EXPECT_EQ(p.gender, static_cast<int>(i % 3));
    EXPECT_EQ(p.created_ms, 100 + static_cast<std::int64_t>(i));
  }
  ASSERT_EQ(c->memberships.size(), names.size());
  for (const MembershipRecord& m : c->memberships) {
    EXPECT_EQ(m.group_key, (*keys)[0]);
    const auto at =
        std::find(keys->begin() + 1, keys->begin() + 1 + static_cast<std::ptrdiff_t>(names.size()), m.person_key);
    ASSERT_NE(at, keys->begin() + 1 + static_cast<std::ptrdiff_t>(names.size()));
    const auto i = static_cast<std::size_t>(at - keys->begin() - 1);
    ASSERT_EQ(m.ex_descriptions.size(), 1u);
    EXPECT_EQ(m.ex_descriptions[0].second, names[i] + "\"}");
    EXPECT_EQ(m.added_ms, 200);
  }
  ASSERT_EQ(c->faces.size(), 2 * names.size());
  for (const FaceRecord& f : c->faces) {
    const std::size_t at = std::find_if(b.begin(), b.end(),
                                        [&](const Mutation& m) {
                                          const auto* in = std::get_if<mutation::InsertFace>(&m);
                                          return in && in->face.id == f.id;
                                        }) -
                           b.begin();
    ASSERT_LT(at, b.size());
    const FaceRecord& want = std::get<mutation::InsertFace>(b[at]).face;
    EXPECT_EQ(f.key, (*keys)[at]);
    EXPECT_EQ(f.person_key, (*keys)[1 + person_of_face[f.id]]);
    EXPECT_EQ(f.embedding, want.embedding);
    EXPECT_EQ(f.model_version, want.model_version);
    EXPECT_EQ(f.rect.x, want.rect.x);
    EXPECT_EQ(f.rect.y, want.rect.y);
    EXPECT_EQ(f.rect.width, want.rect.width);
    EXPECT_EQ(f.rect.height, want.rect.height);
    EXPECT_FLOAT_EQ(f.quality, want.quality);
    EXPECT_EQ(f.source, want.source);
    EXPECT_EQ(f.created_ms, want.created_ms);
    auto crop = (*store)->LoadFaceCrop(f.key);
    ASSERT_TRUE(crop.ok());
    ASSERT_EQ(crop->has_value(), !want.crop.empty()) << f.id;
    if (crop->has_value()) {
      EXPECT_EQ((*crop)->image, want.crop);
      EXPECT_EQ((*crop)->landmarks, want.crop_landmarks);
    }
  }
  auto other = (*store)->LoadFaceVectors("3.1", std::vector<std::int64_t>(faces.begin(), faces.end()));
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].second, (std::vector<float>{0.3f, 0.2f, 0.1f}));

  // One change-log row a mutation, in the batch's order, with its keys.
  auto changes = (*store)->ChangesSince(0, 1000);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), b.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i > 0) {
      EXPECT_GT((*changes)[i].seq, (*changes)[i - 1].seq);
    }
    const char* kind = i == 0                  ? "InsertGroup"
                       : i <= names.size()     ? "InsertPerson"
                       : i <= 2 * names.size() ? "InsertMembership"
                                               : "InsertFace";
    EXPECT_EQ((*changes)[i].kind, kind) << i;
    if (std::holds_alternative<mutation::InsertPerson>(b[i])) {
      EXPECT_EQ((*changes)[i].person_key, (*keys)[i]);
    }
    if (std::holds_alternative<mutation::InsertFace>(b[i])) {
      EXPECT_EQ((*changes)[i].face_key, (*keys)[i]);
    }
  }
  // The log's payloads carry the resolved keys: a follower rebuilds the same rows.
  auto log = (*store)->ReadLog(0, 10);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].keys, *keys);
  EXPECT_EQ((*log)[0].batch.size(), b.size());
}

TEST(PostgresRuns, ADuplicateInARunFailsTheBatchNamingItAndLeavesNothing) {
  PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto store = OpenPostgresStore(pg.conninfo());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Batch b = test_records::CreateGroupWithPerson("g1", "p1", "f1");
  b.push_back(mutation::InsertFace{Face("f2", Placeholder(1), 0.5f)});
  b.push_back(mutation::InsertFace{Face("f1", Placeholder(1), 0.6f)});  // f1 again, in the same run
  auto r = (*store)->Apply(b);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
  EXPECT_NE(r.status().message().find("f1"), std::string::npos) << r.status().ToString();

  Batch persons = test_records::CreateGroupWithPerson("g2", "p2", "f3");
  persons.insert(persons.begin() + 2, mutation::InsertPerson{{0, "p2", "again", 0, 1}});
  r = (*store)->Apply(persons);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
  EXPECT_NE(r.status().message().find("p2"), std::string::npos) << r.status().ToString();

  Batch orphans;  // faces of persons that do not exist
  orphans.push_back(mutation::InsertFace{Face("f8", 777777, 0.1f)});
  orphans.push_back(mutation::InsertFace{Face("f9", 777778, 0.1f)});
  EXPECT_EQ((*store)->Apply(orphans).status().code(), StatusCode::kNotFound);

  FaceRecord bad = Face("f10", 1, 0.1f);
  bad.crop = {1, 2, 3};  // no landmarks
  Batch no_marks;
  no_marks.push_back(mutation::InsertFace{bad});
  EXPECT_EQ((*store)->Apply(no_marks).status().code(), StatusCode::kInvalidArgument);

  auto c = (*store)->Load(false);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->groups.empty());
  EXPECT_TRUE(c->persons.empty());
  EXPECT_TRUE(c->faces.empty());
  auto changes = (*store)->ChangesSince(0, 100);
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->empty());
}

}  // namespace
}  // namespace facekit::store
