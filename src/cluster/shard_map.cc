#include "cluster/shard_map.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "store/face_shard.h"
#include "store/postgres_schema.h"

namespace facekit::cluster {

static_assert(kDefaultShards == store::kDefaultFaceShards);

std::uint64_t StableHash(std::string_view text) { return store::StableHash(text); }

int ShardOfFace(std::string_view face_id, int shards) { return store::ShardOfFace(face_id, shards); }

namespace {
// Rendezvous weights of (group, shard): StableHash(group \0 shard \0 node).
class ShardWeights {
 public:
  ShardWeights(std::string_view group, int shard) {
    key_.assign(group);
    key_.push_back('\0');
    key_.append(std::to_string(shard));
    key_.push_back('\0');
    base_ = key_.size();
  }
  std::uint64_t Of(std::string_view node) {
    key_.resize(base_);
    key_.append(node);
    return StableHash(key_);
  }

 private:
  std::string key_;
  std::size_t base_ = 0;
};
// Highest weight first; equal weights (practically never) by node.
template <typename Node>
void ByWeight(std::vector<std::pair<std::uint64_t, Node>>& weights) {
  std::sort(weights.begin(), weights.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
}
}  // namespace

std::vector<std::string> ShardReplicas(std::string_view group, int shard, const std::vector<std::string>& nodes,
                                       int replicas) {
  ShardWeights weight(group, shard);
  std::vector<std::pair<std::uint64_t, const std::string*>> weights;
  weights.reserve(nodes.size());
  for (const std::string& node : nodes) weights.emplace_back(weight.Of(node), &node);
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

std::optional<Placement> ParsePlacement(std::string_view name) {
  if (name == "balanced") return Placement::kBalanced;
  if (name == "rendezvous") return Placement::kRendezvous;
  return std::nullopt;
}

const char* PlacementName(Placement placement) { return placement == Placement::kBalanced ? "balanced" : "rendezvous"; }

ShardMap::ShardMap(std::vector<std::string> nodes, int shards, int replicas, Placement placement)
    : nodes_(std::move(nodes)), shards_(std::max(1, shards)), replicas_(std::max(1, replicas)), placement_(placement) {
  std::sort(nodes_.begin(), nodes_.end());
  nodes_.erase(std::unique(nodes_.begin(), nodes_.end()), nodes_.end());
}

const ShardMap::GroupPlacement& ShardMap::BalancedOf(std::string_view group) const {
  {
    std::shared_lock lock(mu_);
    if (auto it = placed_.find(group); it != placed_.end()) return *it->second;
  }
  // Rendezvous with bounded loads: shard by shard, its highest-ranked nodes
  // that hold fewer than `cap` of the group's replica slots. When fewer than
  // `want` nodes have room (the last shards may find every node with room
  // already among theirs), a full node X the shard ranks best joins it and
  // gives up one of its earlier shards t to a node Y with room that t does
  // not have: X is in more shards than Y, so such a t exists, and the total
  // room (nodes x cap >= shards x want) means some Y does.
  const std::size_t n = nodes_.size();
  const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(replicas_), n);
  const std::size_t slots = static_cast<std::size_t>(shards_) * want;
  const std::size_t cap = n == 0 ? 0 : (slots + n - 1) / n;
  auto placement = std::make_unique<GroupPlacement>(static_cast<std::size_t>(shards_));
  GroupPlacement& placed = *placement;
  std::vector<std::size_t> load(n, 0);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> ranked(n);
  auto has = [](const std::vector<std::uint32_t>& list, std::uint32_t i) {
    return std::find(list.begin(), list.end(), i) != list.end();
  };
  for (int s = 0; s < shards_; ++s) {
    ShardWeights weight(group, s);
    for (std::size_t i = 0; i < n; ++i) ranked[i] = {weight.Of(nodes_[i]), static_cast<std::uint32_t>(i)};
    ByWeight(ranked);  // ties by node index: nodes_ is sorted
    std::vector<std::uint32_t>& chosen = placed[static_cast<std::size_t>(s)];
    for (const auto& [w, i] : ranked) {
      if (chosen.size() < want && load[i] < cap) {
        chosen.push_back(i);
        ++load[i];
      }
    }
    for (const auto& [w, x] : ranked) {
      if (chosen.size() >= want) break;
      if (has(chosen, x)) continue;
      bool repaired = false;
      for (std::uint32_t y = 0; y < n && !repaired; ++y) {
        if (load[y] >= cap || y == x) continue;
        for (int t = 0; t < s && !repaired; ++t) {
          std::vector<std::uint32_t>& other = placed[static_cast<std::size_t>(t)];
          auto at = std::find(other.begin(), other.end(), x);
          if (at == other.end() || has(other, y)) continue;
          *at = y;  // t: Y instead of X
          ++load[y];
          chosen.push_back(x);  // X's load is unchanged: one shard for another
          repaired = true;
        }
      }
      if (!repaired) {  // cannot happen (see above); over the bound rather than short of replicas
        chosen.push_back(x);
        ++load[x];
      }
    }
  }
  // Each shard's replicas best first (a repair put Y in X's place).
  for (int s = 0; s < shards_; ++s) {
    ShardWeights weight(group, s);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> weights;
    for (std::uint32_t i : placed[static_cast<std::size_t>(s)]) weights.emplace_back(weight.Of(nodes_[i]), i);
    ByWeight(weights);
    for (std::size_t j = 0; j < weights.size(); ++j) placed[static_cast<std::size_t>(s)][j] = weights[j].second;
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = placed_.try_emplace(std::string(group), std::move(placement));
  return *it->second;  // another thread's, if it got there first: the same
}

std::vector<std::string> ShardMap::Replicas(std::string_view group, int shard) const {
  if (placement_ == Placement::kRendezvous) return ShardReplicas(group, shard, nodes_, replicas_);
  std::vector<std::string> out;
  if (shard < 0 || shard >= shards_) return out;
  for (std::uint32_t i : BalancedOf(group)[static_cast<std::size_t>(shard)]) out.push_back(nodes_[i]);
  return out;
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
