// id_table.h - id -> key in 8 bytes a slot (the catalog's faces and persons).
//
// WHAT IT IS FOR
//   The catalog finds a face or a person by its id (DeleteFace, GetFaceInfo,
//   every person operation). A std::unordered_map<std::string_view, key>
//   costs a 48-byte node and an 8-byte bucket a record; this open-addressing
//   table keeps only the record's key in its slot and reads the id from the
//   record itself (`IdOf`) to compare, about 11-16 bytes a record
//   (docs/gallery.md, "Catalog memory").
//
// HOW
//   Linear probing over a power-of-two array of keys (0: empty, -1: a
//   removed entry), at most 3/4 full counting removed entries; growing (or
//   clearing removed entries) rebuilds it from the caller's records. Keys
//   are positive (the store's). A key below 2^48 shares its slot with 15
//   bits of its id's hash (bits 48-62, never all zero), so a probe reads a
//   record (`IdOf`, a cache miss into the caller's map) only when those bits
//   match: about one read a lookup instead of one per occupied slot passed
//   (a growth of 10,000,000 ids took 3.2-3.7 s with a read each, docs/gallery.md).
//   A key of 2^48 or more turns the tags off for the table (rebuilt once,
//   every probe then compares ids).
//
// THREAD SAFETY
//   None: the catalog's locks guard it (reads under the shared lock, changes
//   under the exclusive one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace facekit::gallery {

class IdTable {
 public:
  // The id of a key the table holds (its record's).
  using IdOf = std::function<std::string_view(std::int64_t key)>;
  // Calls `add(key)` for every record to hold (a rebuild).
  using ForEach = std::function<void(const std::function<void(std::int64_t key)>& add)>;

  // 0 when no record has that id.
  std::int64_t Find(std::string_view id, const IdOf& id_of) const;
  // Maps `id` to `key`, replacing the record that had that id. `all` lists
  // every record the table should hold once this one is in (used when it grows).
  void Put(std::string_view id, std::int64_t key, const IdOf& id_of, const ForEach& all);
  // Removes `id` if it maps to `key`.
  void Erase(std::string_view id, std::int64_t key, const IdOf& id_of);
  // Room for `count` records without growing.
  void Reserve(std::size_t count, const IdOf& id_of, const ForEach& all);
  // Rebuilt from `all` alone (the records were replaced wholesale), sized
  // for `count` of them.
  void Reset(std::size_t count, const IdOf& id_of, const ForEach& all);
  std::size_t size() const { return live_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  static constexpr std::int64_t kRemoved = -1;
  static constexpr int kTagShift = 48;
  static constexpr std::int64_t kKeyMask = (std::int64_t{1} << kTagShift) - 1;
  // The slot's value for `key` of an id of hash `hash`, and the key in a live slot.
  std::int64_t Tagged(std::int64_t key, std::size_t hash) const;
  std::int64_t KeyIn(std::int64_t slot) const { return tags_ ? slot & kKeyMask : slot; }
  std::size_t SlotOf(std::string_view id, std::size_t hash, const IdOf& id_of) const;  // the id's slot, or npos
  void Rebuild(std::size_t capacity, const IdOf& id_of, const ForEach& all);
  void Insert(std::size_t hash, std::int64_t key);  // room is there; id not held

  std::vector<std::int64_t> slots_;
  std::size_t live_ = 0;
  std::size_t used_ = 0;  // live + removed
  bool tags_ = true;      // off once a key too large for a tag came
};

}  // namespace facekit::gallery
