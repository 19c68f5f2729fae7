// Gallery: sharded indexing (docs/scale-out.md) - which faces a node's
// indexes hold, and reading only those shards' vectors from the store.
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "gallery/gallery.h"
#include "store/face_shard.h"

namespace facekit::gallery {

bool Gallery::IndexedHere(const GroupState& group, std::int64_t face_key) const {
  if (!index_filter_) return true;
  const FaceState* face = catalog_.FaceByKey(face_key);
  return face != nullptr && index_filter_.holds(group.record.id, store::ShardOfFace(face->id, index_filter_.shards));
}

Result<std::int64_t> Gallery::SetIndexFilter(ShardFilter filter) {
  std::lock_guard writer(writer_mu_);
  std::unique_lock lock(state_mu_);
  index_filter_ = std::move(filter);
  FACEKIT_RETURN_IF_ERROR(ReconcileIndexes(/*use_snapshots=*/false, /*keep_loaded=*/true));
  return applied_seq_;
}

bool Gallery::LoadsByShard() const {
  const int stored = store_->face_shards();
  return index_filter_ && stored > 0 && stored == index_filter_.shards;
}

bool Gallery::StoredFusedFeatures() const { return LoadsByShard() && store_->keeps_person_features(); }

Result<std::unordered_map<std::int64_t, std::vector<float>>> Gallery::StoredFused(
    const GroupState& g, const std::vector<std::int64_t>& person_keys) const {
  const std::string& version = g.record.face_model_version;
  FACEKIT_ASSIGN_OR_RETURN(
      auto rows, store_->LoadPersonFeatures(version == options_.primary_version ? "" : version, person_keys));
  std::unordered_map<std::int64_t, std::vector<float>> out;
  for (auto& [pkey, fused] : rows) out.emplace(pkey, std::move(fused));
  return out;
}

Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> Gallery::LoadGroupVectors(
    const GroupState& g, const std::vector<std::int64_t>& keys, const std::string& version) const {
  const bool primary = version == options_.primary_version;
  if (!LoadsByShard()) return primary ? store_->LoadEmbeddings(keys) : store_->LoadFaceVectors(version, keys);
  std::set<int> shards;
  for (std::int64_t k : keys) {
    if (const FaceState* f = catalog_.FaceByKey(k)) shards.insert(store::ShardOfFace(f->id, index_filter_.shards));
  }
  std::vector<std::pair<std::int64_t, std::vector<float>>> out;
  if (shards.empty()) return out;
  store::ShardVectorQuery query;
  query.group_key = g.record.key;
  query.shards.assign(shards.begin(), shards.end());
  if (!primary) query.model_version = version;
  FACEKIT_ASSIGN_OR_RETURN(auto rows, store_->LoadShardVectors(query));
  // The shards may hold faces the catalog has not applied yet (the change
  // log brings them with their vectors) or does not ask for: only `keys`.
  const std::unordered_set<std::int64_t> wanted(keys.begin(), keys.end());
  for (auto& row : rows) {
    if (wanted.count(row.first)) out.push_back(std::move(row));
  }
  return out;
}

}  // namespace facekit::gallery
