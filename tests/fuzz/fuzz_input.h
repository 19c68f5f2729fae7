// Helpers shared by the fuzz targets (tests/fuzz/*_fuzz.cc, docs/fuzzing.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace facekit::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits `text` at every `sep`, keeping empty pieces; at most `max_pieces`
// (the last piece keeps the rest, separators included).
inline std::vector<std::string_view> Split(std::string_view text, std::string_view sep, std::size_t max_pieces) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_pieces) {
    const auto at = text.find(sep);
    if (at == std::string_view::npos) break;
    out.push_back(text.substr(0, at));
    text.remove_prefix(at + sep.size());
  }
  out.push_back(text);
  return out;
}

// A finding the sanitizers would not see (a broken invariant): abort, so
// libFuzzer keeps the input as a crash artefact.
[[noreturn]] inline void Fail() { __builtin_trap(); }

}  // namespace facekit::fuzz
