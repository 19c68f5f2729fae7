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
//   are positive (the store's).
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
  std::size_t size() const { return live_; }
  std::size_t capacity() const { return slots_.size(); }

 private:
  static constexpr std::int64_t kRemoved = -1;
  std::size_t SlotOf(std::string_view id, const IdOf& id_of) const;  // the id's slot, or npos
  void Rebuild(std::size_t capacity, const IdOf& id_of, const ForEach& all);
  void Insert(std::string_view id, std::int64_t key);  // room is there; id not held

  std::vector<std::int64_t> slots_;
  std::size_t live_ = 0;
  std::size_t used_ = 0;  // live + removed
};

}  // namespace facekit::gallery
