// `facekit serve` as a child process for the tests that run the real binary:
// shell commands (`facekit keys create`), the server started on port 0, and
// the port it reports.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "test_util.h"

namespace facekit::testing {

// Runs a shell command, returning its exit status and standard output.
inline std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return {-1, ""};
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// `facekit serve --data DATA --listen 127.0.0.1:0 --workers 2 EXTRA...`.
inline ChildProcess SpawnServe(const std::string& data, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {FACEKIT_CLI_PATH, "--models=" + ModelsDir(), "serve", "--data", data,
                                   "--listen", "127.0.0.1:0", "--workers", "2"};
  args.insert(args.end(), extra.begin(), extra.end());
  return SpawnWithStdout(args, /*quiet_stderr=*/false);
}

// The port the server prints ("serving on SCHEME://127.0.0.1:PORT"); empty
// when it exits first.
inline std::string ServedPort(const ChildProcess& server, const std::string& scheme) {
  char line[512];
  std::string port;
  const std::string serving = "serving on " + scheme + "://127.0.0.1:";
  while (port.empty() && server.out != nullptr && std::fgets(line, sizeof(line), server.out)) {
    const std::string text = line;
    const auto at = text.find(serving);
    if (at == std::string::npos) continue;
    const auto begin = at + serving.size();
    const auto end = text.find_first_not_of("0123456789", begin);
    port = text.substr(begin, end - begin);
  }
  return port;
}

}  // namespace facekit::testing
