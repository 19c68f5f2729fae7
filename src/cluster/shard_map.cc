#include "cluster/shard_map.h"

#include <algorithm>
#include <utility>

#include "store/face_shard.h"
#include "store/postgres_schema.h"

namespace facekit::cluster {

static_assert(kDefaultShards == store::kDefaultFaceShards);

std::uint64_t StableHash(std::string_view text) { return store::StableHash(text); }

int ShardOfFace(std::string_view face_id, int shards) { return store::ShardOfFace(face_id, shards); }

std::vector<std::string> ShardReplicas(std::string_view group, int shard, const std::vector<std::string>& nodes,
                                       int replicas) {
  std::string key;
  key.reserve(group.size() + 16);
  key.append(group);
  key.push_back('\0');
  key.append(std::to_string(shard));
  key.push_back('\0');
  const std::size_t base = key.size();
  std::vector<std::pair<std::uint64_t, const std::string*>> weights;
  weights.reserve(nodes.size());
  for (const std::string& node : nodes) {
    key.resize(base);
    key.append(node);
    weights.emplace_back(StableHash(key), &node);
  }
  // Highest weight first; equal weights (practically never) by node id.
  std::sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  std::vector<std::string> out;
  for (const auto& [w, node] : weights) {
    if (static_cast<int>(out.size()) >= replicas) break;
    if (out.empty() || out.back() != *node) out.push_back(*node);
  }
  return out;
}

ShardMap::ShardMap(std::vector<std::string> nodes, int shards, int replicas)
    : nodes_(std::move(nodes)), shards_(std::max(1, shards)), replicas_(std::max(1, replicas)) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
}

std::vector<std::string> ShardMap::Replicas(std::string_view group, int shard) const {
  return ShardReplicas(group, shard, nodes_, replicas_);
}

std::vector<int> ShardMap::ShardsOf(std::string_view node, std::string_view group) const {
  std::vector<int> out;
  for (int s = 0; s < shards_; ++s) {
    const auto r = Replicas(group, s);
    if (std::find(r.begin(), r.end(), node) != r.end()) out.push_back(s);
  }
  return out;
}

}  // namespace facekit::cluster
