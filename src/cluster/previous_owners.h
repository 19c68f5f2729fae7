// previous_owners.h - a shard's owners under the shard maps before the current
// one, and the maps a coordinator derives from the member lists it sees.
//
// WHAT THIS REPRESENTS
//   On a map change a node keeps serving the shards it loses until their new
//   owners serve them (cluster_search.h, "Hand-over"). A coordinator asks a
//   shard's current replicas first and, after them, the live nodes that held
//   the shard under the previous maps (newest map first): while a new owner is
//   still indexing a shard it refuses it ("not loaded here") and the old owner
//   answers, so a hand-over leaves no shard unanswered.
//   PreviousOwners remembers the last kMaps maps whose node lists differ from
//   the current one; ShardMapHistory keeps the current map of a member list
//   and its PreviousOwners for a coordinator that reads the member list on
//   every search (`facekit bench cluster`'s; a node's ClusterSearch is handed
//   each map once).
//
// THREAD SAFETY
//   Both: every method from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/shard_map.h"

namespace facekit::cluster {

class PreviousOwners {
 public:
  static constexpr std::size_t kMaps = 8;  ///< previous maps remembered

  /// `now`: the new map; `before`: the map it replaces (null at the first);
  /// `earlier`: the PreviousOwners made when `before` came (null at the first).
  /// Maps with the node list of `now` are left out (they add no owner).
  PreviousOwners(const ShardMap& now, std::shared_ptr<const ShardMap> before, const PreviousOwners* earlier);

  /// The nodes alive in `now` that held (group, shard) under the previous
  /// maps, newest map first, each once; empty for a shard out of range.
  const std::vector<std::string>& Of(const std::string& group, int shard);
  /// How many previous maps are remembered (at most kMaps).
  std::size_t maps() const { return maps_.size(); }

 private:
  std::vector<std::shared_ptr<const ShardMap>> maps_;  // newest first
  std::set<std::string> alive_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::vector<std::string>>> by_group_;  // guarded by mu_
};

class ShardMapHistory {
 public:
  ShardMapHistory(int shards, int replicas, Placement placement)
      : shards_(shards), replicas_(replicas), placement_(placement) {}

  struct Maps {
    std::shared_ptr<const ShardMap> map;       ///< of the node list asked for
    std::shared_ptr<PreviousOwners> previous;  ///< the owners under the maps before it
  };
  /// The map of the live `nodes` (any order): the last one while the list
  /// holds, else a new one that becomes the last.
  Maps For(std::vector<std::string> nodes);

 private:
  const int shards_, replicas_;
  const Placement placement_;
  std::mutex mu_;
  Maps last_;  // guarded by mu_
};

}  // namespace facekit::cluster
