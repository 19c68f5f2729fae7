// Who may do what: the rules every API surface (the cloud-compatible `POST /`,
// gRPC and REST) applies to a request's key, in one place.
//
// WHAT THIS REPRESENTS
//   AccessPolicy authenticates a request (a TC3-HMAC-SHA256 signature, a
//   signature V1, or a `Bearer SecretId:SecretKey` credential) and authorises its key for an
//   action: read-only keys cannot write, an action allow-list is honoured,
//   and each key has a token bucket (its rate_limit, else the default; burst
//   = one second's worth). One AccessPolicy shared by
//   every surface gives a key one rate limit across them.
//
//   KeyScope is one key's view of the gallery: a key restricted to some
//   groups sees only those; a person outside them "does not exist" for it,
//   and changing a person needs every one of the person's groups allowed.
//
// THREAD SAFETY
//   AccessPolicy's methods may be called concurrently (the key directory and
//   the injected clocks must be thread-safe). A KeyScope is used by one
//   request at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/api_key.h"
#include "server/tc3_signature.h"
#include "server/v1_signature.h"
#include "service/face_service.h"

namespace facekit::server {

// Where keys come from (the CLI wires the SQLite key store in).
class KeyDirectory {
 public:
  virtual ~KeyDirectory() = default;
  // The key with this SecretId, active or revoked; nullopt when unknown.
  virtual std::optional<ApiKey> Find(std::string_view secret_id) = 0;
};

struct AccessPolicyOptions {
  std::int64_t max_clock_skew_s = 300;
  // Refuse a TC3 signature reused for another action more than a second
  // after its timestamp (identical requests are always answered).
  bool reject_signatures_of_other_actions = true;
  double default_rate_limit = 100;          // requests per second per key; 0 = no limit
  std::function<std::int64_t()> now_s;      // wall clock, unix seconds (injectable)
  std::function<std::int64_t()> steady_ms;  // monotonic clock for rate limits (injectable)
};

class AccessPolicy {
 public:
  // `keys` must outlive the policy.
  AccessPolicy(KeyDirectory& keys, AccessPolicyOptions options);
  ~AccessPolicy();

  // Verifies a TC3 signature over `body` (or over the body whose hex SHA-256
  // is `body_sha256`, with AuthenticateDigest), the reuse rule for
  // `action` (SignatureFitsAction), and that the key exists and is active. Errors:
  // AuthFailure.InvalidAuthorization / SignatureExpire / SecretIdNotFound /
  // SignatureFailure.
  // `line` is the request line the signature covers (the SDKs': POST /).
  service::ApiResult<ApiKey> Authenticate(const Tc3Headers& h, std::string_view body, std::string_view action,
                                          const Tc3RequestLine& line = {});
  service::ApiResult<ApiKey> AuthenticateDigest(const Tc3Headers& h, std::string_view body_sha256,
                                                std::string_view action, const Tc3RequestLine& line);
  // Verifies a signature V1 request (HmacSHA1 / HmacSHA256; V1Verifier), then
  // that the key exists and is active. An exact resend of a request accepted
  // within the clock-skew window is refused (AuthFailure.SignatureFailure).
  service::ApiResult<ApiKey> AuthenticateV1(const V1Request& request);
  // `credentials` is "SecretId:SecretKey" (the text after "Bearer "). The
  // caller decides whether the transport may carry a bare secret.
  service::ApiResult<ApiKey> AuthenticateBearer(std::string_view credentials);

  // The key's role and action allow-list, then its rate limit (one token
  // taken). Errors: AuthFailure.UnauthorizedOperation, RequestLimitExceeded.
  std::optional<service::ApiError> Authorise(const ApiKey& key, std::string_view action, bool write);

  const AccessPolicyOptions& options() const { return options_; }

 private:
  service::ApiResult<ApiKey> Finish(const Tc3Headers& h, const Tc3Outcome& outcome, std::string_view action);
  bool SignatureFitsAction(const Tc3Headers& h, std::string_view action);
  bool TakeToken(const ApiKey& key);

  KeyDirectory& keys_;
  AccessPolicyOptions options_;
  std::unique_ptr<Tc3Verifier> verifier_;
  std::unique_ptr<V1Verifier> v1_verifier_;
  // Signatures reused for other actions (see SignatureFitsAction): signatures seen, and signature+action pairs seen.
  Tc3ReplayCache signatures_seen_{1'000'000};
  Tc3ReplayCache signature_actions_seen_{1'000'000};

  struct Bucket {
    double tokens = 0;
    std::int64_t last_ms = 0;
  };
  std::mutex rate_mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // by SecretId, guarded by rate_mu_
};

class KeyScope {
 public:
  // `key` and `service` must outlive the scope.
  KeyScope(const ApiKey& key, const service::FaceService& service) : key_(key), service_(service) {}

  // Whether the key may see this group.
  bool Visible(const std::string& group_id) const;
  // AuthFailure.UnauthorizedOperation for the first group the key may not access.
  std::optional<service::ApiError> CheckGroups(const std::vector<std::string>& group_ids) const;
  // A person outside the key's groups does not exist for it
  // (InvalidParameterValue.PersonIdNotExist); a write needs every group of
  // the person to be allowed (AuthFailure.UnauthorizedOperation).
  std::optional<service::ApiError> CheckPerson(const std::string& person_id, bool write) const;
  // A filter hiding the groups the key may not see; empty for unrestricted keys.
  service::FaceService::GroupFilter Filter() const;

 private:
  const ApiKey& key_;
  const service::FaceService& service_;
};

// Whether `address` (as an HTTP server reports it: "127.0.0.1", "::1",
// "::ffff:127.0.0.1") is a loopback address.
bool IsLoopbackAddress(std::string_view address);

}  // namespace facekit::server
