// Opening a FaceKit data folder: DIR/gallery.db (the store) and DIR/index/
// (index snapshots), wired into a FaceService.
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
};

// Opens (creating it unless read_only) the data folder's gallery. Writers
// take the folder's DataFolderLock first: OpenFaceService does not, so that
// the owner can hold the lock across several opens.
Result<std::unique_ptr<FaceService>> OpenFaceService(const std::string& data_dir, const FaceEngine& engine,
                                                     DataDirOptions options = {});

}  // namespace facekit::service
