// The FaceKit server: one listening port answering the cloud-compatible API
// (`POST /`), health (`GET /ping`, `/healthz`, `/readyz`) and Prometheus
// metrics (`GET /metrics`).
//
// THREAD SAFETY
//   Start() once; Shutdown() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "server/cloud_api.h"
#include "server/http_server.h"
#include "server/metrics.h"

namespace facekit::server {

struct ServerOptions {
  HttpServerOptions http;
  CloudApiOptions cloud;
};

class Server {
 public:
  // `service` and `keys` must outlive the server.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, service::FaceService& service,
                                               KeyDirectory& keys, UrlFetch fetch);
  ~Server();

  std::uint16_t port() const;
  Metrics& metrics();
  // Graceful: in-flight requests finish, then the port closes.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(10000));

  struct Parts;

 private:
  explicit Server(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace facekit::server
