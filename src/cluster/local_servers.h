// local_servers.h - a private PostgreSQL 15 server and a private etcd cluster
// on this machine, for the integration tests (tests/store/pg_test_cluster.h,
// tests/cluster/etcd_test_cluster.h) and `facekit bench cluster`.
//
// WHAT THIS REPRESENTS
//   LocalPostgres: initdb into a folder, `postgres` listening only on a Unix
//   socket in that folder (no TCP port taken), run as the `postgres` user
//   when this process runs as root (initdb refuses root).
//   LocalEtcd: N etcd members on loopback; each member's client and peer
//   ports are found by binding port 0 and closing it (etcd itself cannot
//   listen on port 0), data and MEMBER.log in the folder. Fast elections
//   (heartbeat 50 ms, election timeout 500 ms).
//   Both use a new /tmp folder when none is given (removed on destruction; a
//   given folder is kept) and stop their processes on destruction.
//
// THREAD SAFETY
//   One thread. The child processes are started with fork + exec where only
//   async-signal-safe calls run in the child, so the caller may have threads.
#pragma once

#include <sys/types.h>

#include <csignal>

#include <string>
#include <vector>

namespace facekit::cluster {

class LocalPostgres {
 public:
  /// The server binaries, or "" when PostgreSQL 15 is not installed.
  static std::string BinDir();

  /// `root`: the folder (made if missing; its path must be short, a socket
  /// path fits in 107 bytes); "" = a new /tmp/fkpg-XXXXXX. `settings`: extra
  /// server settings "name=value" (-c), after max_connections=40 and
  /// shared_buffers=16MB.
  explicit LocalPostgres(std::string root = "", std::vector<std::string> settings = {});
  ~LocalPostgres();
  LocalPostgres(const LocalPostgres&) = delete;
  LocalPostgres& operator=(const LocalPostgres&) = delete;

  /// initdb (first time) and start; "" on success, else what went wrong.
  std::string Start();
  /// Fast shutdown (SIGINT): sessions are disconnected, data kept.
  void Stop();
  /// kill -9 of the postmaster; a later Start() does crash recovery.
  void Kill();

  std::string conninfo() const { return "host=" + root_ + " dbname=postgres user=facekit connect_timeout=5"; }
  /// The same server as a URI, the form `facekit serve --store` takes.
  std::string uri() const { return "postgresql:///postgres?host=" + root_ + "&user=facekit&connect_timeout=5"; }
  std::string root() const { return root_; }
  pid_t pid() const { return pid_; }

 private:
  void Signal(int sig);
  int Run(const std::vector<std::string>& args, bool wait);

  std::string root_;
  bool temporary_ = false;
  std::vector<std::string> settings_;
  pid_t pid_ = -1;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

class LocalEtcd {
 public:
  /// The etcd server binary, or "" when etcd is not installed.
  static std::string Binary();

  /// `root` as for LocalPostgres ("" = a new /tmp/fketcd-XXXXXX).
  explicit LocalEtcd(int members, std::string root = "");
  ~LocalEtcd();
  LocalEtcd(const LocalEtcd&) = delete;
  LocalEtcd& operator=(const LocalEtcd&) = delete;

  /// Starts every member and waits until the cluster takes a write; "" on
  /// success, else what went wrong.
  std::string Start();
  /// "127.0.0.1:P0,127.0.0.1:P1,..." (the members' client addresses).
  std::string endpoints() const;
  std::string client_address(int i) const { return "127.0.0.1:" + std::to_string(ports_[2 * i]); }
  /// SIGSTOP / SIGCONT of one member: it hangs with its connections open.
  void Pause(int i) { Signal(i, SIGSTOP); }
  void Resume(int i) { Signal(i, SIGCONT); }
  /// kill -9 of one member.
  void Kill(int i);

 private:
  void Signal(int i, int sig);
  static int FreePort();
  std::string peer_url(int i) const { return "http://127.0.0.1:" + std::to_string(ports_[2 * i + 1]); }
  bool Spawn(int i);

  int size_;
  std::string root_;
  bool temporary_ = false;
  std::vector<int> ports_;  // client, peer of member 0, then member 1, ...
  std::vector<pid_t> pids_;
};

}  // namespace facekit::cluster
