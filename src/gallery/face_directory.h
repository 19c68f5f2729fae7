// face_directory.h - face key -> (person key, shard) in 16 bytes a slot, for
// the faces whose records a cluster node does not keep.
//
// WHAT IT IS FOR
//   A sharded node keeps a face's record (id, rectangle, quality, times,
//   versions: `FaceState`, ~137 bytes with its map node and id slot) only
//   for the faces of shards it indexes (docs/scale-out.md, "Catalog split by
//   shard"). Of every other face it still needs to know whose it is and
//   which shard it lies in: a delete or a new vector of it replayed from the
//   change log names only its key, a person's fused feature and face count
//   take every face of the person, and a map change decides from the shard
//   which faces it gains. This table keeps just that, about 21-43 bytes a
//   face (a slot, at most 3/4 and at least 3/8 full).
//
// HOW
//   Linear probing over a power-of-two array of {face key, person key (low
//   48 bits) | shard (high 16 bits)}; face key 0 marks an empty slot (keys
//   are positive: the store's); a removal moves the entries behind it back
//   (no tombstones). Fits() says whether a face can be kept here (keys below
//   2^48, shards below 2^16); the catalog keeps the record of one that cannot.
//
// THREAD SAFETY
//   None: the catalog's locks guard it (reads under the shared lock, changes
//   under the exclusive one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace facekit::gallery {

class FaceDirectory {
 public:
  struct Entry {
    std::int64_t person_key = 0;
    int shard = 0;
  };
  static bool Fits(std::int64_t face_key, std::int64_t person_key, int shard);
  // Adds or replaces (Fits must hold).
  void Put(std::int64_t face_key, std::int64_t person_key, int shard);
  std::optional<Entry> Find(std::int64_t face_key) const;
  bool Erase(std::int64_t face_key);
  // Room for `count` entries without growing.
  void Reserve(std::size_t count);
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    std::int64_t key = 0;
    std::uint64_t value = 0;  // person key | shard << 48
  };
  static constexpr int kShardShift = 48;
  std::size_t Home(std::int64_t key) const;
  std::size_t SlotOf(std::int64_t key) const;  // npos when absent
  void Rehash(std::size_t capacity);

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace facekit::gallery
