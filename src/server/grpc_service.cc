#include "server/grpc_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/method_handler.h>
#include <grpcpp/support/server_callback.h>
#include <openssl/crypto.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "facekit/v1/facekit.pb.h"
#include "server/change_position.h"
#include "server/cloud_messages.h"
#include "server/grpc_methods.h"
#include "server/grpc_shard_method.h"
#include "server/grpc_status_map.h"

namespace facekit::server {

using service::ApiError;
using service::ApiResult;

// ---------------------------------------------------------------- peers

void PeerDirectory::Set(int fd, std::string address, bool secure) {
  std::lock_guard lock(mu_);
  by_fd_[fd] = Peer{std::move(address), secure};
}

PeerDirectory::Peer PeerDirectory::Find(std::string_view peer) const {
  if (peer.starts_with("fd:")) {
    int fd = -1;
    const auto* end = peer.data() + peer.size();
    if (std::from_chars(peer.data() + 3, end, fd).ptr != end) return {};
    std::lock_guard lock(mu_);
    auto it = by_fd_.find(fd);
    return it == by_fd_.end() ? Peer{} : it->second;
  }
  // "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000"
  const auto colon = peer.find(':');
  const auto port = peer.rfind(':');
  if (colon == std::string_view::npos || port == colon) return {};
  std::string_view address = peer.substr(colon + 1, port - colon - 1);
  if (address.starts_with("[") && address.ends_with("]")) address = address.substr(1, address.size() - 2);
  return Peer{std::string(address), false};
}

// ---------------------------------------------------------------- the service

namespace {

std::string Text(grpc::string_ref s) { return std::string(s.data(), s.size()); }

// The call's deadline on the steady clock; none when the caller set none
// (gRPC reports an infinite deadline as a far-future time).
std::optional<std::chrono::steady_clock::time_point> CallerDeadline(const grpc::ServerContextBase& ctx) {
  const auto left = ctx.deadline() - std::chrono::system_clock::now();
  if (left > std::chrono::hours(24)) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(left);
}

std::string Metadata(const grpc::ServerContextBase& ctx, std::string_view name) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(grpc::string_ref(name.data(), name.size()));
  return it == md.end() ? std::string() : Text(it->second);
}

bool ReadAll(const grpc::ByteBuffer& buffer, std::string* out) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  for (const auto& s : slices) out->append(reinterpret_cast<const char*>(s.begin()), s.size());
  return true;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// Where a call comes from and what its signature covers.
struct Origin {
  bool rest = false;  // from the REST gateway
  Tc3Headers headers;
  Tc3RequestLine line;
  std::string body_sha256;  // REST: of the HTTP body
  std::string remote;       // the client's address, "" when unknown
  bool secure = false;      // the client connected over TLS
};

}  // namespace

// ShardSearch calls that wait for a change-log position run on threads of
// their own (up to kMax at once), so that they never hold gRPC's few
// callback threads: a handful of such calls would otherwise stall every
// other shard search of the node for up to half their deadline. The
// destructor waits for the running ones.
class WaitingShardCalls {
 public:
  static constexpr int kMax = 64;
  bool TryStart() {
    std::lock_guard lock(mu_);
    if (running_ >= kMax) return false;
    ++running_;
    return true;
  }
  void Done() {
    std::lock_guard lock(mu_);
    --running_;
    idle_.notify_all();
  }
  ~WaitingShardCalls() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return running_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  int running_ = 0;
};

// A ShardSearch call's request, read and parsed once on gRPC's thread (its
// min_seq decides where the call runs), answered by RunShard.
struct ShardCall {
  bool readable = false;
  std::string body;                 // what the signature covers
  service::ShardQuery query;        // when `invalid` is empty
  std::optional<ApiError> invalid;  // not a ShardSearchRequest
};

struct FaceKitGrpcService::Impl {
  service::FaceService& service;
  std::shared_ptr<AccessPolicy> policy;
  UrlFetch fetch;
  Metrics* metrics;
  const PeerDirectory* peers;
  GrpcServiceOptions options;
  std::deque<std::string> paths;  // "/facekit.v1.FaceKit/<rpc>", kept alive for the registered methods
  std::unique_ptr<WaitingShardCalls> waiting_shard_calls = std::make_unique<WaitingShardCalls>();

  Origin OriginOf(const grpc::ServerContextBase& ctx, const std::string& path) const {
    Origin o;
    o.headers.authorization = Metadata(ctx, "authorization");
    o.headers.timestamp = Metadata(ctx, "x-tc-timestamp");
    const std::string token = Metadata(ctx, rest_metadata::kToken);
    if (!options.gateway_token.empty() && token.size() == options.gateway_token.size() &&
        CRYPTO_memcmp(token.data(), options.gateway_token.data(), token.size()) == 0) {
      o.rest = true;
      o.line.method = Metadata(ctx, rest_metadata::kMethod);
      o.line.canonical_uri = Metadata(ctx, rest_metadata::kPath);
      o.line.canonical_query = Metadata(ctx, rest_metadata::kQuery);
      o.headers.content_type = Metadata(ctx, rest_metadata::kContentType);
      o.headers.host = Metadata(ctx, rest_metadata::kHost);
      o.body_sha256 = Metadata(ctx, rest_metadata::kBodySha256);
      o.remote = Metadata(ctx, rest_metadata::kRemote);
      o.secure = Metadata(ctx, rest_metadata::kSecure) == "1";
      return o;
    }
    o.line.method = "POST";
    o.line.canonical_uri = path;
    o.headers.content_type = "application/grpc";
    o.headers.host = Text(ctx.ExperimentalGetAuthority());
    if (peers != nullptr) {
      PeerDirectory::Peer peer = peers->Find(ctx.peer());
      o.remote = std::move(peer.address);
      o.secure = peer.secure;
    }
    return o;
  }

  ApiResult<ApiKey> Authenticate(const Origin& o, const std::string& body, const std::string& action) {
    const std::string& auth = o.headers.authorization;
    if (StartsWithNoCase(auth, "bearer ")) {
      // A bare secret is only safe where nobody can read it on the way.
      if (!o.secure && !(options.bearer_from_loopback && IsLoopbackAddress(o.remote))) {
        return ApiError{"AuthFailure.InvalidAuthorization",
                        options.bearer_from_loopback
                            ? "Bearer credentials are accepted only over TLS or from loopback clients; sign the "
                              "request with TC3-HMAC-SHA256 instead"
                            : "Bearer credentials are accepted only over TLS; sign the request with TC3-HMAC-SHA256 "
                              "instead"};
      }
      std::string_view credentials(auth);
      credentials.remove_prefix(7);
      while (credentials.starts_with(' ')) credentials.remove_prefix(1);
      return policy->AuthenticateBearer(credentials);
    }
    if (auth.empty()) {
      return ApiError{"AuthFailure.InvalidAuthorization",
                      o.rest ? "the Authorization header is missing" : "the authorization metadata is missing"};
    }
    return o.rest ? policy->AuthenticateDigest(o.headers, o.body_sha256, action, o.line)
                  : policy->Authenticate(o.headers, body, action, o.line);
  }

  // On the callback API, not the sync pool: a SearchFaces waiting for other
  // nodes' ShardSearch holds a sync thread, and their ShardSearch on this
  // node must not need one (a full pool on every node would starve them all).
  grpc::Status RunShard(grpc::CallbackServerContext* ctx, const ShardCall& call, grpc::ByteBuffer* out);

  grpc::Status Run(const GrpcMethod& m, const google::protobuf::MethodDescriptor& d, const std::string& path,
                   grpc::ServerContext* ctx, const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
    const auto started = std::chrono::steady_clock::now();
    std::string action = "unknown";
    bool rest = false;
    auto finish = [&](const std::optional<ApiError>& error) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (metrics) metrics->Observe(rest ? "rest" : "grpc", action, error ? error->code : "OK", seconds);
      if (!error) return grpc::Status::OK;
      ctx->AddTrailingMetadata(kErrorCodeMetadata, error->code);
      const std::string language =
          ErrorLanguage(Metadata(*ctx, "x-tc-language"), Metadata(*ctx, "accept-language"), options.default_language);
      return grpc::Status(GrpcCodeFor(error->code),
                          error->code + ": " + LocalisedMessage(error->code, error->message, language));
    };

    const Origin origin = OriginOf(*ctx, path);
    rest = origin.rest;
    std::string body;
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    std::unique_ptr<google::protobuf::Message> request(factory->GetPrototype(d.input_type())->New());
    if (!ReadAll(*in, &body) || !request->ParseFromString(body)) {
      return finish(ApiError{"InvalidParameter", "the request is not a " + d.input_type()->full_name() + " message"});
    }
    action = m.action(*request);
    auto key = Authenticate(origin, body, action);
    if (!key.ok()) return finish(key.error());
    if (m.admin && key->role != KeyRole::kAdmin) {
      return finish(ApiError{"AuthFailure.UnauthorizedOperation",
                             "only a key with the admin role may call " + action + "; this key is " +
                                 std::string(KeyRoleName(key->role))});
    }
    if (auto e = policy->Authorise(key.value(), action, m.write)) return finish(e);

    const KeyScope scope(key.value(), service);
    GrpcCall call{service,        scope,          fetch,        options.max_image_bytes,
                  options.key_admin, options.events, &key.value(), CallerDeadline(*ctx)};
    // Read-your-writes: the position asked for is reached before the method
    // runs; every answer says the position it reflects.
    if (auto e = ReachRequestedPosition(service, Metadata(*ctx, kMinChangePositionHeader), call.deadline,
                                        &call.min_seq)) {
      return finish(e);
    }
    std::unique_ptr<google::protobuf::Message> response(factory->GetPrototype(d.output_type())->New());
    if (auto e = m.run(call, *request, response.get())) return finish(e);
    if (const std::int64_t position = service.ChangePosition(); position > 0) {
      ctx->AddInitialMetadata(kChangePositionMetadata, std::to_string(position));
    }
    const std::string bytes = response->SerializeAsString();
    grpc::Slice slice(bytes);
    *out = grpc::ByteBuffer(&slice, 1);
    return finish(std::nullopt);
  }
};

grpc::Status FaceKitGrpcService::Impl::RunShard(grpc::CallbackServerContext* ctx, const ShardCall& call,
                                                grpc::ByteBuffer* out) {
  const auto started = std::chrono::steady_clock::now();
  auto finish = [&](const std::optional<ApiError>& error) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (metrics) metrics->Observe("grpc", kShardSearchAction, error ? error->code : "OK", seconds);
    if (!error) return grpc::Status::OK;
    ctx->AddTrailingMetadata(kErrorCodeMetadata, error->code);
    return grpc::Status(GrpcCodeFor(error->code), error->code + ": " + error->message);
  };
  const Origin origin = OriginOf(*ctx, kShardSearchPath);
  if (origin.rest) return finish(ApiError{"UnsupportedOperation", "ShardSearch is not served over REST"});
  if (!call.readable) return finish(ApiError{"InvalidParameter", "unreadable request"});
  auto key = Authenticate(origin, call.body, kShardSearchAction);
  if (!key.ok()) return finish(key.error());
  if (key->role != KeyRole::kAdmin) {
    return finish(ApiError{"AuthFailure.UnauthorizedOperation",
                           "only a key with the admin role (the cluster's key) may call ShardSearch; this key is " +
                               std::string(KeyRoleName(key->role))});
  }
  if (call.invalid) return finish(call.invalid);
  // A min_seq not reached is waited for at most half the call's time left
  // (1 s without a deadline): the refusal then still reaches the
  // coordinator in time to ask another replica.
  service::ShardQuery query = call.query;
  query.wait_until = started + std::chrono::seconds(1);
  if (const auto deadline = CallerDeadline(*ctx)) query.wait_until = started + (*deadline - started) / 2;
  std::string bytes;
  if (auto e = RunShardSearch(*options.shard_search, query, &bytes)) return finish(e);
  grpc::Slice slice(bytes);
  *out = grpc::ByteBuffer(&slice, 1);
  return finish(std::nullopt);
}

const google::protobuf::ServiceDescriptor* FaceKitGrpcService::Descriptor() {
  return ::facekit::v1::CreateGroupRequest::descriptor()->file()->FindServiceByName("FaceKit");
}

FaceKitGrpcService::FaceKitGrpcService(service::FaceService& service, std::shared_ptr<AccessPolicy> policy,
                                       UrlFetch fetch, Metrics* metrics, const PeerDirectory* peers,
                                       GrpcServiceOptions options)
    : impl_(std::make_unique<Impl>(
          Impl{service, std::move(policy), std::move(fetch), metrics, peers, std::move(options), {}})) {
  const google::protobuf::ServiceDescriptor* sd = Descriptor();
  for (const GrpcMethod& m : FaceKitMethods()) {
    const google::protobuf::MethodDescriptor* d = sd->FindMethodByName(m.name);
    if (d == nullptr) continue;  // the methods test checks the table against the proto
    const std::string& path = impl_->paths.emplace_back("/" + sd->full_name() + "/" + m.name);
    Impl* impl = impl_.get();
    using Handler = grpc::internal::RpcMethodHandler<Impl, grpc::ByteBuffer, grpc::ByteBuffer>;
    AddMethod(new grpc::internal::RpcServiceMethod(
        path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new Handler(
            [&m, d, &path](Impl* self, grpc::ServerContext* ctx, const grpc::ByteBuffer* in, grpc::ByteBuffer* out) {
              return self->Run(m, *d, path, ctx, in, out);
            },
            impl)));
  }
  if (impl_->options.shard_search != nullptr) {
    // A service of its own, so that the server (and reflection) see
    // facekit.cluster.v1.Shard; a callback method (see RunShard). Its work
    // is an in-memory search of a few milliseconds, run on gRPC's callback
    // thread; a call with a min_seq, which may wait for the change log (half
    // the call's time at most, ShardSearchHandler), runs on a thread of its
    // own (WaitingShardCalls).
    class ShardService final : public grpc::Service {
     public:
      explicit ShardService(Impl* impl) {
        AddMethod(new grpc::internal::RpcServiceMethod(kShardSearchPath, grpc::internal::RpcMethod::NORMAL_RPC,
                                                       /*handler=*/nullptr));
        MarkMethodCallback(0, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                                  [impl](grpc::CallbackServerContext* ctx, const grpc::ByteBuffer* in,
                                         grpc::ByteBuffer* out) {
                                    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
                                    ShardCall call;
                                    call.readable = ReadAll(*in, &call.body);
                                    if (call.readable) call.invalid = ParseShardSearch(call.body, &call.query);
                                    if (call.readable && !call.invalid && call.query.min_seq > 0 &&
                                        impl->waiting_shard_calls->TryStart()) {
                                      std::thread([impl, ctx, out, reactor, call = std::move(call)] {
                                        reactor->Finish(impl->RunShard(ctx, call, out));
                                        impl->waiting_shard_calls->Done();
                                      }).detach();
                                      return reactor;
                                    }
                                    reactor->Finish(impl->RunShard(ctx, call, out));
                                    return reactor;
                                  }));
      }
    };
    shard_service_ = std::make_unique<ShardService>(impl_.get());
  }
}

FaceKitGrpcService::~FaceKitGrpcService() = default;

}  // namespace facekit::server
