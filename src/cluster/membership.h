// membership.h - the live FaceKit nodes of a cluster, kept in etcd
// (docs/scale-out.md).
//
// WHAT THIS REPRESENTS
//   Each node registers PREFIX<node id> = its address, attached to a lease of
//   `ttl_s` seconds that it keeps alive (every ttl/3). A node that stops
//   (crash, kill -9, partition) stops renewing; etcd deletes its key when the
//   lease expires, and every watcher sees it leave. A node that leaves
//   cleanly revokes its lease: it is gone at once.
//   Every Membership (a registered node, or an observer) reads the member list
//   and then watches PREFIX from the next revision, so no change is missed;
//   when the watch breaks (etcd member lost, history compacted) it reads the
//   list again and watches anew. `on_change` gets the whole list after each
//   change; the shard map is a pure function of it (cluster/shard_map.h).
//   If etcd says a registered node's lease is gone (expired while etcd was
//   unreachable), the node registers again under a new lease.
//
// THREAD SAFETY
//   members() and revision() from any thread. `on_change` runs on the
//   membership's own threads, one call at a time, never under its locks.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/etcd_client.h"

namespace facekit::cluster {

struct MembershipOptions {
  std::string prefix = "/facekit/nodes/";
  std::int64_t ttl_s = 5;
};

/// node id -> address
using MemberList = std::map<std::string, std::string>;

class Membership {
 public:
  using OnChange = std::function<void(const MemberList&)>;

  /// Registers `node_id` = `address` and follows the member list. A node id
  /// must be unique among live nodes (a second registration takes the key
  /// over). `client` must outlive the Membership.
  static Result<std::unique_ptr<Membership>> Join(EtcdClient* client, const std::string& node_id,
                                                  const std::string& address, MembershipOptions options = {},
                                                  OnChange on_change = {});
  /// Follows the member list without registering (tools, tests).
  static Result<std::unique_ptr<Membership>> Observe(EtcdClient* client, MembershipOptions options = {},
                                                     OnChange on_change = {});
  /// Stops following; a registered node revokes its lease (leaves at once).
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  MemberList members() const;
  /// The etcd revision the member list reflects.
  std::int64_t revision() const;
  /// Stops renewing the lease without revoking it, as a crashed node would:
  /// the node disappears from every list when the lease expires.
  void StopKeepAlive();
  /// Waits until `done(list)` holds for the last list delivered to
  /// `on_change` (so the caller's reaction to it has run) or `timeout`
  /// passes; whether it holds.
  bool WaitFor(const std::function<bool(const MemberList&)>& done, std::chrono::milliseconds timeout) const;

 private:
  Membership(EtcdClient* client, MembershipOptions options, OnChange on_change)
      : client_(client), options_(std::move(options)), on_change_(std::move(on_change)) {}
  Status Register();  // new lease, put, keep-alive
  Status Resync();    // read the list, watch from the next revision
  void Apply(const std::vector<EtcdEvent>& events);
  void Notify();
  void MaintenanceLoop();

  EtcdClient* client_;
  const MembershipOptions options_;
  const OnChange on_change_;
  std::string node_id_, address_;  // empty: observer

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  MemberList members_;
  MemberList delivered_;  // the last list on_change got (WaitFor looks at it)
  std::int64_t revision_ = 0;
  bool stop_ = false;
  bool lease_lost_ = false, watch_broken_ = false, keepalive_stopped_ = false;
  bool abandoned_ = false;  // StopKeepAlive was called: never revoke
  std::int64_t lease_ = 0;

  std::mutex notify_mu_;  // one on_change at a time
  std::unique_ptr<EtcdKeepAlive> keepalive_;
  std::unique_ptr<EtcdWatch> watch_;
  std::thread maintenance_;
};

}  // namespace facekit::cluster
