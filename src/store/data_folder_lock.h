// One owner per data folder.
//
// WHAT THIS REPRESENTS
//   A FaceKit data folder (gallery.db, index/, keys.db) is written by one
//   process at a time: `facekit serve`, or a CLI command that changes the
//   gallery. Each process keeps its own in-memory indexes, so a second writer
//   would split the state (its changes invisible to the first until a
//   restart). DataFolderLock makes the rule hold: the owner holds an
//   exclusive advisory lock (flock) on DIR/facekit.lock, which the kernel
//   releases when the process ends, kill -9 included, so a lock never goes
//   stale; the file records who holds it (pid, command, the server's address),
//   so another process can say who and what to do instead.
//
//   Readers (search, list, export) need no lock: they open the store
//   read-only and see what was committed when they opened it. keys.db is not
//   covered: `facekit keys` changes it beside a running server, which reads
//   every change (docs/api-reference.md).
//
// THREAD SAFETY
//   A DataFolderLock is used by one thread at a time. Acquire from two
//   threads of one process conflicts like two processes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "facekit/status.h"

namespace facekit::store {

// Who holds a data folder.
struct FolderOwner {
  long pid = 0;
  std::string command;   // e.g. "facekit serve", "facekit gallery enroll"
  std::string address;   // the server's base URL once it listens ("" for other commands)
  std::int64_t started_ms = 0;  // unix milliseconds
};

class DataFolderLock {
 public:
  // The lock file inside a data folder.
  static constexpr const char* kFileName = "facekit.lock";

  // Creates `dir` if needed and takes its lock for `owner` (pid and start
  // time are filled in when 0). kFailedPrecondition when another process
  // holds it, with a message naming that owner and, for a server, how to
  // reach it instead; kIoError when the lock file cannot be created.
  static Result<std::unique_ptr<DataFolderLock>> Acquire(const std::string& dir, FolderOwner owner);

  // The owner recorded in `dir`, if some process holds its lock now.
  static std::optional<FolderOwner> CurrentOwner(const std::string& dir);

  ~DataFolderLock();
  DataFolderLock(const DataFolderLock&) = delete;
  DataFolderLock& operator=(const DataFolderLock&) = delete;

  // Rewrites the recorded owner (the server adds its address once it listens).
  Status Update(const FolderOwner& owner);
  const FolderOwner& owner() const { return owner_; }

 private:
  DataFolderLock(int fd, std::string path, FolderOwner owner);
  int fd_;
  std::string path_;
  FolderOwner owner_;
};

// "data folder D is in use by `facekit serve` (pid 12, since ..., serving URL)".
std::string DescribeOwner(const std::string& dir, const FolderOwner& owner);

}  // namespace facekit::store
