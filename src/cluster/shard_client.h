// shard_client.h - ShardSearch calls to other nodes over gRPC (docs/scale-out.md),
// shared by a node's ClusterSearch and `facekit bench cluster`'s coordinator.
//
// WHAT THIS REPRESENTS
//   One channel per node address ("http://host:port" plaintext,
//   "https://host:port" TLS), async ShardSearch calls with a deadline and the
//   caller's metadata (a signature or a Bearer credential), each successful
//   call's latency recorded in a LatencyTracker, and every failed call and
//   refused shard counted by reason ("grpc UNAVAILABLE", "refused: not
//   loaded here"): what made shards go to another replica or go missing; the
//   refusals of the last second are remembered (RefusalMemory) so that the
//   coordinators ask a replica that is still loading a shard last.
//   ReplyFromAnswers turns a node's answers into a scatter-gather reply.
//
// THREAD SAFETY
//   Every method from any thread. `done` runs on a gRPC thread. The
//   destructor waits for the calls in flight (hedge losers included).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cluster/latency_tracker.h"
#include "cluster/membership.h"
#include "cluster/scatter_gather.h"
#include "facekit/status.h"
#include "service/sharded_search.h"

namespace facekit::cluster {

struct ShardCall {
  std::string node;     ///< member id: messages, latencies
  std::string address;  ///< the member's address from etcd
  std::vector<service::ShardRef> shards;
  std::string query_bytes;  ///< the query's floats, little-endian
  std::string face_model_version;
  std::uint32_t k = 0;  ///< faces per shard
  std::int64_t deadline_us = 0;
  std::int64_t min_seq = 0;  ///< read-your-writes: the change-log position the answer must reflect
  bool persons = false;      ///< the shards' persons instead of their faces
  bool hedge = false;        ///< ShardRequest::hedge
};

/// Which nodes refused which shards ("not loaded here": still loading after
/// a map change) in the last `ttl`: a coordinator asks them last for those
/// shards meanwhile, instead of paying a refused round trip per search.
class RefusalMemory {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit RefusalMemory(std::chrono::milliseconds ttl = std::chrono::seconds(1), Clock clock = nullptr)
      : ttl_(ttl), clock_(std::move(clock)) {}
  void Note(const std::string& node, const service::ShardRef& shard);
  bool Recent(const std::string& node, const service::ShardRef& shard) const;

 private:
  std::chrono::steady_clock::time_point Now() const { return clock_ ? clock_() : std::chrono::steady_clock::now(); }
  std::chrono::milliseconds ttl_;
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::uint32_t>, std::chrono::steady_clock::time_point> at_;  // guarded by mu_
};

class ShardClient {
 public:
  /// (name, value) metadata for a call to `authority` whose serialized
  /// request is `body`; null = none.
  using Signer =
      std::function<std::vector<std::pair<std::string, std::string>>(const std::string& authority, const std::string& body)>;
  using Done = std::function<void(Result<std::vector<service::ShardAnswer>>)>;

  ShardClient(Signer sign, LatencyTracker* latencies);
  ~ShardClient();
  ShardClient(const ShardClient&) = delete;
  ShardClient& operator=(const ShardClient&) = delete;

  /// Sends `call`; `done` gets the node's answers or, when the call failed,
  /// kUnavailable "node: gRPC message".
  void Search(const ShardCall& call, Done done);

  /// A scatter-gather request's shards (routes mapped by `ref_of`) sent to
  /// `request.node` at its address in `members`, with `call`'s query, model
  /// version, k and deadline; `done` gets the reply (ReplyFromAnswers, or
  /// FailedReply, at once for a node without an address).
  using RouteRef = std::function<service::ShardRef(std::uint32_t route)>;
  void SearchRoutes(const ShardRequest& request, const MemberList& members, ShardCall call, const RouteRef& ref_of,
                    std::function<void(ShardReply)> done);

  /// Failed calls and refused shards so far, by reason.
  std::map<std::string, int> failures() const;
  /// The shards nodes refused recently (every refusal an answer carried).
  const RefusalMemory& refusals() const { return refusals_; }

 private:
  struct Channels;
  Signer sign_;
  LatencyTracker* latencies_;
  RefusalMemory refusals_;
  std::unique_ptr<Channels> channels_;
};

/// The scatter-gather reply for the routes asked of `node` from its answers:
/// each route its hits, or kUnavailable with the node's refusal, or "no answer
/// for the shard" when the answers leave it out.
ShardReply ReplyFromAnswers(std::uint64_t request_id, const std::string& node,
                            const std::vector<std::uint32_t>& routes_asked,
                            const std::function<service::ShardRef(std::uint32_t route)>& ref_of,
                            const std::vector<service::ShardAnswer>& answers);

/// A shard's replicas in the order a coordinator asks them: `self` first
/// (answered in-process; empty: none), then the other current replicas that
/// did not refuse the shard recently, then its previous owners (`previous`:
/// nodes that held it under an earlier map and may still keep it until its
/// new owners serve it, cluster_search.h), then every node that refused it
/// recently; each part by recent latency (LatencyTracker::RankUs, unknown
/// last). Stable: ties keep the given order. One per search (not shared
/// between threads): a node's rank is computed once, however many of the
/// search's shards it holds.
class ReplicaOrder {
 public:
  ReplicaOrder(std::string self, const LatencyTracker& latencies, const RefusalMemory& refusals)
      : self_(std::move(self)), latencies_(latencies), refusals_(refusals) {}
  /// Orders `*replicas` (the current ones) followed by those of `previous`
  /// not among them.
  void Sort(std::vector<std::string>* replicas, const service::ShardRef& shard,
            const std::vector<std::string>& previous = {});

 private:
  std::int64_t Rank(const std::string& node);
  std::string self_;
  const LatencyTracker& latencies_;
  const RefusalMemory& refusals_;
  std::map<std::string, std::int64_t> ranks_;  // by node, this search's
};

/// A reply whose whole call failed with `status`.
ShardReply FailedReply(std::uint64_t request_id, Status status);

}  // namespace facekit::cluster
