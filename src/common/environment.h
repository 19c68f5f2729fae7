// environment.h - a child process's environment: this one's with some
// variables set (ServeChild gives each `bench cluster` node its share of
// the cores this way).
//
// THREAD SAFETY
//   Reads `base` only; the caller keeps it unchanged meanwhile.
#pragma once

#include <string>
#include <vector>

namespace facekit {

/// `base` (a null-terminated "NAME=VALUE" array, e.g. `environ`) with each of
/// `set` ("NAME=VALUE") replacing the variable of the same name or added:
/// `set` first, in its order, then the rest of `base` in its order.
std::vector<std::string> EnvironmentWith(char* const* base, const std::vector<std::string>& set);

}  // namespace facekit
