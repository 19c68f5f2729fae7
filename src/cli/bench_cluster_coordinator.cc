#include "cli/bench_cluster_coordinator.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

#include "cluster/shard_map.h"
#include "cluster/shard_merge.h"

namespace facekit::cli {

BenchCoordinator::BenchCoordinator(BenchCoordinatorOptions options)
    : options_(std::move(options)),
      maps_(options_.shards, options_.replicas, options_.placement),
      remote_(std::make_unique<cluster::ShardClient>(
          [bearer = "Bearer " + options_.credential](const std::string&, const std::string&) {
            return std::vector<std::pair<std::string, std::string>>{{"authorization", bearer}};
          },
          &latencies_)) {}

BenchCoordinator::~BenchCoordinator() {
  remote_.reset();  // waits for the calls in flight
  membership_.reset();
}

std::map<std::string, int> BenchCoordinator::failures() const { return remote_->failures(); }

Result<std::unique_ptr<BenchCoordinator>> BenchCoordinator::Connect(BenchCoordinatorOptions options) {
  std::unique_ptr<BenchCoordinator> c(new BenchCoordinator(std::move(options)));
  FACEKIT_ASSIGN_OR_RETURN(c->etcd_, cluster::EtcdClient::Connect(c->options_.etcd));
  FACEKIT_ASSIGN_OR_RETURN(c->membership_, cluster::Membership::Observe(c->etcd_.get()));
  return c;
}

cluster::ScatterOutcome BenchCoordinator::Search(const std::vector<float>& query, std::size_t k,
                                                 std::int64_t min_seq) const {
  const cluster::MemberList members = membership_->members();
  std::vector<std::string> ids;
  for (const auto& [id, address] : members) ids.push_back(id);
  const cluster::ShardMapHistory::Maps maps = maps_.For(std::move(ids));
  const cluster::ShardMap& map = *maps.map;
  // Routes as ClusterSearch makes them, without a shard of its own: the
  // current replicas, then the shard's owners under the previous maps (they
  // keep it until its new owners serve it).
  std::vector<cluster::ShardRoute> routes;
  std::set<std::string> first;
  cluster::ReplicaOrder order("", latencies_, remote_->refusals());  // no shard of its own
  for (int s = 0; s < map.shards(); ++s) {
    std::vector<std::string> replicas = map.Replicas(options_.group_id, s);
    order.Sort(&replicas, {options_.group_id, static_cast<std::uint32_t>(s)}, maps.previous->Of(options_.group_id, s));
    if (replicas.empty()) replicas.push_back("(no live node)");
    first.insert(replicas.front());
    routes.push_back({static_cast<std::uint32_t>(s), std::move(replicas)});
  }
  cluster::ScatterOptions so;
  so.top_k = k;
  so.allow_partial = true;
  so.deadline_us = options_.deadline_ms * 1000;
  so.hedge_after_us = 0;
  for (const std::string& n : first) so.hedge_after_us = std::max(so.hedge_after_us, latencies_.HedgeAfterUs(n, so.deadline_us));
  const auto budget = static_cast<std::uint32_t>(cluster::ShardFaceBudget(k, 5));
  std::string bytes(query.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), query.data(), bytes.size());  // little-endian hosts
  cluster::ShardClient* remote = remote_.get();
  const std::function<service::ShardRef(std::uint32_t)> ref_of = [group = options_.group_id](std::uint32_t route) {
    return service::ShardRef{group, route};
  };
  const cluster::ShardTransport transport = [&](const cluster::ShardRequest& r,
                                                std::function<void(cluster::ShardReply)> done) {
    cluster::ShardCall call;
    call.query_bytes = bytes;
    call.face_model_version = options_.face_model_version;
    call.k = budget;
    call.deadline_us = options_.deadline_ms * 1000;
    call.min_seq = min_seq;
    remote->SearchRoutes(r, members, std::move(call), ref_of, std::move(done));
  };
  return cluster::RunScatterGather(std::move(routes), so, transport);
}

}  // namespace facekit::cli
