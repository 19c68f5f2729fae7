// postgres_faces.h - reading face records back (FaceInfo) by key or by id,
// for a cluster node whose catalog keeps only its shards' face records
// (docs/scale-out.md, "Catalog split by shard"). Internal to src/store
// (postgres_store.cc).
#pragma once

#include <string>
#include <vector>

#include "facekit/status.h"
#include "store/gallery_store.h"
#include "store/postgres_runs.h"

namespace facekit::store::pg {

// The faces of the given keys, or of the given ids, in key order, with their
// other vectors' model versions and whether a crop is stored; 1,000 keys or
// ids a statement.
Result<std::vector<FaceInfo>> ReadFaceInfos(const QueryFn& query, const std::vector<std::int64_t>& keys);
Result<std::vector<FaceInfo>> ReadFaceInfos(const QueryFn& query, const std::vector<std::string>& ids);

}  // namespace facekit::store::pg
