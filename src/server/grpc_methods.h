// The facekit.v1.FaceKit methods: for each rpc, the cloud action it counts as
// (for the key's role, allow-list and metrics), whether it writes, and its
// translation to one FaceService call. Used by FaceKitGrpcService, which does
// the transport, authentication and error mapping around them.
#pragma once

#include <google/protobuf/message.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/access_policy.h"
#include "server/image_input.h"
#include "server/event_hub.h"
#include "server/store_keys.h"
#include "service/face_service.h"

namespace facekit::server {

// What a method sees of the request it answers: the service, the key's
// scope, and image inputs.
struct GrpcCall {
  service::FaceService& service;
  const KeyScope& scope;
  const UrlFetch& fetch;
  std::size_t max_image_bytes;
  KeyAdmin* keys = nullptr;  // the key administration rpcs' store; null when the server has none
  EventHub* events = nullptr;  // the live event rpcs' hub; null when the server has none
  const ApiKey* key = nullptr;  // the caller's key
  // The caller's deadline (the gRPC deadline; REST: the Grpc-Timeout header), if any.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Read-your-writes: the change-log position the caller asked for (metadata
  // x-facekit-min-seq; 0: none). The node reached it before the method runs.
  std::int64_t min_seq = 0;

  // The image of `bytes`, or downloaded from `url` (wins when both are set).
  service::ApiResult<std::vector<std::uint8_t>> Image(const std::string& bytes, const std::string& url,
                                                      std::string_view field) const;
};

struct GrpcMethod {
  std::string name;  // the rpc name, e.g. "CreateGroup"
  bool write = false;
  bool admin = false;  // only admin keys may call it (the key administration rpcs)
  // The cloud action the request counts as (some depend on a field, e.g. by_group).
  std::function<std::string(const google::protobuf::Message& request)> action;
  // Fills `response`; the error otherwise.
  std::function<std::optional<service::ApiError>(GrpcCall& call, const google::protobuf::Message& request,
                                                 google::protobuf::Message* response)>
      run;
};

// Every rpc of facekit.v1.FaceKit.
const std::vector<GrpcMethod>& FaceKitMethods();
// The key administration rpcs (admin keys only; grpc_key_methods.cc), part of FaceKitMethods().
std::vector<GrpcMethod> KeyMethods();
// PublishEvent and CreateEventStreamToken (grpc_event_methods.cc), part of FaceKitMethods().
std::vector<GrpcMethod> EventMethods();

}  // namespace facekit::server
