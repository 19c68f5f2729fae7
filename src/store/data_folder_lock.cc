#include "store/data_folder_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace facekit::store {

namespace {

std::string LockPath(const std::string& dir) { return (std::filesystem::path(dir) / DataFolderLock::kFileName).string(); }

std::string ReadAll(int fd) {
  std::string text;
  char buf[4096];
  off_t at = 0;
  for (;;) {
    const ssize_t n = pread(fd, buf, sizeof(buf), at);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    at += n;
    if (text.size() > (1 << 16)) break;  // not ours if this large
  }
  return text;
}

FolderOwner ParseOwner(const std::string& text) {
  FolderOwner o;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return o;
  o.pid = j.value("pid", 0L);
  o.command = j.value("command", std::string());
  o.address = j.value("address", std::string());
  o.started_ms = j.value("started_ms", std::int64_t{0});
  return o;
}

std::string OwnerJson(const FolderOwner& o) {
  return nlohmann::json{{"pid", o.pid}, {"command", o.command}, {"address", o.address}, {"started_ms", o.started_ms}}
             .dump() +
         "\n";
}

std::string UtcTime(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

std::string DescribeOwner(const std::string& dir, const FolderOwner& o) {
  std::string s = "data folder " + dir + " is in use by ";
  s += o.command.empty() ? std::string("another process") : "`" + o.command + "`";
  std::string details;
  if (o.pid > 0) details += "pid " + std::to_string(o.pid);
  if (o.started_ms > 0) details += (details.empty() ? "" : ", ") + std::string("since ") + UtcTime(o.started_ms);
  if (!o.address.empty()) details += (details.empty() ? "" : ", ") + std::string("serving ") + o.address;
  if (!details.empty()) s += " (" + details + ")";
  return s;
}

DataFolderLock::DataFolderLock(int fd, std::string path, FolderOwner owner)
    : fd_(fd), path_(std::move(path)), owner_(std::move(owner)) {}

DataFolderLock::~DataFolderLock() {
  if (fd_ >= 0) {
    // Clear the record first: a reader that finds the file unlocked ignores it anyway.
    if (ftruncate(fd_, 0) != 0) {
      // Nothing to do: the lock itself goes with the descriptor.
    }
    flock(fd_, LOCK_UN);
    close(fd_);
  }
}

Result<std::unique_ptr<DataFolderLock>> DataFolderLock::Acquire(const std::string& dir, FolderOwner owner) {
  if (dir.empty()) return Status(StatusCode::kInvalidArgument, "no data folder given (--data DIR)");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + dir + ": " + ec.message());
  const std::string path = LockPath(dir);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status(StatusCode::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const FolderOwner holder = ParseOwner(ReadAll(fd));
    close(fd);
    if (err != EWOULDBLOCK) return Status(StatusCode::kIoError, "cannot lock " + path + ": " + std::strerror(err));
    std::string message = DescribeOwner(dir, holder) + ". One process writes a data folder";
    if (!holder.address.empty()) {
      message += ": run this command against that server with --server " + holder.address +
                 " --key SECRETID:SECRETKEY (facekit keys create --data " + dir + " makes a key), or stop it first";
    } else {
      message += ": wait for it to finish, or stop it first";
    }
    return Status(StatusCode::kFailedPrecondition, message);
  }
  if (owner.pid == 0) owner.pid = static_cast<long>(getpid());
  if (owner.started_ms == 0) {
    owner.started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  }
  std::unique_ptr<DataFolderLock> lock(new DataFolderLock(fd, path, owner));
  FACEKIT_RETURN_IF_ERROR(lock->Update(owner));
  return lock;
}

Status DataFolderLock::Update(const FolderOwner& owner) {
  owner_ = owner;
  const std::string text = OwnerJson(owner);
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return Status(StatusCode::kIoError, "cannot write " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::optional<FolderOwner> DataFolderLock::CurrentOwner(const std::string& dir) {
  const int fd = open(LockPath(dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<FolderOwner> out;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    out = ParseOwner(ReadAll(fd));
  }
  close(fd);
  return out;
}

}  // namespace facekit::store
