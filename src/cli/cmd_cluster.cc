// facekit cluster status - the live nodes registered in etcd and, for a
// group, how the shard map spreads its shards over them (docs/scale-out.md).
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cluster/etcd_client.h"
#include "cluster/membership.h"
#include "cluster/shard_map.h"

namespace facekit::cli {
namespace {

struct ClusterStatusOptions {
  std::string etcd;
  std::string group;
  int shards = cluster::kDefaultShards;
  int replicas = cluster::kDefaultReplicas;
  std::string placement = "balanced";
  bool json = false;
};

int ClusterStatus(const ClusterStatusOptions& o) {
  auto client = cluster::EtcdClient::Connect(o.etcd);
  if (!client.ok()) return Fail(client.status());
  auto nodes = (*client)->GetPrefix(cluster::MembershipOptions().prefix);
  if (!nodes.ok()) return Fail(nodes.status());
  const std::string prefix = cluster::MembershipOptions().prefix;
  std::vector<std::string> ids;
  nlohmann::json members = nlohmann::json::array();
  for (const auto& kv : nodes->kvs) {
    ids.push_back(kv.key.substr(prefix.size()));
    members.push_back({{"node_id", ids.back()}, {"address", kv.value}, {"lease", kv.lease}});
  }
  const cluster::ShardMap map(ids, o.shards, o.replicas, *cluster::ParsePlacement(o.placement));
  nlohmann::json out = {{"revision", nodes->revision}, {"members", members}};
  if (!o.group.empty()) {
    nlohmann::json per_node = nlohmann::json::object();
    for (const auto& id : map.nodes()) per_node[id] = map.ShardsOf(id, o.group);
    out["group"] = o.group;
    out["shards"] = o.shards;
    out["replicas"] = o.replicas;
    out["placement"] = o.placement;
    out["shards_per_node"] = per_node;
  }
  if (o.json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%zu node(s) at etcd revision %lld\n", ids.size(), static_cast<long long>(nodes->revision));
  for (const auto& m : members) {
    std::printf("  %-20s %s\n", m["node_id"].get<std::string>().c_str(), m["address"].get<std::string>().c_str());
  }
  if (!o.group.empty()) {
    std::printf("group %s: %d shards x %d replicas, %s placement\n", o.group.c_str(), o.shards, o.replicas,
                o.placement.c_str());
    for (const auto& id : map.nodes()) {
      std::printf("  %-20s %zu shards\n", id.c_str(), map.ShardsOf(id, o.group).size());
    }
  }
  return 0;
}

}  // namespace

void RegisterCluster(CLI::App& app, Action* run) {
  CLI::App* cluster_app = app.add_subcommand("cluster", "A FaceKit cluster's membership in etcd (docs/scale-out.md)");
  cluster_app->require_subcommand(1);
  auto o = std::make_shared<ClusterStatusOptions>();
  CLI::App* status = cluster_app->add_subcommand("status", "The live nodes, and a group's shards per node");
  status->add_option("--etcd", o->etcd, "etcd endpoints HOST:PORT[,HOST:PORT...]")->required();
  status->add_option("--group", o->group, "Show how this group's shards are placed");
  status->add_option("--shards", o->shards, "Shards per group")->default_val(o->shards)->check(CLI::Range(1, 65536));
  status->add_option("--replicas", o->replicas, "Replicas per shard")
      ->default_val(o->replicas)
      ->check(CLI::Range(1, 16));
  status->add_option("--shard-placement", o->placement, "The nodes' --shard-placement")
      ->default_val(o->placement)
      ->check(CLI::IsMember({"balanced", "rendezvous"}));
  status->add_flag("--json", o->json, "One JSON object");
  status->callback([o, run] { *run = [o] { return ClusterStatus(*o); }; });
}

}  // namespace facekit::cli
