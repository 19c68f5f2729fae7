#include "cluster/etcd_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <condition_variable>

#include "etcd/etcdserverpb/rpc.grpc.pb.h"

namespace facekit::cluster {

struct EtcdClient::Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
};

namespace {

Status FromGrpc(const grpc::Status& s, const char* call) {
  StatusCode code = StatusCode::kIoError;  // unreachable, deadline, no leader, ...
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      code = StatusCode::kNotFound;
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = StatusCode::kInvalidArgument;
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      code = StatusCode::kFailedPrecondition;
      break;
    default:
      break;
  }
  return Status(code, std::string("etcd ") + call + ": " + s.error_message());
}

// A unary call retried while etcd is unreachable, between leaders, or does
// not answer one attempt within `attempt` (a request a follower forwarded to
// a leader that died hangs until etcd's own request timeout, longer than
// ours), up to `timeout` in all. Retrying repeats the request: Put and
// DeleteRange are idempotent; a retried Txn or LeaseGrant whose first attempt
// was applied after all reports that (PutIfAbsent: false) or leaves an unused
// lease to expire.
template <typename Call>
grpc::Status Retried(std::chrono::milliseconds timeout, std::chrono::milliseconds attempt, Call&& call) {
  const auto deadline = std::chrono::system_clock::now() + timeout;
  while (true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::min(deadline, std::chrono::system_clock::now() + attempt));
    ctx.set_wait_for_ready(true);
    grpc::Status s = call(ctx);
    const bool retry =
        s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    if (!retry || std::chrono::system_clock::now() >= deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

EtcdKeyValue FromProto(const mvccpb::KeyValue& kv) {
  return {kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.lease()};
}

// "127.0.0.1:2379,http://127.0.0.1:22379" -> a gRPC target over all of them.
Result<std::string> TargetOf(const std::string& endpoints) {
  std::vector<std::string> list;
  std::size_t start = 0;
  while (start <= endpoints.size()) {
    std::size_t comma = endpoints.find(',', start);
    if (comma == std::string::npos) comma = endpoints.size();
    std::string e = endpoints.substr(start, comma - start);
    for (const char* scheme : {"http://", "https://"}) {
      if (e.rfind(scheme, 0) == 0) e = e.substr(std::string(scheme).size());
    }
    while (!e.empty() && e.back() == '/') e.pop_back();
    if (!e.empty()) list.push_back(e);
    start = comma + 1;
  }
  if (list.empty()) return Status(StatusCode::kInvalidArgument, "no etcd endpoint given (HOST:PORT[,HOST:PORT...])");
  if (list.size() == 1) return list[0];
  // Several: gRPC's ipv4 resolver takes a list of literal addresses.
  std::string target = "ipv4:";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string host = list[i].substr(0, list[i].rfind(':'));
    if (host.find_first_not_of("0123456789.") != std::string::npos || list[i].find(':') == std::string::npos) {
      return Status(StatusCode::kInvalidArgument,
                    "several etcd endpoints must be IPv4 HOST:PORT addresses, not '" + list[i] + "'");
    }
    target += (i ? "," : "") + list[i];
  }
  return target;
}

class KeepAliveImpl final : public EtcdKeepAlive {
 public:
  KeepAliveImpl(EtcdClient::Stubs* stubs, std::int64_t lease, std::chrono::milliseconds interval,
                std::function<void()> on_lost)
      : stubs_(stubs), lease_(lease), interval_(interval), on_lost_(std::move(on_lost)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~KeepAliveImpl() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      if (ctx_) ctx_->TryCancel();
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  // Sleeps `d` unless stopped; false when stopped.
  bool Wait(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [this] { return stop_; });
  }

  // One renewal per stream, each with a deadline well inside the TTL: a
  // member that hangs (rather than closing its connections) costs one
  // attempt, and the next stream goes to another member (round robin).
  void Loop() {
    const auto attempt = std::min(interval_, std::chrono::milliseconds(1000));
    while (true) {
      const auto next = std::chrono::steady_clock::now() + interval_;
      grpc::ClientContext ctx;
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
        ctx_ = &ctx;
      }
      ctx.set_deadline(std::chrono::system_clock::now() + attempt);
      auto stream = stubs_->lease->LeaseKeepAlive(&ctx);
      etcdserverpb::LeaseKeepAliveRequest req;
      req.set_id(lease_);
      etcdserverpb::LeaseKeepAliveResponse resp;
      const bool renewed = stream->Write(req) && stream->Read(&resp);
      ctx.TryCancel();
      (void)stream->Finish();
      {
        std::lock_guard lock(mu_);
        ctx_ = nullptr;
      }
      if (renewed && resp.ttl() <= 0) {  // etcd says the lease is gone
        if (on_lost_) on_lost_();
        return;
      }
      // Renewed: wait for the next one. Not renewed (member gone or hung,
      // no leader yet): try again shortly on another stream.
      const auto wait = renewed ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                      next - std::chrono::steady_clock::now())
                                : std::chrono::milliseconds(50);
      if (!Wait(std::max(wait, std::chrono::milliseconds(0)))) return;
    }
  }

  EtcdClient::Stubs* stubs_;
  const std::int64_t lease_;
  const std::chrono::milliseconds interval_;
  std::function<void()> on_lost_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  grpc::ClientContext* ctx_ = nullptr;
  std::thread thread_;
};

class WatchImpl final : public EtcdWatch {
 public:
  WatchImpl(EtcdClient::Stubs* stubs, std::string prefix, std::int64_t start_revision,
            std::function<void(const std::vector<EtcdEvent>&)> on_events, std::function<void(const Status&)> on_broken)
      : stubs_(stubs),
        prefix_(std::move(prefix)),
        start_revision_(start_revision),
        on_events_(std::move(on_events)),
        on_broken_(std::move(on_broken)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~WatchImpl() override {
    stop_ = true;
    ctx_.TryCancel();
    thread_.join();
  }

 private:
  void Loop() {
    auto stream = stubs_->watch->Watch(&ctx_);
    etcdserverpb::WatchRequest req;
    auto* create = req.mutable_create_request();
    create->set_key(prefix_);
    create->set_range_end(PrefixRangeEnd(prefix_));
    create->set_start_revision(start_revision_);
    Status broken = Status(StatusCode::kIoError, "etcd watch: the stream ended");
    if (stream->Write(req)) {
      etcdserverpb::WatchResponse resp;
      while (stream->Read(&resp)) {
        if (resp.canceled()) {
          broken = Status(StatusCode::kIoError,
                          "etcd watch cancelled: " + resp.cancel_reason() +
                              (resp.compact_revision()
                                   ? " (history compacted at revision " + std::to_string(resp.compact_revision()) + ")"
                                   : ""));
          break;
        }
        if (resp.events_size() == 0) continue;
        std::vector<EtcdEvent> events;
        events.reserve(static_cast<std::size_t>(resp.events_size()));
        for (const auto& e : resp.events()) {
          events.push_back({e.type() == mvccpb::Event::DELETE ? EtcdEvent::Type::kDelete : EtcdEvent::Type::kPut,
                            FromProto(e.kv())});
        }
        on_events_(events);
      }
    }
    ctx_.TryCancel();
    const grpc::Status s = stream->Finish();
    if (stop_) return;
    if (!s.ok() && s.error_code() != grpc::StatusCode::CANCELLED) broken = FromGrpc(s, "watch");
    if (on_broken_) on_broken_(broken);
  }

  EtcdClient::Stubs* stubs_;
  const std::string prefix_;
  const std::int64_t start_revision_;
  std::function<void(const std::vector<EtcdEvent>&)> on_events_;
  std::function<void(const Status&)> on_broken_;
  std::atomic<bool> stop_{false};
  grpc::ClientContext ctx_;
  std::thread thread_;
};

}  // namespace

std::string PrefixRangeEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

Result<std::unique_ptr<EtcdClient>> EtcdClient::Connect(const std::string& endpoints, EtcdClientOptions options) {
  FACEKIT_ASSIGN_OR_RETURN(std::string target, TargetOf(endpoints));
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");  // a dead member is left out, the others take its calls
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::unique_ptr<EtcdClient> c(new EtcdClient());
  c->options_ = options;
  c->stubs_ = std::make_unique<Stubs>();
  c->stubs_->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  c->stubs_->kv = etcdserverpb::KV::NewStub(c->stubs_->channel);
  c->stubs_->lease = etcdserverpb::Lease::NewStub(c->stubs_->channel);
  c->stubs_->watch = etcdserverpb::Watch::NewStub(c->stubs_->channel);
  return c;
}

EtcdClient::~EtcdClient() = default;

Result<std::int64_t> EtcdClient::Put(const std::string& key, const std::string& value, std::int64_t lease) {
  etcdserverpb::PutRequest req;
  req.set_key(key);
  req.set_value(value);
  req.set_lease(lease);
  etcdserverpb::PutResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout,
                                 [&](grpc::ClientContext& ctx) { return stubs_->kv->Put(&ctx, req, &resp); });
  if (!s.ok()) return FromGrpc(s, "put");
  return resp.header().revision();
}

Result<bool> EtcdClient::PutIfAbsent(const std::string& key, const std::string& value, std::int64_t lease) {
  etcdserverpb::TxnRequest req;
  auto* cmp = req.add_compare();
  cmp->set_key(key);
  cmp->set_target(etcdserverpb::Compare::CREATE);
  cmp->set_result(etcdserverpb::Compare::EQUAL);
  cmp->set_create_revision(0);
  auto* put = req.add_success()->mutable_request_put();
  put->set_key(key);
  put->set_value(value);
  put->set_lease(lease);
  etcdserverpb::TxnResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout,
                                 [&](grpc::ClientContext& ctx) { return stubs_->kv->Txn(&ctx, req, &resp); });
  if (!s.ok()) return FromGrpc(s, "txn");
  return resp.succeeded();
}

Result<std::optional<EtcdKeyValue>> EtcdClient::Get(const std::string& key) {
  etcdserverpb::RangeRequest req;
  req.set_key(key);
  etcdserverpb::RangeResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout,
                                 [&](grpc::ClientContext& ctx) { return stubs_->kv->Range(&ctx, req, &resp); });
  if (!s.ok()) return FromGrpc(s, "range");
  if (resp.kvs_size() == 0) return std::optional<EtcdKeyValue>();
  return std::optional<EtcdKeyValue>(FromProto(resp.kvs(0)));
}

Result<EtcdRange> EtcdClient::GetPrefix(const std::string& prefix) {
  etcdserverpb::RangeRequest req;
  req.set_key(prefix);
  req.set_range_end(PrefixRangeEnd(prefix));
  etcdserverpb::RangeResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout,
                                 [&](grpc::ClientContext& ctx) { return stubs_->kv->Range(&ctx, req, &resp); });
  if (!s.ok()) return FromGrpc(s, "range");
  EtcdRange out;
  out.revision = resp.header().revision();
  for (const auto& kv : resp.kvs()) out.kvs.push_back(FromProto(kv));
  return out;
}

Result<std::int64_t> EtcdClient::DeletePrefix(const std::string& prefix) {
  etcdserverpb::DeleteRangeRequest req;
  req.set_key(prefix);
  req.set_range_end(PrefixRangeEnd(prefix));
  etcdserverpb::DeleteRangeResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout,
                                 [&](grpc::ClientContext& ctx) { return stubs_->kv->DeleteRange(&ctx, req, &resp); });
  if (!s.ok()) return FromGrpc(s, "delete");
  return resp.deleted();
}

Result<std::int64_t> EtcdClient::GrantLease(std::int64_t ttl_s) {
  etcdserverpb::LeaseGrantRequest req;
  req.set_ttl(ttl_s);
  etcdserverpb::LeaseGrantResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout,
                                 [&](grpc::ClientContext& ctx) { return stubs_->lease->LeaseGrant(&ctx, req, &resp); });
  if (!s.ok()) return FromGrpc(s, "lease grant");
  if (!resp.error().empty()) return Status(StatusCode::kIoError, "etcd lease grant: " + resp.error());
  return resp.id();
}

Status EtcdClient::RevokeLease(std::int64_t lease) {
  etcdserverpb::LeaseRevokeRequest req;
  req.set_id(lease);
  etcdserverpb::LeaseRevokeResponse resp;
  const grpc::Status s = Retried(options_.call_timeout, options_.attempt_timeout, [&](grpc::ClientContext& ctx) {
    return stubs_->lease->LeaseRevoke(&ctx, req, &resp);
  });
  return s.ok() ? Status::Ok() : FromGrpc(s, "lease revoke");
}

std::unique_ptr<EtcdKeepAlive> EtcdClient::KeepAlive(std::int64_t lease, std::chrono::milliseconds interval,
                                                     std::function<void()> on_lost) {
  return std::make_unique<KeepAliveImpl>(stubs_.get(), lease, interval, std::move(on_lost));
}

std::unique_ptr<EtcdWatch> EtcdClient::WatchPrefix(const std::string& prefix, std::int64_t start_revision,
                                                   std::function<void(const std::vector<EtcdEvent>&)> on_events,
                                                   std::function<void(const Status&)> on_broken) {
  return std::make_unique<WatchImpl>(stubs_.get(), prefix, start_revision, std::move(on_events), std::move(on_broken));
}

}  // namespace facekit::cluster
