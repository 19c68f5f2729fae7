#include "cli/bench_cluster_coordinator.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <set>

#include "cluster/shard_map.h"
#include "cluster/shard_merge.h"
#include "facekit/cluster/v1/shard.grpc.pb.h"

namespace facekit::cli {

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

struct BenchCoordinator::Remote {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::shared_ptr<pb::Shard::Stub>> stubs;  // by address; guarded by mu
  int in_flight = 0;                                              // guarded by mu
  std::map<std::string, int> failures;                            // by reason; guarded by mu

  void CountFailure(const std::string& why) {
    std::lock_guard lock(mu);
    ++failures[why];
  }

  std::shared_ptr<pb::Shard::Stub> StubFor(const std::string& address) {
    std::string target = address;
    if (target.rfind("http://", 0) == 0) target = target.substr(7);
    while (!target.empty() && target.back() == '/') target.pop_back();
    std::lock_guard lock(mu);
    auto& stub = stubs[address];
    if (!stub) stub = pb::Shard::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    return stub;
  }
};

BenchCoordinator::BenchCoordinator(BenchCoordinatorOptions options)
    : options_(std::move(options)), remote_(std::make_unique<Remote>()) {}

BenchCoordinator::~BenchCoordinator() {
  {
    std::unique_lock lock(remote_->mu);
    remote_->cv.wait(lock, [&] { return remote_->in_flight == 0; });
  }
  membership_.reset();
}

std::map<std::string, int> BenchCoordinator::failures() const {
  std::lock_guard lock(remote_->mu);
  return remote_->failures;
}

Result<std::unique_ptr<BenchCoordinator>> BenchCoordinator::Connect(BenchCoordinatorOptions options) {
  std::unique_ptr<BenchCoordinator> c(new BenchCoordinator(std::move(options)));
  FACEKIT_ASSIGN_OR_RETURN(c->etcd_, cluster::EtcdClient::Connect(c->options_.etcd));
  FACEKIT_ASSIGN_OR_RETURN(c->membership_, cluster::Membership::Observe(c->etcd_.get()));
  return c;
}

cluster::ScatterOutcome BenchCoordinator::Search(const std::vector<float>& query, std::size_t k) const {
  const cluster::MemberList members = membership_->members();
  std::vector<std::string> ids;
  for (const auto& [id, address] : members) ids.push_back(id);
  const cluster::ShardMap map(ids, options_.shards, options_.replicas);
  // Routes as ClusterSearch makes them, without a shard of its own.
  std::vector<cluster::ShardRoute> routes;
  std::set<std::string> first;
  for (int s = 0; s < map.shards(); ++s) {
    std::vector<std::string> replicas = map.Replicas(options_.group_id, s);
    std::stable_sort(replicas.begin(), replicas.end(), [&](const std::string& a, const std::string& b) {
      auto rank = [&](const std::string& n) {
        const std::int64_t p = latencies_.P95Us(n);
        return p < 0 ? std::numeric_limits<std::int64_t>::max() : p;
      };
      return rank(a) < rank(b);
    });
    if (replicas.empty()) replicas.push_back("(no live node)");
    first.insert(replicas.front());
    routes.push_back({static_cast<std::uint32_t>(s), std::move(replicas)});
  }
  cluster::ScatterOptions so;
  so.top_k = k;
  so.allow_partial = true;
  so.deadline_us = options_.deadline_ms * 1000;
  so.hedge_after_us = 0;
  for (const std::string& n : first) so.hedge_after_us = std::max(so.hedge_after_us, latencies_.HedgeAfterUs(n, so.deadline_us));
  const auto budget = static_cast<std::uint32_t>(cluster::ShardFaceBudget(k, 5));
  std::string bytes(query.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), query.data(), bytes.size());  // little-endian hosts
  Remote* remote = remote_.get();
  cluster::LatencyTracker* tracker = &latencies_;
  const std::string bearer = "Bearer " + options_.credential;
  const cluster::ShardTransport transport = [&](const cluster::ShardRequest& r,
                                                std::function<void(cluster::ShardReply)> done) {
    auto member = members.find(r.node);
    if (member == members.end() || member->second.empty()) {
      cluster::ShardReply failed;
      failed.request_id = r.id;
      failed.status = Status(StatusCode::kUnavailable, r.node + " is not a live member with an address");
      done(std::move(failed));
      return;
    }
    struct Call {
      grpc::ClientContext ctx;
      pb::ShardSearchRequest request;
      pb::ShardSearchResponse response;
      std::chrono::steady_clock::time_point sent;
    };
    auto call = std::make_shared<Call>();
    for (std::uint32_t s : r.shards) {
      auto* ref = call->request.add_shards();
      ref->set_group_id(options_.group_id);
      ref->set_shard(s);
    }
    call->request.set_query(bytes);
    call->request.set_face_model_version(options_.face_model_version);
    call->request.set_k(budget);
    call->ctx.AddMetadata("authorization", bearer);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(options_.deadline_ms));
    call->sent = std::chrono::steady_clock::now();
    auto stub = remote->StubFor(member->second);
    {
      std::lock_guard lock(remote->mu);
      ++remote->in_flight;
    }
    stub->async()->ShardSearch(
        &call->ctx, &call->request, &call->response,
        [call, done, remote, tracker, node = r.node, id = r.id, asked = r.shards](grpc::Status status) {
          cluster::ShardReply reply;
          reply.request_id = id;
          if (!status.ok()) {
            remote->CountFailure("grpc " + GrpcCodeName(status.error_code()));
            reply.status = Status(StatusCode::kUnavailable, node + ": " + status.error_message());
          } else {
            tracker->Record(node, std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::steady_clock::now() - call->sent)
                                      .count());
            for (std::uint32_t s : asked) {
              reply.shards.insert_or_assign(s, Status(StatusCode::kUnavailable, node + ": no answer for the shard"));
            }
            for (const auto& res : call->response.results()) {
              if (!res.refused().empty()) {
                std::string why = res.refused();
                if (auto paren = why.find(" ("); paren != std::string::npos) why.resize(paren);  // drop the node
                remote->CountFailure("refused: " + why);
                reply.shards.insert_or_assign(res.shard().shard(),
                                              Status(StatusCode::kUnavailable, node + ": " + res.refused()));
                continue;
              }
              std::vector<cluster::ShardHit> hits;
              for (const auto& h : res.hits()) hits.push_back({h.face_id(), h.person_id(), h.group_id(), h.similarity()});
              reply.shards.insert_or_assign(res.shard().shard(), Result<std::vector<cluster::ShardHit>>(std::move(hits)));
            }
          }
          done(std::move(reply));
          std::lock_guard lock(remote->mu);
          --remote->in_flight;
          remote->cv.notify_all();
        });
  };
  return cluster::RunScatterGather(std::move(routes), so, transport);
}

}  // namespace facekit::cli
