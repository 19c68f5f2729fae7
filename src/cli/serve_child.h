// serve_child.h - `facekit serve` on 127.0.0.1 port 0 as a child process of a
// benchmark command (bench soak, bench load): started from this binary, its
// address read from the line it prints, killed with any signal.
//
// THREAD SAFETY
//   One thread.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>

#include "facekit/status.h"

namespace facekit::cli {

class ServeChild {
 public:
  ServeChild() = default;
  ~ServeChild() { Kill(9); }
  ServeChild(const ServeChild&) = delete;
  ServeChild& operator=(const ServeChild&) = delete;

  /// Runs `self --models=MODELS serve --data DATA --listen 127.0.0.1:0 --workers 2`
  /// with stderr appended to `log`; returns once it prints "serving on".
  Status Start(const std::string& self, const std::string& models, const std::string& data, const std::string& log);
  /// Sends `signal` and waits for the process to end (nothing when not running).
  void Kill(int signal);
  /// http://127.0.0.1:PORT once started.
  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  std::FILE* out_ = nullptr;
  std::string url_;
};

/// The path of the running facekit binary (/proc/self/exe).
Result<std::string> SelfPath();

}  // namespace facekit::cli
