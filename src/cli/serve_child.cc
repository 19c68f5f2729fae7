#include "cli/serve_child.h"

#include "cli/cli_common.h"
#include "common/environment.h"
#include "facekit/image.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

extern char** environ;

namespace facekit::cli {

Status ServeChild::Start(const std::string& self, const std::string& models, const std::string& data,
                         const std::string& log, const std::vector<std::string>& extra,
                         const std::vector<std::string>& env) {
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
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> vars = EnvironmentWith(environ, env);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid_, self.c_str(), &actions, nullptr, argv.data(), envp.data());
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

Result<BenchServerSetup> PrepareBenchServer(const std::string& models, const std::string& data,
                                            const std::string& prefix, const std::string& key_args) {
  BenchServerSetup b;
  FACEKIT_ASSIGN_OR_RETURN(b.self, SelfPath());
  b.models = models;
  std::error_code ec;
  if (data.empty()) {
    std::string tmpl = "/tmp/facekit-" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Status(StatusCode::kInternal, "cannot make a temporary folder");
    b.dir = tmpl;
    b.temporary = true;
  } else if (b.dir = data; std::filesystem::create_directories(b.dir, ec), ec) {
    return Status(StatusCode::kInvalidArgument, "cannot make --data " + data + ": " + ec.message());
  }
  b.folder = (b.dir / "data").string();
  b.log = (b.dir / "serve.log").string();
  const std::string cmd = "'" + b.self + "' --models='" + models + "' keys create --data '" + b.folder +
                          "' --role admin --credential " + key_args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  char buf[256] = {};
  if (p && std::fgets(buf, sizeof(buf), p)) b.credential = buf;
  const int status = p ? ::pclose(p) : -1;
  while (!b.credential.empty() && (b.credential.back() == '\n' || b.credential.back() == '\r')) b.credential.pop_back();
  if (status != 0 || b.credential.find(':') == std::string::npos) {
    return Status(StatusCode::kInternal, "keys create failed: " + b.credential);
  }
  return b;
}

Result<std::vector<PhotoPerson>> LoadPhotoPersons(const std::string& dir, std::size_t limit, std::size_t min_photos) {
  std::vector<std::filesystem::path> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_directory(ec)) names.push_back(e.path());
  }
  if (ec) return Status(StatusCode::kNotFound, "cannot read --photos " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  std::vector<PhotoPerson> out;
  for (const auto& p : names) {
    if (limit > 0 && out.size() >= limit) break;
    PhotoPerson person{p.filename().string(), {}};
    for (const auto& f : SortedFiles(p.string())) {
      if (!HasImageFileExtension(f)) continue;
      auto bytes = ReadFileBytes(f);
      if (bytes.ok()) person.images.push_back(std::move(bytes).value());
    }
    if (person.images.size() >= std::max<std::size_t>(min_photos, 1)) out.push_back(std::move(person));
  }
  if (out.empty()) {
    return Status(StatusCode::kNotFound, "no DIR/<person>/<photo> images" +
                                             (min_photos > 1 ? " with " + std::to_string(min_photos) + " photos" : "") +
                                             " under --photos " + dir);
  }
  return out;
}

Result<std::string> SelfPath() {
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return Status(StatusCode::kInternal, "cannot find the facekit binary: " + ec.message());
  return self;
}

}  // namespace facekit::cli
