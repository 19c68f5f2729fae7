#include "cluster/scatter_gather.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace facekit::cluster {

ScatterGather::ScatterGather(std::vector<ShardRoute> routes, ScatterOptions options) : options_(options) {
  shards_.reserve(routes.size());
  for (ShardRoute& r : routes) {
    by_shard_.emplace(r.shard, shards_.size());
    ShardState s;
    s.route = std::move(r);
    shards_.push_back(std::move(s));
  }
}

std::vector<ShardRequest> ScatterGather::Dispatch(const std::vector<std::size_t>& shards, std::int64_t now_us) {
  // Group by the node each shard goes to next, keeping the order nodes first appear in.
  std::vector<ShardRequest> out;
  std::map<std::string, std::size_t> slot;
  for (std::size_t i : shards) {
    ShardState& s = shards_[i];
    if (s.answered || s.missing || s.next_replica >= s.route.replicas.size()) continue;
    const std::string& node = s.route.replicas[s.next_replica++];
    auto [it, added] = slot.emplace(node, out.size());
    if (added) {
      ShardRequest r;
      r.id = next_id_++;
      r.node = node;
      out.push_back(std::move(r));
    }
    out[it->second].shards.push_back(s.route.shard);
    ++s.outstanding;
    s.last_sent_us = now_us;
  }
  for (const ShardRequest& r : out) outstanding_.emplace(r.id, r);
  requests_ += static_cast<int>(out.size());
  return out;
}

void ScatterGather::SettleExhausted() {
  for (ShardState& s : shards_) {
    if (!s.answered && !s.missing && s.outstanding == 0 && s.next_replica >= s.route.replicas.size()) {
      s.missing = true;
    }
  }
}

std::vector<ShardRequest> ScatterGather::Start(std::int64_t now_us) {
  if (started_) return {};
  started_ = true;
  start_us_ = now_us;
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < shards_.size(); ++i) all.push_back(i);
  auto out = Dispatch(all, now_us);
  SettleExhausted();  // shards listed without replicas
  return out;
}

std::vector<ShardRequest> ScatterGather::OnReply(const ShardReply& reply, std::int64_t now_us) {
  auto it = outstanding_.find(reply.request_id);
  if (it == outstanding_.end() || deadline_passed_) return {};
  const ShardRequest request = std::move(it->second);
  outstanding_.erase(it);
  std::vector<std::size_t> retry;
  for (std::uint32_t shard : request.shards) {
    ShardState& s = shards_[by_shard_.at(shard)];
    --s.outstanding;
    if (s.answered || s.missing) continue;  // a hedge already won, or given up
    std::string why;
    if (!reply.status.ok()) {
      why = reply.status.ToString();
    } else if (auto a = reply.shards.find(shard); a == reply.shards.end()) {
      why = "no answer for the shard";
    } else if (!a->second.ok()) {
      why = a->second.status().ToString();
    } else {
      s.answered = true;
      s.hits = *a->second;
      continue;
    }
    s.failures.push_back(request.node + ": " + why);
    if (s.outstanding == 0) retry.push_back(by_shard_.at(shard));
  }
  auto out = Dispatch(retry, now_us);
  retries_ += static_cast<int>(out.size());
  SettleExhausted();
  return out;
}

std::vector<ShardRequest> ScatterGather::OnTimer(std::int64_t now_us) {
  if (!started_ || done()) return {};
  if (now_us >= start_us_ + options_.deadline_us) {
    deadline_passed_ = true;
    for (ShardState& s : shards_) {
      if (s.answered || s.missing) continue;
      s.missing = true;
      if (s.outstanding > 0) s.failures.push_back("no answer within the deadline");
    }
    outstanding_.clear();
    return {};
  }
  if (options_.hedge_after_us <= 0) return {};
  std::vector<std::size_t> slow;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    const ShardState& s = shards_[i];
    if (!s.answered && !s.missing && s.outstanding > 0 && s.next_replica < s.route.replicas.size() &&
        now_us >= s.last_sent_us + options_.hedge_after_us) {
      slow.push_back(i);
    }
  }
  auto out = Dispatch(slow, now_us);
  for (ShardRequest& r : out) r.hedge = true;
  hedges_ += static_cast<int>(out.size());
  return out;
}

std::int64_t ScatterGather::NextTimerUs() const {
  if (!started_ || done()) return -1;
  std::int64_t next = start_us_ + options_.deadline_us;
  if (options_.hedge_after_us > 0) {
    for (const ShardState& s : shards_) {
      if (!s.answered && !s.missing && s.outstanding > 0 && s.next_replica < s.route.replicas.size()) {
        next = std::min(next, s.last_sent_us + options_.hedge_after_us);
      }
    }
  }
  return next;
}

bool ScatterGather::done() const {
  return std::all_of(shards_.begin(), shards_.end(), [](const ShardState& s) { return s.answered || s.missing; });
}

ScatterOutcome ScatterGather::Finish() const {
  ScatterOutcome o;
  o.requests = requests_;
  o.hedges = hedges_;
  o.retries = retries_;
  std::vector<std::vector<ShardHit>> answered;
  std::string why_missing;
  for (const ShardState& s : shards_) {
    if (!s.answered) {
      o.missing.push_back(s.route.shard);
      why_missing += (why_missing.empty() ? "" : "; ") + std::string("shard ") + std::to_string(s.route.shard);
      if (s.route.replicas.empty()) why_missing += ": no replica";
      for (std::size_t i = 0; i < s.failures.size(); ++i) why_missing += (i ? ", " : ": ") + s.failures[i];
      if (s.failures.empty() && !s.route.replicas.empty()) why_missing += ": no answer";
      continue;
    }
    answered.push_back(s.hits);
  }
  o.hits = MergeFaceHits(answered, options_.top_k);
  std::sort(o.missing.begin(), o.missing.end());
  if (!o.missing.empty() && !options_.allow_partial) {
    o.status = Status(StatusCode::kUnavailable, std::to_string(o.missing.size()) + " of " +
                                                    std::to_string(shards_.size()) +
                                                    " shards could not answer (" + why_missing + ")");
  }
  return o;
}

ScatterOutcome RunScatterGather(std::vector<ShardRoute> routes, const ScatterOptions& options,
                                const ShardTransport& transport) {
  // Replies may arrive on transport threads, also after this returns: they go
  // into a shared inbox that outlives the call.
  struct Inbox {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<ShardReply> replies;
  };
  auto inbox = std::make_shared<Inbox>();
  const auto origin = std::chrono::steady_clock::now();
  auto now_us = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - origin).count();
  };
  ScatterGather sg(std::move(routes), options);
  auto send = [&](const std::vector<ShardRequest>& requests) {
    for (const ShardRequest& r : requests) {
      transport(r, [inbox](ShardReply reply) {
        std::lock_guard<std::mutex> lock(inbox->mu);
        inbox->replies.push_back(std::move(reply));
        inbox->cv.notify_all();
      });
    }
  };
  send(sg.Start(now_us()));
  while (!sg.done()) {
    std::vector<ShardReply> got;
    {
      std::unique_lock<std::mutex> lock(inbox->mu);
      const std::int64_t wake = sg.NextTimerUs();
      inbox->cv.wait_until(lock, origin + std::chrono::microseconds(wake), [&] { return !inbox->replies.empty(); });
      got.swap(inbox->replies);
    }
    for (const ShardReply& r : got) send(sg.OnReply(r, now_us()));
    send(sg.OnTimer(now_us()));
  }
  return sg.Finish();
}

}  // namespace facekit::cluster
