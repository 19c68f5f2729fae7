#include "server/server.h"

#include <array>
#include <atomic>

namespace facekit::server {

struct Server::Parts {
  service::FaceService* service = nullptr;
  Metrics metrics;
  std::unique_ptr<CloudApi> cloud;
  std::unique_ptr<HttpServer> http;
  std::atomic<bool> ready{false};
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
  return method == "POST" && target.substr(0, target.find('?')) == "/";
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, service::FaceService& service,
                                              KeyDirectory& keys, UrlFetch fetch) {
  auto parts = std::make_unique<Parts>();
  Parts* p = parts.get();
  p->service = &service;
  service.SetModelObserver([p](std::string_view stage, double seconds) { p->metrics.ObserveModel(stage, seconds); });
  p->cloud = std::make_unique<CloudApi>(service, keys, std::move(fetch), &p->metrics, options.cloud);
  p->metrics.AddGaugeSource([&service] {
    const auto stats = service.gallery().Read([](const gallery::Catalog& c) {
      return std::array<double, 3>{static_cast<double>(c.group_count()), static_cast<double>(c.person_count()),
                                   static_cast<double>(c.face_count())};
    });
    return std::vector<Metrics::Gauge>{
        {"facekit_gallery_objects", "Groups, persons and faces in the gallery.",
         {{"kind=\"groups\"", stats[0]}, {"kind=\"persons\"", stats[1]}, {"kind=\"faces\"", stats[2]}}}};
  });

  auto& http = options.http;
  http.overload_response = [p](const HttpRequest& req) {
    if (IsCloudRequest(req.method, req.target)) {
      return p->cloud->Refusal("RequestLimitExceeded", "the server is at capacity; retry later",
                               req.Header("x-tc-language"));
    }
    return Text(503, "server at capacity, retry later\n");
  };
  http.error_response = [p](int status, const std::string& reason, std::string_view method, std::string_view target) {
    if (IsCloudRequest(method, target)) {
      // The SDKs read error codes only from HTTP 200 answers.
      return p->cloud->Refusal(status == 413 ? "RequestSizeLimitExceeded" : "InvalidParameter", reason);
    }
    return Text(status, reason + "\n");
  };
  auto handler = [p](const HttpRequest& req) -> HttpResponse {
    const std::string_view path = req.Path();
    if (path == "/" ) return p->cloud->Handle(req);
    if (req.method == "GET" || req.method == "HEAD") {
      if (path == "/ping") return Text(200, "pong");
      if (path == "/healthz") return Text(200, "ok\n");
      if (path == "/readyz") return p->ready ? Text(200, "ready\n") : Text(503, "starting\n");
      if (path == "/metrics") return Text(200, p->metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    return Text(404, "no such endpoint: " + std::string(path) + "\n");
  };
  auto started = HttpServer::Start(std::move(http), handler);
  if (!started.ok()) return started.status();
  p->http = std::move(started.value());
  p->ready = true;
  return std::unique_ptr<Server>(new Server(std::move(parts)));
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() { Shutdown(); }

std::uint16_t Server::port() const { return parts_->http->port(); }

Metrics& Server::metrics() { return parts_->metrics; }

void Server::Shutdown(std::chrono::milliseconds grace) {
  parts_->ready = false;
  if (parts_->http) parts_->http->Shutdown(grace);
  parts_->service->SetModelObserver({});  // no request is running any more
}

}  // namespace facekit::server
