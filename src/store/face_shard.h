// face_shard.h - which shard a face belongs to (docs/scale-out.md).
//
// WHAT THIS REPRESENTS
//   A group's faces are split into S shards by a stable hash of the face id:
//   ShardOfFace(face id, S) = StableHash(face id) mod S. The hash is FNV-1a 64
//   with splitmix64's finaliser, fixed by test values, so every process,
//   build and machine agrees. It lives in the store layer because the
//   PostgreSQL store keeps each face's shard in a column (filled on insert,
//   back-filled by the schema migration) and the gallery filters its indexes
//   by it; cluster::ShardOfFace is the same function.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace facekit::store {

/// FNV-1a 64 with splitmix64's finaliser.
std::uint64_t StableHash(std::string_view text);

/// The shard of a face id: StableHash(face_id) mod `shards` (0 when shards <= 1).
int ShardOfFace(std::string_view face_id, int shards);

/// The shard of a person of a group (their fused feature in the group's
/// person index): the same hash of the person id. A person's faces may lie in
/// other shards; a cluster node indexes the persons of the shards it holds.
inline int ShardOfPerson(std::string_view person_id, int shards) { return ShardOfFace(person_id, shards); }

}  // namespace facekit::store
