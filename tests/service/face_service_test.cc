#include "service/face_service.h"

#include <gtest/gtest.h>

#include "store/pg_test_cluster.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "test_util.h"

namespace facekit::service {
namespace {

using testing::Photo;

std::vector<std::uint8_t> Bytes(const std::string& path) {
  auto b = ReadFileBytes(path);
  EXPECT_TRUE(b.ok()) << path;
  return b.ok() ? std::move(*b) : std::vector<std::uint8_t>{};
}

// `filter`: the faces and persons the gallery indexes (a cluster node's shards; default all).
std::unique_ptr<FaceService> MakeService(const testing::TempDir& dir, gallery::ShardFilter filter = {},
                                         ServiceOptions so = {}) {
  auto store = store::OpenSqliteStore(dir.file("gallery.db"));
  EXPECT_TRUE(store.ok());
  gallery::GalleryOptions go;
  go.dim = testing::SharedEngine().embedding_dim();
  go.snapshot_dir = dir.file("index");
  go.index_filter = std::move(filter);
  auto g = gallery::Gallery::Open(std::move(*store), go);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  so.now_ms = [] { return std::int64_t{1700000000000}; };
  return std::make_unique<FaceService>(testing::SharedEngine(), std::move(*g), so);
}

template <typename T>
std::string Code(const ApiResult<T>& r) {
  return r.ok() ? "ok" : r.error().code;
}

CreateGroupRequest Group(const std::string& id, std::vector<std::string> ex = {}) {
  CreateGroupRequest r;
  r.group_id = id;
  r.group_name = "name-" + id;
  r.group_ex_descriptions = std::move(ex);
  return r;
}

CreatePersonRequest Person(const std::string& gid, const std::string& pid, const std::string& photo) {
  CreatePersonRequest r;
  r.group_id = gid;
  r.person_id = pid;
  r.person_name = "Name " + pid;
  r.image = Bytes(Photo(photo));
  return r;
}

class FaceServiceTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::unique_ptr<FaceService> svc_ = MakeService(dir_);
};

TEST_F(FaceServiceTest, GroupValidationAndErrors) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("staff", {"dept", "floor"}))), "ok");
  EXPECT_EQ(Code(svc_->CreateGroup(Group("staff"))), "InvalidParameterValue.GroupIdAlreadyExist");
  auto same_name = Group("other");
  same_name.group_name = "name-staff";
  EXPECT_EQ(Code(svc_->CreateGroup(same_name)), "InvalidParameterValue.GroupNameAlreadyExist");
  EXPECT_EQ(Code(svc_->CreateGroup(Group("bad id"))), "InvalidParameterValue.GroupIdIllegal");
  EXPECT_EQ(Code(svc_->CreateGroup(Group(std::string(65, 'a')))), "InvalidParameterValue.GroupIdTooLong");
  EXPECT_EQ(Code(svc_->CreateGroup(Group(""))), "MissingParameter.ErrorParameterEmpty");
  EXPECT_EQ(Code(svc_->CreateGroup(Group("g6", {"a", "b", "c", "d", "e", "f"}))),
            "InvalidParameterValue.GroupExDescriptionsExceed");
  EXPECT_EQ(Code(svc_->CreateGroup(Group("g7", {"a", "a"}))), "InvalidParameterValue.GroupExDescriptionsNameIdentical");
  auto long_name = Group("g8");
  long_name.group_name = std::string(61, 'n');
  EXPECT_EQ(Code(svc_->CreateGroup(long_name)), "InvalidParameterValue.GroupNameTooLong");
  auto version = Group("g9");
  version.face_model_version = "2.0";
  EXPECT_EQ(Code(svc_->CreateGroup(version)), "InvalidParameterValue.FaceModelVersionIllegal");
  version.face_model_version = "3.0";
  EXPECT_EQ(Code(svc_->CreateGroup(version)), "ok");

  auto list = svc_->GetGroupList(0, 10);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->group_num, 2u);
  EXPECT_EQ(list->group_infos[0].group_id, "staff");
  EXPECT_EQ(list->group_infos[0].creation_timestamp, 1700000000000);
  EXPECT_EQ(svc_->GetGroupList(1, 10)->group_infos.size(), 1u);
  EXPECT_EQ(svc_->GetGroupList(5, 10)->group_infos.size(), 0u);
  EXPECT_EQ(Code(svc_->GetGroupList(0, 1001)), "InvalidParameterValue.LimitExceed");
  EXPECT_EQ(Code(svc_->GetGroupList(-1, 10)), "InvalidParameterValue.OffsetExceed");
  EXPECT_EQ(Code(svc_->GetGroupInfo("nope")), "InvalidParameterValue.GroupIdNotExist");

  ModifyGroupRequest m;
  m.group_id = "staff";
  m.group_name = "name-g9";
  EXPECT_EQ(Code(svc_->ModifyGroup(m)), "InvalidParameterValue.GroupNameAlreadyExist");
  m.group_name = "renamed";
  m.group_ex_descriptions_infos = {{1, "level"}, {2, "badge"}};
  ASSERT_EQ(Code(svc_->ModifyGroup(m)), "ok");
  auto info = svc_->GetGroupInfo("staff");
  EXPECT_EQ(info->group_name, "renamed");
  EXPECT_EQ(info->group_ex_descriptions, (std::vector<std::string>{"dept", "level", "badge"}));
  m.group_id = "nope";
  EXPECT_EQ(Code(svc_->ModifyGroup(m)), "InvalidParameterValue.GroupIdNotExist");
  EXPECT_EQ(Code(svc_->DeleteGroup("nope")), "InvalidParameterValue.GroupIdNotExist");
  EXPECT_EQ(Code(svc_->DeleteGroup("g9")), "ok");
  EXPECT_EQ(svc_->GetGroupList(0, 10)->group_num, 1u);
}

TEST_F(FaceServiceTest, PersonsImagesAndTheirErrors) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("g", {"dept"}))), "ok");
  auto p = Person("g", "obama", "obama.jpg");
  p.gender = 1;
  p.person_ex_descriptions = {{0, "politics"}};
  auto created = svc_->CreatePerson(p);
  ASSERT_TRUE(created.ok()) << created.error().code << " " << created.error().message;
  EXPECT_EQ(created->face_id.size(), 19u);
  EXPECT_GT(created->face_rect.width, 40);
  EXPECT_EQ(created->face_model_version, "3.0");
  EXPECT_EQ(Code(svc_->CreatePerson(p)), "InvalidParameterValue.PersonIdAlreadyExist");
  EXPECT_EQ(Code(svc_->CreatePerson(Person("nope", "x", "obama.jpg"))), "InvalidParameterValue.GroupIdNotExist");
  auto bad_gender = Person("g", "x", "obama.jpg");
  bad_gender.gender = 3;
  EXPECT_EQ(Code(svc_->CreatePerson(bad_gender)), "InvalidParameterValue.PersonGenderIllegal");
  auto bad_ex = Person("g", "x", "obama.jpg");
  bad_ex.person_ex_descriptions = {{3, "v"}};
  EXPECT_EQ(Code(svc_->CreatePerson(bad_ex)), "InvalidParameterValue");
  EXPECT_EQ(Code(svc_->CreatePerson(Person("g", "x", "white.png"))), "InvalidParameterValue.NoFaceInPhoto");
  auto corrupt = Person("g", "x", "obama.jpg");
  corrupt.image.resize(corrupt.image.size() / 3);
  EXPECT_EQ(Code(svc_->CreatePerson(corrupt)), "FailedOperation.ImageDecodeFailed");
  auto empty = Person("g", "x", "obama.jpg");
  empty.image.clear();
  EXPECT_EQ(Code(svc_->CreatePerson(empty)), "InvalidParameterValue.ImageEmpty");
  auto uq = Person("g", "x", "obama.jpg");
  uq.unique_person_control = 5;
  EXPECT_EQ(Code(svc_->CreatePerson(uq)), "InvalidParameterValue.UniquePersonControlIllegal");
  uq.unique_person_control = 0;
  uq.quality_control = 7;
  EXPECT_EQ(Code(svc_->CreatePerson(uq)), "InvalidParameterValue.QualityControlIllegal");

  auto list = svc_->GetPersonList("g", 0, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->person_infos.size(), 1u);
  EXPECT_EQ(list->person_infos[0].person_ex_descriptions, (std::vector<std::string>{"politics"}));
  EXPECT_EQ(list->person_infos[0].face_ids, (std::vector<std::string>{created->face_id}));
  EXPECT_EQ(list->face_num, 1u);
  EXPECT_EQ(svc_->GetPersonBaseInfo("obama")->gender, 1);
  EXPECT_EQ(Code(svc_->GetPersonBaseInfo("nobody")), "InvalidParameterValue.PersonIdNotExist");
  EXPECT_EQ(Code(svc_->GetPersonList("nope", 0, 10)), "InvalidParameterValue.GroupIdNotExist");

  ModifyPersonBaseInfoRequest mb;
  mb.person_id = "obama";
  mb.person_name = "Barack";
  ASSERT_EQ(Code(svc_->ModifyPersonBaseInfo(mb)), "ok");
  EXPECT_EQ(svc_->GetPersonBaseInfo("obama")->person_name, "Barack");
  mb.gender = 9;
  EXPECT_EQ(Code(svc_->ModifyPersonBaseInfo(mb)), "InvalidParameterValue.PersonGenderIllegal");
  ModifyPersonGroupInfoRequest mg;
  mg.group_id = "g";
  mg.person_id = "obama";
  mg.person_ex_descriptions = {{0, "law"}};
  ASSERT_EQ(Code(svc_->ModifyPersonGroupInfo(mg)), "ok");
  EXPECT_EQ(svc_->GetPersonGroupInfo("obama", 0, 10)->person_group_infos[0].person_ex_descriptions[0], "law");
}

TEST_F(FaceServiceTest, FaceLimitsAndPerImageCodes) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("g"))), "ok");
  ASSERT_EQ(Code(svc_->CreatePerson(Person("g", "obama", "obama.jpg"))), "ok");
  CreateFaceRequest cf;
  cf.person_id = "obama";
  for (int i = 0; i < 5; ++i) cf.images.push_back(Bytes(Photo("obama2.jpg")));
  EXPECT_EQ(Code(svc_->CreateFace(cf)), "InvalidParameterValue.UploadFaceNumExceed");
  cf.images = {Bytes(Photo("obama2.jpg")), Bytes(Photo("white.png")), std::vector<std::uint8_t>{1, 2, 3, 4},
               Bytes(Photo("biden.jpg"))};
  cf.face_match_threshold = 60;
  auto r = svc_->CreateFace(cf);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ret_code, (std::vector<int>{0, -1101, -1102, -1604}));
  EXPECT_EQ(r->suc_face_num, 1u);
  EXPECT_EQ(r->suc_indexes, (std::vector<std::size_t>{0}));
  cf.face_match_threshold = 101;
  EXPECT_EQ(Code(svc_->CreateFace(cf)), "InvalidParameterValue.FaceMatchThresholdIllegal");
  cf.face_match_threshold = 0;
  cf.images = {Bytes(Photo("obama3.jpg")), Bytes(Photo("obama-480p.jpg")), Bytes(Photo("obama_small.jpg"))};
  auto r3 = svc_->CreateFace(cf);  // 2 + 3 = 5 faces: allowed
  ASSERT_TRUE(r3.ok()) << r3.error().message;
  ASSERT_EQ(r3->suc_face_num, 3u);
  cf.images = {Bytes(Photo("obama2.jpg"))};
  EXPECT_EQ(Code(svc_->CreateFace(cf)), "InvalidParameterValue.PersonFaceNumExceed");
  cf.person_id = "nobody";
  EXPECT_EQ(Code(svc_->CreateFace(cf)), "InvalidParameterValue.PersonIdNotExist");
  cf.images.clear();
  cf.person_id = "obama";
  EXPECT_EQ(Code(svc_->CreateFace(cf)), "MissingParameter.ErrorParameterEmpty");

  auto faces = svc_->GetPersonBaseInfo("obama")->face_ids;
  ASSERT_EQ(faces.size(), 5u);
  EXPECT_EQ(Code(svc_->DeleteFace("obama", faces)), "InvalidParameterValue.DeleteFaceNumExceed");
  EXPECT_EQ(svc_->GetPersonBaseInfo("obama")->face_ids.size(), 5u);
  auto del = svc_->DeleteFace("obama", {faces[0], faces[1], "1234", faces[0]});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->suc_deleted_num, 2u);
  EXPECT_EQ(svc_->GetPersonBaseInfo("obama")->face_ids, (std::vector<std::string>{faces[2], faces[3], faces[4]}));
  EXPECT_EQ(Code(svc_->DeleteFace("nobody", {faces[2]})), "InvalidParameterValue.PersonIdNotExist");
}

// A node whose indexes hold only some shards (here none, as a cluster node
// before its first map) answers FaceNum and PersonNum and enforces the group
// face limit with the catalog's counts, not with its index's size.
TEST(FaceServiceSharded, CountsAndTheGroupFaceLimitAreTheGroupsNotTheIndexs) {
  testing::TempDir dir;
  ServiceOptions so;
  so.max_faces_per_group = 3;
  auto svc = MakeService(dir, gallery::ShardFilter{64, [](const std::string&, int) { return false; }}, so);
  ASSERT_EQ(Code(svc->CreateGroup(Group("g"))), "ok");
  ASSERT_EQ(Code(svc->CreateGroup(Group("h"))), "ok");
  ASSERT_EQ(Code(svc->CreatePerson(Person("g", "obama", "obama.jpg"))), "ok");
  CreateFaceRequest cf;
  cf.person_id = "obama";
  cf.images = {Bytes(Photo("obama2.jpg"))};
  ASSERT_EQ(Code(svc->CreateFace(cf)), "ok");
  ASSERT_EQ(Code(svc->CreatePerson(Person("g", "biden", "biden.jpg"))), "ok");
  EXPECT_EQ(svc->gallery().Read([](const gallery::Catalog& c) { return c.GroupById("g")->faces->size(); }), 0u);
  auto num = svc->GetPersonListNum("g");
  ASSERT_TRUE(num.ok());
  EXPECT_EQ(num->person_num, 2u);
  EXPECT_EQ(num->face_num, 3u);
  EXPECT_EQ(svc->GetPersonList("g", 0, 10)->face_num, 3u);
  // Group g is full: no new person, no new face of its persons.
  EXPECT_EQ(Code(svc->CreatePerson(Person("g", "x", "obama3.jpg"))), "InvalidParameterValue.GroupFaceNumExceed");
  cf.person_id = "biden";
  cf.images = {Bytes(Photo("obama3.jpg"))};
  cf.face_match_threshold = 0;  // not biden's face: allowed, only the limit refuses it
  EXPECT_EQ(Code(svc->CreateFace(cf)), "InvalidParameterValue.GroupFaceNumExceed");
  ASSERT_EQ(Code(svc->CreatePerson(Person("h", "solo", "obama3.jpg"))), "ok");
  ASSERT_EQ(Code(svc->CopyPerson("obama", {"h"})), "ok");  // 1 + 2 faces
  EXPECT_EQ(Code(svc->CopyPerson("biden", {"h"})), "InvalidParameterValue.GroupFaceNumExceed");
  // A search over both groups counts obama once (PersonNum 3, FaceNum 2 + 1 + 1).
  SearchRequest s;
  s.group_ids = {"g", "h", "g"};
  s.image = Bytes(Photo("obama2.jpg"));
  auto r = svc->SearchFaces(s);
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  EXPECT_EQ(r->person_num, 3u);
  EXPECT_EQ(r->face_num, 4u);
  s.group_ids = {"h"};
  r = svc->SearchPersons(s);
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  EXPECT_EQ(r->person_num, 2u);
  EXPECT_EQ(r->face_num, 3u);
}

// A cluster node's search takes its candidates from the shards' answer by id
// (sharded_search.h): a face found on another node needs no face record here
// (the catalog split by shard, docs/scale-out.md), while persons and groups
// this node does not know (not applied yet, or deleted) are left out.
class FixedRouter : public SearchRouter {
 public:
  explicit FixedRouter(std::vector<RoutedHit> hits) : hits_(std::move(hits)) {}
  Result<RoutedSearchResult> SearchFaces(const RoutedSearchQuery& q) const override {
    queries.push_back(q);
    RoutedSearchResult out;
    out.hits = hits_;
    return out;
  }
  mutable std::vector<RoutedSearchQuery> queries;

 private:
  std::vector<RoutedHit> hits_;
};

// A cluster node that keeps only its shards' face records (PostgreSQL,
// docs/scale-out.md "Catalog split by shard") answers for the other shards'
// faces as one that keeps them all: a person's face ids (GetPersonBaseInfo,
// GetPersonList), a face's person and crop, and a delete by face id.
TEST(FaceServiceSharded, ANodeWithOnlyItsShardsFaceRecordsAnswersForEveryFace) {
  facekit::testing::PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  auto open = [&](gallery::ShardFilter filter) {
    auto store = store::OpenPostgresStore(pg.conninfo());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    gallery::GalleryOptions go;
    go.dim = testing::SharedEngine().embedding_dim();
    go.index_filter = filter;
    auto g = gallery::Gallery::Open(std::move(*store), go);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return std::make_unique<FaceService>(testing::SharedEngine(), std::move(*g), ServiceOptions{});
  };
  auto whole = open({});
  ASSERT_EQ(Code(whole->CreateGroup(Group("g"))), "ok");
  ASSERT_EQ(Code(whole->CreateGroup(Group("h"))), "ok");
  ASSERT_EQ(Code(whole->CreatePerson(Person("g", "obama", "obama.jpg"))), "ok");
  CreateFaceRequest cf;
  cf.person_id = "obama";
  cf.images = {Bytes(Photo("obama2.jpg")), Bytes(Photo("obama3.jpg"))};
  ASSERT_EQ(Code(whole->CreateFace(cf)), "ok");
  ASSERT_EQ(Code(whole->CreatePerson(Person("h", "biden", "biden.jpg"))), "ok");
  const std::vector<std::string> obama_faces = whole->GetPersonBaseInfo("obama")->face_ids;
  ASSERT_EQ(obama_faces.size(), 3u);

  // The node indexes every shard of h and none of g: obama's records are not kept there.
  auto node = open(gallery::ShardFilter{64, [](const std::string&, int) { return false; }});
  ASSERT_TRUE(node->gallery()
                  .SetIndexFilter(gallery::ShardFilter{64, [](const std::string& g, int) { return g == "h"; }})
                  .ok());
  ASSERT_TRUE(node->gallery().SplitsFaceRecords());
  EXPECT_EQ(node->gallery().Read([](const gallery::Catalog& c) { return c.face_record_count(); }), 1u);  // biden's
  EXPECT_EQ(node->gallery().Read([](const gallery::Catalog& c) { return c.face_count(); }), 4u);

  auto base = node->GetPersonBaseInfo("obama");
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(base->face_ids, obama_faces);
  EXPECT_EQ(base->face_sources.size(), 3u);
  auto list = node->GetPersonList("g", 0, 10);
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->person_infos.size(), 1u);
  EXPECT_EQ(list->person_infos[0].face_ids, obama_faces);
  auto person = node->FacePerson(obama_faces[1]);
  ASSERT_TRUE(person.ok()) << person.error().message;
  EXPECT_EQ(person.value(), "obama");
  EXPECT_EQ(Code(node->FacePerson("123")), "InvalidParameterValue.FaceIdNotExist");
  auto crop = node->GetFaceCrop(obama_faces[2]);
  ASSERT_TRUE(crop.ok()) << crop.error().message;
  EXPECT_EQ(crop.value(), whole->GetFaceCrop(obama_faces[2]).value());
  // Not biden's face: skipped, as on one node; obama's: deleted.
  auto wrong = node->DeleteFace("biden", {obama_faces[0]});
  ASSERT_TRUE(wrong.ok()) << wrong.error().message;
  EXPECT_EQ(wrong->suc_deleted_num, 0u);
  auto deleted = node->DeleteFace("obama", {obama_faces[0], "123"});
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->suc_face_ids, std::vector<std::string>{obama_faces[0]});
  ASSERT_TRUE(whole->gallery().CatchUp().ok());
  EXPECT_EQ(whole->GetPersonBaseInfo("obama")->face_ids, (std::vector<std::string>{obama_faces[1], obama_faces[2]}));
  EXPECT_EQ(node->GetPersonBaseInfo("obama")->face_ids, (std::vector<std::string>{obama_faces[1], obama_faces[2]}));
  // Copying obama into h (held here): the node keeps his faces' records now.
  ASSERT_EQ(Code(node->CopyPerson("obama", {"h"})), "ok");
  EXPECT_EQ(node->gallery().Read([](const gallery::Catalog& c) { return c.face_record_count(); }), 3u);
}

TEST(FaceServiceSharded, RoutedCandidatesNameTheShardsFacesWithoutTheirRecordsHere) {
  testing::TempDir dir;
  auto svc = MakeService(dir, gallery::ShardFilter{64, [](const std::string&, int) { return false; }});
  ASSERT_EQ(Code(svc->CreateGroup(Group("g", {"dept"}))), "ok");
  ASSERT_EQ(Code(svc->CreatePerson(Person("g", "obama", "obama.jpg"))), "ok");
  ASSERT_EQ(Code(svc->CreatePerson(Person("g", "biden", "biden.jpg"))), "ok");
  const std::string biden_face = svc->GetPersonBaseInfo("biden")->face_ids.at(0);
  FixedRouter router({{"face-on-another-node", "obama", "g", 0.9f},
                      {"x", "ghost", "g", 0.8f},              // a person not applied here yet
                      {"y", "biden", "deleted-group", 0.7f},  // a group gone here
                      {biden_face, "biden", "g", 0.6f},
                      {"z", "obama", "g", 0.5f}});  // obama again: one candidate a person
  svc->SetSearchRouter(&router);
  SearchRequest s;
  s.group_ids = {"g"};
  s.image = Bytes(Photo("obama2.jpg"));
  s.need_person_info = true;
  s.face_match_threshold = 0;
  auto r = svc->SearchFaces(s);
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().message;
  ASSERT_EQ(router.queries.size(), 1u);
  EXPECT_FALSE(router.queries[0].persons);
  ASSERT_EQ(r->results.size(), 1u);
  const auto& cands = r->results[0].candidates;
  ASSERT_EQ(cands.size(), 2u);
  EXPECT_EQ(cands[0].person_id, "obama");
  EXPECT_EQ(cands[0].face_id, "face-on-another-node");
  EXPECT_EQ(cands[0].group_id, "g");
  EXPECT_EQ(cands[0].person_name.value_or(""), "Name obama");
  ASSERT_EQ(cands[0].person_group_infos.size(), 1u);
  EXPECT_EQ(cands[0].person_group_infos[0].group_id, "g");
  EXPECT_EQ(cands[1].person_id, "biden");
  EXPECT_EQ(cands[1].face_id, biden_face);
  EXPECT_GT(cands[0].score, cands[1].score);
  // A person search: no face ids.
  auto p = svc->SearchPersons(s);
  ASSERT_TRUE(p.ok()) << p.error().code << " " << p.error().message;
  EXPECT_TRUE(router.queries.back().persons);
  ASSERT_EQ(p->results[0].candidates.size(), 2u);
  EXPECT_TRUE(p->results[0].candidates[0].face_id.empty());
  svc->SetSearchRouter(nullptr);
}

// UniquePersonControl on a cluster node: its index holds its own shards only,
// so the group's nearest face comes from every shard (the router); a shard
// without an answer refuses the enrolment rather than risk a duplicate.
class FailingRouter : public SearchRouter {
 public:
  Result<RoutedSearchResult> SearchFaces(const RoutedSearchQuery&) const override {
    return Status(StatusCode::kUnavailable, "shard a/7 did not answer");
  }
};

TEST(FaceServiceSharded, UniquePersonControlAsksEveryShard) {
  testing::TempDir dir;
  auto svc = MakeService(dir, gallery::ShardFilter{64, [](const std::string&, int) { return false; }});
  ASSERT_EQ(Code(svc->CreateGroup(Group("a"))), "ok");
  ASSERT_EQ(Code(svc->CreatePerson(Person("a", "obama", "obama.jpg"))), "ok");
  const std::string face = svc->GetPersonBaseInfo("obama")->face_ids.at(0);
  EXPECT_EQ(svc->gallery().Read([](const gallery::Catalog& c) { return c.GroupById("a")->faces->size(); }), 0u);
  auto dup = Person("a", "obama-again", "obama2.jpg");
  dup.unique_person_control = 2;
  // Another node's shard has obama's face, close: refused, nothing created.
  FixedRouter near({{face, "obama", "a", 0.9f}, {"f2", "biden", "a", 0.2f}});
  svc->SetSearchRouter(&near);
  auto d = svc->CreatePerson(dup);
  ASSERT_TRUE(d.ok()) << d.error().code << " " << d.error().message;
  EXPECT_EQ(d->similar_person_id, "obama");
  EXPECT_TRUE(d->face_id.empty());
  EXPECT_EQ(Code(svc->GetPersonBaseInfo("obama-again")), "InvalidParameterValue.PersonIdNotExist");
  ASSERT_EQ(near.queries.size(), 1u);
  EXPECT_EQ(near.queries[0].group_ids, std::vector<std::string>{"a"});
  EXPECT_EQ(near.queries[0].max_persons, 1u);
  EXPECT_FALSE(near.queries[0].allow_partial);
  EXPECT_FALSE(near.queries[0].persons);
  EXPECT_EQ(near.queries[0].query.size(), 192u);
  // A shard without an answer: refused with the shards named, nothing created.
  FailingRouter down;
  svc->SetSearchRouter(&down);
  auto e = svc->CreatePerson(dup);
  EXPECT_EQ(Code(e), "FailedOperation.ShardsUnavailable");
  if (!e.ok()) {
    EXPECT_NE(e.error().message.find("a/7"), std::string::npos) << e.error().message;
  }
  EXPECT_EQ(Code(svc->GetPersonBaseInfo("obama-again")), "InvalidParameterValue.PersonIdNotExist");
  // The nearest face far: created.
  FixedRouter far({{face, "obama", "a", 0.1f}});
  svc->SetSearchRouter(&far);
  auto ok = svc->CreatePerson(dup);
  ASSERT_TRUE(ok.ok()) << ok.error().code << " " << ok.error().message;
  EXPECT_TRUE(ok->similar_person_id.empty());
  EXPECT_FALSE(ok->face_id.empty());
  svc->SetSearchRouter(nullptr);
}

TEST_F(FaceServiceTest, GroupsPerPersonAndMembership) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("home"))), "ok");
  ASSERT_EQ(Code(svc_->CreatePerson(Person("home", "obama", "obama.jpg"))), "ok");
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    ids.push_back("g" + std::to_string(i));
    ASSERT_EQ(Code(svc_->CreateGroup(Group(ids.back()))), "ok");
  }
  EXPECT_EQ(Code(svc_->CopyPerson("obama", {"g0", "nope"})), "InvalidParameterValue.GroupIdNotExist");
  EXPECT_EQ(Code(svc_->CopyPerson("nobody", {"g0"})), "InvalidParameterValue.PersonIdNotExist");
  // home + 99 = 100 groups: allowed; one more is not.
  auto copied = svc_->CopyPerson("obama", std::vector<std::string>(ids.begin(), ids.begin() + 99));
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(copied->suc_group_num, 99u);
  EXPECT_EQ(Code(svc_->CopyPerson("obama", {"g99"})), "InvalidParameterValue.GroupNumPerPersonExceed");
  EXPECT_EQ(svc_->CopyPerson("obama", {"g0"})->suc_group_num, 0u);  // already there
  EXPECT_EQ(svc_->GetPersonGroupInfo("obama", 0, 1000)->group_num, 100u);
  EXPECT_EQ(svc_->GetPersonListNum("g5")->face_num, 1u);

  EXPECT_EQ(Code(svc_->DeletePersonFromGroup("obama", "g99")), "FailedOperation.GroupPersonMapNotExist");
  ASSERT_EQ(Code(svc_->DeletePersonFromGroup("obama", "g0")), "ok");
  EXPECT_EQ(svc_->GetPersonListNum("g0")->person_num, 0u);
  EXPECT_EQ(svc_->GetPersonListNum("g0")->face_num, 0u);
  // Deleting a group keeps persons that are in other groups.
  ASSERT_EQ(Code(svc_->DeleteGroup("home")), "ok");
  EXPECT_EQ(Code(svc_->GetPersonBaseInfo("obama")), "ok");
  // Removing a person from its last group deletes the person.
  for (int i = 2; i < 99; ++i)
    ASSERT_EQ(Code(svc_->DeletePersonFromGroup("obama", ids[static_cast<std::size_t>(i)])), "ok");
  ASSERT_EQ(Code(svc_->DeletePersonFromGroup("obama", "g1")), "ok");
  EXPECT_EQ(Code(svc_->GetPersonBaseInfo("obama")), "InvalidParameterValue.PersonIdNotExist");
}

TEST_F(FaceServiceTest, SearchVerifyAndUniqueness) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("a"))), "ok");
  ASSERT_EQ(Code(svc_->CreateGroup(Group("b"))), "ok");
  ASSERT_EQ(Code(svc_->CreateGroup(Group("empty"))), "ok");
  ASSERT_EQ(Code(svc_->CreatePerson(Person("a", "obama", "obama.jpg"))), "ok");
  ASSERT_EQ(Code(svc_->CreatePerson(Person("b", "biden", "biden.jpg"))), "ok");
  SearchRequest s;
  s.group_ids = {"a", "b"};
  s.image = Bytes(Photo("obama2.jpg"));
  s.need_person_info = true;
  auto r = svc_->SearchFaces(s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->results.size(), 1u);
  ASSERT_EQ(r->results[0].candidates.size(), 2u);
  EXPECT_EQ(r->results[0].candidates[0].person_id, "obama");
  EXPECT_EQ(r->results[0].candidates[0].group_id, "a");
  EXPECT_GT(r->results[0].candidates[0].score, 60.0f);
  EXPECT_LT(r->results[0].candidates[1].score, 40.0f);
  EXPECT_EQ(r->results[0].candidates[0].person_name.value_or(""), "Name obama");
  s.face_match_threshold = 60;
  EXPECT_EQ(svc_->SearchFaces(s)->results[0].candidates.size(), 1u);
  auto by_group = svc_->SearchPersons(s, /*by_group=*/true);
  ASSERT_TRUE(by_group.ok());
  ASSERT_EQ(by_group->results[0].by_group.size(), 2u);
  EXPECT_EQ(by_group->results[0].by_group[0].candidates.size(), 1u);
  EXPECT_EQ(by_group->results[0].by_group[1].candidates.size(), 0u);
  // Two faces in one photo, each searched.
  s.image = Bytes(Photo("obama_and_biden.jpg"));
  s.max_face_num = 2;
  s.face_match_threshold = 0;
  auto two = svc_->SearchPersons(s);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->results.size(), 2u);

  s.group_ids = {"a", "nope"};
  EXPECT_EQ(Code(svc_->SearchFaces(s)), "InvalidParameterValue.GroupIdNotExist");
  s.group_ids = {"empty"};
  EXPECT_EQ(Code(svc_->SearchFaces(s)), "InvalidParameterValue.NoFaceInGroups");
  s.group_ids = std::vector<std::string>(101, "a");
  EXPECT_EQ(Code(svc_->SearchFaces(s)), "InvalidParameterValue.GroupIdsExceed");
  s.group_ids = {"a"};
  s.max_person_num = 101;
  EXPECT_EQ(Code(svc_->SearchFaces(s)), "InvalidParameterValue.SearchPersonsExceed");
  s.max_person_num = 5;
  s.max_face_num = 11;
  EXPECT_EQ(Code(svc_->SearchFaces(s)), "FailedOperation.SearchFacesExceed");

  auto v = svc_->VerifyFace("obama", Bytes(Photo("obama3.jpg")));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_match);
  auto vp = svc_->VerifyPerson("obama", Bytes(Photo("biden.jpg")));
  ASSERT_TRUE(vp.ok());
  EXPECT_FALSE(vp->is_match);
  EXPECT_EQ(Code(svc_->VerifyFace("nobody", Bytes(Photo("obama3.jpg")))), "InvalidParameterValue.PersonIdNotExist");
  auto cmp = svc_->CompareFace(Bytes(Photo("obama.jpg")), Bytes(Photo("obama2.jpg")));
  ASSERT_TRUE(cmp.ok());
  EXPECT_GT(cmp->score, 50.0f);

  // UniquePersonControl: the same face again is reported, nothing created.
  auto dup = Person("a", "obama-again", "obama2.jpg");
  dup.unique_person_control = 2;
  auto d = svc_->CreatePerson(dup);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->similar_person_id, "obama");
  EXPECT_TRUE(d->face_id.empty());
  EXPECT_EQ(Code(svc_->GetPersonBaseInfo("obama-again")), "InvalidParameterValue.PersonIdNotExist");
  dup.unique_person_control = 0;
  EXPECT_EQ(Code(svc_->CreatePerson(dup)), "ok");
}

TEST_F(FaceServiceTest, FaceChoicesOfPhotosWithSeveralFaces) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("a"))), "ok");
  // "sole" refuses a photo of two people of similar size; the cloud's rule (largest) takes Obama.
  auto group_photo = Person("a", "joe", "obama_and_biden.jpg");
  group_photo.face_choice = {FaceChoice::Rule::kSole, 0};
  EXPECT_EQ(Code(svc_->CreatePerson(group_photo)), "FailedOperation.FaceAmbiguous");
  group_photo.face_choice = {FaceChoice::Rule::kIndex, 7};
  EXPECT_EQ(Code(svc_->CreatePerson(group_photo)), "InvalidParameterValue.FaceIndexExceed");
  group_photo.face_choice = {FaceChoice::Rule::kIndex, 1};
  group_photo.source = "joe/group.jpg";
  auto joe = svc_->CreatePerson(group_photo);
  ASSERT_TRUE(joe.ok()) << joe.error().message;
  EXPECT_EQ(joe->faces_in_photo, 3);
  // The face taken is Biden's: his own photo verifies against it.
  auto v = svc_->VerifyFace("joe", Bytes(Photo("biden.jpg")));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->is_match) << v->score;
  EXPECT_EQ(v->match_score, 60.f);
  // The recorded source comes back with the face.
  auto info = svc_->GetPersonBaseInfo("joe");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->face_sources.size(), 1u);
  EXPECT_EQ(info->face_sources[0], "joe/group.jpg");
  // CreateFace: the ambiguous image gets its own result code, the others are added.
  CreateFaceRequest add;
  add.person_id = "joe";
  add.images = {Bytes(Photo("obama_and_biden.jpg")), Bytes(Photo("biden.jpg"))};
  add.face_choice = {FaceChoice::Rule::kSole, 0};
  auto added = svc_->CreateFace(add);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->ret_code, (std::vector<int>{-1103, 0}));
  EXPECT_EQ(added->faces_in_photo, (std::vector<int>{0, 1}));
  // Search: the chosen face of the group photo.
  SearchRequest s;
  s.group_ids = {"a"};
  s.image = Bytes(Photo("obama_and_biden.jpg"));
  s.face_choice = {FaceChoice::Rule::kIndex, 1};
  auto found = svc_->SearchFaces(s);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->faces_in_photo, 3u);
  ASSERT_FALSE(found->results[0].candidates.empty());
  EXPECT_GT(found->results[0].candidates[0].score, 80.f);
  s.face_choice = {};  // the largest: Obama, not in the group
  EXPECT_LT(svc_->SearchFaces(s)->results[0].candidates[0].score, 50.f);
  // CompareFace says which rule decided.
  auto cmp = svc_->CompareFace(Bytes(Photo("obama.jpg")), Bytes(Photo("biden.jpg")));
  ASSERT_TRUE(cmp.ok());
  EXPECT_FALSE(cmp->is_match);
  EXPECT_EQ(cmp->match_score, 60.f);
}

TEST_F(FaceServiceTest, EverythingSurvivesARestart) {
  ASSERT_EQ(Code(svc_->CreateGroup(Group("g", {"dept"}))), "ok");
  ASSERT_EQ(Code(svc_->CreatePerson(Person("g", "obama", "obama.jpg"))), "ok");
  svc_.reset();
  auto again = MakeService(dir_);
  EXPECT_EQ(again->GetGroupInfo("g")->group_ex_descriptions, (std::vector<std::string>{"dept"}));
  EXPECT_EQ(again->GetPersonBaseInfo("obama")->face_ids.size(), 1u);
  SearchRequest s;
  s.group_ids = {"g"};
  s.image = Bytes(Photo("obama2.jpg"));
  auto r = again->SearchFaces(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->results[0].candidates.at(0).person_id, "obama");
}

}  // namespace
}  // namespace facekit::service
