#include "gallery/face_directory.h"

#include <utility>

namespace facekit::gallery {

namespace {
constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr std::int64_t kKeyLimit = std::int64_t{1} << 48;
}  // namespace

bool FaceDirectory::Fits(std::int64_t face_key, std::int64_t person_key, int shard) {
  return face_key > 0 && face_key < kKeyLimit && person_key > 0 && person_key < kKeyLimit && shard >= 0 &&
         shard < (1 << 16);
}

std::size_t FaceDirectory::Home(std::int64_t key) const {
  std::uint64_t h = static_cast<std::uint64_t>(key) + 0x9E3779B97F4A7C15ull;  // splitmix64
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  h ^= h >> 31;
  return static_cast<std::size_t>(h) & (slots_.size() - 1);
}

std::size_t FaceDirectory::SlotOf(std::int64_t key) const {
  if (slots_.empty() || key <= 0) return kNone;  // 0 marks an empty slot
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Home(key);; i = (i + 1) & mask) {
    if (slots_[i].key == key) return i;
    if (slots_[i].key == 0) return kNone;
  }
}

std::optional<FaceDirectory::Entry> FaceDirectory::Find(std::int64_t face_key) const {
  const std::size_t i = SlotOf(face_key);
  if (i == kNone) return std::nullopt;
  const std::uint64_t v = slots_[i].value;
  return Entry{static_cast<std::int64_t>(v & ((std::uint64_t{1} << kShardShift) - 1)),
               static_cast<int>(v >> kShardShift)};
}

void FaceDirectory::Put(std::int64_t face_key, std::int64_t person_key, int shard) {
  if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.empty() ? 16 : slots_.size() * 2);
  const std::uint64_t value = static_cast<std::uint64_t>(person_key) | static_cast<std::uint64_t>(shard) << kShardShift;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = Home(face_key);; i = (i + 1) & mask) {
    if (slots_[i].key == face_key) {
      slots_[i].value = value;
      return;
    }
    if (slots_[i].key == 0) {
      slots_[i] = {face_key, value};
      ++size_;
      return;
    }
  }
}

bool FaceDirectory::Erase(std::int64_t face_key) {
  std::size_t hole = SlotOf(face_key);
  if (hole == kNone) return false;
  const std::size_t mask = slots_.size() - 1;
  // Backward shift: an entry after the hole moves into it unless its home
  // lies cyclically in (hole, its slot].
  for (std::size_t i = (hole + 1) & mask; slots_[i].key != 0; i = (i + 1) & mask) {
    const std::size_t home = Home(slots_[i].key);
    const bool stays = hole < i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (stays) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole] = {};
  --size_;
  return true;
}

void FaceDirectory::Reserve(std::size_t count) {
  std::size_t capacity = slots_.empty() ? 16 : slots_.size();
  while (count * 4 > capacity * 3) capacity *= 2;
  if (capacity != slots_.size()) Rehash(capacity);
}

void FaceDirectory::Rehash(std::size_t capacity) {
  std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  const std::size_t mask = capacity - 1;
  for (const Slot& s : old) {
    if (s.key == 0) continue;
    std::size_t i = Home(s.key);
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace facekit::gallery
