// Files replaced whole or not at all, and still there after a power cut:
// written to a temporary name beside the target, fsynced, renamed over it,
// and the folder fsynced so that the rename itself is durable.
#pragma once

#include <string>
#include <string_view>

#include "facekit/status.h"

namespace facekit {

// `path` holds `bytes` (or, after a crash at any point, its previous content).
// The temporary file is PATH.tmp; it is removed when the write fails.
Status WriteFileDurably(const std::string& path, std::string_view bytes);

// fsync of the folder holding `path` (after a rename into it); best effort.
void SyncParentFolder(const std::string& path);

}  // namespace facekit
