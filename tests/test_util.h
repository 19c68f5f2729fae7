// test_util.h - paths and helpers shared by the tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "facekit/engine.h"
#include "facekit/image.h"

namespace facekit::testing {

/// The checkout and the `facekit` binary of this build (tests/test_paths.cc:
/// the only object compiled with these absolute paths, so that every other
/// test object is the same in any clone and ccache shares it).
std::string SourceDir();
std::string CliPath();
inline std::string ModelsDir() { return SourceDir() + "/models"; }
/// ../shared/data next to the checkout (read in place, never copied).
inline std::string DataDir() { return SourceDir() + "/../shared/data"; }
inline std::string Photo(const std::string& name) { return DataDir() + "/faces/photos/" + name; }

/// One engine for the whole test binary (loading takes ~20 ms, but the
/// sanitizer build is slow and many tests need it).
inline const FaceEngine& SharedEngine() {
  static std::unique_ptr<FaceEngine> engine = [] {
    EngineOptions o;
    o.models_dir = ModelsDir();
    o.num_threads = 1;
    auto e = FaceEngine::Create(o);
    if (!e.ok()) {
      ADD_FAILURE() << "engine: " << e.status().ToString();
      std::abort();
    }
    return std::move(*e);
  }();
  return *engine;
}

inline Image MustLoad(const std::string& path) {
  auto img = LoadImageFile(path);
  if (!img.ok()) {
    ADD_FAILURE() << img.status().ToString();
    return {};
  }
  return std::move(*img);
}

}  // namespace facekit::testing


namespace facekit::testing {

/// A fresh empty folder under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("facekit-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace facekit::testing

#include <fcntl.h>
#include <spawn.h>

#include <cstdio>
#include <vector>

extern char** environ;

namespace facekit::testing {

/// A child process whose standard output the test reads.
struct ChildProcess {
  pid_t pid = -1;
  FILE* out = nullptr;
};

/// Starts args[0] with `args` (posix_spawn, same environment); its stdout is
/// readable from `out`, its stderr goes to /dev/null when `quiet_stderr`.
inline ChildProcess SpawnWithStdout(std::vector<std::string> args, bool quiet_stderr) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  if (quiet_stderr) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ChildProcess c;
  EXPECT_EQ(posix_spawn(&c.pid, args[0].c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  c.out = fdopen(fds[0], "r");
  return c;
}

}  // namespace facekit::testing
