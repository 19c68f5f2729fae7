#include "runtime/flatbuffer_reader.h"

namespace facekit::runtime {

FlatTable FlatBufferReader::Root() const {
  if (data_.size() < 8) {
    failed_ = true;
    return {};
  }
  uint32_t root = Read<uint32_t>(0);
  if (!Check(root, 4)) return {};
  return FlatTable(this, root);
}

std::string_view FlatBufferReader::Identifier() const {
  if (data_.size() < 8) return {};
  return {reinterpret_cast<const char*>(data_.data() + 4), 4};
}

uint32_t FlatTable::FieldPos(int index) const {
  if (reader_ == nullptr) return 0;
  // The table starts with a signed offset back to its vtable.
  int64_t vtable = int64_t{pos_} - reader_->Read<int32_t>(pos_);
  if (vtable < 0 || !reader_->Check(static_cast<uint64_t>(vtable), 4)) return 0;
  uint16_t vsize = reader_->Read<uint16_t>(static_cast<uint64_t>(vtable));
  uint32_t slot = 4 + 2 * static_cast<uint32_t>(index);
  if (slot + 2 > vsize) return 0;  // field newer than the writer's schema
  uint16_t off = reader_->Read<uint16_t>(static_cast<uint64_t>(vtable) + slot);
  if (off == 0) return 0;
  uint64_t p = uint64_t{pos_} + off;
  if (!reader_->Check(p, 1)) return 0;
  return static_cast<uint32_t>(p);
}

uint32_t FlatTable::Indirect(int index) const {
  uint32_t p = FieldPos(index);
  if (p == 0) return 0;
  uint64_t target = uint64_t{p} + reader_->Read<uint32_t>(p);
  if (!reader_->Check(target, 4)) return 0;
  return static_cast<uint32_t>(target);
}

FlatTable FlatTable::Table(int index) const {
  uint32_t t = Indirect(index);
  if (t == 0) return {};
  return FlatTable(reader_, t);
}

std::string FlatTable::String(int index) const {
  uint32_t s = Indirect(index);
  if (s == 0) return {};
  uint32_t n = reader_->Read<uint32_t>(s);
  if (!reader_->Check(uint64_t{s} + 4, n)) return {};
  return {reinterpret_cast<const char*>(reader_->At(s + 4)), n};
}

std::vector<FlatTable> FlatTable::TableVector(int index) const {
  std::vector<FlatTable> out;
  uint32_t v = Indirect(index);
  if (v == 0) return out;
  uint32_t n = reader_->Read<uint32_t>(v);
  if (!reader_->Check(uint64_t{v} + 4, uint64_t{n} * 4)) return out;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t slot = uint64_t{v} + 4 + uint64_t{i} * 4;
    uint64_t t = slot + reader_->Read<uint32_t>(slot);
    if (!reader_->Check(t, 4)) return {};
    out.emplace_back(reader_, static_cast<uint32_t>(t));
  }
  return out;
}

std::span<const uint8_t> FlatTable::ByteVector(int index) const {
  uint32_t v = Indirect(index);
  if (v == 0) return {};
  uint32_t n = reader_->Read<uint32_t>(v);
  if (!reader_->Check(uint64_t{v} + 4, n)) return {};
  return {reader_->At(v + 4), n};
}

}  // namespace facekit::runtime
