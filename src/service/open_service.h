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
};

Result<std::unique_ptr<FaceService>> OpenFaceService(const std::string& data_dir, const FaceEngine& engine,
                                                     DataDirOptions options = {});

}  // namespace facekit::service
