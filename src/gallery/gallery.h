// The gallery in memory: catalog (groups, persons, faces) and one pair of
// vector indexes per group (faces, and persons' fused features), all derived
// from the store, which stays the single source of truth.
//
// CONSISTENCY RULE
//   Writes are serialised. A write is planned against the current catalog,
//   committed to the store (durable when it returns), and only then applied
//   in memory under an exclusive lock, all of it at once. Reads and searches
//   hold a shared lock for their whole duration. So a search sees every write
//   that was acknowledged before it started and never part of a write; a write
//   that fails in the store leaves memory untouched.
//
// COMPACTION
//   An approximate index whose removed rows exceed its compaction ratio is
//   rebuilt on a background thread: its live rows are copied under the writer
//   lock (searches go on), the new index is built with no lock held while
//   the old one keeps serving and journals every change, and the journal is
//   replayed onto the new index and the two swapped under the exclusive lock,
//   in one step. The group needs the memory of both indexes meanwhile.
//   Destruction waits for a rebuild in progress.
//
// RESTART
//   Open() loads the catalog from the store, then each group's index snapshot
//   (written by Checkpoint() for groups large enough to use HNSW) and brings
//   it up to date with the store: entries the store no longer has are removed,
//   missing ones added from the stored embeddings. A missing or damaged
//   snapshot only costs a rebuild.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/compact_string.h"
#include "common/flat_map.h"
#include "gallery/face_directory.h"
#include "gallery/id_table.h"
#include "gallery/vector_index.h"
#include "store/gallery_store.h"

namespace facekit::gallery {

// SHARDED INDEXING (cluster nodes, docs/scale-out.md): a group's faces are
// split into `shards` shards by store::ShardOfFace(face id, shards), and its
// persons by store::ShardOfPerson(person id, shards); only the faces and the
// persons' fused features of the shards for which `holds(group id, shard)` is
// true are put in the group's face and person indexes. Empty (no `holds`):
// every face and person.
struct ShardFilter {
  int shards = 0;
  std::function<bool(const std::string& group_id, int shard)> holds;
  explicit operator bool() const { return static_cast<bool>(holds); }
};

struct GalleryOptions {
  int dim = 192;  // of `primary_version`, the faces' own vectors
  // FACE MODEL VERSIONS: every face has a vector of the primary version
  // (faces.embedding); a group whose FaceModelVersion is another one of
  // `other_dims` is indexed with that version's vectors (face_vectors).
  std::string primary_version = "3.0";
  std::map<std::string, int> other_dims;
  IndexOptions index;
  // Folder for index snapshots; empty = no snapshots.
  std::string snapshot_dir;
  // Read snapshots but never write them (a reader beside the folder's owner).
  bool read_only = false;
  // Shared stores: the longest wait between two reads of the change log;
  // 0 or less: no follower thread (the log is applied by this gallery's
  // writes, CatchUp and WaitForPosition only; for tests and one-shot tools).
  int follow_interval_ms = 500;
  // The face filter in force from the start (SetIndexFilter later changes
  // it): Open() reads only the vectors it keeps, by shard when the store
  // keeps face shards with the same count (store::GalleryStore::face_shards).
  ShardFilter index_filter;
  // Open() fills the persons' indexes flat and builds their HNSW/IVF on the
  // background compactor once the first SetIndexFilter has returned, so that
  // the gallery opens, and a cluster node indexes its first face shards,
  // without waiting for (or sharing the cores with) a graph over every
  // person (SearchPersons is exact meanwhile).
  bool defer_person_structures = false;
  // With `index_filter` and `snapshot_dir`: Open() starts from the shard
  // holdings the last Checkpoint() recorded beside the snapshots (file
  // `shard-holdings`; only groups whose face snapshot is there and still
  // belongs to the group of that id, and only when its shard count is
  // index_filter's) instead of from `index_filter`, so a restarted cluster
  // node keeps its snapshots' faces and a first map that gives it the same
  // shards re-indexes nothing. Without such a file: `index_filter`.
  bool resume_index_filter = false;
  // SetIndexFilter adds the entries a new filter gains to the new index this
  // many at a time, each batch's floats freed once indexed, so the transient
  // copy of a large gain stays one batch (tests make it small).
  std::size_t index_filter_batch = 65536;
  // SetIndexFilter grows an HNSW index that gains entries (and drops fewer
  // than its compaction ratio) in place, a slice of entries at a time under
  // the exclusive lock (searches wait one slice, ~grow_slice_ms), instead of
  // copying it and adding to the copy (the index's memory twice while it
  // runs: a failover's survivors, a node taking shards on), and so an empty
  // face index while nothing is indexed yet (a node's first map: its
  // checkpoints then keep the progress). Off: always the copy.
  bool grow_in_place = true;
  // With an index filter in force on a store that keeps face shards with its
  // count (PostgreSQL), the catalog keeps the records (id, rectangle, times,
  // versions) of the faces of the shards it indexes only, and of the others
  // their person and shard (Gallery::SplitsFaceRecords). Off: every record.
  bool split_face_records = true;
  int grow_slice_ms = 20;
  // Tests: called by SetIndexFilter while it builds beside the serving
  // indexes (after planning, before the swap), with no lock held.
  std::function<void()> on_index_filter_building;
  // Tests: called by SetIndexFilter before each slice it grows an index by
  // in place (grow_in_place), with no lock held.
  std::function<void()> on_grow_slice;
};

struct GroupState {
  store::GroupRecord record;
  std::set<std::int64_t> persons;
  // The faces of its persons (what the cloud API's FaceNum and the group's
  // face limit count), kept by every write: the face index may hold fewer
  // (a cluster node's indexes hold its shards only; a face without a vector
  // of the group's version is not indexed).
  std::size_t face_count = 0;
  std::unique_ptr<VectorIndex> faces;   // key: face key
  std::unique_ptr<VectorIndex> people;  // key: person key, fused feature
  bool dirty = true;                    // changed since its snapshot
};

struct PersonState {
  store::PersonRecord record;
  FlatMap<std::int64_t, store::MembershipRecord> groups;   // by group key (a sorted array: few a person)
  std::vector<std::int64_t> faces;                         // face keys, oldest first
};

// Face model versions, a bit each in a process-wide table (a build knows a
// few; the first 64 distinct names seen get a bit): a face's set costs 8
// bytes instead of a std::set's 48. Names past the 64th are never counted.
class VersionSet {
 public:
  std::size_t count(const std::string& version) const;  // 0 or 1, as std::set's
  void insert(const std::string& version);
  bool empty() const { return bits_ == 0; }

 private:
  std::uint64_t bits_ = 0;
};

// One per gallery face on every node: kept small (docs/gallery.md, "Catalog
// memory"): 72 bytes, the id inline up to 23 characters, the source (rare:
// CLI enrolments) kept apart (Catalog::FaceSource). The face's own vector is
// of the primary version (faces.embedding).
struct FaceState {
  CompactString id;
  std::int64_t person_key = 0;
  std::int64_t created_ms = 0;
  VersionSet other_versions;  // versions besides the primary with a stored vector
  store::FaceRect rect;
  float quality = 0;
  bool has_crop = false;  // a stored crop to re-embed from
};

struct SearchHit {
  std::int64_t key = 0;        // face key (SearchFaces) or person key (SearchPersons)
  std::int64_t group_key = 0;  // a group where it was found
  float similarity = 0;
};

// Read-only view handed to readers and to write planners.
class Catalog {
 public:
  const GroupState* GroupByKey(std::int64_t key) const;
  const GroupState* GroupById(const std::string& id) const;
  bool GroupNameTaken(const std::string& name) const { return group_names_.count(name) != 0; }
  const PersonState* PersonByKey(std::int64_t key) const;
  const PersonState* PersonById(const std::string& id) const;
  // A face's record; null when the gallery has no such face, or, on a node
  // that keeps only its shards' face records (Gallery::SplitsFaceRecords),
  // when the face lies in another shard: FaceKnown / FacePersonKey /
  // FaceShard answer for every face, Gallery::FacesByKey reads the others'.
  const FaceState* FaceByKey(std::int64_t key) const;
  std::int64_t FaceKeyById(std::string_view id) const;  // 0 when absent (or its record is not here)
  bool FaceKnown(std::int64_t key) const;
  std::int64_t FacePersonKey(std::int64_t key) const;  // 0: no such face
  int FaceShard(std::int64_t key, int shards) const;   // of `shards`; -1: no such face
  bool FaceSourceKnown(const std::string& source) const { return face_sources_.count(source) != 0; }
  // Where a face's image came from ("" when not recorded).
  std::string_view FaceSource(std::int64_t key) const;
  // Groups in creation order.
  std::vector<const GroupState*> Groups() const;
  std::size_t group_count() const { return groups_.size(); }
  std::size_t person_count() const { return persons_.size(); }
  std::size_t face_count() const { return faces_.size() + face_places_.size(); }
  // Faces whose records this catalog keeps (FaceByKey finds them).
  std::size_t face_record_count() const { return faces_.size(); }
  // A face's vector of the primary face model version, from any index
  // holding it (empty if none does: also when the person's groups all use
  // another version; Gallery::FaceVectors reads the store then).
  std::vector<float> FaceVector(std::int64_t face_key) const;
  // A face's vector of `version` from the index of a group of that version.
  std::vector<float> FaceVector(std::int64_t face_key, const std::string& version) const;
  // Face-model-version jobs, in start order.
  const std::vector<store::ModelJobRecord>& Jobs() const { return jobs_; }
  const store::ModelJobRecord* JobById(const std::string& id) const;

  // Top-k faces (or persons' fused features) over the given groups, best
  // first; an entry found in several groups appears once, with its best
  // score. Unknown group keys are skipped. Call inside Gallery::Read.
  std::vector<SearchHit> Search(const std::vector<std::int64_t>& group_keys, const float* query, std::size_t k,
                                bool persons) const;

 private:
  friend class Gallery;
  std::map<std::int64_t, GroupState> groups_;
  std::unordered_map<std::string, std::int64_t> group_ids_;
  std::set<std::string> group_names_;
  std::unordered_map<std::int64_t, PersonState> persons_;
  IdTable person_ids_;  // reads the ids of persons_' records
  std::unordered_map<std::int64_t, FaceState> faces_;
  // Memory (docs/gallery.md, "Catalog memory"): face ids are found through a
  // table of keys that reads each face's id from faces_; sources, which few
  // faces have, are kept apart, and the source map keys views of those
  // strings (map nodes never move). AddFace and EraseFace keep them in step.
  IdTable face_ids_;
  std::unordered_map<std::int64_t, std::string> face_source_texts_;
  std::unordered_map<std::string_view, std::int64_t> face_sources_;
  // The faces whose records are not kept here (a sharded node's other
  // shards): whose they are and their shard. Every face is in faces_ or here.
  FaceDirectory face_places_;
  std::vector<store::ModelJobRecord> jobs_;
  std::string primary_version_;

  void AddPerson(PersonState person);               // its record's key and id set
  void ErasePerson(std::unordered_map<std::int64_t, PersonState>::iterator person);
  void ReservePersons(std::size_t persons);
  void AddFace(std::int64_t key, FaceState face, std::string source = {});  // replaces a face of that key
  void ReserveFaces(std::size_t faces);
  // DropFaceRecord for each (key, shard).
  void DropFaceRecords(const std::vector<std::pair<std::int64_t, int>>& doomed);
  // The record map's buckets and the id table sized to the records left
  // (after most records went).
  void ShrinkFaceRecords();
  void EraseFaceSource(std::int64_t key);
  void EraseFace(std::unordered_map<std::int64_t, FaceState>::iterator face);
  // Keeps only a face's place (person, shard) instead of its record; false
  // (the record kept) when its keys do not fit the directory.
  bool DropFaceRecord(std::unordered_map<std::int64_t, FaceState>::iterator face, int shard);
  // A face of another shard: its place only.
  void AddFacePlace(std::int64_t key, std::int64_t person_key, int shard);
  // Forgets a face, its record or its place.
  void ForgetFace(std::int64_t key);
};

class Gallery {
 public:
  static Result<std::unique_ptr<Gallery>> Open(std::unique_ptr<store::GalleryStore> store, GalleryOptions options);
  ~Gallery();

  const GalleryOptions& options() const { return options_; }

  // Runs `read` under the shared lock.
  template <typename F>
  auto Read(F&& read) const {
    std::shared_lock lock(state_mu_);
    return read(catalog_);
  }

  // Plans a batch against the catalog (writers are serialised, so the catalog
  // cannot change between planning and commit), commits it to the store and
  // applies it in memory. Returns the store's keys for the batch's inserts.
  using Planner = std::function<Result<store::Batch>(const Catalog&)>;
  Result<std::vector<std::int64_t>> Write(const Planner& plan);

  // Top-k faces (or persons) over the given groups, best first; an entry
  // found in several groups appears once. Unknown group keys are skipped.
  std::vector<SearchHit> SearchFaces(const std::vector<std::int64_t>& group_keys, const float* query,
                                     std::size_t k) const;
  std::vector<SearchHit> SearchPersons(const std::vector<std::int64_t>& group_keys, const float* query,
                                       std::size_t k) const;

  // The store's fixed shard count (GalleryStore::face_shards; 0: no shard column).
  int store_face_shards() const { return store_->face_shards(); }

  // The dimension of a face model version's vectors (0 for an unknown one).
  int DimOf(const std::string& version) const;
  // Vectors of `version` of the given faces, from memory or the store
  // (faces without one are left out).
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> FaceVectors(
      const std::vector<std::int64_t>& face_keys, const std::string& version) const;
  // Faces by key or by id with their records: the catalog's, or on a node
  // that keeps only its shards' face records, the store's for the others.
  // Faces the catalog does not know (never applied here, or deleted) are
  // left out; key order. Takes the shared lock (callable from a planner).
  struct FaceView {
    std::int64_t key = 0;
    FaceState state;
    std::string source;
  };
  Result<std::vector<FaceView>> FacesByKey(const std::vector<std::int64_t>& keys) const;
  Result<std::vector<FaceView>> FacesById(const std::vector<std::string>& ids) const;
  // Whether this node keeps only the records of the faces of the shards it
  // indexes (an index filter in force on a store that keeps face shards with
  // its count; GalleryOptions::split_face_records): docs/scale-out.md.
  bool SplitsFaceRecords() const;
  // A face's stored crop (nullopt: enrolled before crops were stored).
  Result<std::optional<store::FaceCrop>> FaceCrop(std::int64_t face_key) const { return store_->LoadFaceCrop(face_key); }

  // Writes snapshots of changed groups that use HNSW; removes those of
  // groups that no longer need one. Sharded (an index filter in force): also
  // of exact (flat) indexes that hold rows, and records which shards each
  // snapshotted group's face index holds (GalleryOptions::resume_index_filter).
  Status Checkpoint();
  // The (group, shard) pairs Open() resumed from the recorded holdings
  // (GalleryOptions::resume_index_filter); 0 when it started from index_filter.
  std::size_t resumed_shards() const { return resumed_shards_; }

  // Rebuilds every index from the store's embeddings, ignoring snapshots
  // (for tests and for `gallery verify`).
  Status RebuildIndexes();

  // Blocks until no background compaction is requested or running; returns
  // the last one's error, if any (for tests and tools).
  Status WaitForCompactions();
  // Face and person indexes waiting for a structure rebuild on the
  // compactor (dead rows, a deferred graph, a size that calls for another
  // structure); 0 once the background work is done.
  std::size_t PendingIndexBuilds() const;

  // Shared stores (several nodes, one database): replays the store's change
  // log after the last applied sequence number, whole batches in commit
  // order. A follower thread does this on every notification (or every
  // `follow_interval_ms`); writes do it before planning and after committing,
  // so a write is visible to searches on its node when Write returns.
  Status CatchUp();
  std::int64_t applied_seq() const;
  // READ-YOUR-WRITES (docs/scale-out.md): the change-log position this
  // gallery's answers reflect: what it applied, and at least the last batch it
  // committed itself (0 on a store with no change log). A client that passes
  // a write's position to another node's WaitForPosition sees the write there.
  std::int64_t position() const;
  // Returns once the change log is applied up to `seq` here (at once when it
  // is, or on a store with no log), reading the log itself rather than
  // waiting for the follower. kInvalidArgument: `seq` lies past the log's
  // end (no write of this database has it); kUnavailable: not reached by
  // `deadline` (the database cannot be read, or this node's writer lock is
  // held that long, e.g. by SetIndexFilter's planning).
  Status WaitForPosition(std::int64_t seq, std::chrono::steady_clock::time_point deadline);

  // SHARDED INDEXING (ShardFilter above): only the faces and persons of the
  // shards the filter holds are put in a group's face and person indexes;
  // the catalog stays whole. Setting a filter re-indexes BESIDE the serving
  // indexes, so searches never wait for it (the compaction's scheme): under
  // the writer lock (this node's writes wait) it plans the groups whose
  // holdings change, reads the newly kept faces' vectors from the store (by
  // shard when the store keeps face shards with the filter's count: only the
  // shards with faces missing here, one query per group; vectors already
  // indexed are not read again) and the newly kept persons' fused features
  // (stored ones when the store keeps them, else the mean of their faces'
  // vectors), copies each such group's face and person index (or, when it
  // drops more than the compaction ratio of an HNSW index, only the rows it
  // keeps) and starts their journals; with no lock it drops and adds on the
  // copies (or builds a new index from the kept rows and the new ones, what a
  // compaction would do next); under the exclusive lock, briefly, it replays
  // the journals (writes applied meanwhile, indexed under both filters)
  // keeping what the new filter holds, and swaps. Each changed group needs
  // the memory of two of each index meanwhile, except an index that only
  // loses entries (shards handed back): those are removed from the serving
  // index at the swap, and a background compaction rebuilds it once its
  // dead rows pass the compaction ratio; and an HNSW index that gains and
  // drops few entries (GalleryOptions::grow_in_place): it takes the gained
  // entries in place, a slice at a time under the exclusive lock. An empty filter indexes
  // everything (the default). One call at a time. Returns the change log's
  // sequence number applied when the new indexes were in place.
  Result<std::int64_t> SetIndexFilter(ShardFilter filter);

 private:
  Gallery(std::unique_ptr<store::GalleryStore> store, GalleryOptions options);
  Status LoadCatalog();
  // `keep_loaded`: the current face indexes are the base (as a loaded
  // snapshot would be) instead of being rebuilt.
  Status ReconcileIndexes(bool use_snapshots, bool keep_loaded = false);
  // The face filter (SetIndexFilter) of a face key of the catalog.
  bool IndexedHere(const GroupState& group, std::int64_t face_key) const;
  // Whether a face of `person` in `shard` keeps its record here: not split,
  // or a group of the person holds the shard under the filter in force.
  bool FaceRecordWanted(const PersonState& person, int shard) const;
  // Split: every face record no longer wanted becomes a place (at the end of
  // a filter change; writer_mu_ held, state_mu_ not): found under the shared
  // lock, dropped kRecordsPerLock at a time under the exclusive lock, so
  // searches wait for one slice, not for the whole drop.
  void DropUnwantedFaceRecords();
  // Split: the same for the faces of `person_keys` (persons that left a
  // group while a write was applied; state_mu_ held exclusively).
  void DropUnwantedFaceRecordsOf(const std::set<std::int64_t>& person_keys);
  // Split: the shard of a kept record no group of its person holds here any
  // more; nullopt while it is wanted (or not split).
  std::optional<int> UnwantedRecordShard(const FaceState& face) const;
  // Ends FacesByKey / FacesById: `found` (kept records) with the `stored`
  // faces the catalog knows under the same person, in key order, once each.
  Result<std::vector<FaceView>> WithStoreFaces(std::vector<FaceView> found,
                                               Result<std::vector<store::FaceInfo>> stored) const;
  // Split: reads the records of the wanted faces among `keys` that have none
  // here and adds them (under state_mu_, which the caller must not hold;
  // writer_mu_ held).
  Status FetchFaceRecords(const std::vector<std::int64_t>& keys);
  // The same with state_mu_ already held exclusively (applying a write).
  Status FetchFaceRecordsLocked(const std::vector<std::int64_t>& keys);
  void AddFetchedFaceRecords(const std::vector<store::FaceInfo>& faces);  // state_mu_ held exclusively
  // Whether the group's person index holds `person` under the filter in force.
  bool PersonIndexedHere(const GroupState& group, const PersonState& person) const;
  Status ApplyInMemory(const store::Batch& batch, const std::vector<std::int64_t>& keys);
  // Rebuilds a group's two indexes from the store's vectors of its version.
  Status BuildGroupIndexes(GroupState& group);
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> FaceVectorsLocked(
      const std::vector<std::int64_t>& face_keys, const std::string& version) const;
  const std::vector<float>* VectorOfRecord(const store::FaceRecord& face, const std::string& version) const;
  void AddFaceToGroup(GroupState& group, std::int64_t face_key, const std::vector<float>& vector);
  void RefreshPerson(GroupState& group, const PersonState& person);
  // `prefetched`: vectors of faces not indexed in `group` already read from the store.
  std::vector<float> FusedFeature(const PersonState& person, const GroupState& group,
                                  const std::unordered_map<std::int64_t, std::vector<float>>* prefetched = nullptr) const;
  // Face vectors of `version` of group `g` from the store: by shard (the
  // shards of `keys`) when the store and the filter allow it, else by key.
  // Faces the store no longer has are left out.
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadGroupVectors(
      const GroupState& g, const std::vector<std::int64_t>& keys, const std::string& version) const;
  // The fused features of `person_keys` of group `g`: the store's when it
  // keeps them (StoredFusedFeatures), else the mean of their face vectors
  // (sharded: those not indexed here read at once). Persons with none are
  // left out; `tags` gets each one's FaceSetTag, in order.
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> FusedFeaturesOf(
      const GroupState& g, const std::vector<std::int64_t>& person_keys, std::vector<std::uint64_t>* tags) const;
  bool LoadsByShard() const;
  // Sharded, on a store that keeps the persons' fused features: they are
  // read from it instead of computed from every face's vector.
  bool StoredFusedFeatures() const;
  Result<std::unordered_map<std::int64_t, std::vector<float>>> StoredFused(
      const GroupState& g, const std::vector<std::int64_t>& person_keys) const;
  std::string SnapshotPath(std::int64_t group_key, const char* which) const;
  // The shard holdings file beside the snapshots: written by Checkpoint()
  // (with writer_mu_ and state_mu_ held), read by Open() after the catalog.
  Status WriteShardHoldings() const;
  void ResumeShardHoldings();
  Status CatchUpLocked();      // with writer_mu_ held
  void StartFollower();
  void FollowerLoop();
  void RequestCompaction();  // wakes the compactor (call with state_mu_ held or not)
  void CompactorLoop();
  Status CompactInBackground();

  std::unique_ptr<store::GalleryStore> store_;
  GalleryOptions options_;
  mutable std::shared_mutex state_mu_;
  std::timed_mutex writer_mu_;  // timed: WaitForPosition gives up at its deadline
  Catalog catalog_;

  std::mutex compact_mu_;  // guards the four below
  std::condition_variable compact_cv_;
  bool compact_requested_ = false;
  bool compact_running_ = false;
  bool compact_stop_ = false;
  Status compact_status_;
  std::thread compactor_;  // started on the first request

  // Shared stores: the change log's last sequence number applied in memory
  // (written under writer_mu_ and state_mu_), and the follower thread.
  std::int64_t applied_seq_ = 0;
  std::atomic<std::int64_t> written_seq_{0};  // the store's last_written_seq after this gallery's last write
  ShardFilter index_filter_;  // written under writer_mu_ and state_mu_
  // defer_person_structures: the persons' structures wait until SetIndexFilter first returned.
  std::atomic<bool> person_structures_wait_{false};
  std::size_t resumed_shards_ = 0;  // set by Open()
  // While SetIndexFilter runs: the shards a checkpoint's holdings may name
  // (the previous filter's, and the gained ones already grown into the
  // serving index); null otherwise (index_filter_'s). Under writer_mu_.
  struct ReindexHoldings;
  std::shared_ptr<ReindexHoldings> reindex_holdings_;
  std::mutex reindex_mu_;     // one SetIndexFilter at a time
  std::atomic<bool> follow_stop_{false};
  std::thread follower_;
};

// The L2-normalised mean of equal-length vectors: a person's fused feature
// (empty when there are none).
std::vector<float> NormalisedMean(const std::vector<std::vector<float>>& vectors);

// Fingerprint of a person's face set (the person index's entry tag).
std::uint64_t FaceSetTag(const std::vector<std::int64_t>& face_keys);

}  // namespace facekit::gallery
