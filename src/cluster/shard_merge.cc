#include "cluster/shard_merge.h"

#include <algorithm>
#include <unordered_set>

namespace facekit::cluster {

bool RanksBefore(const ShardHit& a, const ShardHit& b) {
  if (a.similarity != b.similarity) return a.similarity > b.similarity;
  if (a.face_id != b.face_id) return a.face_id < b.face_id;
  return a.person_id < b.person_id;  // persons' hits have no face id
}

std::size_t ShardFaceBudget(std::size_t max_persons, std::size_t max_faces_per_person) {
  return max_persons * std::max<std::size_t>(max_faces_per_person, 1);
}

std::vector<ShardHit> MergeFaceHits(const std::vector<std::vector<ShardHit>>& per_shard, std::size_t max_persons) {
  std::vector<const ShardHit*> all;
  for (const auto& shard : per_shard) {
    for (const ShardHit& h : shard) all.push_back(&h);
  }
  std::sort(all.begin(), all.end(), [](const ShardHit* a, const ShardHit* b) { return RanksBefore(*a, *b); });
  std::vector<ShardHit> out;
  std::unordered_set<std::string> seen;
  for (const ShardHit* h : all) {
    if (out.size() >= max_persons) break;
    if (seen.insert(h->person_id).second) out.push_back(*h);
  }
  return out;
}

}  // namespace facekit::cluster
