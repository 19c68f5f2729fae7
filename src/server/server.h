// The FaceKit server: one listening port answering the cloud-compatible API
// (`POST /`), the facekit.v1 gRPC service (HTTP/2 connections, told apart by
// their preface), its REST/JSON transcoding (`/v1/...`) and the OpenAPI
// document of it (`GET /v1/openapi.json`), health (`GET /ping`, `/healthz`,
// `/readyz`), Prometheus metrics (`GET /metrics`) and, beside REST, the live
// event stream (`GET /v1/events/stream`, event_hub.h) and the web console's
// static files (`/console/`, static_site.h).
//
// THREAD SAFETY
//   Start() once; Shutdown() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <functional>
#include <string>

#include "server/cloud_api.h"
#include "server/event_hub.h"
#include "server/grpc_service.h"
#include "server/http_server.h"
#include "server/metrics.h"

namespace facekit::server {

struct ServerOptions {
  HttpServerOptions http;
  CloudApiOptions cloud;  // also the access policy of gRPC and REST (skew, replays, rate limit)
  GrpcServiceOptions grpc;
  bool enable_grpc = true;  // gRPC and REST on the same port
  // The live event hub (PublishEvent, GET /v1/events/stream); served with REST.
  EventHubOptions events;
};

class Server {
 public:
  // `service` and `keys` must outlive the server.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, service::FaceService& service,
                                               KeyDirectory& keys, UrlFetch fetch);
  ~Server();

  std::uint16_t port() const;
  Metrics& metrics();
  // /readyz answers 503 with `not_ready`'s text while it is not empty (e.g.
  // a cluster node that has not indexed its shards yet). Any thread.
  void SetReadinessCheck(std::function<std::string()> not_ready);
  // The live event hub; null without REST (enable_grpc off).
  EventHub* events();
  // Graceful: in-flight requests (HTTP, REST and gRPC) finish, then the port
  // closes; whatever still runs after `grace` is cancelled.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

  struct Parts;

 private:
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace facekit::server
