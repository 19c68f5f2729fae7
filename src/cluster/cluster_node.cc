#include "cluster/cluster_node.h"

namespace facekit::cluster {

Result<std::unique_ptr<ClusterNode>> ClusterNode::Join(ClusterNodeOptions options) {
  std::unique_ptr<ClusterNode> node(new ClusterNode(std::move(options)));
  FACEKIT_ASSIGN_OR_RETURN(node->client_, EtcdClient::Connect(node->options_.endpoints));
  MembershipOptions mo;
  mo.ttl_s = node->options_.ttl_s;
  ClusterNode* self = node.get();
  FACEKIT_ASSIGN_OR_RETURN(node->membership_,
                           Membership::Join(node->client_.get(), node->options_.node_id, node->options_.address, mo,
                                            [self](const MemberList& members) {
                                              std::vector<std::string> ids;
                                              for (const auto& [id, address] : members) ids.push_back(id);
                                              auto map = std::make_shared<const ShardMap>(
                                                  std::move(ids), self->options_.shards, self->options_.replicas,
                                                  self->options_.placement);
                                              {
                                                std::lock_guard lock(self->mu_);
                                                self->map_ = map;
                                              }
                                              if (self->options_.on_change) self->options_.on_change(members);
                                              if (self->options_.on_map_change) {
                                                self->options_.on_map_change(members, std::move(map));
                                              }
                                            }));
  return node;
}

ClusterNode::~ClusterNode() { membership_.reset(); }

std::shared_ptr<const ShardMap> ClusterNode::shard_map() const {
  std::lock_guard lock(mu_);
  return map_;
}

}  // namespace facekit::cluster
