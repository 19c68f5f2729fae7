// attendance/engine_provider.h - EngineProvider: the FaceEngine shared by the
// face nodes of a process, created on first use (so that a graph is validated
// without loading models) or handed in ready-made. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "facekit/engine.h"

namespace facekit::attendance {

class EngineProvider {
 public:
  explicit EngineProvider(EngineOptions options) : options_(std::move(options)) {}
  /// `options` are what the engine was made with (nodes that load models of
  /// their own read the models folder and thread count there).
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

 private:
  std::mutex mu_;
  EngineOptions options_;
  std::shared_ptr<const FaceEngine> engine_;
};

}  // namespace facekit::attendance
