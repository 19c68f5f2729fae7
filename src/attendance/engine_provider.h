// attendance/engine_provider.h - EngineProvider: the FaceEngine shared by the
// face nodes of a process, created on first use (so that a graph is validated
// without loading models) or handed in ready-made; likewise the FaceMesh
// (dense landmarks, its own model) of the nodes that need one. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "facekit/engine.h"
#include "facekit/face_mesh.h"

namespace facekit::attendance {

class EngineProvider {
 public:
  explicit EngineProvider(EngineOptions options) : options_(std::move(options)) {}
  /// A ready engine. `options` are what it was made with: nodes that load
  /// models of their own (the object detector, the face mesh) read the models
  /// folder and thread count there.
  explicit EngineProvider(std::shared_ptr<const FaceEngine> engine, EngineOptions options = {})
      : options_(std::move(options)), engine_(std::move(engine)) {}
  /// The engine, created at the first call; the creation error otherwise.
  Result<std::shared_ptr<const FaceEngine>> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!engine_) {
      auto created = FaceEngine::Create(options_);
      if (!created.ok()) return created.status();
      engine_ = std::shared_ptr<const FaceEngine>(std::move(*created));
    }
    return engine_;
  }
  const EngineOptions& options() const { return options_; }
  /// The face mesh, created at the first call (kNotFound when the models
  /// folder has no landmarks.mesh model).
  Result<std::shared_ptr<const FaceMesh>> Mesh() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!mesh_) {
      FaceMeshOptions o;
      o.models_dir = options_.models_dir;
      o.num_threads = options_.num_threads;
      auto created = FaceMesh::Create(o);
      if (!created.ok()) return created.status();
      mesh_ = std::shared_ptr<const FaceMesh>(std::move(*created));
    }
    return mesh_;
  }

 private:
  std::mutex mu_;
  EngineOptions options_;
  std::shared_ptr<const FaceEngine> engine_;
  std::shared_ptr<const FaceMesh> mesh_;
};

}  // namespace facekit::attendance
