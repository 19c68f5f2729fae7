// etcd_test_cluster.h - a private etcd cluster of N members for one test, on
// loopback: each member's client and peer ports are found by binding port 0
// and closing it (etcd itself cannot listen on port 0), its data in a
// temporary folder, its output in MEMBER.log there. Fast elections (heartbeat
// 50 ms, election timeout 500 ms) so that losing the leader costs little.
// Members are killed (SIGKILL) and the folder removed on destruction.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd_client.h"

namespace facekit::testing {

class EtcdTestCluster {
 public:
  // The etcd server binary, or "" when etcd is not installed.
  static std::string Binary() {
    for (const char* p : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
      if (std::filesystem::exists(p)) return p;
    }
    return "";
  }

  explicit EtcdTestCluster(int members) : size_(members) {
    char tmpl[] = "/tmp/fketcd-XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    root_ = made ? made : "";
  }
  ~EtcdTestCluster() {
    for (int i = 0; i < size_; ++i) Kill(i);
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }
  EtcdTestCluster(const EtcdTestCluster&) = delete;
  EtcdTestCluster& operator=(const EtcdTestCluster&) = delete;

  // Starts every member and waits until the cluster takes a write; "" on
  // success, else what went wrong.
  std::string Start() {
    if (root_.empty()) return "mkdtemp failed";
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
    auto client = cluster::EtcdClient::Connect(endpoints());
    if (!client.ok()) return client.status().ToString();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!(*client)->Put("/facekit-test/ready", "1").ok()) {
      if (std::chrono::steady_clock::now() > deadline) return "etcd took no write within 60 s (see " + root_ + ")";
    }
    return "";
  }

  // "127.0.0.1:P0,127.0.0.1:P1,..." (the members' client addresses).
  std::string endpoints() const {
    std::string out;
    for (int i = 0; i < size_; ++i) out += (i ? "," : "") + client_address(i);
    return out;
  }
  std::string client_address(int i) const { return "127.0.0.1:" + std::to_string(ports_[2 * i]); }

  // SIGSTOP / SIGCONT of one member: it hangs with its connections open.
  void Pause(int i) { Signal(i, SIGSTOP); }
  void Resume(int i) { Signal(i, SIGCONT); }

  // kill -9 of one member.
  void Kill(int i) {
    if (i < 0 || i >= static_cast<int>(pids_.size()) || pids_[i] <= 0) return;
    ::kill(pids_[i], SIGCONT);
    ::kill(pids_[i], SIGKILL);
    int status = 0;
    ::waitpid(pids_[i], &status, 0);
    pids_[i] = -1;
  }

 private:
  void Signal(int i, int sig) {
    if (i >= 0 && i < static_cast<int>(pids_.size()) && pids_[i] > 0) ::kill(pids_[i], sig);
  }

  static int FreePort() {
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

  std::string peer_url(int i) const { return "http://127.0.0.1:" + std::to_string(ports_[2 * i + 1]); }

  bool Spawn(int i) {
    const std::string name = "m" + std::to_string(i);
    std::string initial;
    for (int j = 0; j < size_; ++j)
      initial += (j ? "," : "") + std::string("m") + std::to_string(j) + "=" + peer_url(j);
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

  int size_;
  std::string root_;
  std::vector<int> ports_;  // client, peer of member 0, then member 1, ...
  std::vector<pid_t> pids_;
};

}  // namespace facekit::testing

// In a TEST: skip when etcd is absent, fail when the cluster does not start.
#define START_ETCD_OR_SKIP(cluster)                                                 \
  if (::facekit::testing::EtcdTestCluster::Binary().empty()) {                      \
    GTEST_SKIP() << "etcd not installed (apt-get install etcd-server etcd-client)"; \
  }                                                                                 \
  if (std::string why = (cluster).Start(); !why.empty()) {                          \
    FAIL() << why;                                                                  \
  }                                                                                 \
  static_assert(true)
