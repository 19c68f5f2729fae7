#include "cluster/shard_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <tuple>

#include "facekit/cluster/v1/shard.grpc.pb.h"

namespace facekit::cluster {

namespace pb = ::facekit::cluster::v1;

namespace {

std::string GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    default: return "code " + std::to_string(static_cast<int>(code));
  }
}

}  // namespace

void RefusalMemory::Note(const std::string& node, const service::ShardRef& shard) {
  const auto now = Now();
  std::lock_guard lock(mu_);
  at_[{node, shard.group_id, shard.shard}] = now;
  if (at_.size() > 4096) {  // forget the expired ones
    for (auto it = at_.begin(); it != at_.end();) it = now - it->second > ttl_ ? at_.erase(it) : std::next(it);
  }
}

bool RefusalMemory::Recent(const std::string& node, const service::ShardRef& shard) const {
  const auto now = Now();
  std::lock_guard lock(mu_);
  auto it = at_.find({node, shard.group_id, shard.shard});
  return it != at_.end() && now - it->second <= ttl_;
}

struct ShardClient::Channels {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<pb::Shard::Stub>> stubs;  // by address; guarded by mu
  int in_flight = 0;                                              // guarded by mu
  std::map<std::string, int> failures;                            // by reason; guarded by mu

  // "http://host:port" -> ("host:port", plaintext); "https://..." -> TLS.
  std::shared_ptr<pb::Shard::Stub> StubFor(const std::string& address, std::string* target) {
    std::string t = address;
    bool tls = false;
    if (t.rfind("http://", 0) == 0) {
      t = t.substr(7);
    } else if (t.rfind("https://", 0) == 0) {
      t = t.substr(8);
      tls = true;
    }
    while (!t.empty() && t.back() == '/') t.pop_back();
    *target = t;
    std::lock_guard lock(mu);
    auto& stub = stubs[address];
    if (!stub) {
      auto creds = tls ? grpc::SslCredentials(grpc::SslCredentialsOptions{}) : grpc::InsecureChannelCredentials();
      stub = pb::Shard::NewStub(grpc::CreateChannel(t, creds));
    }
    return stub;
  }
  void Count(const std::string& why) {
    std::lock_guard lock(mu);
    ++failures[why];
  }
};

namespace {

// gRPC's client callback API (ShardSearch's async() calls) runs on a
// process-wide completion queue, reference counted by the channels that made
// a callback call: when the last of them is destroyed gRPC shuts the queue
// down and deletes it, and that teardown races with the queue's own polling
// threads (gRPC 1.51: "double free or corruption" at the end of `facekit
// bench cluster`, and under ASan "attempting double-free" in
// grpc_cq_internal_unref on a gRPC thread, 1 run in 5 at 3,000 faces). One
// channel that made a callback call is kept for the process's life (never
// destroyed, so the count never reaches zero): the queue lives until exit.
void HoldCallbackQueue() {
  static const bool held = [] {
    // A target that cannot answer: the call fails at once or at its 1 ms deadline.
    static auto* const keeper = new std::shared_ptr<grpc::Channel>(
        grpc::CreateChannel("unix:/nonexistent/facekit-callback-queue", grpc::InsecureChannelCredentials()));
    auto stub = pb::Shard::NewStub(*keeper);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1));
    pb::ShardSearchRequest request;
    pb::ShardSearchResponse response;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    stub->async()->ShardSearch(&ctx, &request, &response, [&](const grpc::Status&) {
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    return true;
  }();
  (void)held;
}

}  // namespace

ShardClient::ShardClient(Signer sign, LatencyTracker* latencies)
    : sign_(std::move(sign)), latencies_(latencies), channels_(std::make_unique<Channels>()) {
  HoldCallbackQueue();
}

ShardClient::~ShardClient() {
  std::unique_lock lock(channels_->mu);
  channels_->cv.wait(lock, [&] { return channels_->in_flight == 0; });
}

std::map<std::string, int> ShardClient::failures() const {
  std::lock_guard lock(channels_->mu);
  return channels_->failures;
}

void ShardClient::Search(const ShardCall& c, Done done) {
  struct Call {
    grpc::ClientContext ctx;
    pb::ShardSearchRequest request;
    pb::ShardSearchResponse response;
    std::chrono::steady_clock::time_point sent;
  };
  auto call = std::make_shared<Call>();
  for (const service::ShardRef& ref : c.shards) {
    auto* s = call->request.add_shards();
    s->set_group_id(ref.group_id);
    s->set_shard(ref.shard);
  }
  call->request.set_query(c.query_bytes);
  call->request.set_face_model_version(c.face_model_version);
  call->request.set_k(c.k);
  call->request.set_min_seq(c.min_seq);
  call->request.set_persons(c.persons);
  call->request.set_hedge(c.hedge);
  std::string target;
  auto stub = channels_->StubFor(c.address, &target);
  if (sign_) {
    for (auto& [name, value] : sign_(target, call->request.SerializeAsString())) call->ctx.AddMetadata(name, value);
  }
  call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::microseconds(c.deadline_us));
  call->sent = std::chrono::steady_clock::now();
  Channels* channels = channels_.get();
  LatencyTracker* tracker = latencies_;
  {
    std::lock_guard lock(channels->mu);
    ++channels->in_flight;
  }
  stub->async()->ShardSearch(
      &call->ctx, &call->request, &call->response,
      [call, done = std::move(done), channels, tracker, refusals = &refusals_, node = c.node,
       deadline_us = c.deadline_us](grpc::Status status) {
        const auto took =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - call->sent)
                .count();
        if (!status.ok()) {
          channels->Count("grpc " + GrpcCodeName(status.error_code()));
          if (tracker != nullptr) tracker->RecordFailure(node, took, deadline_us);
          done(Status(StatusCode::kUnavailable, node + ": " + status.error_message()));
        } else {
          if (tracker != nullptr) tracker->Record(node, took);
          std::vector<service::ShardAnswer> answers;
          for (const auto& res : call->response.results()) {
            service::ShardAnswer a;
            a.shard = {res.shard().group_id(), res.shard().shard()};
            a.refused = res.refused();
            a.applied_seq = res.applied_seq();
            if (!a.refused.empty()) {
              refusals->Note(node, a.shard);
              std::string why = a.refused;
              if (auto paren = why.find(" ("); paren != std::string::npos) why.resize(paren);  // drop the node
              channels->Count("refused: " + why);
            }
            for (const auto& h : res.hits()) a.hits.push_back({h.face_id(), h.person_id(), h.group_id(), h.similarity()});
            answers.push_back(std::move(a));
          }
          done(std::move(answers));
        }
        std::lock_guard lock(channels->mu);
        --channels->in_flight;
        channels->cv.notify_all();
      });
}

void ShardClient::SearchRoutes(const ShardRequest& request, const MemberList& members, ShardCall call,
                               const RouteRef& ref_of, std::function<void(ShardReply)> done) {
  auto member = members.find(request.node);
  if (member == members.end() || member->second.empty()) {
    done(FailedReply(request.id, Status(StatusCode::kUnavailable, request.node + " is not a live member with an address")));
    return;
  }
  call.node = request.node;
  call.address = member->second;
  call.hedge = request.hedge;
  call.shards.clear();
  for (std::uint32_t route : request.shards) call.shards.push_back(ref_of(route));
  Search(call, [done = std::move(done), id = request.id, node = request.node, asked = request.shards,
                ref_of](Result<std::vector<service::ShardAnswer>> answers) {
    done(answers.ok() ? ReplyFromAnswers(id, node, asked, ref_of, *answers) : FailedReply(id, answers.status()));
  });
}

ShardReply ReplyFromAnswers(std::uint64_t request_id, const std::string& node,
                            const std::vector<std::uint32_t>& routes_asked,
                            const std::function<service::ShardRef(std::uint32_t route)>& ref_of,
                            const std::vector<service::ShardAnswer>& answers) {
  ShardReply reply;
  reply.request_id = request_id;
  for (std::size_t i = 0; i < routes_asked.size(); ++i) {
    const std::uint32_t route = routes_asked[i];
    const service::ShardRef ref = ref_of(route);
    const service::ShardAnswer* a = nullptr;
    for (std::size_t j = 0; j < answers.size() && a == nullptr; ++j) {
      const std::size_t at = (i + j) % answers.size();  // usually i itself
      if (answers[at].shard.group_id == ref.group_id && answers[at].shard.shard == ref.shard) a = &answers[at];
    }
    if (a == nullptr) {
      reply.shards.insert_or_assign(route, Status(StatusCode::kUnavailable, node + ": no answer for the shard"));
    } else if (!a->refused.empty()) {
      reply.shards.insert_or_assign(route, Status(StatusCode::kUnavailable, node + ": " + a->refused));
    } else {
      std::vector<ShardHit> hits;
      hits.reserve(a->hits.size());
      for (const auto& h : a->hits) hits.push_back({h.face_id, h.person_id, h.group_id, h.similarity});
      reply.shards.insert_or_assign(route, Result<std::vector<ShardHit>>(std::move(hits)));
    }
  }
  return reply;
}

std::int64_t ReplicaOrder::Rank(const std::string& node) {
  auto [it, fresh] = ranks_.try_emplace(node, 0);
  if (fresh) {
    const std::int64_t p = latencies_.RankUs(node);
    it->second = p < 0 ? std::numeric_limits<std::int64_t>::max() : p;
  }
  return it->second;
}

void ReplicaOrder::Sort(std::vector<std::string>* replicas, const service::ShardRef& shard,
                        const std::vector<std::string>& previous) {
  // Tiers: 0 self (current), 1 other current, 2 previous owner, 3 refused recently.
  std::map<std::string, std::pair<int, std::int64_t>> keys;
  for (const std::string& n : *replicas) {
    const int tier = n == self_ ? 0 : refusals_.Recent(n, shard) ? 3 : 1;
    keys.emplace(n, std::make_pair(tier, Rank(n)));
  }
  for (const std::string& n : previous) {
    if (keys.count(n) != 0) continue;
    const int tier = n != self_ && refusals_.Recent(n, shard) ? 3 : 2;
    keys.emplace(n, std::make_pair(tier, Rank(n)));
    replicas->push_back(n);
  }
  std::stable_sort(replicas->begin(), replicas->end(),
                   [&](const std::string& a, const std::string& b) { return keys[a] < keys[b]; });
}

ShardReply FailedReply(std::uint64_t request_id, Status status) {
  ShardReply failed;
  failed.request_id = request_id;
  failed.status = std::move(status);
  return failed;
}

}  // namespace facekit::cluster
