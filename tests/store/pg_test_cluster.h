// pg_test_cluster.h - a private PostgreSQL 15 server for one test: initdb into
// a temporary folder, `postgres` listening only on a Unix socket in that
// folder (no TCP port taken), run as the `postgres` user when the tests run as
// root (initdb refuses root). Removed on destruction.
#pragma once

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace facekit::testing {

class PgTestCluster {
 public:
  // The server binaries, or "" when PostgreSQL 15 is not installed.
  static std::string BinDir() {
    const std::string dir = "/usr/lib/postgresql/15/bin";
    return std::filesystem::exists(dir + "/initdb") && std::filesystem::exists(dir + "/postgres") ? dir : "";
  }

  PgTestCluster() {
    char tmpl[] = "/tmp/fkpg-XXXXXX";  // short: a socket path must fit in 107 bytes
    const char* made = ::mkdtemp(tmpl);
    root_ = made ? made : "";
  }
  ~PgTestCluster() {
    Stop();
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }
  PgTestCluster(const PgTestCluster&) = delete;
  PgTestCluster& operator=(const PgTestCluster&) = delete;

  // initdb (first time) and start; "" on success, else what went wrong.
  std::string Start() {
    if (root_.empty()) return "mkdtemp failed";
    if (BinDir().empty()) return "PostgreSQL 15 server binaries not installed";
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (!pw) return "running as root and there is no postgres user to run the server as";
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      if (::chown(root_.c_str(), uid_, gid_) != 0) return "chown of the test folder failed";
    }
    if (!std::filesystem::exists(root_ + "/data/PG_VERSION")) {
      const int rc = Run({BinDir() + "/initdb", "-D", root_ + "/data", "-U", "facekit", "--auth=trust", "-E", "UTF8",
                          "--no-sync", "--locale=C"},
                         /*wait=*/true);
      if (rc != 0) return "initdb failed (exit " + std::to_string(rc) + "; see " + root_ + "/server.log)";
    }
    pid_ = Run({BinDir() + "/postgres", "-D", root_ + "/data", "-k", root_, "-c", "listen_addresses=", "-c",
                "max_connections=40", "-c", "shared_buffers=16MB"},
               /*wait=*/false);
    if (pid_ <= 0) return "cannot start postgres";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (PQping(conninfo().c_str()) != PQPING_OK) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "postgres exited at start (see " + root_ + "/server.log)";
      }
      if (std::chrono::steady_clock::now() > deadline) return "postgres did not accept connections within 60 s";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }

  // Fast shutdown (SIGINT): sessions are disconnected, data kept.
  void Stop() { Signal(SIGINT); }
  // kill -9 of the postmaster; a later Start() does crash recovery.
  void Kill() { Signal(SIGKILL); }

  std::string conninfo() const { return "host=" + root_ + " dbname=postgres user=facekit connect_timeout=5"; }
  // The same server as a URI, the form `facekit serve --store` takes.
  std::string uri() const { return "postgresql:///postgres?host=" + root_ + "&user=facekit&connect_timeout=5"; }
  std::string root() const { return root_; }

 private:
  void Signal(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (sig == SIGKILL) {
      // Backends notice the postmaster's death and exit; wait for the socket's
      // lock to be free so that a restart does not find them still attached.
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }

  // fork + (drop to the postgres user) + exec; output to server.log.
  int Run(const std::vector<std::string>& args, bool wait) {
    // Everything the child needs is prepared before fork: only
    // async-signal-safe calls happen in it (the test binary has threads).
    const std::string log = root_ + "/server.log";
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const uid_t uid = uid_;
    const gid_t gid = gid_;
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      if (uid != 0) {
        if (::fchown(fd, uid, gid) != 0 || ::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 ||
            ::setuid(uid) != 0) {
          ::_exit(126);
        }
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (!wait) return pid;
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string root_;
  pid_t pid_ = -1;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace facekit::testing

// In a TEST: skip when PostgreSQL 15 is absent, fail when it does not start.
#define START_PG_OR_SKIP(cluster)                                                   \
  if (::facekit::testing::PgTestCluster::BinDir().empty()) {                        \
    GTEST_SKIP() << "PostgreSQL 15 not installed (apt-get install postgresql-15)"; \
  }                                                                                 \
  if (std::string why = (cluster).Start(); !why.empty()) {                          \
    FAIL() << why;                                                                  \
  }                                                                                 \
  static_assert(true)
