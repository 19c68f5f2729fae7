#include "cli/serve_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

extern char** environ;

namespace facekit::cli {

Status ServeChild::Start(const std::string& self, const std::string& models, const std::string& data,
                         const std::string& log) {
  Kill(SIGKILL);
  int fds[2];
  if (::pipe(fds) != 0) return Status(StatusCode::kInternal, "pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<std::string> args = {self, "--models=" + models, "serve", "--data", data, "--listen", "127.0.0.1:0",
                                   "--workers", "2"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, self.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    pid_ = -1;
    return Status(StatusCode::kInternal, "cannot start " + self);
  }
  out_ = ::fdopen(fds[0], "r");
  char line[512];
  const std::string serving = "serving on http://127.0.0.1:";
  while (std::fgets(line, sizeof(line), out_)) {
    const std::string text = line;
    const auto at = text.find(serving);
    if (at == std::string::npos) continue;
    const auto begin = at + serving.size();
    url_ = "http://127.0.0.1:" + text.substr(begin, text.find_first_not_of("0123456789", begin) - begin);
    return Status::Ok();
  }
  Kill(SIGKILL);
  return Status(StatusCode::kInternal, "the server did not start; its messages are in " + log);
}

void ServeChild::Kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (out_) std::fclose(out_);
  out_ = nullptr;
}

Result<std::string> SelfPath() {
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return Status(StatusCode::kInternal, "cannot find the facekit binary: " + ec.message());
  return self;
}

}  // namespace facekit::cli
