// grpc_shard_method.h - facekit.cluster.v1.Shard/ShardSearch (proto/facekit/
// cluster/v1/shard.proto), the call a cluster node coordinating a search
// makes to the replicas of the shards (docs/scale-out.md, "Search").
//
// WHAT THIS REPRESENTS
//   The translation between the wire messages and service::ShardSearchHandler;
//   FaceKitGrpcService registers the method beside facekit.v1.FaceKit when a
//   handler is given and authenticates it like every call (admin keys only,
//   no rate limit: the client's own search was counted once).
//
// THREAD SAFETY
//   Stateless.
#pragma once

#include <optional>
#include <string>

#include "service/face_service.h"
#include "service/sharded_search.h"

namespace facekit::server {

inline constexpr const char* kShardSearchPath = "/facekit.cluster.v1.Shard/ShardSearch";
inline constexpr const char* kShardSearchAction = "ShardSearch";

/// Parses a serialized ShardSearchRequest into the handler's query (every
/// field but wait_until); an error as the cloud's codes when it is not one.
std::optional<service::ApiError> ParseShardSearch(const std::string& request_bytes, service::ShardQuery* query);

/// Runs a parsed query on `handler` and writes the serialized
/// ShardSearchResponse; an error as the cloud's codes. `query.wait_until`:
/// how long its min_seq may be waited for.
std::optional<service::ApiError> RunShardSearch(const service::ShardSearchHandler& handler,
                                                const service::ShardQuery& query, std::string* response_bytes);

}  // namespace facekit::server
