// The web console's files (web/console/), compiled into the binary by
// cmake/embed_dir.cmake (the definition is generated at build time). Served
// at /console/ by the server (server.cc, static_site.h); docs/console.md.
#pragma once

#include <span>

#include "server/static_site.h"

namespace facekit::server {

/// Every file under web/console/, sorted by name; valid for the life of the program.
std::span<const StaticFile> ConsoleFiles();

/// Where the server serves them (without the trailing slash).
inline constexpr std::string_view kConsolePrefix = "/console";

}  // namespace facekit::server
