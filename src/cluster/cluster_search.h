// cluster_search.h - a cluster node's sharded search (docs/scale-out.md):
// which faces it indexes, how it answers ShardSearch for its own shards, and
// how it coordinates a search over every shard.
//
// WHAT THIS REPRESENTS
//   Per-shard indexing: a group's faces are split into S shards by
//   ShardOfFace(face id, S) and its persons by ShardOfPerson(person id, S);
//   the node keeps the whole catalog but indexes only the faces and persons'
//   fused features of the shards it is a replica of in the current ShardMap. On
//   every membership change OnMembership() re-indexes the gallery (faces of
//   newly owned shards loaded from the store, lost ones dropped) and only
//   then serves the new shards; meanwhile it serves the shards it holds both
//   before and after.
//   Hand-over: a shard the node loses is kept, indexed and served, until no
//   search has asked the node for a lost shard for `linger_idle_ms` and a
//   current replica of every lost shard answers for it (ReleaseIdleShards
//   asks them with a ShardSearch; a background thread checks every second),
//   so that a shard stays served while its new owner loads it (a node
//   joining with one replica per shard, or several map changes at once),
//   even when no search comes meanwhile. Coordinators ask
//   a shard's current replicas first and its owners under the last maps
//   after them (ReplicaOrder), so a lost shard is asked only while no
//   current replica answers for it; then it goes idle and is dropped.
//   SearchShards() (service::ShardSearchHandler, the ShardSearch rpc) searches
//   the node's own shards or refuses the ones it does not hold ("not loaded
//   here"), so that the coordinator asks the next replica.
//   SearchFaces() (service::SearchRouter; faces, or persons' fused features
//   with RoutedSearchQuery::persons) is the coordinator: one route per
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

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/latency_tracker.h"
#include "cluster/membership.h"
#include "cluster/previous_owners.h"
#include "cluster/shard_client.h"
#include "cluster/shard_map.h"
#include "gallery/gallery.h"
#include "service/sharded_search.h"

namespace facekit::cluster {

/// A shard this node indexes and the change-log position when it was loaded.
struct LoadedShard {
  std::string group_id;
  int shard = 0;
  std::int64_t loaded_seq = 0;
  bool lost = false;  ///< not this node's under the current map: kept until its new owners serve it
};

struct ClusterSearchOptions {
  std::int64_t deadline_ms = 2000;  ///< of one sharded search
  /// Metadata (name, value) authenticating a ShardSearch call to `authority`
  /// whose serialized request is `body` (the server's TC3 signature with the
  /// cluster's key). Null = no metadata (the other nodes will refuse).
  std::function<std::vector<std::pair<std::string, std::string>>(const std::string& authority, const std::string& body)>
      sign;
  /// How long a lost shard stays served after the last search that asked
  /// for it; 0 = dropped at the map change.
  std::int64_t linger_idle_ms = 10'000;
  /// Runs ReleaseIdleShards every second (tests call it themselves).
  bool release_thread = true;
  /// Whether each of `lost` is served by one of its current replicas, asked
  /// by ReleaseIdleShards before it drops them; null = ask each shard's
  /// other current replicas with a ShardSearch over gRPC (NewOwnersServe).
  std::function<bool(const std::vector<service::ShardRef>& lost)> new_owners_serve;
  /// Called after ReleaseIdleShards dropped lost shards: how many, and how
  /// many the node serves now (e.g. to log it).
  std::function<void(std::size_t released, std::size_t serving)> on_release;
  /// ProposeMembership: the first map is applied once the member list has
  /// been unchanged this long (nodes started together then index only their
  /// own shards, not all of a one-node map's); 0 = at once.
  std::int64_t first_map_settle_ms = 2000;
  /// Called on the map thread after each map ProposeMembership applied:
  /// OnMembership's status, the map and LoadedShards() (e.g. to log them).
  std::function<void(const Status&, const ShardMap&, const std::vector<LoadedShard>&)> on_applied;
  /// The clock of the idle time; null = steady_clock.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

/// How many of `loaded` are lost shards kept until their new owners serve them.
std::size_t CountLost(const std::vector<LoadedShard>& loaded);

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

  /// OnMembership on the node's map thread, for the membership's callback
  /// (returns at once): a map proposed while another is applied replaces
  /// any not yet applied (only the newest is indexed), and the first waits
  /// for `first_map_settle_ms` without a newer one.
  void ProposeMembership(const std::string& node_id, const MemberList& members, std::shared_ptr<const ShardMap> map);

  Result<service::RoutedSearchResult> SearchFaces(const service::RoutedSearchQuery& query) const override;
  Result<std::vector<service::ShardAnswer>> SearchShards(const service::ShardQuery& query) const override;

  /// A map has been indexed: the node serves its shards (false while it
  /// joins and indexes its first map).
  bool Serving() const;
  /// The shards of every group of the catalog this node serves now (lost
  /// ones it still keeps included).
  std::vector<LoadedShard> LoadedShards() const;
  /// Drops the lost shards still served when none was asked for in the last
  /// `linger_idle_ms` and their current replicas answer for every one of
  /// them (`new_owners_serve`); true when it dropped some. Skips (false)
  /// while a map change is re-indexing.
  bool ReleaseIdleShards();
  const LatencyTracker& latencies() const { return latencies_; }

  class Owned;  // which (group, shard) a node holds under a map

 private:
  struct View {
    std::string node_id;
    std::shared_ptr<const ShardMap> map;
    MemberList members;
    std::shared_ptr<Owned> serving;  // what SearchShards answers
    std::shared_ptr<Owned> current;  // what `map` gives this node (serving minus lost shards)
    bool keeps_lost = false;         // serving holds shards `current` does not
    std::shared_ptr<PreviousOwners> previous;  // for the coordinator's routes
    std::int64_t loaded_seq = 0;
  };
  std::shared_ptr<const View> CurrentView() const;
  /// LoadedShards() of `view` (none for null).
  std::vector<LoadedShard> LoadedShardsOf(const View* view) const;
  /// Asks every current replica of `lost` but this node, one ShardSearch per
  /// (node, group) with a deadline of at most 1 s: true when each lost shard
  /// had an answer that did not refuse it.
  bool NewOwnersServe(const View& view, const std::vector<service::ShardRef>& lost) const;
  void Publish(std::shared_ptr<View> view);
  std::chrono::steady_clock::time_point Now() const;
  std::int64_t NowMs() const;

  gallery::Gallery& gallery_;
  ClusterSearchOptions options_;
  std::mutex membership_mu_;           // one OnMembership at a time
  mutable std::shared_mutex view_mu_;  // exclusive to change view_; shared while a shard search runs
  std::shared_ptr<const View> view_;
  mutable LatencyTracker latencies_;
  std::unique_ptr<ShardClient> remote_;  // channels and calls in flight (after latencies_)
  mutable std::atomic<std::int64_t> lost_asked_ms_{0};  // NowMs() of the last search asking for a lost shard
  // The map thread (ProposeMembership).
  struct Proposal {
    std::string node_id;
    MemberList members;
    std::shared_ptr<const ShardMap> map;
    std::chrono::steady_clock::time_point at;
  };
  void MapLoop();
  std::mutex proposal_mu_;
  std::condition_variable proposal_cv_;
  std::optional<Proposal> proposal_;  // guarded by proposal_mu_
  bool stopping_maps_ = false;        // guarded by proposal_mu_
  std::thread map_thread_;            // started by the first proposal
  // The release thread (last: stopped first).
  std::mutex release_mu_;
  std::condition_variable release_cv_;
  bool stopping_ = false;  // guarded by release_mu_
  std::thread release_thread_;
};

}  // namespace facekit::cluster
