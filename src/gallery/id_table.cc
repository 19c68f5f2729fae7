#include "gallery/id_table.h"

#include <algorithm>
#include <bit>

namespace facekit::gallery {

namespace {
constexpr std::size_t kNpos = static_cast<std::size_t>(-1);
std::size_t HashOf(std::string_view id) { return std::hash<std::string_view>{}(id); }
}  // namespace

std::int64_t IdTable::Tagged(std::int64_t key, std::size_t hash) const {
  if (!tags_) return key;
  // The hash's top 15 bits (the slot index uses its low bits), never 0.
  const auto tag = static_cast<std::int64_t>((hash >> 49) | 1);
  return key | (tag << kTagShift);
}

std::size_t IdTable::SlotOf(std::string_view id, std::size_t hash, const IdOf& id_of) const {
  if (slots_.empty()) return kNpos;
  const std::size_t mask = slots_.size() - 1;
  const std::int64_t tag = Tagged(1, hash) & ~kKeyMask;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const std::int64_t slot = slots_[i];
    if (slot == 0) return kNpos;
    if (slot == kRemoved) continue;
    if (tags_ && (slot & ~kKeyMask) != tag) continue;  // another id: no record read
    if (id_of(KeyIn(slot)) == id) return i;
  }
}

std::int64_t IdTable::Find(std::string_view id, const IdOf& id_of) const {
  const std::size_t slot = SlotOf(id, HashOf(id), id_of);
  return slot == kNpos ? 0 : KeyIn(slots_[slot]);
}

void IdTable::Insert(std::size_t hash, std::int64_t key) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i] != 0 && slots_[i] != kRemoved) i = (i + 1) & mask;
  if (slots_[i] == 0) ++used_;
  slots_[i] = Tagged(key, hash);
  ++live_;
}

void IdTable::Rebuild(std::size_t capacity, const IdOf& id_of, const ForEach& all) {
  slots_.assign(capacity, 0);
  slots_.shrink_to_fit();
  live_ = used_ = 0;
  bool untaggable = false;  // a key too large for a tag: again without tags
  all([&](std::int64_t key) {
    if (untaggable || (tags_ && key > kKeyMask)) {
      untaggable = true;
      return;
    }
    const std::string_view id = id_of(key);
    const std::size_t hash = HashOf(id);
    if (const std::size_t slot = SlotOf(id, hash, id_of); slot != kNpos) {
      slots_[slot] = Tagged(key, hash);  // two records of one id: the later one, as Put
    } else {
      Insert(hash, key);
    }
  });
  if (untaggable) {
    tags_ = false;
    Rebuild(capacity, id_of, all);
  }
}

void IdTable::Put(std::string_view id, std::int64_t key, const IdOf& id_of, const ForEach& all) {
  if (tags_ && key > kKeyMask) {
    // No room for a tag: every id compared from now on. `all` has this
    // record: the rebuild puts it in.
    tags_ = false;
    Rebuild(std::bit_ceil(std::max<std::size_t>({16, slots_.size(), (live_ + 1) * 2})), id_of, all);
    return;
  }
  const std::size_t hash = HashOf(id);
  if (const std::size_t slot = SlotOf(id, hash, id_of); slot != kNpos) {
    slots_[slot] = Tagged(key, hash);  // the id's new record
    return;
  }
  if ((used_ + 1) * 4 > slots_.size() * 3) {
    // Grown to twice the live entries (at least 16) and rebuilt from the
    // records, which now include this one: done.
    Rebuild(std::bit_ceil(std::max<std::size_t>(16, (live_ + 1) * 2)), id_of, all);
    if (SlotOf(id, hash, id_of) != kNpos) return;
  }
  Insert(hash, key);
}

void IdTable::Erase(std::string_view id, std::int64_t key, const IdOf& id_of) {
  const std::size_t slot = SlotOf(id, HashOf(id), id_of);
  if (slot == kNpos || KeyIn(slots_[slot]) != key) return;
  // A removed mark keeps later entries of the probe chain reachable; an
  // empty next slot ends the chain, so this one may be emptied too.
  if (slots_[(slot + 1) & (slots_.size() - 1)] == 0) {
    slots_[slot] = 0;
    --used_;
  } else {
    slots_[slot] = kRemoved;
  }
  --live_;
}

void IdTable::Reserve(std::size_t count, const IdOf& id_of, const ForEach& all) {
  const std::size_t want = std::bit_ceil(std::max<std::size_t>(16, count + count / 3 + 1));
  if (want > slots_.size()) Rebuild(want, id_of, all);
}

void IdTable::Reset(std::size_t count, const IdOf& id_of, const ForEach& all) {
  Rebuild(std::bit_ceil(std::max<std::size_t>(16, count + count / 3 + 1)), id_of, all);
}

}  // namespace facekit::gallery
