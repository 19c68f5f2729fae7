// scatter_gather.h - the coordinator's side of a sharded 1:N search: ask one
// replica of every shard, hedge slow replicas, merge the global top-K, and
// say which shards could not answer (docs/scale-out.md#search).
//
// WHAT THIS REPRESENTS
//   ScatterGather is a state machine driven by the caller with explicit
//   times (microseconds, any fixed origin): Start() says which requests to
//   send; OnReply() and OnTimer() take what happened and say what to send
//   next; Finish() merges. It does no I/O and reads no clock, so every
//   timing rule is tested deterministically; RunScatterGather() drives it
//   with a real transport and clock.
//
//   Rules:
//   - Each shard has its replicas in preference order (the caller puts
//     itself or the fastest first). Shards whose current replica is the
//     same node go in one request.
//   - A shard is answered by the first successful reply for it; later
//     replies for it are ignored (a hedge that lost).
//   - A failed request, or a shard the node says it cannot serve (not
//     loaded, moved), moves that shard to its next untried replica at once.
//   - Hedging: a shard still unanswered `hedge_after_us` after its current
//     request was sent is also asked of its next untried replica (once per
//     replica; the earlier request stays outstanding and may still win).
//   - At `deadline_us` after Start every unanswered shard is missing. A shard
//     is also missing as soon as every replica has failed for it.
//   - Finish(): MergeFaceHits over the answered shards (shard_merge.h): each
//     person's best face, the top `top_k` persons (a face that moved shards
//     mid-search and shows twice counts once).
//     Missing shards fail the search with kUnavailable naming them and why,
//     unless `allow_partial`: then the hits come back with the missing list.
//     Never a silently partial answer.
//
// THREAD SAFETY
//   ScatterGather: one thread at a time (RunScatterGather serialises).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cluster/shard_merge.h"
#include "facekit/status.h"

namespace facekit::cluster {

/// One shard and the nodes holding it, in the order to try them.
struct ShardRoute {
  std::uint32_t shard = 0;
  std::vector<std::string> replicas;
};

struct ScatterOptions {
  std::size_t top_k = 10;  ///< persons in the merged answer (MergeFaceHits' max_persons)
  std::int64_t hedge_after_us = 50'000;  ///< 0 = never hedge
  std::int64_t deadline_us = 2'000'000;
  bool allow_partial = false;
};

/// One call to a node: the shards it is asked to search.
struct ShardRequest {
  std::uint64_t id = 0;
  std::string node;
  std::vector<std::uint32_t> shards;
  /// Sent because the shards' earlier replica was slow, not because it
  /// failed (a lingering previous owner does not count it as a need for
  /// the shards it lost: ClusterSearch's hand-over).
  bool hedge = false;
};

/// A node's answer to one request: `status` not ok = the whole call failed
/// (connection refused, timeout, the node's own error); otherwise one entry
/// per shard it was asked, each hits or the reason it cannot serve it.
struct ShardReply {
  std::uint64_t request_id = 0;
  Status status;
  std::map<std::uint32_t, Result<std::vector<ShardHit>>> shards;
};

struct ScatterOutcome {
  Status status;                       ///< kUnavailable when shards are missing and partial is not allowed
  std::vector<ShardHit> hits;          ///< merged: best face per person, top_k persons (also with a partial answer)
  std::vector<std::uint32_t> missing;  ///< shards with no answer, ascending
  int requests = 0;                    ///< calls sent, hedges included
  int hedges = 0;                      ///< calls sent because a replica was slow
  int retries = 0;                     ///< calls sent because a replica failed
};

class ScatterGather {
 public:
  /// `routes` must name each shard once with at least one replica.
  ScatterGather(std::vector<ShardRoute> routes, ScatterOptions options);

  /// The first requests (one per node holding some shard first).
  std::vector<ShardRequest> Start(std::int64_t now_us);
  /// A reply (or failure) of an earlier request; unknown ids are ignored.
  std::vector<ShardRequest> OnReply(const ShardReply& reply, std::int64_t now_us);
  /// Hedges that are due, and the deadline.
  std::vector<ShardRequest> OnTimer(std::int64_t now_us);
  /// When OnTimer next has something to do (a hedge or the deadline); -1 when done.
  std::int64_t NextTimerUs() const;
  /// Every shard answered or missing.
  bool done() const;
  /// The merged answer. Before done(), shards without an answer count as missing.
  ScatterOutcome Finish() const;

 private:
  struct ShardState {
    ShardRoute route;
    std::size_t next_replica = 0;   // index of the next replica not yet asked
    int outstanding = 0;            // requests for it without a reply
    std::int64_t last_sent_us = 0;  // when its latest request went out
    bool answered = false, missing = false;
    std::vector<ShardHit> hits;
    std::vector<std::string> failures;  // "node: why", for the error message
  };
  // Sends each shard in `shards` to its next untried replica, grouped by node.
  std::vector<ShardRequest> Dispatch(const std::vector<std::size_t>& shards, std::int64_t now_us);
  // Marks missing the shards that have no request outstanding and no replica left.
  void SettleExhausted();

  ScatterOptions options_;
  std::vector<ShardState> shards_;
  std::map<std::uint32_t, std::size_t> by_shard_;
  std::map<std::uint64_t, ShardRequest> outstanding_;
  std::uint64_t next_id_ = 1;
  std::int64_t start_us_ = 0;
  bool started_ = false, deadline_passed_ = false;
  int requests_ = 0, hedges_ = 0, retries_ = 0;
};

/// Sends a request; `done` is called exactly once, from any thread, with the reply.
using ShardTransport = std::function<void(const ShardRequest& request, std::function<void(ShardReply)> done)>;

/// Runs a scatter/gather to the end with a real transport: sends, waits for
/// replies or the next timer on the steady clock, and returns the outcome.
/// Replies that arrive after it returns are dropped safely.
ScatterOutcome RunScatterGather(std::vector<ShardRoute> routes, const ScatterOptions& options,
                                const ShardTransport& transport);

}  // namespace facekit::cluster
