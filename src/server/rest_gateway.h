// REST/JSON for the gRPC service, transcoded from the google.api.http
// annotations of its methods (nothing per route is written by hand).
//
// WHAT THIS REPRESENTS
//   At Create, every method of the service descriptor with a google.api.http
//   rule becomes a route: HTTP method + path template (http_rule.h) + body
//   ("*", a field, or none). A request is answered by
//     1. matching the route (the most specific template wins; a path served
//        only for other methods gets 405, an unknown path 404);
//     2. building the request message: the JSON body (body "*" or into the
//        named field; unknown fields are errors; fields by proto name or
//        lowerCamelCase), then path variables, then query parameters (any
//        field not bound by the path or body; repeated fields by repeating
//        the key);
//     3. calling the method through an in-process channel to the gRPC server
//        (so REST and gRPC share one implementation, one authentication and
//        one set of metrics), with the request's Authorization,
//        X-TC-Timestamp, X-TC-Language and Accept-Language (the language of
//        error messages, English by default) and, vouched for by the gateway's secret token, the
//        HTTP facts a TC3 signature covers (method, path, query,
//        Content-Type, Host, body SHA-256) and the client's address;
//     4. answering 200 with the response as JSON (proto field names,
//        snake_case; fields at their default value are printed too; 64-bit
//        integers as strings, bytes as base64, as the proto3 JSON mapping
//        says), or the error as {"code", "message", "status"}: `code` is the
//        cloud error code when there is one (else the gRPC code name),
//        `status` the gRPC code name, and the HTTP status follows the gRPC
//        code (grpc_status_map.h). The gateway's own refusals (routing,
//        parsing) are in English. A method answering facekit.v1.HttpBody
//        (kHttpBodyMessage: content_type, data; like google.api.HttpBody)
//        is answered with `data` as the body and `content_type` as its
//        Content-Type instead of JSON (GetFaceCrop's JPEG).
//
// THREAD SAFETY
//   Handle() may be called concurrently.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/status.h"
#include "server/http_rule.h"
#include "server/http_server.h"
#include "server/metrics.h"

namespace grpc {
class Channel;
}

namespace facekit::server {

// The response message the gateway answers as raw bytes rather than JSON.
inline constexpr std::string_view kHttpBodyMessage = "facekit.v1.HttpBody";

// The Grpc-Timeout header (gRPC's wire format, which grpc-gateway also takes
// from REST callers): 1 to 8 digits and a unit, H, M, S, m (ms), u (us) or n
// (ns). nullopt when malformed.
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value);

class RestGateway {
 public:
  struct Route {
    std::string http_method;  // "GET", "POST", "PUT", "DELETE", "PATCH"
    PathTemplate path;
    std::string body;  // "*", a field name, or "" (no body)
    const google::protobuf::MethodDescriptor* method = nullptr;
    std::string grpc_path;  // "/facekit.v1.FaceKit/CreateGroup"
  };

  // Routes for every annotated method of `service`; an error for a rule that
  // cannot be served (unsupported template, a variable or body naming no
  // field, a custom pattern). `channel` reaches the server implementing the
  // service; `gateway_token` is the secret that server trusts (see
  // grpc_service.h); `metrics` (may be null) counts requests refused before
  // they reach the service.
  static Result<std::unique_ptr<RestGateway>> Create(const google::protobuf::ServiceDescriptor* service,
                                                     std::shared_ptr<grpc::Channel> channel,
                                                     std::string gateway_token, Metrics* metrics);
  ~RestGateway();

  HttpResponse Handle(const HttpRequest& request) const;

  // Steps 1 and 2 of Handle, without calling anything: the route and the
  // request message built from the path, body and query, or the refusal
  // (route == nullptr: http_status, code, message and, for 405, allow).
  // Decodes untrusted input only, so it is what tests/fuzz/rest_fuzz.cc feeds.
  struct Decoded {
    const Route* route = nullptr;
    std::unique_ptr<google::protobuf::Message> request;
    int http_status = 0;
    grpc::StatusCode code = grpc::StatusCode::OK;
    std::string message;
    std::string allow;
  };
  Decoded Decode(const HttpRequest& request) const;

  const std::vector<Route>& routes() const { return routes_; }

  // An error answer: {"code": code, "message": message, "status": status}.
  static HttpResponse Error(int http_status, std::string_view code, std::string_view message,
                            std::string_view status);

 private:
  RestGateway() = default;

  std::vector<Route> routes_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string token_;
  Metrics* metrics_ = nullptr;
};

}  // namespace facekit::server
