#include "gallery/gallery.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <type_traits>
#include <unordered_set>

#include "common/heap.h"
#include "store/face_shard.h"
#include "store/fused_feature.h"

namespace facekit::gallery {

namespace {
// A face's id for messages (its key when its record is not here).
std::string FaceName(const Catalog& c, std::int64_t key) {
  const FaceState* f = c.FaceByKey(key);
  return f ? f->id.str() : "#" + std::to_string(key);
}
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;
}  // namespace

std::uint64_t FaceSetTag(const std::vector<std::int64_t>& face_keys) {
  std::vector<std::int64_t> sorted = face_keys;
  std::sort(sorted.begin(), sorted.end());
  std::uint64_t h = 0x84222325CBF29CE4ull ^ sorted.size();
  for (std::int64_t k : sorted) {
    h ^= static_cast<std::uint64_t>(k) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDull;
  }
  return h == 0 ? 1 : h;
}

// ---- Gallery ----

Gallery::Gallery(std::unique_ptr<store::GalleryStore> store, GalleryOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  catalog_.primary_version_ = options_.primary_version;
}

void Gallery::RequestCompaction() {
  std::lock_guard lock(compact_mu_);
  if (compact_stop_) return;
  compact_requested_ = true;
  if (!compactor_.joinable()) compactor_ = std::thread([this] { CompactorLoop(); });
  compact_cv_.notify_all();
}

void Gallery::CompactorLoop() {
  std::unique_lock lock(compact_mu_);
  while (true) {
    compact_cv_.wait(lock, [this] { return compact_requested_ || compact_stop_; });
    if (compact_stop_) return;
    compact_requested_ = false;
    compact_running_ = true;
    lock.unlock();
    Status s = CompactInBackground();
    ReturnFreeHeap();  // the replaced indexes' and the copied rows' pages
    lock.lock();
    compact_running_ = false;
    compact_status_ = std::move(s);
    compact_cv_.notify_all();
  }
}

std::size_t Gallery::PendingIndexBuilds() const {
  return Read([](const Catalog& c) {
    std::size_t n = 0;
    for (const GroupState* g : c.Groups()) n += (g->faces->NeedsCompaction() ? 1 : 0) + (g->people->NeedsCompaction() ? 1 : 0);
    return n;
  });
}

Status Gallery::WaitForCompactions() {
  std::unique_lock lock(compact_mu_);
  compact_cv_.wait(lock, [this] { return compact_stop_ || (!compact_requested_ && !compact_running_); });
  return compact_status_;
}

namespace {

// Snapshots and the holdings file are written to PATH.tmp, synced and
// renamed: a PATH.tmp found on open is a write a kill cut short (the folder
// has one writer, this gallery), up to an index's size on disk. Removed.
void RemoveUnfinishedWrites(const std::string& folder) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::path& path = it->path();
    std::error_code ignored;
    if (path.extension() == ".tmp" && it->is_regular_file(ignored)) std::filesystem::remove(path, ignored);
  }
}

}  // namespace

Status Gallery::CompactInBackground() {
  // The indexes to rebuild, then one at a time: its live rows copied (the
  // writers held off, so nothing changes them; searches go on, they only
  // read), the new index built from them with no lock, and swapped in after
  // replaying the journal. One at a time, so that what a rebuild holds
  // besides the serving indexes (the copied rows and the new index) is one
  // index's, not every index's waiting at once (a cluster node's first map
  // leaves its persons' structures and its face IVF retraining to do here).
  std::vector<std::pair<std::int64_t, bool>> todo;  // group key, persons
  {
    std::lock_guard writer(writer_mu_);
    for (auto& [gkey, g] : catalog_.groups_) {
      for (bool people : {false, true}) {
        const VectorIndex& index = people ? *g.people : *g.faces;
        if (index.NeedsCompaction() && !index.journaling() && !(people && person_structures_wait_)) {
          todo.emplace_back(gkey, people);
        }
      }
    }
  }
  Status result = Status::Ok();
  for (const auto& [gkey, people] : todo) {
    const VectorIndex* index = nullptr;
    std::vector<std::int64_t> keys;
    std::vector<std::uint64_t> tags;
    std::vector<float> rows;
    IndexOptions options;
    int dim = 0;
    {
      std::lock_guard writer(writer_mu_);
      auto it = catalog_.groups_.find(gkey);
      if (it == catalog_.groups_.end()) continue;  // deleted meanwhile
      VectorIndex& serving = people ? *it->second.people : *it->second.faces;
      if (!serving.NeedsCompaction() || serving.journaling() || (people && person_structures_wait_)) continue;
      serving.CopyLive(&keys, &tags, &rows);
      serving.StartJournal();
      index = &serving;  // compared with below, not read: it may be replaced meanwhile
      options = serving.options();
      dim = serving.dim();
    }
    auto fresh = std::make_unique<VectorIndex>(dim, options);
    Status built = fresh->AddBatch(keys, rows, tags);
    std::vector<float>().swap(rows);
    std::lock_guard writer(writer_mu_);
    std::unique_lock lock(state_mu_);
    auto it = catalog_.groups_.find(gkey);
    if (it == catalog_.groups_.end()) continue;  // the group was deleted meanwhile
    std::unique_ptr<VectorIndex>& slot = people ? it->second.people : it->second.faces;
    // Replaced meanwhile (a rebuild): that index never journaled, leave it.
    if (slot.get() != index || !slot->journaling()) continue;
    const std::vector<VectorIndex::JournalOp> journal = slot->TakeJournal();
    if (built.ok()) built = fresh->Replay(journal);
    if (!built.ok()) {  // keep serving from the old index; the next write asks again
      result = built;
      continue;
    }
    slot = std::move(fresh);
    it->second.dirty = true;
  }
  return result;
}

Result<std::unique_ptr<Gallery>> Gallery::Open(std::unique_ptr<store::GalleryStore> store, GalleryOptions options) {
  if (!store) return Status(StatusCode::kInvalidArgument, "no store");
  if (options.dim <= 0) return Status(StatusCode::kInvalidArgument, "embedding dimension must be positive");
  if (!options.snapshot_dir.empty() && !options.read_only) {
    std::error_code ec;
    std::filesystem::create_directories(options.snapshot_dir, ec);
    if (ec) return Status(StatusCode::kIoError, "cannot create " + options.snapshot_dir + ": " + ec.message());
    RemoveUnfinishedWrites(options.snapshot_dir);
  }
  std::unique_ptr<Gallery> g(new Gallery(std::move(store), std::move(options)));
  g->index_filter_ = g->options_.index_filter;
  g->person_structures_wait_ = g->options_.defer_person_structures;
  FACEKIT_RETURN_IF_ERROR(g->LoadCatalog());
  FACEKIT_RETURN_IF_ERROR(g->ReconcileIndexes(/*use_snapshots=*/true));
  if (g->store_->shared() && g->options_.follow_interval_ms > 0) g->StartFollower();
  for (const auto& [gkey, group] : g->catalog_.groups_) {
    if (g->person_structures_wait_) break;  // SetIndexFilter asks for them
    if (group.people->NeedsCompaction()) {  // deferred structures, or a snapshot past its ratio
      g->RequestCompaction();
      break;
    }
  }
  ReturnFreeHeap();  // the store's rows read for the catalog and the indexes
  return g;
}

Status Gallery::LoadCatalog() {
  // A part at a time (GalleryStore::LoadPages): groups, then persons, then
  // memberships, then faces, then the rest; only the catalog stays.
  Catalog& c = catalog_;
  std::size_t persons_room = 0, faces_room = 0;
  bool first_part = true;
  FACEKIT_RETURN_IF_ERROR(store_->LoadPages(/*with_embeddings=*/false, [&](store::StoreContents& part) -> Status {
    if (part.log_seq != 0) applied_seq_ = part.log_seq;
    for (auto& rec : part.groups) {
      GroupState g;
      const int dim = DimOf(rec.face_model_version);
      if (dim <= 0) {
        return Status(StatusCode::kFailedPrecondition, "group " + rec.id + " uses face model version " +
                                                           rec.face_model_version + ", unknown to this build");
      }
      g.faces = std::make_unique<VectorIndex>(dim, options_.index);
      g.people = std::make_unique<VectorIndex>(dim, options_.index);
      c.group_ids_[rec.id] = rec.key;
      c.group_names_.insert(rec.name);
      const std::int64_t key = rec.key;
      g.record = std::move(rec);
      c.groups_.emplace(key, std::move(g));
    }
    if (first_part) {
      first_part = false;
      // The shards this node held when it stopped, once the groups are
      // known: the faces below keep their records by them.
      if (options_.resume_index_filter) ResumeShardHoldings();
    }
    // Split face records (docs/scale-out.md): a face of a shard no group of
    // its person holds here keeps only its place, never a record (records
    // dropped after the load would leave their pages resident, each holding
    // a few of the kept ones). Before its first map a node holds no shard:
    // that map reads its faces' records.
    const bool split = SplitsFaceRecords();
    // Room for what is expected, else grown by doubling (a smaller reserve
    // would shrink the tables: libstdc++'s rehash follows the request).
    const auto room = [](std::size_t want, std::size_t* reserved, const auto& reserve) {
      if (want <= *reserved) return;
      *reserved = std::max(want, *reserved * 2);
      reserve(*reserved);
    };
    room(part.persons_expected, &persons_room, [&](std::size_t n) { c.ReservePersons(n); });
    if (!split) room(part.faces_expected, &faces_room, [&](std::size_t n) { c.ReserveFaces(n); });
    room(c.persons_.size() + part.persons.size(), &persons_room, [&](std::size_t n) { c.ReservePersons(n); });
    for (auto& rec : part.persons) {
      PersonState p;
      p.record = std::move(rec);
      c.AddPerson(std::move(p));
    }
    for (auto& m : part.memberships) {
      auto g = c.groups_.find(m.group_key);
      auto p = c.persons_.find(m.person_key);
      if (g == c.groups_.end() || p == c.persons_.end()) {
        return Status(StatusCode::kDataCorrupt, "gallery database: membership of an unknown group or person");
      }
      g->second.persons.insert(m.person_key);
      p->second.groups[m.group_key] = std::move(m);
    }
    if (!split) room(c.faces_.size() + part.faces.size(), &faces_room, [&](std::size_t n) { c.ReserveFaces(n); });
    for (auto& f : part.faces) {
      auto p = c.persons_.find(f.person_key);
      if (p == c.persons_.end())
        return Status(StatusCode::kDataCorrupt, "gallery database: face " + f.id + " has no person");
      p->second.faces.push_back(f.key);
      if (split) {
        const int shard = store::ShardOfFace(f.id, index_filter_.shards);
        if (!FaceRecordWanted(p->second, shard) && FaceDirectory::Fits(f.key, f.person_key, shard)) {
          c.AddFacePlace(f.key, f.person_key, shard);
          continue;
        }
      }
      c.AddFace(f.key,
                FaceState{.id = CompactString(f.id),
                          .person_key = f.person_key,
                          .created_ms = f.created_ms,
                          .other_versions = {},
                          .rect = f.rect,
                          .quality = f.quality,
                          .has_crop = false},
                std::move(f.source));
    }
    for (const auto& [fkey, version] : part.other_vectors) {
      auto f = c.faces_.find(fkey);
      if (f != c.faces_.end()) f->second.other_versions.insert(version);
    }
    for (std::int64_t fkey : part.crop_keys) {
      auto f = c.faces_.find(fkey);
      if (f != c.faces_.end()) f->second.has_crop = true;
    }
    for (auto& job : part.jobs) c.jobs_.push_back(std::move(job));
    return Status::Ok();
  }));
  for (auto& [gkey, g] : c.groups_) {
    for (std::int64_t pkey : g.persons) g.face_count += c.persons_.at(pkey).faces.size();
  }
  return Status::Ok();
}

std::string Gallery::SnapshotPath(std::int64_t group_key, const char* which) const {
  if (options_.snapshot_dir.empty()) return {};
  return (std::filesystem::path(options_.snapshot_dir) / ("group-" + std::to_string(group_key) + "-" + which + ".fkvi"))
      .string();
}

std::vector<float> NormalisedMean(const std::vector<std::vector<float>>& vectors) {
  return store::NormalisedMean(vectors);
}

std::vector<float> Gallery::FusedFeature(const PersonState& person, const GroupState& group,
                                        const std::unordered_map<std::int64_t, std::vector<float>>* prefetched) const {
  if (StoredFusedFeatures()) {
    auto stored = StoredFused(group, {person.record.key});
    if (stored.ok()) {
      auto it = stored->find(person.record.key);
      return it == stored->end() ? std::vector<float>() : std::move(it->second);
    }
  }
  std::vector<std::vector<float>> vectors;
  if (index_filter_ && prefetched) {
    // In the person's face order; faces the store no longer has are left
    // out (the change log's DeleteFace refreshes the entry).
    for (std::int64_t fk : person.faces) {
      std::vector<float> v = group.faces->Vector(fk);
      if (v.empty()) {
        auto it = prefetched->find(fk);
        v = it != prefetched->end() ? it->second : catalog_.FaceVector(fk, group.record.face_model_version);
      }
      if (!v.empty()) vectors.push_back(std::move(v));
    }
    return NormalisedMean(vectors);
  }
  if (index_filter_) {
    // Sharded: some of the person's faces are indexed on other nodes only.
    auto all = FaceVectorsLocked(person.faces, group.record.face_model_version);
    if (all.ok()) {
      // In the person's face order, as the unsharded sum below (same rounding).
      std::unordered_map<std::int64_t, std::size_t> order;
      for (std::size_t i = 0; i < person.faces.size(); ++i) order.emplace(person.faces[i], i);
      std::sort(all->begin(), all->end(),
                [&](const auto& a, const auto& b) { return order[a.first] < order[b.first]; });
      for (auto& [fk, v] : *all) {
        if (!v.empty()) vectors.push_back(std::move(v));
      }
      return NormalisedMean(vectors);
    }
  }
  for (std::int64_t fk : person.faces) {
    std::vector<float> v = group.faces->Vector(fk);
    if (!v.empty()) vectors.push_back(std::move(v));
  }
  return NormalisedMean(vectors);
}

Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> Gallery::FusedFeaturesOf(
    const GroupState& g, const std::vector<std::int64_t>& person_keys, std::vector<std::uint64_t>* tags) const {
  std::vector<std::pair<std::int64_t, std::vector<float>>> out;
  if (person_keys.empty()) return out;
  std::unordered_map<std::int64_t, std::vector<float>> stored, others;
  const bool use_stored = StoredFusedFeatures();
  if (use_stored) {
    FACEKIT_ASSIGN_OR_RETURN(stored, StoredFused(g, person_keys));
  } else if (index_filter_) {
    // Sharded: the vectors of their faces not indexed here, read at once.
    std::vector<std::int64_t> wanted;
    for (std::int64_t pkey : person_keys) {
      for (std::int64_t fk : catalog_.persons_.at(pkey).faces) {
        if (!g.faces->Contains(fk)) wanted.push_back(fk);
      }
    }
    if (!wanted.empty()) {
      FACEKIT_ASSIGN_OR_RETURN(auto rows, LoadGroupVectors(g, wanted, g.record.face_model_version));
      for (auto& [fk, v] : rows) others.emplace(fk, std::move(v));
    }
  }
  for (std::int64_t pkey : person_keys) {
    const PersonState& p = catalog_.persons_.at(pkey);
    std::vector<float> fused =
        use_stored ? std::move(stored[pkey]) : FusedFeature(p, g, index_filter_ ? &others : nullptr);
    if (fused.empty()) continue;  // no face (yet)
    out.emplace_back(pkey, std::move(fused));
    tags->push_back(FaceSetTag(p.faces));
  }
  return out;
}

Status Gallery::ReconcileIndexes(bool use_snapshots, bool keep_loaded) {
  Catalog& c = catalog_;
  // Faces: load snapshots, drop what the store no longer has, collect what is missing.
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> missing_by_group;
  std::vector<std::int64_t> missing_all;
  for (auto& [gkey, g] : c.groups_) {
    if (g.record.face_model_version != options_.primary_version) {
      // Groups of another version: no snapshots, built from face_vectors.
      FACEKIT_RETURN_IF_ERROR(BuildGroupIndexes(g));
      continue;
    }
    bool from_snapshot = keep_loaded && g.faces != nullptr;
    if (!from_snapshot && use_snapshots && !options_.snapshot_dir.empty()) {
      auto loaded = VectorIndex::Load(SnapshotPath(gkey, "faces"), options_.index);
      if (loaded.ok() && loaded->stamp == static_cast<std::uint64_t>(gkey) && loaded->index->dim() == options_.dim) {
        g.faces = std::move(loaded->index);
        from_snapshot = true;
      }
      auto people = VectorIndex::Load(SnapshotPath(gkey, "persons"), options_.index);
      if (people.ok() && people->stamp == static_cast<std::uint64_t>(gkey) && people->index->dim() == options_.dim) {
        g.people = std::move(people->index);
      }
    }
    if (!from_snapshot) g.faces = std::make_unique<VectorIndex>(options_.dim, options_.index);
    std::unordered_set<std::int64_t> desired;
    for (std::int64_t pkey : g.persons) {
      for (std::int64_t fk : c.persons_.at(pkey).faces) {
        if (IndexedHere(g, fk)) desired.insert(fk);
      }
    }
    bool changed = !from_snapshot;
    for (const IndexEntry& e : g.faces->Entries()) {
      if (!desired.count(e.key)) {
        g.faces->Remove(e.key);
        changed = true;
      }
    }
    for (std::int64_t fk : desired) {
      if (!g.faces->Contains(fk)) {
        missing_by_group[gkey].push_back(fk);
        missing_all.push_back(fk);
      }
    }
    g.dirty = changed;
  }
  std::sort(missing_all.begin(), missing_all.end());
  missing_all.erase(std::unique(missing_all.begin(), missing_all.end()), missing_all.end());
  std::unordered_map<std::int64_t, std::vector<float>> vectors;
  const bool by_shard = LoadsByShard();
  std::vector<std::pair<std::int64_t, std::vector<float>>> loaded;
  if (by_shard) {
    // Only the shards with faces missing here, one query per group.
    for (const auto& [gkey, keys] : missing_by_group) {
      FACEKIT_ASSIGN_OR_RETURN(auto rows, LoadGroupVectors(c.groups_.at(gkey), keys, options_.primary_version));
      for (auto& row : rows) loaded.push_back(std::move(row));
    }
  } else if (!missing_all.empty()) {
    FACEKIT_ASSIGN_OR_RETURN(loaded, store_->LoadEmbeddings(missing_all));
  }
  {
    for (auto& [key, v] : loaded) {
      if (static_cast<int>(v.size()) != options_.dim) {
        return Status(StatusCode::kFailedPrecondition,
                      "face " + FaceName(c, key) + " has a " + std::to_string(v.size()) +
                          "-D embedding; this engine makes " + std::to_string(options_.dim) +
                          "-D ones (the gallery was enrolled with another model)");
      }
      vectors.emplace(key, std::move(v));
    }
  }
  for (auto& [gkey, keys] : missing_by_group) {
    GroupState& g = c.groups_.at(gkey);
    std::sort(keys.begin(), keys.end());
    std::vector<float> data;
    std::vector<std::int64_t> present;
    data.reserve(keys.size() * static_cast<std::size_t>(options_.dim));
    for (std::int64_t k : keys) {
      auto it = vectors.find(k);
      if (it == vectors.end() && by_shard) continue;  // deleted after the catalog's snapshot: the log removes it
      if (it == vectors.end()) return Status(StatusCode::kDataCorrupt, "gallery database: face without embedding");
      data.insert(data.end(), it->second.begin(), it->second.end());
      present.push_back(k);
    }
    FACEKIT_RETURN_IF_ERROR(g.faces->AddBatch(present, data));
    g.dirty = true;
  }
  // Persons' fused features.
  for (auto& [gkey, g] : c.groups_) {
    std::unordered_map<std::int64_t, std::uint64_t> desired;
    for (std::int64_t pkey : g.persons) {
      const PersonState& p = c.persons_.at(pkey);
      if (PersonIndexedHere(g, p)) desired[pkey] = FaceSetTag(p.faces);
    }
    for (const IndexEntry& e : g.people->Entries()) {
      auto it = desired.find(e.key);
      if (it == desired.end() || it->second != e.tag) {
        g.people->Remove(e.key);
        g.dirty = true;
      }
    }
    // The persons whose entry is missing, in key order.
    std::vector<std::int64_t> wanted;
    for (std::int64_t pkey : g.persons) {
      if (desired.count(pkey) != 0 && !g.people->Contains(pkey)) wanted.push_back(pkey);
    }
    std::vector<std::uint64_t> tags;
    FACEKIT_ASSIGN_OR_RETURN(auto fused, FusedFeaturesOf(g, wanted, &tags));
    std::vector<std::int64_t> keys;
    std::vector<float> data;
    for (auto& [pkey, v] : fused) {
      keys.push_back(pkey);
      data.insert(data.end(), v.begin(), v.end());
    }
    if (!keys.empty()) {
      if (options_.defer_person_structures) g.people->DeferStructure(true);  // built by the compactor
      FACEKIT_RETURN_IF_ERROR(g.people->AddBatch(keys, data, tags));
      g.dirty = true;
    }
  }
  return Status::Ok();
}

Status Gallery::RebuildIndexes() {
  std::lock_guard writer(writer_mu_);
  std::unique_lock lock(state_mu_);
  for (auto& [gkey, g] : catalog_.groups_) {
    g.people = std::make_unique<VectorIndex>(DimOf(g.record.face_model_version), options_.index);
  }
  return ReconcileIndexes(/*use_snapshots=*/false);
}

void Gallery::AddFaceToGroup(GroupState& group, std::int64_t face_key, const std::vector<float>& vector) {
  if (!IndexedHere(group, face_key)) return;
  (void)group.faces->Add(face_key, vector);
  group.dirty = true;
}

void Gallery::RefreshPerson(GroupState& group, const PersonState& person) {
  if (group.people->Remove(person.record.key)) group.dirty = true;
  if (!PersonIndexedHere(group, person)) return;  // another shard's: indexed by its nodes
  std::vector<float> fused = FusedFeature(person, group);
  if (!fused.empty()) (void)group.people->Add(person.record.key, fused, FaceSetTag(person.faces));
  group.dirty = true;
}

Status Gallery::ApplyInMemory(const store::Batch& batch, const std::vector<std::int64_t>& keys) {
  Catalog& c = catalog_;
  auto resolve = [&](std::int64_t key) { return key < 0 ? keys[static_cast<std::size_t>(-key - 1)] : key; };
  Status failed = Status::Ok();
  std::set<std::int64_t> regrouped;  // persons that left a group: records they may no longer want
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const store::Mutation& mutation = batch[i];
    std::visit(Overloaded{[&](const store::mutation::InsertGroup& m) {
                            GroupState g;
                            g.record = m.group;
                            g.record.key = keys[i];
                            const int dim = std::max(DimOf(g.record.face_model_version), 1);
                            g.faces = std::make_unique<VectorIndex>(dim, options_.index);
                            g.people = std::make_unique<VectorIndex>(dim, options_.index);
                            c.group_ids_[g.record.id] = keys[i];
                            c.group_names_.insert(g.record.name);
                            c.groups_.emplace(keys[i], std::move(g));
                          },
                          [&](const store::mutation::UpdateGroup& m) {
                            GroupState& g = c.groups_.at(m.group.key);
                            c.group_names_.erase(g.record.name);
                            g.record.name = m.group.name;
                            g.record.tag = m.group.tag;
                            g.record.ex_descriptions = m.group.ex_descriptions;
                            c.group_names_.insert(g.record.name);
                          },
                          [&](const store::mutation::DeleteGroup& m) {
                            auto it = c.groups_.find(m.key);
                            if (it == c.groups_.end()) return;
                            for (std::int64_t pkey : it->second.persons) c.persons_.at(pkey).groups.erase(m.key);
                            regrouped.insert(it->second.persons.begin(), it->second.persons.end());
                            std::erase_if(c.jobs_, [&](const store::ModelJobRecord& j) { return j.group_key == m.key; });
                            c.group_ids_.erase(it->second.record.id);
                            c.group_names_.erase(it->second.record.name);
                            if (!options_.snapshot_dir.empty()) {
                              std::error_code ec;
                              std::filesystem::remove(SnapshotPath(m.key, "faces"), ec);
                              std::filesystem::remove(SnapshotPath(m.key, "persons"), ec);
                            }
                            c.groups_.erase(it);
                          },
                          [&](const store::mutation::InsertPerson& m) {
                            PersonState p;
                            p.record = m.person;
                            p.record.key = keys[i];
                            c.AddPerson(std::move(p));
                          },
                          [&](const store::mutation::UpdatePerson& m) {
                            PersonState& p = c.persons_.at(resolve(m.person.key));
                            p.record.name = m.person.name;
                            p.record.gender = m.person.gender;
                          },
                          [&](const store::mutation::DeletePerson& m) {
                            auto it = c.persons_.find(m.key);
                            if (it == c.persons_.end()) return;
                            PersonState& p = it->second;
                            for (const auto& [gkey, membership] : p.groups) {
                              GroupState& g = c.groups_.at(gkey);
                              for (std::int64_t fk : p.faces) g.faces->Remove(fk);
                              g.people->Remove(p.record.key);
                              g.persons.erase(p.record.key);
                              g.face_count -= p.faces.size();
                              g.dirty = true;
                            }
                            for (std::int64_t fk : p.faces) c.ForgetFace(fk);
                            c.ErasePerson(it);
                          },
                          [&](const store::mutation::InsertMembership& m) {
                            const std::int64_t gkey = resolve(m.membership.group_key);
                            const std::int64_t pkey = resolve(m.membership.person_key);
                            PersonState& p = c.persons_.at(pkey);
                            GroupState& g = c.groups_.at(gkey);
                            store::MembershipRecord rec = m.membership;
                            rec.group_key = gkey;
                            rec.person_key = pkey;
                            // The person's face vectors of the group's version, from a group
                            // that already holds them or else from the store.
                            auto vectors = FaceVectorsLocked(p.faces, g.record.face_model_version);
                            if (!vectors.ok()) {
                              failed = vectors.status();
                            } else {
                              for (const auto& [fk, v] : *vectors) AddFaceToGroup(g, fk, v);
                            }
                            p.groups[gkey] = std::move(rec);
                            if (g.persons.insert(pkey).second) g.face_count += p.faces.size();
                            RefreshPerson(g, p);
                            // Split: the faces of shards this group holds here get their records.
                            if (SplitsFaceRecords()) {
                              std::vector<std::int64_t> wanted;
                              for (std::int64_t fk : p.faces) {
                                const int shard = c.FaceShard(fk, index_filter_.shards);
                                if (c.FaceByKey(fk) == nullptr && shard >= 0 &&
                                    index_filter_.holds(g.record.id, shard)) {
                                  wanted.push_back(fk);
                                }
                              }
                              if (Status fetched = FetchFaceRecordsLocked(wanted); !fetched.ok()) failed = fetched;
                            }
                          },
                          [&](const store::mutation::UpdateMembership& m) {
                            PersonState& p = c.persons_.at(m.membership.person_key);
                            p.groups.at(m.membership.group_key).ex_descriptions = m.membership.ex_descriptions;
                          },
                          [&](const store::mutation::DeleteMembership& m) {
                            PersonState& p = c.persons_.at(m.person_key);
                            GroupState& g = c.groups_.at(m.group_key);
                            for (std::int64_t fk : p.faces) g.faces->Remove(fk);
                            g.people->Remove(p.record.key);
                            if (g.persons.erase(p.record.key) != 0) g.face_count -= p.faces.size();
                            g.dirty = true;
                            p.groups.erase(m.group_key);
                            regrouped.insert(m.person_key);
                          },
                          [&](const store::mutation::InsertFace& m) {
                            const std::int64_t pkey = resolve(m.face.person_key);
                            PersonState& p = c.persons_.at(pkey);
                            const store::FaceRecord& f = m.face;
                            FaceState state{.id = CompactString(f.id),
                                            .person_key = pkey,
                                            .created_ms = f.created_ms,
                                            .other_versions = {},
                                            .rect = f.rect,
                                            .quality = f.quality,
                                            .has_crop = !f.crop.empty()};
                            for (const auto& [v, vector] : f.other_vectors) state.other_versions.insert(v);
                            const int shard = SplitsFaceRecords() ? store::ShardOfFace(f.id, index_filter_.shards) : 0;
                            if (!FaceRecordWanted(p, shard) && FaceDirectory::Fits(keys[i], pkey, shard)) {
                              c.AddFacePlace(keys[i], pkey, shard);  // another shard's face: its place only
                            } else {
                              c.AddFace(keys[i], std::move(state), f.source);
                            }
                            p.faces.push_back(keys[i]);
                            for (const auto& [gkey, membership] : p.groups) {
                              GroupState& g = c.groups_.at(gkey);
                              ++g.face_count;
                              // A face without a vector of the group's version is not searched
                              // there (the service embeds every version its groups need).
                              if (const auto* v = VectorOfRecord(f, g.record.face_model_version)) {
                                AddFaceToGroup(g, keys[i], *v);
                              }
                              RefreshPerson(g, p);
                            }
                          },
                          [&](const store::mutation::PutFaceVector& m) {
                            const std::int64_t fkey = resolve(m.face_key);
                            const std::int64_t pkey = c.FacePersonKey(fkey);
                            if (pkey == 0) return;
                            if (auto f = c.faces_.find(fkey); f != c.faces_.end()) {
                              f->second.other_versions.insert(m.model_version);
                            }
                            PersonState& p = c.persons_.at(pkey);
                            for (const auto& [gkey, membership] : p.groups) {
                              GroupState& g = c.groups_.at(gkey);
                              if (g.record.face_model_version != m.model_version) continue;
                              g.faces->Remove(fkey);
                              AddFaceToGroup(g, fkey, m.vector);
                              RefreshPerson(g, p);
                            }
                          },
                          [&](const store::mutation::SetGroupModelVersion& m) {
                            GroupState& g = c.groups_.at(m.group_key);
                            g.record.face_model_version = m.model_version;
                            if (Status s = BuildGroupIndexes(g); !s.ok()) failed = s;
                          },
                          [&](const store::mutation::PutModelJob& m) {
                            store::ModelJobRecord job = m.job;
                            job.group_key = resolve(job.group_key);
                            for (auto& j : c.jobs_) {
                              if (j.id == job.id) {
                                j = std::move(job);
                                return;
                              }
                            }
                            c.jobs_.push_back(std::move(job));
                          },
                          [&](const store::mutation::DeleteFace& m) {
                            const std::int64_t pkey = c.FacePersonKey(m.key);
                            if (pkey == 0) return;
                            PersonState& p = c.persons_.at(pkey);
                            p.faces.erase(std::remove(p.faces.begin(), p.faces.end(), m.key), p.faces.end());
                            for (const auto& [gkey, membership] : p.groups) {
                              GroupState& g = c.groups_.at(gkey);
                              --g.face_count;
                              g.faces->Remove(m.key);
                              RefreshPerson(g, p);
                            }
                            c.ForgetFace(m.key);
                          }},
               mutation);
  }
  DropUnwantedFaceRecordsOf(regrouped);
  for (auto& [gkey, g] : c.groups_) {
    if ((g.faces->NeedsCompaction() && !g.faces->journaling()) ||
        (g.people->NeedsCompaction() && !g.people->journaling())) {
      RequestCompaction();  // rebuilt on the compactor thread, searches go on
      break;
    }
  }
  return failed;
}

Result<std::vector<std::int64_t>> Gallery::Write(const Planner& plan) {
  std::lock_guard writer(writer_mu_);
  // Another node's writes first: the plan is checked against them too (the
  // database enforces the rest).
  if (store_->shared()) FACEKIT_RETURN_IF_ERROR(CatchUpLocked());
  // Only writers change the catalog and we are the only writer: no lock
  // needed to read it while planning.
  FACEKIT_ASSIGN_OR_RETURN(store::Batch batch, plan(catalog_));
  if (batch.empty()) return std::vector<std::int64_t>{};
  FACEKIT_ASSIGN_OR_RETURN(std::vector<std::int64_t> keys, store_->Apply(batch));
  if (store_->shared()) {
    written_seq_.store(std::max(written_seq_.load(), store_->last_written_seq()));
    // Applied in memory from the log, in commit order with the other nodes'
    // batches. The batch is durable either way: if reading the log fails now,
    // the follower applies it later.
    (void)CatchUpLocked();
    return keys;
  }
  std::unique_lock lock(state_mu_);
  if (Status s = ApplyInMemory(batch, keys); !s.ok()) {
    // Memory no longer matches the store: rebuild the indexes from it.
    (void)ReconcileIndexes(/*use_snapshots=*/false);
    return Status(StatusCode::kInternal, "the write was stored but applying it in memory failed (" + s.message() +
                                             "); indexes were rebuilt from the store");
  }
  return keys;
}

std::vector<SearchHit> Gallery::SearchFaces(const std::vector<std::int64_t>& group_keys, const float* query,
                                            std::size_t k) const {
  std::shared_lock lock(state_mu_);
  return catalog_.Search(group_keys, query, k, /*persons=*/false);
}

std::vector<SearchHit> Gallery::SearchPersons(const std::vector<std::int64_t>& group_keys, const float* query,
                                              std::size_t k) const {
  std::shared_lock lock(state_mu_);
  return catalog_.Search(group_keys, query, k, /*persons=*/true);
}

Status Gallery::Checkpoint() {
  if (options_.snapshot_dir.empty() || options_.read_only) return Status::Ok();
  std::lock_guard writer(writer_mu_);
  std::shared_lock lock(state_mu_);
  for (auto& [gkey, g] : catalog_.groups_) {
    if (!g.dirty) continue;
    const bool primary = g.record.face_model_version == options_.primary_version;
    for (auto [index, which] :
         {std::pair<const VectorIndex*, const char*>{g.faces.get(), "faces"}, {g.people.get(), "persons"}}) {
      const std::string path = SnapshotPath(gkey, which);
      // Sharded (a cluster node): exact indexes too, since their rows would
      // otherwise be read again from the shared store on a restart.
      if (primary && (index->kind() == IndexKind::kHnsw || (index_filter_ && index->size() > 0))) {
        FACEKIT_RETURN_IF_ERROR(index->Save(path, static_cast<std::uint64_t>(gkey)));
      } else {
        std::error_code ec;
        std::filesystem::remove(path, ec);
      }
    }
    // Only writers read or change `dirty`, and they are held off by writer_mu_.
    g.dirty = false;
  }
  return WriteShardHoldings();
}

}  // namespace facekit::gallery
