// Opening a FaceKit data folder: DIR/gallery.db (the store) and DIR/index/
// (index snapshots), wired into a FaceService. With `store_uri` the gallery
// lives in PostgreSQL instead (docs/scale-out.md) and the folder keeps only
// this node's index snapshots.
#pragma once

#include <memory>
#include <string>

#include "service/face_service.h"

namespace facekit::service {

struct DataDirOptions {
  gallery::IndexOptions index;
  ServiceOptions service;
  // Open for reading only: the folder must hold a gallery; nothing is
  // created, migrated or written (writes fail). Readers may run beside the
  // folder's owner (store/data_folder_lock.h).
  bool read_only = false;
  // "postgres://..." (store::IsPostgresUri): the gallery is that database's,
  // shared with every node opened on it; DIR/index/ still holds this node's
  // snapshots (none when the folder is ""). Empty: DIR/gallery.db.
  std::string store_uri;
  // Cluster nodes (docs/scale-out.md): the face indexes hold only the shards
  // this filter holds from the start, so that the node reads only those
  // vectors (gallery::GalleryOptions::index_filter).
  gallery::ShardFilter index_filter;
  // gallery::GalleryOptions::defer_person_structures.
  bool defer_person_structures = false;
  // gallery::GalleryOptions::resume_index_filter (DIR/index/shard-holdings).
  bool resume_index_filter = false;
  // gallery::GalleryOptions::grow_slice_ms (0: the gallery's default).
  int grow_slice_ms = 0;
};

// Opens (creating it unless read_only) the data folder's gallery. Writers
// take the folder's DataFolderLock first: OpenFaceService does not, so that
// the owner can hold the lock across several opens. With `store_uri` the
// database is created or migrated as needed and `data_dir` may be "".
Result<std::unique_ptr<FaceService>> OpenFaceService(const std::string& data_dir, const FaceEngine& engine,
                                                     DataDirOptions options = {});

}  // namespace facekit::service
