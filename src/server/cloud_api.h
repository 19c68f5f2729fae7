// The cloud-compatible endpoint: `/` exactly as Tencent Cloud's face
// recognition API 3.0 (versions 2020-03-03 and 2018-03-01) speaks it, so its
// official SDKs work against FaceKit with only the endpoint changed. See
// docs/api-reference.md for what is accepted and answered.
//
// WHAT THIS REPRESENTS
//   A translator from one HTTP request to one FaceService call and back:
//   the request decoded whatever its form (cloud_request.h: TC3 over POST
//   JSON, GET and multipart, signature V1 over GET and form POST) into one
//   parameter tree (cloud_param_tree.h) typed by the version's parameters
//   (cloud_schema.h), its signature verified (every SDK variant), the key's role,
//   action and group allow-lists, a per-key rate limit, parameter
//   validation (types, unknown and missing parameters), image input (base64
//   with or without a `data:` header, or Url, within the cloud API's
//   documented limits unless relaxed), and the response / error
//   envelopes with a UUID RequestId. Errors are answered with HTTP 200, as the
//   SDKs require, with messages in zh-CN or en-US per X-TC-Language.
//
// THREAD SAFETY
//   Handle() may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_key.h"
#include "server/access_policy.h"
#include "server/http_server.h"
#include "server/image_input.h"
#include "server/metrics.h"
#include "service/face_service.h"

namespace facekit::server {

struct CloudApiOptions {
  // A V1 (HmacSHA1 / HmacSHA256) POST body is at most this (the cloud API's 1 MB).
  std::size_t max_v1_body_bytes = 1024 * 1024;
  // The cloud API's documented image limits, checked before the service sees
  // an image: base64 <= 5 MB (0 = no limit but the body's), and the header's
  // resolution (CloudImageLimits(): JPEG long side <= 4000, others <= 2000;
  // nullopt = only the service's own limits, its pixel budget). `facekit
  // serve --cloud-image-limits relaxed` lifts both.
  std::size_t max_image_base64_bytes = 5 * 1024 * 1024;
  std::optional<ImageLimits> image_limits = CloudImageLimits();
  std::int64_t max_clock_skew_s = 300;
  bool reject_signatures_of_other_actions = true;
  double default_rate_limit = 100;  // requests per second per key (burst = one second's worth)
  std::string default_language = "zh-CN";
  std::function<std::int64_t()> now_s;        // wall clock, unix seconds (injectable)
  std::function<std::int64_t()> steady_ms;    // monotonic clock for rate limits (injectable)
  std::function<std::string()> request_id;    // UUIDs (injectable)
};

// The access policy options these CloudApiOptions describe (clock skew,
// replays, default rate limit, clocks).
AccessPolicyOptions PolicyOptions(const CloudApiOptions& options);

class CloudApi {
 public:
  // `service`, `keys` and `metrics` (may be null) must outlive the CloudApi.
  // The CloudApi has its own AccessPolicy built from `options`.
  CloudApi(service::FaceService& service, KeyDirectory& keys, UrlFetch fetch, Metrics* metrics,
           CloudApiOptions options = {});
  // Shares `policy` (and so the keys' rate limits) with other surfaces; its
  // options take the place of the policy fields of `options`.
  CloudApi(service::FaceService& service, std::shared_ptr<AccessPolicy> policy, UrlFetch fetch, Metrics* metrics,
           CloudApiOptions options = {});
  ~CloudApi();

  // Answers `POST /`.
  HttpResponse Handle(const HttpRequest& request);
  // An error envelope for a request the transport refused (too large, overloaded).
  HttpResponse Refusal(std::string_view code, const std::string& message, std::string_view language = {});

  // Every action name this endpoint serves, and whether it changes data.
  static std::vector<std::pair<std::string, bool>> Actions();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A random (version 4) UUID, lower-case.
std::string NewUuid();

}  // namespace facekit::server
