// cluster_node.h - a FaceKit node's place in a cluster (docs/scale-out.md):
// its etcd client, its registration under a lease, and the shard map it
// recomputes from every change of the member list.
//
// WHAT THIS REPRESENTS
//   `facekit serve --etcd ENDPOINTS` joins with its node id and address; the
//   node leaves (lease revoked) when this object is destroyed, or disappears
//   when its lease expires if the process dies. Today the map is computed
//   and handed to on_map_change (the node's sharded search, cluster_search.h).
//
// THREAD SAFETY
//   Every method from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "cluster/etcd_client.h"
#include "cluster/membership.h"
#include "cluster/shard_map.h"

namespace facekit::cluster {

struct ClusterNodeOptions {
  std::string endpoints;  ///< etcd members, "HOST:PORT[,HOST:PORT...]"
  std::string node_id;
  std::string address;  ///< how other nodes reach this one (its URL)
  std::int64_t ttl_s = 5;
  int shards = kDefaultShards;
  int replicas = kDefaultReplicas;
  Placement placement = Placement::kBalanced;
  /// Called after each change with the new member list (e.g. to log it).
  Membership::OnChange on_change;
  /// Called after each change with the member list and its shard map (e.g.
  /// ClusterSearch::OnMembership, which re-indexes the node's shards), on
  /// the membership's thread, the first time during Join.
  std::function<void(const MemberList&, std::shared_ptr<const ShardMap>)> on_map_change;
};

class ClusterNode {
 public:
  /// Connects, registers and reads the member list; kIoError when etcd
  /// cannot be reached within the client's call timeout.
  static Result<std::unique_ptr<ClusterNode>> Join(ClusterNodeOptions options);
  ~ClusterNode();

  const std::string& node_id() const { return options_.node_id; }
  MemberList members() const { return membership_->members(); }
  /// The map of the current member list.
  std::shared_ptr<const ShardMap> shard_map() const;

 private:
  explicit ClusterNode(ClusterNodeOptions options) : options_(std::move(options)) {}
  ClusterNodeOptions options_;
  std::unique_ptr<EtcdClient> client_;
  std::unique_ptr<Membership> membership_;  // destroyed before client_
  mutable std::mutex mu_;
  std::shared_ptr<const ShardMap> map_;
};

}  // namespace facekit::cluster
