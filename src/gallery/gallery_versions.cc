// Gallery: face model versions (per-version vectors and group indexes).
#include <algorithm>
#include <unordered_map>

#include "gallery/gallery.h"

namespace facekit::gallery {

int Gallery::DimOf(const std::string& version) const {
  if (version == options_.primary_version) return options_.dim;
  auto it = options_.other_dims.find(version);
  return it == options_.other_dims.end() ? 0 : it->second;
}

Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> Gallery::FaceVectors(
    const std::vector<std::int64_t>& face_keys, const std::string& version) const {
  std::shared_lock lock(state_mu_);
  return FaceVectorsLocked(face_keys, version);
}

Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> Gallery::FaceVectorsLocked(
    const std::vector<std::int64_t>& face_keys, const std::string& version) const {
  std::vector<std::pair<std::int64_t, std::vector<float>>> out;
  std::vector<std::int64_t> missing;
  for (std::int64_t fk : face_keys) {
    std::vector<float> v = catalog_.FaceVector(fk, version);
    if (v.empty()) {
      missing.push_back(fk);
    } else {
      out.emplace_back(fk, std::move(v));
    }
  }
  if (missing.empty()) return out;
  auto loaded = version == options_.primary_version ? store_->LoadEmbeddings(missing)
                                                    : store_->LoadFaceVectors(version, missing);
  if (!loaded.ok()) return loaded.status();
  for (auto& e : *loaded) out.push_back(std::move(e));
  return out;
}

const std::vector<float>* Gallery::VectorOfRecord(const store::FaceRecord& face, const std::string& version) const {
  if (version == options_.primary_version) return &face.embedding;
  for (const auto& [v, vector] : face.other_vectors) {
    if (v == version) return &vector;
  }
  return nullptr;
}

Status Gallery::BuildGroupIndexes(GroupState& g) {
  const std::string& version = g.record.face_model_version;
  const int dim = DimOf(version);
  if (dim <= 0) {
    return Status(StatusCode::kFailedPrecondition,
                  "group " + g.record.id + " uses face model version " + version + ", unknown to this build");
  }
  std::vector<std::int64_t> keys;
  for (std::int64_t pkey : g.persons) {
    for (std::int64_t fk : catalog_.persons_.at(pkey).faces) {
      if (IndexedHere(g, fk)) keys.push_back(fk);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  auto loaded = LoadGroupVectors(g, keys, version);
  if (!loaded.ok()) return loaded.status();
  std::vector<std::int64_t> present;
  std::vector<float> data;
  for (auto& [key, v] : *loaded) {
    if (static_cast<int>(v.size()) != dim) {
      return Status(StatusCode::kDataCorrupt, "gallery database: a face vector of version " + version + " has " +
                                                  std::to_string(v.size()) + " dimensions, not " + std::to_string(dim));
    }
    present.push_back(key);
    data.insert(data.end(), v.begin(), v.end());
  }
  auto faces = std::make_unique<VectorIndex>(dim, options_.index);
  FACEKIT_RETURN_IF_ERROR(faces->AddBatch(present, data));
  g.faces = std::move(faces);
  g.people = std::make_unique<VectorIndex>(dim, options_.index);
  std::vector<std::int64_t> pkeys;
  std::vector<std::uint64_t> tags;
  std::vector<std::int64_t> held;  // this node's persons (every one when unsharded)
  for (std::int64_t pkey : g.persons) {
    if (PersonIndexedHere(g, catalog_.persons_.at(pkey))) held.push_back(pkey);
  }
  FACEKIT_ASSIGN_OR_RETURN(auto fused, FusedFeaturesOf(g, held, &tags));
  std::vector<float> fused_rows;
  for (auto& [pkey, v] : fused) {
    pkeys.push_back(pkey);
    fused_rows.insert(fused_rows.end(), v.begin(), v.end());
  }
  if (!pkeys.empty()) FACEKIT_RETURN_IF_ERROR(g.people->AddBatch(pkeys, fused_rows, tags));
  g.dirty = true;
  return Status::Ok();
}

Gallery::~Gallery() {
  follow_stop_ = true;
  if (follower_.joinable()) follower_.join();
  {
    std::lock_guard lock(compact_mu_);
    compact_stop_ = true;
  }
  compact_cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
}

}  // namespace facekit::gallery
