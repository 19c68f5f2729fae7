#include "service/open_service.h"

#include <filesystem>

#include "service/model_versions.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace facekit::service {

Result<std::unique_ptr<FaceService>> OpenFaceService(const std::string& data_dir, const FaceEngine& engine,
                                                     DataDirOptions options) {
  const std::filesystem::path dir(data_dir);
  std::error_code ec;
  std::unique_ptr<store::GalleryStore> store;
  if (!options.store_uri.empty()) {
    if (!store::IsPostgresUri(options.store_uri)) {
      return Status(StatusCode::kInvalidArgument,
                    "--store takes a PostgreSQL URI (postgres://USER@HOST/DB or postgresql:///DB?host=/SOCKET/DIR)");
    }
    if (!data_dir.empty() && !options.read_only) {
      std::filesystem::create_directories(data_dir, ec);
      if (ec) return Status(StatusCode::kIoError, "cannot create " + data_dir + ": " + ec.message());
    }
    FACEKIT_ASSIGN_OR_RETURN(store, store::OpenPostgresStore(options.store_uri));
  } else {
    if (data_dir.empty()) return Status(StatusCode::kInvalidArgument, "no data folder given (--data DIR)");
    if (options.read_only) {
      if (!std::filesystem::exists(dir / "gallery.db", ec)) {
        return Status(StatusCode::kNotFound, "no gallery in " + data_dir + " (" + (dir / "gallery.db").string() +
                                                 " does not exist); enrol faces or create a group first");
      }
    } else {
      std::filesystem::create_directories(data_dir, ec);
      if (ec) return Status(StatusCode::kIoError, "cannot create " + data_dir + ": " + ec.message());
    }
    FACEKIT_ASSIGN_OR_RETURN(store, store::OpenSqliteStore((dir / "gallery.db").string(), options.read_only));
  }
  gallery::GalleryOptions go;
  go.dim = engine.embedding_dim();
  go.primary_version = options.service.face_model_version;
  // Dimensions of the other versions' vectors, loaded or not (a group of a
  // version whose embedder is not loaded opens, and its searches are refused).
  for (const auto& v : ModelVersions()) {
    if (v.name != go.primary_version) go.other_dims[v.name] = v.dim;
  }
  go.index = options.index;
  go.snapshot_dir = data_dir.empty() ? std::string() : (dir / "index").string();
  go.read_only = options.read_only;
  go.index_filter = std::move(options.index_filter);
  go.defer_person_structures = options.defer_person_structures;
  go.resume_index_filter = options.resume_index_filter;
  if (options.grow_slice_ms > 0) go.grow_slice_ms = options.grow_slice_ms;
  FACEKIT_ASSIGN_OR_RETURN(auto gallery, gallery::Gallery::Open(std::move(store), go));
  return std::make_unique<FaceService>(engine, std::move(gallery), std::move(options.service));
}

}  // namespace facekit::service
