// pipeline/packet.h - the unit of data that flows along a graph's edges.
//
// WHAT THIS REPRESENTS
//   A Packet is an immutable, shared payload of one C++ type plus a timestamp
//   (int64 microseconds, the media position: capture time of a camera frame,
//   position in a file). Copying a Packet copies a shared pointer, never the
//   payload. An empty Packet (default-constructed) carries nothing.
//
//   Every payload type has a registered name ("Int64", "Image", ...) so that
//   node contracts and graph files can name types as strings. A type is
//   registered by specialising PacketTypeTraits, at global scope:
//
//     FACEKIT_PIPELINE_PACKET_TYPE(my::Frame, "Frame");
//
//   Get<T>() is checked: it returns nullptr when the packet holds another
//   type; GetOr<T>() returns a Status naming both types instead.
//
// THREAD SAFETY
//   Packets are values; the payload is const and may be read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "facekit/status.h"

namespace facekit::pipeline {

/// Microseconds; the media position of a packet.
using Timestamp = std::int64_t;

/// Specialise (through FACEKIT_PIPELINE_PACKET_TYPE) to give T a name.
template <typename T>
struct PacketTypeTraits;

namespace internal {
/// One distinct address per payload type: the packet's runtime type tag.
template <typename T>
inline constexpr char kPacketTypeTag = 0;
}  // namespace internal

class Packet {
 public:
  Packet() = default;

  /// A packet holding `value` at `timestamp`. T must be a registered type.
  template <typename T>
  static Packet Make(T value, Timestamp timestamp) {
    Packet p;
    p.payload_ = std::make_shared<const T>(std::move(value));
    p.tag_ = &internal::kPacketTypeTag<T>;
    p.type_name_ = PacketTypeTraits<T>::kName;
    p.timestamp_ = timestamp;
    return p;
  }

  bool empty() const { return payload_ == nullptr; }
  Timestamp timestamp() const { return timestamp_; }
  /// The registered name of the payload type; "" for an empty packet.
  std::string_view type_name() const { return type_name_; }

  /// The payload, or nullptr when empty or of another type.
  template <typename T>
  const T* Get() const {
    if (tag_ != &internal::kPacketTypeTag<T>) return nullptr;
    return static_cast<const T*>(payload_.get());
  }

  /// The payload, or kInvalidArgument naming the expected and actual types.
  template <typename T>
  Result<const T*> GetOr() const {
    if (const T* v = Get<T>()) return v;
    return Status(StatusCode::kInvalidArgument, "packet at " + std::to_string(timestamp_) + " holds " +
                                                    (empty() ? std::string("nothing") : std::string(type_name_)) +
                                                    ", expected " + std::string(PacketTypeTraits<T>::kName));
  }

  /// The same payload at another timestamp (no copy of the payload).
  Packet At(Timestamp timestamp) const {
    Packet p = *this;
    p.timestamp_ = timestamp;
    return p;
  }

 private:
  std::shared_ptr<const void> payload_;
  const void* tag_ = nullptr;
  std::string_view type_name_;
  Timestamp timestamp_ = 0;
};

}  // namespace facekit::pipeline

/// Registers C++ type T under NAME. Use at global scope, once per type.
#define FACEKIT_PIPELINE_PACKET_TYPE(T, NAME)       \
  template <>                                       \
  struct facekit::pipeline::PacketTypeTraits<T> {   \
    static constexpr std::string_view kName = NAME; \
  }

FACEKIT_PIPELINE_PACKET_TYPE(std::int64_t, "Int64");
FACEKIT_PIPELINE_PACKET_TYPE(double, "Double");
FACEKIT_PIPELINE_PACKET_TYPE(std::string, "String");
