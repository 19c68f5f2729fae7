#include "store/face_shard.h"

namespace facekit::store {

std::uint64_t StableHash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // splitmix64's finaliser: FNV-1a alone leaves nearby inputs' high bits alike.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

int ShardOfFace(std::string_view face_id, int shards) {
  if (shards <= 1) return 0;
  return static_cast<int>(StableHash(face_id) % static_cast<std::uint64_t>(shards));
}

}  // namespace facekit::store
