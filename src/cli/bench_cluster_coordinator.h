// bench_cluster_coordinator.h - what `facekit bench cluster` searches with: a
// coordinator outside the nodes that does what a node's ClusterSearch does
// for a query vector (src/cluster/cluster_search.cc): the shard map of the
// live members read from etcd, one route per shard with the replicas of
// lowest recent p95 first and the shard's owners under the previous maps
// after them (cluster/previous_owners.h), RunScatterGather over async ShardSearch gRPC calls
// (Bearer, loopback), hedging after the LatencyTracker's delay, the exact
// per-person merge. Unlike a node it has no shard of its own (every shard is
// a network hop) and it allows partial answers so that missing shards are
// counted rather than failing the search.
//
// THREAD SAFETY
//   Search() from any number of threads. Destroy after the last Search()
//   returned; the destructor waits for calls still in flight (hedge losers).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/etcd_client.h"
#include "cluster/latency_tracker.h"
#include "cluster/membership.h"
#include "cluster/previous_owners.h"
#include "cluster/scatter_gather.h"
#include "cluster/shard_client.h"
#include "cluster/shard_map.h"

namespace facekit::cli {

struct BenchCoordinatorOptions {
  std::string etcd;        ///< endpoints
  std::string credential;  ///< SecretId:SecretKey of an admin key of every node
  std::string group_id;
  std::string face_model_version = "3.0";
  int shards = 64;
  int replicas = 2;
  cluster::Placement placement = cluster::Placement::kBalanced;
  std::int64_t deadline_ms = 2000;
};

class BenchCoordinator {
 public:
  static Result<std::unique_ptr<BenchCoordinator>> Connect(BenchCoordinatorOptions options);
  ~BenchCoordinator();
  BenchCoordinator(const BenchCoordinator&) = delete;
  BenchCoordinator& operator=(const BenchCoordinator&) = delete;

  /// The live members as etcd has them now.
  cluster::MemberList members() const { return membership_->members(); }
  /// Top `k` persons for `query` (allow_partial: `missing` lists shards without an answer);
  /// `min_seq` > 0: the shards answer from that change-log position at least (read-your-writes).
  cluster::ScatterOutcome Search(const std::vector<float>& query, std::size_t k, std::int64_t min_seq = 0) const;
  /// Failed calls and refused shards so far, by reason ("grpc UNAVAILABLE",
  /// "refused: not loaded here", ...): what made shards go to another replica
  /// or go missing.
  std::map<std::string, int> failures() const;

 private:
  explicit BenchCoordinator(BenchCoordinatorOptions options);

  BenchCoordinatorOptions options_;
  std::unique_ptr<cluster::EtcdClient> etcd_;
  std::unique_ptr<cluster::Membership> membership_;  // destroyed before etcd_
  mutable cluster::LatencyTracker latencies_;
  // The shard map of the last member list seen, reused while it holds (a
  // balanced map places each group once, not on every search), and the
  // owners under the maps before it.
  mutable cluster::ShardMapHistory maps_;
  std::unique_ptr<cluster::ShardClient> remote_;  // after latencies_
};

}  // namespace facekit::cli
