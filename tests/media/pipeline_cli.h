// media/pipeline_cli.h - runs `facekit pipeline run` (the built CLI) for tests.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

namespace facekit::testing {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `facekit --models M pipeline run ARGS`, stdout and stderr captured in `dir`.
inline CliRun RunPipelineCli(const std::string& args, const std::string& dir) {
  const std::string out = dir + "/cli.out", err = dir + "/cli.err";
  const std::string cmd = ::facekit::testing::CliPath() + " --models '" + ModelsDir() + "' pipeline run " + args +
                          " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadAll(out);
  r.err = ReadAll(err);
  return r;
}

}  // namespace facekit::testing
