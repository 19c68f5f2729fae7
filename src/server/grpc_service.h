// The facekit.v1.FaceKit gRPC service (proto/facekit/v1/facekit.proto) on top
// of FaceService, for gRPC clients and, through the in-process channel, for
// the REST gateway.
//
// WHAT THIS REPRESENTS
//   A grpc::Service whose methods receive the request's bytes as sent, so a
//   TC3 signature can be checked over exactly them. Per call: parse the
//   request, name its cloud action, authenticate, authorise the key (role,
//   action allow-list, rate limit: the AccessPolicy shared with the cloud
//   endpoint), run the method (grpc_methods.h) within the key's groups, and
//   answer; errors become a gRPC status (grpc_status_map.h) whose message
//   starts with the cloud error code, also sent as trailing metadata
//   `facekit-error-code`, and goes on in English unless the call asks for
//   zh-CN (metadata `x-tc-language`, or `accept-language`).
//
//   Authentication, metadata `authorization` either
//     TC3-HMAC-SHA256 Credential=..., SignedHeaders=content-type;host, Signature=...
//       with `x-tc-timestamp`; the canonical request is POST, the method's
//       path ("/facekit.v1.FaceKit/CreateGroup"), an empty query,
//       content-type "application/grpc", host = the call's :authority, and
//       the SHA-256 of the serialized request message (the gRPC message
//       bytes, before framing); or
//     Bearer <SecretId>:<SecretKey>
//       accepted only over TLS, or from a loopback peer unless
//       `bearer_from_loopback` is off (it should be when a local proxy
//       forwards remote clients).
//   Calls from the REST gateway carry the gateway's secret token
//   (`x-facekit-gateway`) and describe the HTTP request that was signed
//   (kRestMetadata below); the signature is then checked against that
//   request: its method, path, query, Content-Type, Host and body.
//
// THREAD SAFETY
//   Calls run concurrently on gRPC's threads. PeerDirectory is thread-safe.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/access_policy.h"
#include "server/image_input.h"
#include "server/event_hub.h"
#include "server/metrics.h"
#include "server/store_keys.h"
#include "service/face_service.h"

namespace google::protobuf {
class ServiceDescriptor;
}

namespace facekit::server {

// Remote addresses of the connections handed to the gRPC server as file
// descriptors: gRPC names such a peer "fd:<n>", which says nothing about
// where it connects from, nor whether it came over TLS.
class PeerDirectory {
 public:
  struct Peer {
    std::string address;  // "" when unknown
    bool secure = false;  // arrived over TLS
  };
  void Set(int fd, std::string address, bool secure = false);
  // A gRPC peer: "fd:N" looked up, "ipv4:A:P" and "ipv6:[A]:P" parsed.
  Peer Find(std::string_view peer) const;
  // Find(peer).address.
  std::string AddressOf(std::string_view peer) const { return Find(peer).address; }

 private:
  mutable std::mutex mu_;
  std::unordered_map<int, Peer> by_fd_;  // guarded by mu_
};

// Metadata the REST gateway sets on its in-process calls.
namespace rest_metadata {
inline constexpr const char* kToken = "x-facekit-gateway";
inline constexpr const char* kMethod = "x-facekit-http-method";
inline constexpr const char* kPath = "x-facekit-http-path";
inline constexpr const char* kQuery = "x-facekit-http-query";
inline constexpr const char* kContentType = "x-facekit-http-content-type";
inline constexpr const char* kHost = "x-facekit-http-host";
inline constexpr const char* kBodySha256 = "x-facekit-http-body-sha256";
inline constexpr const char* kRemote = "x-facekit-http-remote";
inline constexpr const char* kSecure = "x-facekit-http-secure";  // "1" when the request came over TLS
}  // namespace rest_metadata

// Trailing metadata carrying the cloud error code of a failed call.
inline constexpr const char* kErrorCodeMetadata = "facekit-error-code";

struct GrpcServiceOptions {
  // Bytes per image (the cloud API's 5 MB limit, here on the raw bytes).
  std::size_t max_image_bytes = 5 * 1024 * 1024;
  // The REST gateway's secret token; empty = no gateway is trusted.
  std::string gateway_token;
  // Bearer credentials from loopback clients over plaintext. Turn off when a
  // proxy on the same machine forwards remote clients: Bearer then needs TLS.
  bool bearer_from_loopback = true;
  // Error messages when the call asks for no language (metadata
  // `x-tc-language`, else `accept-language`; see ErrorLanguage). The cloud
  // endpoint's default (CloudApiOptions::default_language) is its own.
  std::string default_language = "en-US";
  // Where the key administration rpcs (ListKeys, CreateKey, UpdateKey,
  // RevokeKey; admin keys only) act; null = they answer UnsupportedOperation.
  // Must outlive the service.
  KeyAdmin* key_admin = nullptr;
  // The live event hub of PublishEvent / CreateEventStreamToken (the Server
  // sets its own); null = they answer UnsupportedOperation.
  EventHub* events = nullptr;
  // Cluster nodes: serve facekit.cluster.v1.Shard/ShardSearch on this
  // handler (grpc_shard_method.h); null = not served. Must outlive the service.
  const service::ShardSearchHandler* shard_search = nullptr;
};

class FaceKitGrpcService final : public grpc::Service {
 public:
  // Everything given must outlive the service; `metrics` and `peers` may be null.
  FaceKitGrpcService(service::FaceService& service, std::shared_ptr<AccessPolicy> policy, UrlFetch fetch,
                     Metrics* metrics, const PeerDirectory* peers, GrpcServiceOptions options);
  ~FaceKitGrpcService() override;

  // facekit.v1.FaceKit from the generated descriptor pool.
  static const google::protobuf::ServiceDescriptor* Descriptor();

  // facekit.cluster.v1.Shard when GrpcServiceOptions::shard_search is set
  // (register it beside this one), else null.
  grpc::Service* shard_service() const { return shard_service_.get(); }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<grpc::Service> shard_service_;
};

}  // namespace facekit::server
