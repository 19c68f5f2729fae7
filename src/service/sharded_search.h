// sharded_search.h - the two seams of a sharded 1:N search (docs/scale-out.md,
// "Search"), declared here so that the service and the transports know no
// cluster, store or network code.
//
// WHAT THIS REPRESENTS
//   SearchRouter: where FaceService::SearchFaces and SearchPersons find their
//   candidates when the node is part of a cluster (cluster::ClusterSearch
//   scatters the query over one replica of every shard and merges; a person
//   search asks the shards' persons, RoutedSearchQuery::persons). Null = the
//   local gallery.
//   ShardSearchHandler: what the internal gRPC call
//   facekit.cluster.v1.Shard/ShardSearch runs on the node asked: its own
//   shards searched, or refused when not loaded here.
//
// THREAD SAFETY
//   Implementations are called concurrently from request threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::service {

/// A face (or, with no face id, a person's fused feature) found by a sharded search.
struct RoutedHit {
  std::string face_id, person_id, group_id;
  float similarity = 0;
};

struct RoutedSearchQuery {
  std::vector<std::string> group_ids;
  std::vector<float> query;  ///< of `face_model_version`
  std::string face_model_version;
  std::size_t max_persons = 5;           ///< persons wanted (MaxPersonNum)
  std::size_t max_faces_per_person = 5;  ///< the gallery's limit: sets each shard's budget
  bool allow_partial = false;            ///< answer without missing shards instead of failing
  /// The caller's deadline (gRPC deadline, REST Grpc-Timeout), if any: the
  /// shards get at most about 90 % of the time left (the node's own limit
  /// still applies), and a search it cuts short fails with kDeadlineExceeded.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// Read-your-writes: the shards answer from a change-log position at least
  /// this (0: any); a replica that cannot reach it in time refuses its shards.
  std::int64_t min_seq = 0;
  /// Persons' fused features (SearchPersons) instead of faces: each shard
  /// answers the persons of its own shard (store::ShardOfPerson); hits carry
  /// no face id.
  bool persons = false;
};

struct RoutedSearchResult {
  /// Each person's best face (or fused feature), best first, at most max_persons.
  std::vector<RoutedHit> hits;
  /// Shards that did not answer ("GROUP/SHARD"), only with allow_partial.
  std::vector<std::string> missing_shards;
};

class SearchRouter {
 public:
  virtual ~SearchRouter() = default;
  /// kUnavailable when shards did not answer and partial answers are not allowed.
  virtual Result<RoutedSearchResult> SearchFaces(const RoutedSearchQuery& query) const = 0;
};

/// One shard of one group.
struct ShardRef {
  std::string group_id;
  std::uint32_t shard = 0;
};

struct ShardQuery {
  std::vector<ShardRef> shards;
  std::vector<float> query;
  std::string face_model_version;
  std::uint32_t k = 0;  ///< faces (or persons) per shard
  bool persons = false;  ///< the shards' persons' fused features instead of their faces
  bool hedge = false;    ///< a hedge (the replica asked before was slow), not a need for a lost shard
  /// Read-your-writes: answer from a change-log position at least this (0:
  /// any), waiting for it until `wait_until`; refused ("behind") otherwise.
  std::int64_t min_seq = 0;
  std::chrono::steady_clock::time_point wait_until{};
};

struct ShardAnswer {
  ShardRef shard;
  std::string refused;  ///< non-empty: not served here, and why ("not loaded here")
  std::vector<RoutedHit> hits;
  std::int64_t applied_seq = 0;  ///< the node's change-log position when it searched
};

class ShardSearchHandler {
 public:
  virtual ~ShardSearchHandler() = default;
  /// One answer per shard asked, in the order asked.
  virtual Result<std::vector<ShardAnswer>> SearchShards(const ShardQuery& query) const = 0;
};

}  // namespace facekit::service
