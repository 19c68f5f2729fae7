// Signature V1 of the Tencent Cloud API (`SignatureMethod` HmacSHA1 or
// HmacSHA256): the scheme older SDK code, users who set `signMethod` and
// hand-written clients following the vendor FAQ still send.
//
// WHAT THIS REPRESENTS
//   Free functions build the string to sign and the signature exactly as the
//   official SDKs do (tencentcloud-sdk-nodejs common/abstract_client.js
//   formatSignString and common/sign.js): every parameter but `Signature`,
//   sorted by name in byte order, joined raw (not URL-encoded) as
//   `k=v&k=v`; the string to sign is METHOD + host + path + "?" + that;
//   the signature is Base64(HMAC(SecretKey, string to sign)).
//
//   V1Verifier checks one received request: the common parameters are there
//   and well formed, the timestamp is within the window, the SecretId is
//   known, the signature matches (host as received, then without its port;
//   constant-time compare), and the request is not an exact resend of one
//   already accepted within the window (see docs/api-reference.md,
//   "Signature V1", for why the replay key is the signature and not the
//   Nonce alone).
//
// THREAD SAFETY
//   The free functions are pure. V1Verifier::Verify may be called
//   concurrently when the lookup and clock given to it are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/tc3_signature.h"

namespace facekit::server {

enum class V1SignatureMethod { kHmacSha1, kHmacSha256 };

/// "HmacSHA1" (or "": the scheme's default) and "HmacSHA256"; nullopt for anything else.
std::optional<V1SignatureMethod> ParseV1SignatureMethod(std::string_view text);

/// One decoded parameter: name and value after percent-decoding.
using V1Param = std::pair<std::string, std::string>;

/// METHOD + host + path + "?" + the parameters other than "Signature", sorted by name (byte
/// order), as raw `k=v` joined by '&'.
std::string V1StringToSign(std::string_view method, std::string_view host, std::string_view path,
                           std::vector<V1Param> params);
/// Base64 of HMAC-SHA1 or HMAC-SHA256 of `string_to_sign` under `secret_key`.
std::string V1Signature(std::string_view secret_key, std::string_view string_to_sign, V1SignatureMethod method);

/// What a V1 request carries, as the server received it.
struct V1Request {
  std::string method;           ///< "GET" or "POST"
  std::string host;             ///< the Host header
  std::string path = "/";       ///< the request path
  std::vector<V1Param> params;  ///< every parameter, Signature included; names unique
};

/// Result of V1Verifier::Verify; error codes as the cloud API's.
struct V1Outcome {
  /// Empty on success, else MissingParameter, InvalidParameterValue, AuthFailure.SignatureExpire,
  /// AuthFailure.SecretIdNotFound or AuthFailure.SignatureFailure.
  std::string error_code;
  std::string message;    ///< English; never contains a secret
  std::string secret_id;  ///< the SecretId parameter, once read

  bool ok() const { return error_code.empty(); }
};

class V1Verifier {
 public:
  using SecretLookup = Tc3Verifier::SecretLookup;
  using Clock = Tc3Verifier::Clock;

  struct Options {
    std::int64_t max_skew_s = 300;             ///< accepted |now - Timestamp|, seconds
    std::size_t replay_cache_max = 1'000'000;  ///< accepted signatures remembered at most
  };

  /// An empty `now_s` means the system clock.
  V1Verifier(SecretLookup lookup, Clock now_s, Options options);

  V1Outcome Verify(const V1Request& request);

 private:
  SecretLookup lookup_;
  Clock now_s_;
  Options options_;
  Tc3ReplayCache accepted_;
};

}  // namespace facekit::server
