#include "cluster/local_servers.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cluster/etcd_client.h"

namespace facekit::cluster {

namespace {

// A new /tmp/PREFIX-XXXXXX, or "" when mkdtemp fails.
std::string MakeTemp(const char* prefix, const char* base = "/tmp") {
  std::string tmpl = std::string(base) + "/" + prefix + "-XXXXXX";
  const char* made = ::mkdtemp(tmpl.data());
  return made ? std::string(made) : std::string();
}

}  // namespace

// ---------------------------------------------------------------- LocalPostgres

std::string LocalPostgres::BinDir() {
  const std::string dir = "/usr/lib/postgresql/15/bin";
  return std::filesystem::exists(dir + "/initdb") && std::filesystem::exists(dir + "/postgres") ? dir : "";
}

LocalPostgres::LocalPostgres(std::string root, std::vector<std::string> settings) : settings_(std::move(settings)) {
  if (root.empty()) {
    root_ = MakeTemp("fkpg");  // short: a socket path must fit in 107 bytes
    temporary_ = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    root_ = ec ? "" : std::filesystem::absolute(root).lexically_normal().string();
  }
}

LocalPostgres::~LocalPostgres() {
  Stop();
  std::error_code ec;
  if (temporary_ && !root_.empty()) std::filesystem::remove_all(root_, ec);
}

std::string LocalPostgres::Start() {
  if (root_.empty()) return "cannot make the PostgreSQL folder";
  if (BinDir().empty()) return "PostgreSQL 15 server binaries not installed";
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) return "running as root and there is no postgres user to run the server as";
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    if (::chown(root_.c_str(), uid_, gid_) != 0) return "chown of " + root_ + " failed";
  }
  if (!std::filesystem::exists(root_ + "/data/PG_VERSION")) {
    const int rc = Run({BinDir() + "/initdb", "-D", root_ + "/data", "-U", "facekit", "--auth=trust", "-E", "UTF8",
                        "--no-sync", "--locale=C"},
                       /*wait=*/true);
    if (rc != 0) {
      return "initdb failed (exit " + std::to_string(rc) + "; see " + root_ +
             "/server.log; as root every folder above it must be searchable by others)";
    }
  }
  std::vector<std::string> args = {BinDir() + "/postgres", "-D", root_ + "/data", "-k", root_, "-c",
                                   "listen_addresses=",    "-c", "max_connections=40", "-c", "shared_buffers=16MB"};
  for (const std::string& s : settings_) {
    args.push_back("-c");
    args.push_back(s);
  }
  pid_ = Run(args, /*wait=*/false);
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

void LocalPostgres::Stop() { Signal(SIGINT); }
void LocalPostgres::Kill() { Signal(SIGKILL); }

void LocalPostgres::Signal(int sig) {
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
int LocalPostgres::Run(const std::vector<std::string>& args, bool wait) {
  // Everything the child needs is prepared before fork: only
  // async-signal-safe calls happen in it (the caller may have threads).
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
      if (::fchown(fd, uid, gid) != 0 || ::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
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

// ---------------------------------------------------------------- LocalEtcd

std::string LocalEtcd::Binary() {
  for (const char* p : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return "";
}

LocalEtcd::LocalEtcd(int members, std::string root) : size_(members) {
  if (root.empty()) {
    // A throwaway cluster (tests) keeps its data in memory where it can: etcd
    // syncs its log on every write, and on a machine whose disk is busy (the
    // test command builds and runs side by side) one sync can outlast an
    // election and a client's call timeout. Kept on a disk (`root`), never.
    root_ = MakeTemp("fketcd", "/dev/shm");
    if (root_.empty()) root_ = MakeTemp("fketcd");
    temporary_ = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    root_ = ec ? "" : std::filesystem::absolute(root).lexically_normal().string();
  }
}

LocalEtcd::~LocalEtcd() {
  for (int i = 0; i < size_; ++i) Kill(i);
  std::error_code ec;
  if (temporary_ && !root_.empty()) std::filesystem::remove_all(root_, ec);
}

std::string LocalEtcd::Start() {
  if (root_.empty()) return "cannot make the etcd folder";
  if (Binary().empty()) return "etcd not installed";
  for (int i = 0; i < 2 * size_; ++i) {
    const int port = FreePort();
    if (port <= 0) return "no free port";
    ports_.push_back(port);
  }
  pids_.assign(static_cast<std::size_t>(size_), -1);
  for (int i = 0; i < size_; ++i) {
    if (!Spawn(i)) return "cannot start etcd member " + std::to_string(i);
  }
  auto client = EtcdClient::Connect(endpoints());
  if (!client.ok()) return client.status().ToString();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(*client)->Put("/facekit-test/ready", "1").ok()) {
    if (std::chrono::steady_clock::now() > deadline) return "etcd took no write within 60 s (see " + root_ + ")";
  }
  return "";
}

std::string LocalEtcd::endpoints() const {
  std::string out;
  for (int i = 0; i < size_; ++i) out += (i ? "," : "") + client_address(i);
  return out;
}

void LocalEtcd::Kill(int i) {
  if (i < 0 || i >= static_cast<int>(pids_.size()) || pids_[static_cast<std::size_t>(i)] <= 0) return;
  const pid_t pid = pids_[static_cast<std::size_t>(i)];
  ::kill(pid, SIGCONT);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  pids_[static_cast<std::size_t>(i)] = -1;
}

void LocalEtcd::Signal(int i, int sig) {
  if (i >= 0 && i < static_cast<int>(pids_.size()) && pids_[static_cast<std::size_t>(i)] > 0) {
    ::kill(pids_[static_cast<std::size_t>(i)], sig);
  }
}

int LocalEtcd::FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool LocalEtcd::Spawn(int i) {
  const std::string name = "m" + std::to_string(i);
  std::string initial;
  for (int j = 0; j < size_; ++j) initial += (j ? "," : "") + std::string("m") + std::to_string(j) + "=" + peer_url(j);
  const std::vector<std::string> args = {Binary(),
                                         "--name",
                                         name,
                                         "--data-dir",
                                         root_ + "/" + name,
                                         "--listen-client-urls",
                                         "http://" + client_address(i),
                                         "--advertise-client-urls",
                                         "http://" + client_address(i),
                                         "--listen-peer-urls",
                                         peer_url(i),
                                         "--initial-advertise-peer-urls",
                                         peer_url(i),
                                         "--initial-cluster",
                                         initial,
                                         "--initial-cluster-state",
                                         "new",
                                         "--initial-cluster-token",
                                         "facekit-test",
                                         "--heartbeat-interval",
                                         "50",
                                         "--election-timeout",
                                         "500"};
  const std::string log = root_ + "/" + name + ".log";
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pids_[static_cast<std::size_t>(i)] = pid;
  return true;
}

}  // namespace facekit::cluster
