// shard_map.h - which nodes serve which shard of a group (docs/scale-out.md).
//
// WHAT THIS REPRESENTS
//   A group's faces are split into `shards` shards by a hash of the face id.
//   Shard (group, s) is served by `replicas` nodes ranked by rendezvous
//   (highest-random-weight) hashing of (group, s, node id) over the live
//   nodes: a pure function of the member list, so every node computes the
//   same map from the same membership without a leader. The hash is FNV-1a 64
//   with a splitmix64 finaliser: stable across processes, builds and machines.
//
// PLACEMENT (every node of a cluster must use the same, as the counts)
//   kBalanced (the default since 2026-12-07): rendezvous with bounded loads.
//   The shards are placed in order, each on its highest-ranked nodes that
//   hold fewer than ceil(shards x replicas / nodes) of the group's replica
//   slots, so no node holds more than that (4 nodes, 64 shards, 1 replica:
//   16 each). A node joining or leaving moves its shards and, through the
//   bound, a few more (docs/scale-out.md: 0.286 instead of 0.25 of the slots
//   for a node leaving 4 at 1 replica).
//   kRendezvous: each shard on its top-`replicas` nodes: a node joining or
//   leaving moves only the shards whose top list it enters or leaves, but the
//   loads are uneven (measured at 1,000,000 faces: 8, 14, 20 and 22 of 64
//   shards on 4 nodes at 1 replica; the largest node bounds a search's
//   latency, a failover's re-index and the memory a machine needs).
//
// THREAD SAFETY
//   ShardMap is immutable after construction (a balanced group's placement is
//   computed once, on first use, under an internal lock): any thread may read it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace facekit::cluster {

inline constexpr int kDefaultShards = 64;  ///< = store::kDefaultFaceShards (a PostgreSQL database's S)
inline constexpr int kDefaultReplicas = 2;

/// The stable 64-bit hash the shard map uses (store::StableHash).
std::uint64_t StableHash(std::string_view text);

/// The shard of a face id: StableHash(face_id) mod `shards` (store::ShardOfFace,
/// the one the PostgreSQL store keeps in its `shard` column).
int ShardOfFace(std::string_view face_id, int shards);

/// The shard of a person (store::ShardOfPerson: the same hash of the person id).
inline int ShardOfPerson(std::string_view person_id, int shards) { return ShardOfFace(person_id, shards); }

/// The nodes serving (group, shard), best first: the `replicas` highest
/// weights StableHash(group \0 shard \0 node) among `nodes` (all of them
/// when fewer).
std::vector<std::string> ShardReplicas(std::string_view group, int shard, const std::vector<std::string>& nodes,
                                       int replicas);

enum class Placement { kBalanced, kRendezvous };
/// "balanced" or "rendezvous"; nullopt for anything else.
std::optional<Placement> ParsePlacement(std::string_view name);
const char* PlacementName(Placement placement);

class ShardMap {
 public:
  /// `nodes`: the live node ids (any order; duplicates ignored).
  ShardMap(std::vector<std::string> nodes, int shards = kDefaultShards, int replicas = kDefaultReplicas,
           Placement placement = Placement::kBalanced);

  int shards() const { return shards_; }
  int replicas() const { return replicas_; }
  Placement placement() const { return placement_; }
  const std::vector<std::string>& nodes() const { return nodes_; }  ///< sorted

  /// The nodes serving (group, shard), best first (kRendezvous: ShardReplicas
  /// over this map's nodes).
  std::vector<std::string> Replicas(std::string_view group, int shard) const;
  /// The shards of `group` that `node` serves, ascending.
  std::vector<int> ShardsOf(std::string_view node, std::string_view group) const;

 private:
  // kBalanced: each shard's replicas as indexes into nodes_, best first.
  using GroupPlacement = std::vector<std::vector<std::uint32_t>>;
  const GroupPlacement& BalancedOf(std::string_view group) const;

  std::vector<std::string> nodes_;
  int shards_, replicas_;
  Placement placement_;
  mutable std::shared_mutex mu_;  // guards placed_
  mutable std::map<std::string, std::unique_ptr<const GroupPlacement>, std::less<>> placed_;
};

}  // namespace facekit::cluster
