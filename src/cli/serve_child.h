// serve_child.h - `facekit serve` on 127.0.0.1 port 0 as a child process of a
// benchmark command (bench soak, bench load): started from this binary, its
// address read from the line it prints, killed with any signal; and what
// such a benchmark prepares first (folder, key, photos).
//
// THREAD SAFETY
//   One thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::cli {

class ServeChild {
 public:
  ServeChild() = default;
  ~ServeChild() { Kill(9); }
  ServeChild(const ServeChild&) = delete;
  ServeChild& operator=(const ServeChild&) = delete;

  /// Runs `self --models=MODELS serve --data DATA --listen 127.0.0.1:0 --workers 2 EXTRA...`
  /// with stderr appended to `log` and this process's environment plus
  /// `env` ("NAME=VALUE", replacing a variable of the same name); returns
  /// once it prints "serving on".
  Status Start(const std::string& self, const std::string& models, const std::string& data, const std::string& log,
               const std::vector<std::string>& extra = {}, const std::vector<std::string>& env = {});
  /// Sends `signal` and waits for the process to end (nothing when not running).
  void Kill(int signal);
  /// http://127.0.0.1:PORT once started.
  const std::string& url() const { return url_; }
  /// The child's process id (-1 when not running).
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::FILE* out_ = nullptr;
  std::string url_;
};

/// The path of the running facekit binary (/proc/self/exe).
Result<std::string> SelfPath();

/// What a benchmark needs to start its own server: this binary, the models,
/// a folder (DIR/data for the server, DIR/serve.log) and an admin key.
struct BenchServerSetup {
  std::string self, models;
  std::filesystem::path dir;  ///< --data, or a new temporary folder
  bool temporary = false;     ///< `dir` was made here (remove it when done)
  std::string folder, log;    ///< DIR/data, DIR/serve.log
  std::string credential;     ///< "SecretId:SecretKey" of an admin key
};

/// Makes `data` (or /tmp/facekit-PREFIX-XXXXXX when empty) and an admin key
/// in it with `facekit keys create ... KEY_ARGS`.
Result<BenchServerSetup> PrepareBenchServer(const std::string& models, const std::string& data,
                                            const std::string& prefix, const std::string& key_args);

/// One person's photos, read from DIR/<person>/<photo>.
struct PhotoPerson {
  std::string name;
  std::vector<std::vector<std::uint8_t>> images;
};

/// The persons of `dir` (sorted by name) with at least `min_photos` images,
/// at most `limit` of them (0 = all); kNotFound when none.
Result<std::vector<PhotoPerson>> LoadPhotoPersons(const std::string& dir, std::size_t limit, std::size_t min_photos);


}  // namespace facekit::cli
