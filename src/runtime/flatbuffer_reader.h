// flatbuffer_reader.h - bounds-checked reading of FlatBuffers binary data.
//
// WHAT THIS REPRESENTS
//   A minimal reader of the FlatBuffers wire format (tables with vtables,
//   vectors, strings, scalars), enough to read a TFLite model without the
//   generated code. Every access is checked against the buffer size; a bad
//   offset does not crash but marks the reader as failed (sticky), and the
//   caller checks failed() once after reading everything it needs.
//
// THREAD SAFETY
//   A reader and its tables are read-only views; do not share one reader
//   between threads while reading (the failure flag is not atomic).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace facekit::runtime {

class FlatBufferReader;

/// A table inside a FlatBufferReader's buffer. A default-constructed table is
/// "absent": every field reads as its default.
class FlatTable {
 public:
  FlatTable() = default;
  FlatTable(const FlatBufferReader* reader, uint32_t pos) : reader_(reader), pos_(pos) {}

  bool present() const { return reader_ != nullptr; }

  /// Scalar field `index` (0-based, in schema order) or `def` when absent.
  template <typename T>
  T Scalar(int index, T def) const;
  /// Sub-table field.
  FlatTable Table(int index) const;
  /// String field ("" when absent).
  std::string String(int index) const;
  /// Vector of scalars.
  template <typename T>
  std::vector<T> ScalarVector(int index) const;
  /// Vector of tables.
  std::vector<FlatTable> TableVector(int index) const;
  /// Vector of bytes as a view into the buffer (empty when absent).
  std::span<const uint8_t> ByteVector(int index) const;

 private:
  /// Absolute position of field `index`, or 0 when the field is absent.
  uint32_t FieldPos(int index) const;
  /// Follows the uoffset stored at field `index`; 0 when absent.
  uint32_t Indirect(int index) const;

  const FlatBufferReader* reader_ = nullptr;
  uint32_t pos_ = 0;
};

class FlatBufferReader {
 public:
  explicit FlatBufferReader(std::span<const uint8_t> data) : data_(data) {}

  /// The root table; marks failure when the buffer is too small.
  FlatTable Root() const;
  /// The 4-byte file identifier ("TFL3" for TFLite), or "" when too small.
  std::string_view Identifier() const;

  bool failed() const { return failed_; }
  size_t size() const { return data_.size(); }

  /// Reads a little-endian scalar at `pos`; marks failure and returns 0 when out of bounds.
  template <typename T>
  T Read(uint64_t pos) const {
    if (pos + sizeof(T) > data_.size()) {
      failed_ = true;
      return T{};
    }
    T v;
    std::memcpy(&v, data_.data() + pos, sizeof(T));
    return v;
  }
  /// True when [pos, pos+len) lies in the buffer; marks failure otherwise.
  bool Check(uint64_t pos, uint64_t len) const {
    if (pos > data_.size() || len > data_.size() - pos) {
      failed_ = true;
      return false;
    }
    return true;
  }
  const uint8_t* At(uint32_t pos) const { return data_.data() + pos; }
  void Fail() const { failed_ = true; }

 private:
  std::span<const uint8_t> data_;
  mutable bool failed_ = false;
};

template <typename T>
T FlatTable::Scalar(int index, T def) const {
  uint32_t p = FieldPos(index);
  if (p == 0) return def;
  return reader_->Read<T>(p);
}

template <typename T>
std::vector<T> FlatTable::ScalarVector(int index) const {
  std::vector<T> out;
  uint32_t v = Indirect(index);
  if (v == 0) return out;
  uint32_t n = reader_->Read<uint32_t>(v);
  if (n == 0 || !reader_->Check(uint64_t{v} + 4, uint64_t{n} * sizeof(T))) return out;
  out.resize(n);
  std::memcpy(out.data(), reader_->At(v + 4), uint64_t{n} * sizeof(T));
  return out;
}

}  // namespace facekit::runtime
