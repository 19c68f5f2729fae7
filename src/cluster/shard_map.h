// shard_map.h - which nodes serve which shard of a group (docs/scale-out.md).
//
// WHAT THIS REPRESENTS
//   A group's faces are split into `shards` shards by a hash of the face id.
//   Shard (group, s) is served by `replicas` nodes chosen by rendezvous
//   (highest-random-weight) hashing of (group, s, node id) over the live
//   nodes: a pure function of the member list, so every node computes the
//   same map from the same membership without a leader, and a node joining or
//   leaving moves only the shards whose top-`replicas` list it enters or
//   leaves. The hash is FNV-1a 64 with a splitmix64 finaliser: stable across
//   processes, builds and machines.
//
// THREAD SAFETY
//   ShardMap is immutable after construction: any thread may read it.
#pragma once

#include <cstdint>
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

class ShardMap {
 public:
  /// `nodes`: the live node ids (any order; duplicates ignored).
  ShardMap(std::vector<std::string> nodes, int shards = kDefaultShards, int replicas = kDefaultReplicas);

  int shards() const { return shards_; }
  int replicas() const { return replicas_; }
  const std::vector<std::string>& nodes() const { return nodes_; }  ///< sorted

  /// ShardReplicas over this map's nodes.
  std::vector<std::string> Replicas(std::string_view group, int shard) const;
  /// The shards of `group` that `node` serves, ascending.
  std::vector<int> ShardsOf(std::string_view node, std::string_view group) const;

 private:
  std::vector<std::string> nodes_;
  int shards_, replicas_;
};

}  // namespace facekit::cluster
