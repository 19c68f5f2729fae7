// snapshot_checksum.h - the checksum of VectorIndex snapshot files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace facekit::gallery::index_detail {

// The snapshot files' streaming 64-bit checksum (vector_index_snapshot.cc);
// the writer and reader feed the same field sequence, so chunk boundaries
// agree. Here so that tests can write crafted files that pass it.
class SnapshotChecksum {
 public:
  void Update(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 29;
    }
    for (; i < size; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
    value_ = (value_ ^ h) * 0xC4CEB9FE1A85EC53ull + 0x165667B19E3779F9ull;
  }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0xCBF29CE484222325ull;
};

}  // namespace facekit::gallery::index_detail
