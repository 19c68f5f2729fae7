// Helpers for the gRPC and REST tests: the real Server on port 0 with a few
// keys, a gRPC stub on an insecure channel to it, TC3 signing for gRPC calls
// and REST requests, and a raw HTTP/1.1 client.
#pragma once

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "cloud_test_util.h"
#include "http_test_client.h"
#include "facekit/v1/facekit.grpc.pb.h"
#include "server/server.h"

namespace facekit::testing {

namespace v1 = ::facekit::v1;

inline std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string PhotoBytes(const std::string& name) {
  auto bytes = ReadFileBytes(Photo(name));
  EXPECT_TRUE(bytes.ok()) << name;
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

// A cloud API request to `authority` (`POST /`, TC3 signed like the Node SDK)
// as raw HTTP/1.1.
inline std::string SignedCloudHttp(const std::string& authority, const std::string& action,
                                   const nlohmann::json& params, const std::string& key, const std::string& secret,
                                   const std::string& language = {}) {
  SignedRequest cloud;
  cloud.action = action;
  cloud.params = params;
  cloud.secret_id = key;
  cloud.secret_key = secret;
  cloud.timestamp = NowSeconds();
  cloud.host = authority;
  cloud.service = "127";
  cloud.language = language;
  const server::HttpRequest r = cloud.Build();
  std::string raw = r.method + " " + r.target + " HTTP/1.1\r\n";
  for (const auto& [k, v] : r.headers) raw += k + ": " + v + "\r\n";
  return raw + "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body;
}

// ---------------------------------------------------------------- the server

class OnePortServerTest : public ::testing::Test {
 protected:
  // Changes the options the service and server start with.
  virtual void Configure(service::DataDirOptions* /*data*/, server::ServerOptions* /*server*/) {}
  // Sets up the service (models it uses) before the server starts.
  virtual void ConfigureService(service::FaceService* /*service*/) {}

  void SetUp() override {
    service::DataDirOptions data;
    server::ServerOptions o;
    o.http.port = 0;
    o.cloud.default_rate_limit = 0;
    // The rate buckets never refill: AKIDslow gets exactly one request.
    o.cloud.steady_ms = [] { return std::int64_t{0}; };
    Configure(&data, &o);
    auto svc = service::OpenFaceService(dir_.path(), SharedEngine(), data);
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc.value());
    ConfigureService(service_.get());
    keys_.Add("AKIDadmin", KeyRole::kAdmin);
    keys_.Add("AKIDreader", KeyRole::kReadOnly);
    keys_.Add("AKIDscoped", KeyRole::kReadWrite).groups = {"a"};
    keys_.Add("AKIDslow", KeyRole::kReadOnly).rate_limit = 1;
    auto s = server::Server::Start(o, *service_, keys_, {});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s.value());
    authority_ = "127.0.0.1:" + std::to_string(server_->port());
    channel_ = grpc::CreateChannel(authority_, grpc::InsecureChannelCredentials());
    stub_ = v1::FaceKit::NewStub(channel_);
  }

  // ---- gRPC

  // TC3 metadata for a call of `rpc` with `request`: the canonical request is
  // POST /facekit.v1.FaceKit/<rpc>, content-type application/grpc, host =
  // the authority, and the SHA-256 of the serialized message.
  void SignGrpc(grpc::ClientContext* ctx, const std::string& rpc, const google::protobuf::Message& request,
                const std::string& key, const std::string& secret) const {
    server::Tc3SignInput in;
    in.method = "POST";
    in.canonical_uri = "/facekit.v1.FaceKit/" + rpc;
    in.content_type = "application/grpc";
    in.host = authority_;
    in.payload_hash = server::Sha256Hex(request.SerializeAsString());
    in.timestamp = NowSeconds();
    in.service = "facekit";
    ctx->AddMetadata("authorization", server::Tc3Authorization(key, secret, in));
    ctx->AddMetadata("x-tc-timestamp", std::to_string(in.timestamp));
  }

  struct RpcOutcome {
    grpc::Status status;
    std::string code;  // trailing metadata facekit-error-code
    bool ok() const { return status.ok(); }
  };

  template <typename Req, typename Resp>
  RpcOutcome Rpc(grpc::Status (v1::FaceKit::Stub::*fn)(grpc::ClientContext*, const Req&, Resp*), const char* rpc,
                 const Req& request, Resp* response, const std::string& key = "AKIDadmin",
                 const std::string& secret = {}) {
    grpc::ClientContext ctx;
    SignGrpc(&ctx, rpc, request, key, secret.empty() ? "secret-of-" + key : secret);
    RpcOutcome out;
    out.status = (stub_.get()->*fn)(&ctx, request, response);
    const auto& trailers = ctx.GetServerTrailingMetadata();
    if (auto it = trailers.find("facekit-error-code"); it != trailers.end()) {
      out.code.assign(it->second.data(), it->second.size());
    }
    return out;
  }

  // ---- REST

  // A request with `Authorization: Bearer <key>:<secret>`.
  std::string RestBearer(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr,
                         const std::string& key = "AKIDadmin") const {
    const std::string text = body.is_null() ? std::string() : body.dump();
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: " + authority_ +
                      "\r\nAuthorization: Bearer " + key + ":secret-of-" + key + "\r\n";
    if (!text.empty()) raw += "Content-Type: application/json\r\n";
    return raw + "Content-Length: " + std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text;
  }

  // A request signed with TC3 over its method, path, query, Content-Type, Host and body.
  std::string RestSigned(const std::string& method, const std::string& target, const std::string& body,
                         const std::string& key = "AKIDadmin", const std::string& secret = {},
                         std::int64_t timestamp = 0) const {
    const auto q = target.find('?');
    server::Tc3SignInput in;
    in.method = method;
    in.canonical_uri = target.substr(0, q);
    in.canonical_query = q == std::string::npos ? "" : target.substr(q + 1);
    in.content_type = body.empty() ? "" : "application/json";
    in.host = authority_;
    in.payload_hash = server::Sha256Hex(body);
    in.timestamp = timestamp ? timestamp : NowSeconds();
    in.service = "facekit";
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: " + authority_ + "\r\nAuthorization: " +
                      server::Tc3Authorization(key, secret.empty() ? "secret-of-" + key : secret, in) +
                      "\r\nX-TC-Timestamp: " + std::to_string(in.timestamp) + "\r\n";
    if (!body.empty()) raw += "Content-Type: application/json\r\n";
    return raw + "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }

  // A cloud API request (`POST /`, TC3 signed like the Node SDK) as raw HTTP/1.1.
  std::string CloudSigned(const std::string& action, const nlohmann::json& params,
                          const std::string& key = "AKIDadmin") const {
    return SignedCloudHttp(authority_, action, params, key, "secret-of-" + key);
  }

  HttpAnswer Http(const std::string& raw) const { return HttpExchange(server_->port(), raw); }

  // ---- the cloud endpoint (POST /) on the same port, signed as the Node SDK does

  HttpAnswer Cloud(const std::string& action, const nlohmann::json& params, const std::string& language = {},
                   const std::string& key = "AKIDadmin") const {
    return Http(SignedCloudHttp(authority_, action, params, key, "secret-of-" + key, language));
  }

  TempDir dir_;
  std::unique_ptr<service::FaceService> service_;
  MemoryKeys keys_;
  std::unique_ptr<server::Server> server_;
  std::string authority_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::FaceKit::Stub> stub_;
};

}  // namespace facekit::testing
