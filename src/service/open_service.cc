#include "service/open_service.h"

#include <filesystem>

#include "store/sqlite_store.h"

namespace facekit::service {

Result<std::unique_ptr<FaceService>> OpenFaceService(const std::string& data_dir, const FaceEngine& engine,
                                                     DataDirOptions options) {
  if (data_dir.empty()) return Status(StatusCode::kInvalidArgument, "no data folder given (--data DIR)");
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + data_dir + ": " + ec.message());
  const std::filesystem::path dir(data_dir);
  FACEKIT_ASSIGN_OR_RETURN(auto store, store::OpenSqliteStore((dir / "gallery.db").string()));
  gallery::GalleryOptions go;
  go.dim = engine.embedding_dim();
  go.index = options.index;
  go.snapshot_dir = (dir / "index").string();
  FACEKIT_ASSIGN_OR_RETURN(auto gallery, gallery::Gallery::Open(std::move(store), go));
  return std::make_unique<FaceService>(engine, std::move(gallery), std::move(options.service));
}

}  // namespace facekit::service
