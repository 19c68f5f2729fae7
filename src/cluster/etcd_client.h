// etcd_client.h - a small client of etcd's v3 API over gRPC (proto/etcd/,
// a trimmed copy of etcd's rpc.proto): key-value reads and writes, leases
// with keep-alive, and watches of a key prefix. What FaceKit's membership
// (cluster/membership.h) needs, nothing more.
//
// WHAT THIS REPRESENTS
//   One gRPC channel to the members of one etcd cluster. The endpoints are
//   given all at once ("127.0.0.1:2379,127.0.0.1:22379"); the channel picks
//   one and moves to another when it fails, and a unary call that finds its
//   member unreachable, or gets no answer within an attempt's deadline (a
//   request forwarded to a leader that just died), is retried up to the
//   call's deadline, so a cluster that lost a minority of its members keeps
//   answering.
//   Errors are values: an unreachable cluster or a call past its deadline is
//   kIoError naming etcd's message; a refused request kInvalidArgument or
//   kFailedPrecondition.
//
// THREAD SAFETY
//   EtcdClient: every method may be called from any thread.
//   EtcdWatch, EtcdKeepAlive: one owner; their callbacks run on their own
//   thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "facekit/status.h"

namespace facekit::cluster {

struct EtcdKeyValue {
  std::string key, value;
  std::int64_t create_revision = 0, mod_revision = 0;
  std::int64_t lease = 0;  ///< 0: none
};

struct EtcdEvent {
  enum class Type { kPut, kDelete };  ///< kDelete also when the key's lease expired
  Type type = Type::kPut;
  EtcdKeyValue kv;
};

struct EtcdRange {
  std::vector<EtcdKeyValue> kvs;  ///< sorted by key
  std::int64_t revision = 0;      ///< the store's revision the read saw
};

struct EtcdClientOptions {
  std::chrono::milliseconds call_timeout{5000};     ///< deadline of one unary call, retries included
  std::chrono::milliseconds attempt_timeout{1500};  ///< one attempt's deadline; then it is retried
};

class EtcdWatch;
class EtcdKeepAlive;

class EtcdClient {
 public:
  /// `endpoints`: "HOST:PORT[,HOST:PORT...]", each optionally with http://.
  /// Does not wait for a connection (the first call does).
  static Result<std::unique_ptr<EtcdClient>> Connect(const std::string& endpoints, EtcdClientOptions options = {});
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  /// Puts `key` = `value`, attached to `lease` (0: none); the new revision.
  Result<std::int64_t> Put(const std::string& key, const std::string& value, std::int64_t lease = 0);
  /// Puts only when `key` does not exist (a Txn comparing its create
  /// revision with 0); false when it existed (nothing written).
  Result<bool> PutIfAbsent(const std::string& key, const std::string& value, std::int64_t lease = 0);
  /// The key, or nullopt.
  Result<std::optional<EtcdKeyValue>> Get(const std::string& key);
  /// Every key starting with `prefix`, and the revision of the read.
  Result<EtcdRange> GetPrefix(const std::string& prefix);
  /// Deletes every key starting with `prefix`; how many.
  Result<std::int64_t> DeletePrefix(const std::string& prefix);

  /// A lease of `ttl_s` seconds (etcd may raise it to its minimum); its id.
  Result<std::int64_t> GrantLease(std::int64_t ttl_s);
  /// Ends the lease now; its keys are deleted.
  Status RevokeLease(std::int64_t lease);
  /// Keeps `lease` alive every `interval`, each renewal on a short stream of
  /// its own (deadline min(interval, 1 s)), retried at once on another
  /// stream when it fails, so a hung member costs one attempt.
  /// `on_lost` is called once (on the keep-alive thread) if etcd says the
  /// lease no longer exists; failures to reach etcd are retried silently.
  std::unique_ptr<EtcdKeepAlive> KeepAlive(std::int64_t lease, std::chrono::milliseconds interval,
                                           std::function<void()> on_lost);
  /// Watches every key starting with `prefix` from `start_revision`
  /// (inclusive). `on_events` gets each response's events in order;
  /// `on_broken` is called once when the stream ended and the watch stopped
  /// (member lost, history compacted): the caller re-reads and watches again.
  std::unique_ptr<EtcdWatch> WatchPrefix(const std::string& prefix, std::int64_t start_revision,
                                         std::function<void(const std::vector<EtcdEvent>&)> on_events,
                                         std::function<void(const Status&)> on_broken);

  struct Stubs;  // the generated gRPC stubs (etcd_client.cc)

 private:
  EtcdClient() = default;
  EtcdClientOptions options_;
  std::unique_ptr<Stubs> stubs_;
};

/// A running keep-alive; stops (without revoking the lease) when destroyed.
class EtcdKeepAlive {
 public:
  virtual ~EtcdKeepAlive() = default;
};

/// A running watch; cancelled when destroyed.
class EtcdWatch {
 public:
  virtual ~EtcdWatch() = default;
};

/// The end of the range of keys starting with `prefix` (etcd's range_end).
std::string PrefixRangeEnd(const std::string& prefix);

}  // namespace facekit::cluster
