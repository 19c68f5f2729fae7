// shard_merge.h - the coordinator's merge of per-shard face search answers
// into the global candidates (docs/scale-out.md, "Search"): a piece of the
// planned scatter/gather search, built and tested first because its
// exactness is what the design rests on.
//
// WHAT THIS REPRESENTS
//   A face search answers persons: each person's best face, best first, at
//   most `max_persons`. Shards are disjoint sets of faces, and one person's
//   faces may lie on several shards. If every shard returns its best
//   ShardFaceBudget(max_persons, max_faces_per_person) faces, the merge
//   equals the search over all faces at once: a face of a person in the
//   global top `max_persons` has, on its shard, only faces of persons ranked
//   above that person before it, at most (max_persons - 1) x
//   max_faces_per_person of them. Order: similarity descending, then face id
//   (a total order, so every node merges alike).
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace facekit::cluster {

struct ShardHit {
  std::string face_id, person_id, group_id;
  float similarity = 0;
};

/// True when `a` ranks before `b`: higher similarity, then lower face id.
bool RanksBefore(const ShardHit& a, const ShardHit& b);

/// How many faces each shard must return for MergeFaceHits to be exact.
std::size_t ShardFaceBudget(std::size_t max_persons, std::size_t max_faces_per_person);

/// Each person's best face over every shard's answer, best first, at most
/// `max_persons`.
std::vector<ShardHit> MergeFaceHits(const std::vector<std::vector<ShardHit>>& per_shard, std::size_t max_persons);

}  // namespace facekit::cluster
