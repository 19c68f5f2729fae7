// Durable storage of groups, persons, memberships and faces.
//
// The store is the single source of truth; everything in memory (catalog,
// vector indexes) is derived from it. Its interface is deliberately small so
// that another backend (PostgreSQL, for several servers sharing one database)
// implements the same two things:
//   - Load(): every record, embeddings included, for start-up;
//   - Apply(batch): a list of mutations applied atomically and durably: when
//     Apply returns ok the whole batch survives a crash or power loss, and
//     when it returns an error nothing of it was applied.
// Integer keys are assigned by the store. A mutation may refer to a record
// inserted earlier in the same batch with a placeholder key: -(i + 1) for the
// batch's i-th mutation. Apply returns the key of every insert, by position.
// Uniqueness (group id, group name, person id, face id) is enforced by the
// store as well as by the caller's validation (kAlreadyExists).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "facekit/status.h"

namespace facekit::store {

struct GroupRecord {
  std::int64_t key = 0;
  std::string id;
  std::string name;
  std::string tag;
  std::vector<std::string> ex_descriptions;  // up to 5 custom field names
  std::string face_model_version;
  std::int64_t created_ms = 0;
};

struct PersonRecord {
  std::int64_t key = 0;
  std::string id;
  std::string name;
  int gender = 0;  // 0 unknown, 1 male, 2 female
  std::int64_t created_ms = 0;
};

// A person's place in a group, with the values of the group's custom fields
// (indexed like GroupRecord::ex_descriptions).
struct MembershipRecord {
  std::int64_t group_key = 0;
  std::int64_t person_key = 0;
  std::vector<std::pair<int, std::string>> ex_descriptions;
  std::int64_t added_ms = 0;
};

struct FaceRect {
  int x = 0, y = 0, width = 0, height = 0;
};

struct FaceRecord {
  std::int64_t key = 0;
  std::string id;
  std::int64_t person_key = 0;
  std::string model_version;
  std::vector<float> embedding;
  FaceRect rect;
  float quality = 0;
  std::string source;  // where the image came from (file path for CLI enrolment), may be empty
  std::int64_t created_ms = 0;
  // Vectors of other face model versions than `model_version` ("3.1": the
  // ResNet-128 one), by version; written to face_vectors with the face.
  std::vector<std::pair<std::string, std::vector<float>>> other_vectors;
  // The face's region of the photo (a JPEG; empty for faces enrolled before
  // schema 2) and its five landmarks in the crop's pixels (x0,y0,...,x4,y4):
  // what re-embedding with another model starts from. Not returned by Load().
  std::vector<std::uint8_t> crop;
  std::vector<float> crop_landmarks;
};

// A face-model-version upgrade job (UpgradeGroupFaceModelVersion).
struct ModelJobRecord {
  std::string id;
  std::int64_t group_key = 0;
  std::string group_id;
  std::string from_version, to_version;
  int status = 0;  // 0 running, 1 upgraded (switched), 2 reverted, 3 failed
  float progress = 0;  // 0..100
  std::int64_t start_ms = 0, end_ms = 0;
  std::string failure;  // why it failed (status 3)
};

// A face's stored crop (see FaceRecord::crop).
struct FaceCrop {
  std::vector<std::uint8_t> image;
  std::vector<float> landmarks;
};

namespace mutation {
struct InsertGroup {
  GroupRecord group;
};
struct UpdateGroup {
  GroupRecord group;
};  // by key: name, tag, ex_descriptions
struct DeleteGroup {
  std::int64_t key;
};  // also drops its memberships
struct InsertPerson {
  PersonRecord person;
};
struct UpdatePerson {
  PersonRecord person;
};  // by key: name, gender
struct DeletePerson {
  std::int64_t key;
};  // also drops its memberships and faces
struct InsertMembership {
  MembershipRecord membership;
};
struct UpdateMembership {
  MembershipRecord membership;
};  // ex_descriptions
struct DeleteMembership {
  std::int64_t group_key;
  std::int64_t person_key;
};
struct InsertFace {
  FaceRecord face;
};
struct DeleteFace {
  std::int64_t key;
};
// Stores (or replaces) a face's vector of one model version.
struct PutFaceVector {
  std::int64_t face_key;
  std::string model_version;
  std::vector<float> vector;
};
// Switches a group to another face model version (its indexes are rebuilt
// from that version's vectors).
struct SetGroupModelVersion {
  std::int64_t group_key;
  std::string model_version;
};
// Inserts or replaces a job by id.
struct PutModelJob {
  ModelJobRecord job;
};
}  // namespace mutation

using Mutation =
    std::variant<mutation::InsertGroup, mutation::UpdateGroup, mutation::DeleteGroup, mutation::InsertPerson,
                 mutation::UpdatePerson, mutation::DeletePerson, mutation::InsertMembership, mutation::UpdateMembership,
                 mutation::DeleteMembership, mutation::InsertFace, mutation::DeleteFace, mutation::PutFaceVector,
                 mutation::SetGroupModelVersion, mutation::PutModelJob>;

using Batch = std::vector<Mutation>;

// Placeholder for the key of the batch's i-th mutation (an insert).
inline std::int64_t Placeholder(std::size_t i) { return -static_cast<std::int64_t>(i) - 1; }

struct StoreContents {
  std::vector<GroupRecord> groups;
  std::vector<PersonRecord> persons;
  std::vector<MembershipRecord> memberships;
  std::vector<FaceRecord> faces;  // embeddings included unless Load(false)
  std::vector<ModelJobRecord> jobs;  // in start order
  // (face key, model version) of every stored vector besides the faces' own.
  std::vector<std::pair<std::int64_t, std::string>> other_vectors;
  std::vector<std::int64_t> crop_keys;  // faces with a stored crop
  // Shared stores: the change log's last sequence number in the same snapshot
  // (replaying the log after it brings the contents up to date). 0 otherwise.
  std::int64_t log_seq = 0;
  // GalleryStore::LoadPages, first page: about how many persons and faces
  // the pages will bring (for reserving; 0 when not known).
  std::size_t persons_expected = 0;
  std::size_t faces_expected = 0;
};

// One committed batch read back from a shared store's change log: mutations
// with every key resolved (inserts carry theirs in `keys`, by position).
struct LoggedBatch {
  std::int64_t last_seq = 0;
  Batch batch;
  std::vector<std::int64_t> keys;
};

// The face vectors of one group by shard (stores that keep face shards).
struct ShardVectorQuery {
  std::int64_t group_key = 0;
  std::vector<int> shards;    // ascending
  std::string model_version;  // "": the faces' own vectors (LoadEmbeddings); else face_vectors of it
};

// What a node's catalog keeps of a face (the record without its vectors and
// crop), read back by key or id where the catalog keeps only its shards'
// face records (docs/scale-out.md, "Catalog split by shard").
struct FaceInfo {
  FaceRecord record;                        // no embedding, other vectors or crop
  std::vector<std::string> other_versions;  // model versions of its face_vectors rows
  bool has_crop = false;
};

class GalleryStore {
 public:
  virtual ~GalleryStore() = default;

  // Everything, in key order. Embeddings are decoded only when asked for.
  virtual Result<StoreContents> Load(bool with_embeddings) = 0;
  // What Load returns, handed to `page` a part at a time, each part's records
  // in key order and the parts in the order a reader builds from: every
  // group before any person, every person before any membership, every
  // membership before any face, then the rest (other vectors, crops, jobs);
  // the first part carries log_seq and the expected counts. So a reader
  // never holds every record besides what it keeps of them (a 10M-face
  // gallery's records are ~2.5 GB as StoreContents). By default one part,
  // Load's; a store of many rows reads them a page at a time.
  using PageFn = std::function<Status(StoreContents& part)>;
  virtual Status LoadPages(bool with_embeddings, const PageFn& page) {
    FACEKIT_ASSIGN_OR_RETURN(StoreContents contents, Load(with_embeddings));
    return page(contents);
  }
  // Embeddings of the given faces (missing keys are skipped).
  virtual Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadEmbeddings(
      const std::vector<std::int64_t>& face_keys) = 0;
  // Vectors of `model_version` of the given faces from face_vectors (missing
  // ones are skipped).
  virtual Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadFaceVectors(
      const std::string& model_version, const std::vector<std::int64_t>& face_keys) = 0;
  // Vectors of the faces of the group's persons whose shard is in
  // `query.shards`, by face key (stores with face_shards() > 0; others:
  // kFailedPrecondition).
  virtual Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadShardVectors(
      const ShardVectorQuery& /*query*/) {
    return Status(StatusCode::kFailedPrecondition, "this store keeps no face shards");
  }
  // Stores that keep each person's fused feature (PostgreSQL's
  // person_features, store::NormalisedMean of its faces' vectors of a
  // version in face-key order, rewritten by every write): of `version` (""
  // = the faces' own vectors), by person key; persons without faces of that
  // version are left out. Others: kFailedPrecondition.
  virtual bool keeps_person_features() const { return false; }
  virtual Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadPersonFeatures(
      const std::string& /*version*/, const std::vector<std::int64_t>& /*person_keys*/) {
    return Status(StatusCode::kFailedPrecondition, "this store keeps no person features");
  }
  // The faces of the given keys, or of the given ids, in key order (missing
  // ones skipped). Stores with face_shards() > 0; others kFailedPrecondition.
  virtual Result<std::vector<FaceInfo>> LoadFaceInfos(const std::vector<std::int64_t>& /*face_keys*/) {
    return Status(StatusCode::kFailedPrecondition, "this store keeps no face shards");
  }
  virtual Result<std::vector<FaceInfo>> FindFaceInfos(const std::vector<std::string>& /*face_ids*/) {
    return Status(StatusCode::kFailedPrecondition, "this store keeps no face shards");
  }
  // Face vectors (embeddings, face_vectors rows) read since the store was
  // opened, by every Load* call (0 where not counted). For measurements.
  virtual std::int64_t vectors_read() const { return 0; }
  // Rows of LoadPersonFeatures read since the store was opened.
  virtual std::int64_t person_features_read() const { return 0; }
  // A face's crop; nullopt when none was stored.
  virtual Result<std::optional<FaceCrop>> LoadFaceCrop(std::int64_t face_key) = 0;
  // Atomic and durable; returns the key of each insert (0 for other mutations).
  virtual Result<std::vector<std::int64_t>> Apply(const Batch& batch) = 0;
  // The schema version the store is at.
  virtual int SchemaVersion() const = 0;
  // Stores that keep each face's shard (PostgreSQL: faces.shard =
  // ShardOfFace(face id, S)): S, fixed for the database. 0: no shard column
  // (SQLite, the embedded single-node store).
  virtual int face_shards() const { return 0; }

  // A shared store is written by several processes (nodes of a cluster); it
  // keeps a change log that each reader replays to follow the others' writes.
  virtual bool shared() const { return false; }
  // Whole committed batches with a sequence number above `after`, oldest
  // first, at most `max_batches`.
  virtual Result<std::vector<LoggedBatch>> ReadLog(std::int64_t /*after*/, std::size_t /*max_batches*/) {
    return Status(StatusCode::kFailedPrecondition, "this store keeps no change log");
  }
  // Returns when the log may have grown past `after` (a notification) or
  // after `timeout_ms`, whichever comes first.
  virtual Status WaitForLog(std::int64_t /*after*/, int /*timeout_ms*/) {
    return Status(StatusCode::kFailedPrecondition, "this store keeps no change log");
  }
  // The change log's last sequence number of the latest batch this object
  // committed (0: none, or no change log). Read after Apply returned.
  virtual std::int64_t last_written_seq() const { return 0; }
};

}  // namespace facekit::store
