// cluster_search.h - a cluster node's sharded search (docs/scale-out.md):
// which faces it indexes, how it answers ShardSearch for its own shards, and
// how it coordinates a search over every shard.
//
// WHAT THIS REPRESENTS
//   Per-shard indexing: a group's faces are split into S shards by
//   ShardOfFace(face id, S); the node keeps the whole catalog but indexes only
//   the faces of the shards it is a replica of in the current ShardMap. On
//   every membership change OnMembership() re-indexes the gallery (faces of
//   newly owned shards loaded from the store, lost ones dropped) and only
//   then serves the new shards; meanwhile it serves the shards it holds both
//   before and after.
//   SearchShards() (service::ShardSearchHandler, the ShardSearch rpc) searches
//   the node's own shards or refuses the ones it does not hold ("not loaded
//   here"), so that the coordinator asks the next replica.
//   SearchFaces() (service::SearchRouter) is the coordinator: one route per
//   (group, shard), itself first where it is a replica (answered in-process,
//   no network hop), the others over gRPC async calls signed with the
//   cluster's key; RunScatterGather retries refusals and failures on the next
//   replica, hedges slow nodes after the 95th percentile of their recent
//   latencies (LatencyTracker: at least 5 ms, at most half the deadline) and
//   fails with kUnavailable naming the shards that did not answer, unless
//   the caller allows a partial answer.
//
// THREAD SAFETY
//   Every method from any thread. The gallery must outlive this object; the
//   destructor waits for the node's calls in flight.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "cluster/latency_tracker.h"
#include "cluster/membership.h"
#include "cluster/shard_client.h"
#include "cluster/shard_map.h"
#include "gallery/gallery.h"
#include "service/sharded_search.h"

namespace facekit::cluster {

struct ClusterSearchOptions {
  std::int64_t deadline_ms = 2000;  ///< of one sharded search
  /// Metadata (name, value) authenticating a ShardSearch call to `authority`
  /// whose serialized request is `body` (the server's TC3 signature with the
  /// cluster's key). Null = no metadata (the other nodes will refuse).
  std::function<std::vector<std::pair<std::string, std::string>>(const std::string& authority, const std::string& body)>
      sign;
};

/// A shard this node indexes and the change-log position when it was loaded.
struct LoadedShard {
  std::string group_id;
  int shard = 0;
  std::int64_t loaded_seq = 0;
};

/// A node's shard count must be the one its database fixed (PostgreSQL's
/// facekit_settings 'shards'; the stored faces.shard values are computed
/// with it): kFailedPrecondition naming both otherwise. Stores without a
/// shard column accept any count.
Status CheckShardCount(const gallery::Gallery& gallery, int node_shards);

class ClusterSearch final : public service::SearchRouter, public service::ShardSearchHandler {
 public:
  ClusterSearch(gallery::Gallery& gallery, ClusterSearchOptions options);
  ~ClusterSearch() override;

  /// The member list changed (ClusterNode's callback): re-indexes for `map`
  /// the shards of `node_id` (this node) and then serves them. Until the
  /// first call nothing is served and searches fail with kUnavailable.
  Status OnMembership(const std::string& node_id, const MemberList& members, std::shared_ptr<const ShardMap> map);

  Result<service::RoutedSearchResult> SearchFaces(const service::RoutedSearchQuery& query) const override;
  Result<std::vector<service::ShardAnswer>> SearchShards(const service::ShardQuery& query) const override;

  /// The shards of every group of the catalog this node serves now.
  std::vector<LoadedShard> LoadedShards() const;
  const LatencyTracker& latencies() const { return latencies_; }

  class Owned;  // which (group, shard) a node holds under a map

 private:
  struct View {
    std::string node_id;
    std::shared_ptr<const ShardMap> map;
    MemberList members;
    std::shared_ptr<Owned> serving;  // what SearchShards answers
    std::int64_t loaded_seq = 0;
  };
  std::shared_ptr<const View> CurrentView() const;

  gallery::Gallery& gallery_;
  ClusterSearchOptions options_;
  std::mutex membership_mu_;           // one OnMembership at a time
  mutable std::shared_mutex view_mu_;  // exclusive to change view_; shared while a shard search runs
  std::shared_ptr<const View> view_;
  mutable LatencyTracker latencies_;
  std::unique_ptr<ShardClient> remote_;  // channels and calls in flight (after latencies_)
};

}  // namespace facekit::cluster
