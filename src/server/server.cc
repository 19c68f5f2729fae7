#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <atomic>
#include <mutex>

#include "server/console_files.h"
#include "server/openapi_document.h"
#include "server/rest_gateway.h"

namespace facekit::server {

struct Server::Parts {
  service::FaceService* service = nullptr;
  KeyDirectory* keys = nullptr;
  std::unique_ptr<EventHub> events;  // outlives the HTTP server and its streams (declared first)
  Metrics metrics;
  std::shared_ptr<AccessPolicy> policy;
  std::unique_ptr<CloudApi> cloud;
  PeerDirectory peers;
  std::unique_ptr<FaceKitGrpcService> grpc_service;
  std::unique_ptr<grpc::Server> grpc;
  std::unique_ptr<RestGateway> rest;  // holds a channel into `grpc`: declared after it, destroyed before it
  std::unique_ptr<HttpServer> http;
  StaticSite console{std::string(kConsolePrefix), ConsoleFiles()};  // the web console, beside REST
  std::atomic<bool> ready{false};
  std::mutex readiness_mu;
  std::function<std::string()> not_ready;  // guarded by readiness_mu; "" = ready
  std::once_flag shutdown_once;
};

namespace {

HttpResponse Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

bool IsCloudRequest(std::string_view method, std::string_view target) {
  return (method == "POST" || method == "GET") && target.substr(0, target.find('?')) == "/";
}

bool IsRestRequest(std::string_view target) { return target.starts_with("/v1/") || target == "/v1"; }

// The OpenAPI document of the REST routes: public, no key needed (it holds
// only the schema, as gRPC reflection does).
HttpResponse OpenApi(const std::string& method) {
  if (method == "GET" || method == "HEAD") return Text(200, std::string(OpenApiDocument()), "application/json");
  HttpResponse r = RestGateway::Error(
      405, "UNIMPLEMENTED", method + " is not served for " + std::string(kOpenApiPath) + " (allowed: GET, HEAD)",
      "UNIMPLEMENTED");
  r.headers.emplace_back("Allow", "GET, HEAD");
  return r;
}

// The value of query parameter `name` ("" when absent; no percent-decoding:
// tokens are hex, ids digits).
std::string QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// GET /v1/events/stream?token=T[&last_event_id=N]: the live events as
// text/event-stream (event_hub.h), for the key the token was issued to,
// within its groups. Last-Event-ID (the header EventSource sends when it
// reconnects, or the query parameter) resumes after that event.
HttpResponse EventStream(Server::Parts& p, const HttpRequest& req);

// 32 random bytes in hex: the secret the REST gateway shows the gRPC service.
std::string NewGatewayToken() { return NewUuid() + NewUuid(); }

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, service::FaceService& service,
                                              KeyDirectory& keys, UrlFetch fetch) {
  auto parts = std::make_unique<Parts>();
  Parts* p = parts.get();
  p->service = &service;
  p->keys = &keys;
  p->policy = std::make_shared<AccessPolicy>(keys, PolicyOptions(options.cloud));
  p->cloud = std::make_unique<CloudApi>(service, p->policy, fetch, &p->metrics, options.cloud);
  p->metrics.AddGaugeSource([&service] {
    const auto stats = service.gallery().Read([](const gallery::Catalog& c) {
      return std::array<double, 4>{static_cast<double>(c.group_count()), static_cast<double>(c.person_count()),
                                   static_cast<double>(c.face_count()), static_cast<double>(c.face_record_count())};
    });
    return std::vector<Metrics::Gauge>{
        {"facekit_gallery_objects",
         "Groups, persons and faces in the gallery.",
         {{"kind=\"groups\"", stats[0]}, {"kind=\"persons\"", stats[1]}, {"kind=\"faces\"", stats[2]}}},
        {"facekit_gallery_face_records",
         "Faces whose records this node keeps (a cluster node: those of its shards; docs/scale-out.md).",
         {{"", stats[3]}}},
        {"facekit_gallery_index_builds_pending",
         "Group indexes (faces or persons) waiting for a structure rebuild in the background.",
         {{"", static_cast<double>(service.gallery().PendingIndexBuilds())}}},
        {"facekit_gallery_shards_resumed",
         "Group shards (a cluster node's) whose faces the indexes took from this node's snapshots at start.",
         {{"", static_cast<double>(service.gallery().resumed_shards())}}}};
  });

  auto& http = options.http;
  if (options.enable_grpc) {
    // The gRPC server has no port of its own: HTTP/2 connections reach it
    // from the shared listening socket (h2_handoff below).
    static std::once_flag reflection_once;
    std::call_once(reflection_once, [] {
      grpc::reflection::InitProtoReflectionServerBuilderPlugin();
      // The standard grpc.health.v1.Health service: SERVING while the server runs.
      grpc::EnableDefaultHealthCheckService(true);
    });
    // Open streams end when their key is revoked (checked every
    // events.access_check) or their token expires.
    p->events = std::make_unique<EventHub>(options.events, [keys = p->keys](const std::string& secret_id) {
      auto key = keys->Find(secret_id);
      std::optional<StreamRefusal> why;
      if (!key || key->revoked_ms != 0) {
        why = StreamRefusal{"AuthFailure.SecretIdNotFound", "the stream's key was revoked"};
      }
      return why;
    });
    GrpcServiceOptions go = options.grpc;
    go.gateway_token = NewGatewayToken();
    go.events = p->events.get();
    p->grpc_service = std::make_unique<FaceKitGrpcService>(service, p->policy, fetch, &p->metrics, &p->peers, go);
    grpc::ServerBuilder builder;
    builder.RegisterService(p->grpc_service.get());
    if (p->grpc_service->shard_service() != nullptr) builder.RegisterService(p->grpc_service->shard_service());
    builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<std::size_t>(http.max_body_bytes, INT32_MAX)));
    // Like idle keep-alive HTTP connections, idle gRPC connections are closed (GOAWAY).
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               static_cast<int>(std::min<std::int64_t>(http.idle_timeout.count(), INT32_MAX)));
    // Bounded, but not to the CPU count: a cluster node's handlers are short
    // ShardSearch calls plus SearchFaces calls that wait for other nodes'
    // (docs/scale-out.md); a call over the bound fails at once with
    // RESOURCE_EXHAUSTED, so the bound is kept well above the cores.
    grpc::ResourceQuota quota("facekit-grpc");
    quota.SetMaxThreads(std::max(16, 4 * http.worker_threads + 4));
    builder.SetResourceQuota(quota);
    p->grpc = builder.BuildAndStart();
    if (!p->grpc) return Status(StatusCode::kInternal, "the gRPC server did not start");
    auto rest = RestGateway::Create(FaceKitGrpcService::Descriptor(), p->grpc->InProcessChannel({}),
                                    go.gateway_token, &p->metrics);
    if (!rest.ok()) return rest.status();
    p->rest = std::move(rest.value());
    http.h2_handoff = [p](int fd, const std::string& remote_address, bool secure) {
      p->peers.Set(fd, remote_address, secure);
      grpc::AddInsecureChannelFromFd(p->grpc.get(), fd);
    };
  }

  http.overload_response = [p](const HttpRequest& req) {
    if (IsCloudRequest(req.method, req.target)) {
      return p->cloud->Refusal("RequestLimitExceeded", "the server is at capacity; retry later",
                               req.Header("x-tc-language"));
    }
    if (p->rest && IsRestRequest(req.target)) {
      return RestGateway::Error(503, "UNAVAILABLE", "the server is at capacity; retry later", "UNAVAILABLE");
    }
    return Text(503, "server at capacity, retry later\n");
  };
  http.error_response = [p](int status, const std::string& reason, std::string_view method, std::string_view target) {
    if (IsCloudRequest(method, target)) {
      // The SDKs read error codes only from HTTP 200 answers.
      return p->cloud->Refusal(status == 413 ? "RequestSizeLimitExceeded" : "InvalidParameter", reason);
    }
    if (p->rest && IsRestRequest(target)) {
      const char* code = status == 413 ? "RESOURCE_EXHAUSTED" : "INVALID_ARGUMENT";
      return RestGateway::Error(status, code, reason, code);
    }
    return Text(status, reason + "\n");
  };
  auto handler = [p](const HttpRequest& req) -> HttpResponse {
    const std::string_view path = req.Path();
    if (path == "/") return p->cloud->Handle(req);
    if (p->rest && path == kOpenApiPath) return OpenApi(req.method);
    if (p->rest && path == kEventStreamPath) return EventStream(*p, req);
    if (p->rest && IsRestRequest(path)) return p->rest->Handle(req);
    if (p->rest && p->console.Matches(path)) return p->console.Handle(req);
    if (req.method == "GET" || req.method == "HEAD") {
      if (path == "/ping") return Text(200, "pong");
      if (path == "/healthz") return Text(200, "ok\n");
      if (path == "/readyz") {
        if (!p->ready) return Text(503, "starting\n");
        std::function<std::string()> check;
        {
          std::lock_guard lock(p->readiness_mu);
          check = p->not_ready;
        }
        if (std::string why = check ? check() : std::string(); !why.empty()) return Text(503, why + "\n");
        return Text(200, "ready\n");
      }
      if (path == "/metrics") return Text(200, p->metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    return Text(404, "no such endpoint: " + std::string(path) + "\n");
  };
  // Before the port opens (the gRPC server has no connection yet either).
  service.SetModelObserver([p](std::string_view stage, double seconds) { p->metrics.ObserveModel(stage, seconds); });
  auto started = HttpServer::Start(std::move(http), handler);
  if (!started.ok()) {
    if (p->grpc) p->grpc->Shutdown();
    service.SetModelObserver({});
    return started.status();
  }
  p->http = std::move(started.value());
  p->ready = true;
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() { Shutdown(); }

std::uint16_t Server::port() const { return parts_->http->port(); }

Metrics& Server::metrics() { return parts_->metrics; }

void Server::SetReadinessCheck(std::function<std::string()> not_ready) {
  std::lock_guard lock(parts_->readiness_mu);
  parts_->not_ready = std::move(not_ready);
}

EventHub* Server::events() { return parts_->events.get(); }

namespace {

HttpResponse EventStream(Server::Parts& p, const HttpRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  auto refuse = [&](int status, const std::string& code, const std::string& message, const char* grpc_status) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    p.metrics.Observe("rest", "SubscribeEvents", code, seconds);
    return RestGateway::Error(status, code, message, grpc_status);
  };
  if (req.method != "GET") {
    HttpResponse r = RestGateway::Error(405, "UNIMPLEMENTED", req.method + " is not served for " +
                                                                  std::string(kEventStreamPath) + " (allowed: GET)",
                                        "UNIMPLEMENTED");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  const std::string token = QueryParam(req.Query(), "token");
  if (token.empty()) {
    return refuse(401, "AuthFailure.InvalidAuthorization",
                  "give ?token=... from POST /v1/events:token (CreateEventStreamToken)", "UNAUTHENTICATED");
  }
  auto grant = p.events->Redeem(token);
  if (!grant) {
    return refuse(401, "AuthFailure.TokenFailure",
                  "the stream token is unknown or expired; get a new one from POST /v1/events:token",
                  "UNAUTHENTICATED");
  }
  auto key = p.keys->Find(grant->secret_id);
  if (!key || key->revoked_ms != 0) {
    return refuse(401, "AuthFailure.SecretIdNotFound", "the token's key is unknown or revoked", "UNAUTHENTICATED");
  }
  if (auto e = p.policy->Authorise(*key, "SubscribeEvents", false)) {
    return refuse(e->code == "RequestLimitExceeded" ? 429 : 403, e->code, e->message,
                  e->code == "RequestLimitExceeded" ? "RESOURCE_EXHAUSTED" : "PERMISSION_DENIED");
  }
  std::string last = std::string(req.Header("last-event-id"));
  if (last.empty()) last = QueryParam(req.Query(), "last_event_id");
  std::optional<std::uint64_t> last_id;
  if (!last.empty()) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), v);
    if (ec != std::errc() || end != last.data() + last.size()) {
      return refuse(400, "InvalidParameterValue.LastEventIdIllegal", "Last-Event-ID must be an event id (digits)",
                    "INVALID_ARGUMENT");
    }
    last_id = v;
  }
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");  // a proxy must not hold events back
  std::vector<std::string> groups = key->groups;
  r.stream = p.events->Subscribe(
      last_id,
      [groups = std::move(groups)](const std::string& group_id) {
        return groups.empty() || std::find(groups.begin(), groups.end(), group_id) != groups.end();
      },
      std::move(*grant));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  p.metrics.Observe("rest", "SubscribeEvents", "OK", seconds);
  return r;
}

}  // namespace

void Server::Shutdown(std::chrono::milliseconds grace) {
  std::call_once(parts_->shutdown_once, [&] {
    parts_->ready = false;
    if (parts_->grpc && parts_->grpc->GetHealthCheckService()) {
      parts_->grpc->GetHealthCheckService()->SetServingStatus(false);  // health checks see NOT_SERVING
    }
    const auto deadline = std::chrono::system_clock::now() + grace;
    // HTTP first: REST requests in flight still need the gRPC server, and no
    // connection is handed to it once HTTP/1.1 has drained. Then gRPC: no new
    // calls; those running get until the deadline, while the HTTP server still
    // carries the bytes of gRPC connections over TLS.
    auto stop_grpc = [&] {
      if (parts_->grpc) parts_->grpc->Shutdown(deadline);
    };
    if (parts_->http) {
      parts_->http->Shutdown(grace, stop_grpc);
    } else {
      stop_grpc();
    }
    parts_->service->SetModelObserver({});  // no request is running any more
  });
}

}  // namespace facekit::server
