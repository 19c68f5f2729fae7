// The embedded default store: one SQLite file in WAL mode with synchronous=FULL,
// so a committed batch is on disk before Apply returns.
#pragma once

#include <memory>
#include <string>

#include "store/gallery_store.h"

namespace facekit::store {

// The schema version this build writes; older files are migrated on open,
// newer ones refused (kFailedPrecondition).
inline constexpr int kSqliteSchemaVersion = 2;

// Opens (creating if needed) the database file at `path`. `read_only`: the
// file must exist and be at this build's schema version; every Apply fails.
Result<std::unique_ptr<GalleryStore>> OpenSqliteStore(const std::string& path, bool read_only = false);

}  // namespace facekit::store
