#include "cluster/previous_owners.h"

#include <algorithm>

namespace facekit::cluster {

PreviousOwners::PreviousOwners(const ShardMap& now, std::shared_ptr<const ShardMap> before,
                               const PreviousOwners* earlier) {
  alive_.insert(now.nodes().begin(), now.nodes().end());
  auto add = [&](const std::shared_ptr<const ShardMap>& m) {
    if (!m || maps_.size() >= kMaps || m->nodes() == now.nodes()) return;
    for (const auto& have : maps_) {
      if (have->nodes() == m->nodes()) return;
    }
    maps_.push_back(m);
  };
  add(before);
  if (earlier) {
    for (const auto& m : earlier->maps_) add(m);
  }
}

const std::vector<std::string>& PreviousOwners::Of(const std::string& group, int shard) {
  static const std::vector<std::string> kNone;
  if (maps_.empty() || shard < 0 || shard >= maps_.front()->shards()) return kNone;
  std::lock_guard lock(mu_);
  auto it = by_group_.find(group);
  if (it == by_group_.end()) {
    std::vector<std::vector<std::string>> owners(static_cast<std::size_t>(maps_.front()->shards()));
    for (int s = 0; s < static_cast<int>(owners.size()); ++s) {
      auto& out = owners[static_cast<std::size_t>(s)];
      for (const auto& m : maps_) {
        if (m->shards() != static_cast<int>(owners.size())) continue;
        for (std::string& n : m->Replicas(group, s)) {
          if (alive_.count(n) != 0 && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(std::move(n));
        }
      }
    }
    it = by_group_.emplace(group, std::move(owners)).first;  // never erased: references stay valid
  }
  return it->second[static_cast<std::size_t>(shard)];
}

ShardMapHistory::Maps ShardMapHistory::For(std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end());  // as ShardMap::nodes()
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  std::lock_guard lock(mu_);
  if (!last_.map || last_.map->nodes() != nodes) {
    auto map = std::make_shared<const ShardMap>(nodes, shards_, replicas_, placement_);
    auto previous = std::make_shared<PreviousOwners>(*map, last_.map, last_.previous.get());
    last_ = {std::move(map), std::move(previous)};
  }
  return last_;
}

}  // namespace facekit::cluster
