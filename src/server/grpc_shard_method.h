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

#include <chrono>
#include <optional>
#include <string>

#include "service/face_service.h"
#include "service/sharded_search.h"

namespace facekit::server {

inline constexpr const char* kShardSearchPath = "/facekit.cluster.v1.Shard/ShardSearch";
inline constexpr const char* kShardSearchAction = "ShardSearch";

/// Parses a serialized ShardSearchRequest, runs it on `handler`, and writes
/// the serialized ShardSearchResponse; an error as the cloud's codes.
/// `wait_until`: how long a request's min_seq may be waited for.
std::optional<service::ApiError> RunShardSearch(const service::ShardSearchHandler& handler,
                                                const std::string& request_bytes, std::string* response_bytes,
                                                std::chrono::steady_clock::time_point wait_until);

/// The min_seq of a serialized ShardSearchRequest (0 when absent or unparsable):
/// a positive one may make the call wait for the change log.
std::int64_t ShardSearchMinSeq(const std::string& request_bytes);

}  // namespace facekit::server
