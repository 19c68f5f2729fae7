// compact_string.h - an immutable string in 24 bytes that keeps up to 23
// characters inline.
//
// WHAT IT IS FOR
//   Catalog records held by the million (docs/gallery.md, "Catalog memory").
//   libstdc++'s std::string is 32 bytes and keeps at most 15 characters
//   inline, so a cloud FaceId (19 decimal digits) costs 32 bytes plus a
//   32-byte heap block; here it is 24 bytes and no heap block. Longer
//   strings go to the heap (exactly their length).
//
// THREAD SAFETY
//   A value type: const use from several threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>

namespace facekit {

class CompactString {
 public:
  static constexpr std::size_t kInline = 23;

  CompactString() { bytes_[kInline] = 0; }
  explicit CompactString(std::string_view s) { Assign(s); }
  CompactString(const CompactString& other) { Assign(other.view()); }
  CompactString(CompactString&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[kInline] = 0;  // inline and empty: nothing to free
  }
  CompactString& operator=(const CompactString& other) {
    if (this != &other) {
      CompactString copy(other);
      *this = std::move(copy);
    }
    return *this;
  }
  CompactString& operator=(CompactString&& other) noexcept {
    if (this != &other) {
      Free();
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
      other.bytes_[kInline] = 0;
    }
    return *this;
  }
  ~CompactString() { Free(); }

  std::string_view view() const {
    if (!on_heap()) return {bytes_, static_cast<std::size_t>(static_cast<unsigned char>(bytes_[kInline]))};
    const char* p = nullptr;
    std::uint64_t n = 0;
    std::memcpy(&p, bytes_, sizeof p);
    std::memcpy(&n, bytes_ + sizeof p, sizeof n);
    return {p, static_cast<std::size_t>(n)};
  }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor): a string's view
  std::string str() const { return std::string(view()); }
  bool empty() const { return view().empty(); }
  std::size_t size() const { return view().size(); }
  bool on_heap() const { return static_cast<unsigned char>(bytes_[kInline]) == kHeap; }

  friend bool operator==(const CompactString& a, std::string_view b) { return a.view() == b; }
  friend std::string operator+(const std::string& a, const CompactString& b) { return a + std::string(b.view()); }
  friend std::string operator+(const CompactString& a, const std::string& b) { return std::string(a.view()) + b; }
  friend std::ostream& operator<<(std::ostream& os, const CompactString& s) { return os << s.view(); }

 private:
  static constexpr unsigned char kHeap = 0xFF;

  void Assign(std::string_view s) {
    if (s.size() <= kInline) {
      std::memcpy(bytes_, s.data(), s.size());
      bytes_[kInline] = static_cast<char>(s.size());
      return;
    }
    char* p = new char[s.size()];
    std::memcpy(p, s.data(), s.size());
    const std::uint64_t n = s.size();
    std::memcpy(bytes_, &p, sizeof p);
    std::memcpy(bytes_ + sizeof p, &n, sizeof n);
    bytes_[kInline] = static_cast<char>(kHeap);
  }
  void Free() {
    if (!on_heap()) return;
    char* p = nullptr;
    std::memcpy(&p, bytes_, sizeof p);
    delete[] p;
    bytes_[kInline] = 0;
  }

  alignas(8) char bytes_[kInline + 1] = {};  // all set: a move copies the whole buffer
};

static_assert(sizeof(CompactString) == 24);

}  // namespace facekit
