#include "server/grpc_shard_method.h"

#include <cstring>

#include "facekit/cluster/v1/shard.pb.h"

namespace facekit::server {

std::optional<service::ApiError> ParseShardSearch(const std::string& request_bytes, service::ShardQuery* query) {
  facekit::cluster::v1::ShardSearchRequest request;
  if (!request.ParseFromString(request_bytes)) {
    return service::ApiError{"InvalidParameter", "the request is not a facekit.cluster.v1.ShardSearchRequest message"};
  }
  if (request.query().size() % sizeof(float) != 0 || request.query().empty()) {
    return service::ApiError{"InvalidParameterValue", "query must be a non-empty float32 vector"};
  }
  service::ShardQuery& q = *query;
  q.query.resize(request.query().size() / sizeof(float));
  std::memcpy(q.query.data(), request.query().data(), request.query().size());  // little-endian hosts
  q.face_model_version = request.face_model_version();
  q.k = request.k();
  q.persons = request.persons();
  q.hedge = request.hedge();
  if (request.min_seq() < 0) return service::ApiError{"InvalidParameterValue", "min_seq must not be negative"};
  q.min_seq = request.min_seq();
  for (const auto& s : request.shards()) q.shards.push_back({s.group_id(), s.shard()});
  return std::nullopt;
}

std::optional<service::ApiError> RunShardSearch(const service::ShardSearchHandler& handler,
                                                const service::ShardQuery& query, std::string* response_bytes) {
  auto answers = handler.SearchShards(query);
  if (!answers.ok()) return service::ApiError{"FailedOperation.ServerError", answers.status().ToString()};
  facekit::cluster::v1::ShardSearchResponse response;
  for (const service::ShardAnswer& a : *answers) {
    auto* r = response.add_results();
    r->mutable_shard()->set_group_id(a.shard.group_id);
    r->mutable_shard()->set_shard(a.shard.shard);
    r->set_applied_seq(a.applied_seq);
    r->set_refused(a.refused);
    for (const service::RoutedHit& h : a.hits) {
      auto* hit = r->add_hits();
      hit->set_face_id(h.face_id);
      hit->set_person_id(h.person_id);
      hit->set_group_id(h.group_id);
      hit->set_similarity(h.similarity);
    }
  }
  *response_bytes = response.SerializeAsString();
  return std::nullopt;
}

}  // namespace facekit::server
