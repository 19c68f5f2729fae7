// Standard base64 (RFC 4648, with padding).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace facekit {

std::string Base64Encode(std::span<const std::uint8_t> bytes);
// nullopt for characters outside the alphabet, bad padding or a length that
// is not a multiple of 4. ASCII whitespace is ignored.
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);

}  // namespace facekit
