// `facekit serve` as a child process on 127.0.0.1 port 0, for tests that
// drive the real binary (the CLI against a server, the official SDKs), and a
// shell command runner.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

namespace facekit::testing {

/// Runs a shell command; its exit status and standard output.
inline std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return {-1, ""};
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

/// A running `facekit serve --data DATA --listen 127.0.0.1:0`.
class ServeProcess {
 public:
  /// Starts the server and reads the port it prints ("serving on SCHEME://127.0.0.1:PORT").
  /// port() is empty when it did not start.
  ServeProcess(const std::string& data, const std::vector<std::string>& extra, const std::string& scheme = "http") {
    std::vector<std::string> args = {::facekit::testing::CliPath(), "--models=" + ModelsDir(), "serve", "--data", data,
                                     "--listen", "127.0.0.1:0", "--workers", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = SpawnWithStdout(args, /*quiet_stderr=*/false);
    if (child_.out == nullptr) return;
    char line[512];
    const std::string serving = "serving on " + scheme + "://127.0.0.1:";
    while (port_.empty() && std::fgets(line, sizeof(line), child_.out)) {
      const std::string text = line;
      const auto at = text.find(serving);
      if (at == std::string::npos) continue;
      const auto begin = at + serving.size();
      port_ = text.substr(begin, text.find_first_not_of("0123456789", begin) - begin);
    }
  }
  ~ServeProcess() {
    if (child_.pid > 0) Stop(SIGKILL);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  const std::string& port() const { return port_; }
  pid_t pid() const { return child_.pid; }
  std::string url() const { return "http://127.0.0.1:" + port_; }

  /// Sends `signal` and waits: the raw wait status (-1 when already stopped).
  int Stop(int signal = SIGTERM) {
    if (child_.pid <= 0) return -1;
    ::kill(child_.pid, signal);
    int status = 0;
    ::waitpid(child_.pid, &status, 0);
    child_.pid = -1;
    if (child_.out) std::fclose(child_.out);
    child_.out = nullptr;
    return status;
  }

 private:
  ChildProcess child_;
  std::string port_;
};

}  // namespace facekit::testing
