#include "server/grpc_shard_method.h"

#include <cstring>

#include "facekit/cluster/v1/shard.pb.h"

namespace facekit::server {

std::optional<service::ApiError> RunShardSearch(const service::ShardSearchHandler& handler,
                                                const std::string& request_bytes, std::string* response_bytes,
                                                std::chrono::steady_clock::time_point wait_until) {
  facekit::cluster::v1::ShardSearchRequest request;
  if (!request.ParseFromString(request_bytes)) {
    return service::ApiError{"InvalidParameter", "the request is not a facekit.cluster.v1.ShardSearchRequest message"};
  }
  if (request.query().size() % sizeof(float) != 0 || request.query().empty()) {
    return service::ApiError{"InvalidParameterValue", "query must be a non-empty float32 vector"};
  }
  service::ShardQuery q;
  q.query.resize(request.query().size() / sizeof(float));
  std::memcpy(q.query.data(), request.query().data(), request.query().size());  // little-endian hosts
  q.face_model_version = request.face_model_version();
  q.k = request.k();
  q.persons = request.persons();
  if (request.min_seq() < 0) return service::ApiError{"InvalidParameterValue", "min_seq must not be negative"};
  q.min_seq = request.min_seq();
  q.wait_until = wait_until;
  for (const auto& s : request.shards()) q.shards.push_back({s.group_id(), s.shard()});
  auto answers = handler.SearchShards(q);
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

std::int64_t ShardSearchMinSeq(const std::string& request_bytes) {
  facekit::cluster::v1::ShardSearchRequest request;
  if (!request.ParseFromString(request_bytes)) return 0;
  return request.min_seq();
}

}  // namespace facekit::server
