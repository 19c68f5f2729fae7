// Gallery: the catalog split by shard for faces (docs/scale-out.md, "Catalog
// split by shard") - a sharded node keeps the records of the faces of the
// shards it indexes, and of every other face only its place (person, shard:
// Catalog::face_places_); records it lacks are read from the store.
//
// Invariant: every face a group index here holds has its record here (a
// search answer names its face id). A face of a shard held in one of its
// person's groups gets its record when it comes (the catalog's load, an
// InsertFace, a membership, a filter that gains its shard) and loses it when
// no such group is left (DropUnwantedFaceRecords at the end of a filter
// change, a membership or group gone).
#include <algorithm>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>

#include "gallery/gallery.h"
#include "store/face_shard.h"

namespace facekit::gallery {

namespace {

// Record keys are read this many at a time under the exclusive lock.
constexpr std::size_t kRecordsPerLock = 65536;

FaceState StateOf(const store::FaceInfo& f) {
  FaceState s{.id = CompactString(f.record.id),
              .person_key = f.record.person_key,
              .created_ms = f.record.created_ms,
              .other_versions = {},
              .rect = f.record.rect,
              .quality = f.record.quality,
              .has_crop = f.has_crop};
  for (const auto& v : f.other_versions) s.other_versions.insert(v);
  return s;
}

}  // namespace

bool Gallery::SplitsFaceRecords() const { return options_.split_face_records && LoadsByShard(); }

bool Gallery::FaceRecordWanted(const PersonState& person, int shard) const {
  if (!SplitsFaceRecords()) return true;
  for (const auto& [gkey, membership] : person.groups) {
    const GroupState* g = catalog_.GroupByKey(gkey);
    if (g != nullptr && index_filter_.holds(g->record.id, shard)) return true;
  }
  return false;
}

std::optional<int> Gallery::UnwantedRecordShard(const FaceState& face) const {
  if (!SplitsFaceRecords()) return std::nullopt;
  const PersonState* p = catalog_.PersonByKey(face.person_key);
  const int shard = store::ShardOfFace(face.id.view(), index_filter_.shards);
  if (p == nullptr || FaceRecordWanted(*p, shard)) return std::nullopt;
  return shard;
}

void Gallery::DropUnwantedFaceRecords() {
  // writer_mu_ is held: the catalog and the filter change only here meanwhile.
  if (!SplitsFaceRecords()) return;
  std::vector<std::pair<std::int64_t, int>> doomed;
  {
    std::shared_lock lock(state_mu_);
    for (const auto& [key, f] : catalog_.faces_) {
      if (const std::optional<int> shard = UnwantedRecordShard(f)) doomed.emplace_back(key, *shard);
    }
  }
  if (doomed.empty()) return;
  {
    std::unique_lock lock(state_mu_);
    catalog_.face_places_.Reserve(catalog_.face_places_.size() + doomed.size());  // grown once, if at all
  }
  for (std::size_t at = 0; at < doomed.size(); at += kRecordsPerLock) {
    const std::vector<std::pair<std::int64_t, int>> part(
        doomed.begin() + static_cast<std::ptrdiff_t>(at),
        doomed.begin() + static_cast<std::ptrdiff_t>(std::min(doomed.size(), at + kRecordsPerLock)));
    std::unique_lock lock(state_mu_);
    catalog_.DropFaceRecords(part);
  }
  std::unique_lock lock(state_mu_);
  if (doomed.size() > catalog_.faces_.size()) catalog_.ShrinkFaceRecords();  // most records gone
}

void Gallery::DropUnwantedFaceRecordsOf(const std::set<std::int64_t>& person_keys) {
  if (!SplitsFaceRecords()) return;
  std::vector<std::pair<std::int64_t, int>> doomed;
  for (std::int64_t pkey : person_keys) {
    const PersonState* p = catalog_.PersonByKey(pkey);
    if (p == nullptr) continue;
    for (std::int64_t key : p->faces) {
      const FaceState* f = catalog_.FaceByKey(key);
      if (f == nullptr) continue;
      if (const std::optional<int> shard = UnwantedRecordShard(*f)) doomed.emplace_back(key, *shard);
    }
  }
  if (doomed.empty()) return;
  catalog_.DropFaceRecords(doomed);
  if (doomed.size() > catalog_.faces_.size()) catalog_.ShrinkFaceRecords();  // most records gone
}

namespace {

// Of `keys`, the faces the catalog knows without their records.
std::vector<std::int64_t> WithoutRecords(const Catalog& c, const std::vector<std::int64_t>& keys) {
  std::vector<std::int64_t> out;
  for (std::int64_t key : keys) {
    if (c.FaceByKey(key) == nullptr && c.FaceKnown(key)) out.push_back(key);
  }
  return out;
}

}  // namespace

void Gallery::AddFetchedFaceRecords(const std::vector<store::FaceInfo>& faces) {
  for (const store::FaceInfo& f : faces) {
    // The store may be ahead of this catalog: only a face it knows, as it knows it.
    if (catalog_.FaceByKey(f.record.key) != nullptr || catalog_.FacePersonKey(f.record.key) != f.record.person_key) {
      continue;
    }
    catalog_.AddFace(f.record.key, StateOf(f), f.record.source);
  }
}

Status Gallery::FetchFaceRecordsLocked(const std::vector<std::int64_t>& keys) {
  const std::vector<std::int64_t> missing = WithoutRecords(catalog_, keys);
  if (missing.empty()) return Status::Ok();
  FACEKIT_ASSIGN_OR_RETURN(std::vector<store::FaceInfo> infos, store_->LoadFaceInfos(missing));
  AddFetchedFaceRecords(infos);
  return Status::Ok();
}

Status Gallery::FetchFaceRecords(const std::vector<std::int64_t>& keys) {
  // writer_mu_ is held: the catalog changes only here meanwhile.
  const std::vector<std::int64_t> missing = WithoutRecords(catalog_, keys);
  for (std::size_t at = 0; at < missing.size(); at += kRecordsPerLock) {
    const std::vector<std::int64_t> part(
        missing.begin() + static_cast<std::ptrdiff_t>(at),
        missing.begin() + static_cast<std::ptrdiff_t>(std::min(missing.size(), at + kRecordsPerLock)));
    FACEKIT_ASSIGN_OR_RETURN(std::vector<store::FaceInfo> infos, store_->LoadFaceInfos(part));
    std::unique_lock lock(state_mu_);
    AddFetchedFaceRecords(infos);
  }
  return Status::Ok();
}

Result<std::vector<Gallery::FaceView>> Gallery::FacesByKey(const std::vector<std::int64_t>& keys) const {
  std::vector<FaceView> out;
  std::vector<std::int64_t> elsewhere;
  {
    std::shared_lock lock(state_mu_);
    for (std::int64_t key : keys) {
      if (const FaceState* f = catalog_.FaceByKey(key)) {
        out.push_back({key, *f, std::string(catalog_.FaceSource(key))});
      } else if (catalog_.FaceKnown(key)) {
        elsewhere.push_back(key);
      }
    }
  }
  if (elsewhere.empty()) return WithStoreFaces(std::move(out), std::vector<store::FaceInfo>{});
  return WithStoreFaces(std::move(out), store_->LoadFaceInfos(elsewhere));
}

Result<std::vector<Gallery::FaceView>> Gallery::FacesById(const std::vector<std::string>& ids) const {
  std::vector<FaceView> out;
  std::vector<std::string> elsewhere;
  {
    std::shared_lock lock(state_mu_);
    const bool places = catalog_.face_places_.size() > 0;
    for (const std::string& id : ids) {
      if (const std::int64_t key = catalog_.FaceKeyById(id); key != 0) {
        out.push_back({key, *catalog_.FaceByKey(key), std::string(catalog_.FaceSource(key))});
      } else if (places) {
        elsewhere.push_back(id);
      }
    }
  }
  if (elsewhere.empty()) return WithStoreFaces(std::move(out), std::vector<store::FaceInfo>{});
  return WithStoreFaces(std::move(out), store_->FindFaceInfos(elsewhere));
}

Result<std::vector<Gallery::FaceView>> Gallery::WithStoreFaces(std::vector<FaceView> found,
                                                               Result<std::vector<store::FaceInfo>> stored) const {
  if (!stored.ok()) return stored.status();
  if (!stored->empty()) {
    std::shared_lock lock(state_mu_);
    for (const store::FaceInfo& f : *stored) {
      // The store may be ahead of this catalog: only a face it knows, under the same person.
      if (catalog_.FacePersonKey(f.record.key) == f.record.person_key) {
        found.push_back({f.record.key, StateOf(f), f.record.source});
      }
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const FaceView& a, const FaceView& b) { return a.key < b.key; });
  found.erase(
      std::unique(found.begin(), found.end(), [](const FaceView& a, const FaceView& b) { return a.key == b.key; }),
      found.end());
  return found;
}

}  // namespace facekit::gallery
