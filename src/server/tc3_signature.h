// TC3-HMAC-SHA256 ("signature v3"): the request signature of the Tencent Cloud
// API 3.0, computed the way the official SDKs compute it and verified the way a
// server compatible with all of them must verify it.
//
// WHAT THIS REPRESENTS
//   Free functions build each step of a signature (canonical request, string
//   to sign, derived key, Authorization header) from a Tc3SignInput; they are
//   what a client signs with and what the tests compare against Tencent's
//   published worked example. ParseTc3Authorization reads an Authorization
//   header strictly. Tc3Verifier checks one received request (its headers and
//   body) against a secret looked up by SecretId, a clock and a replay cache,
//   and reports the Tencent error code a rejected request deserves.
//
//   The signed headers must be exactly "content-type;host". The request line
//   defaults to what the SDKs send (POST to "/", an empty query); the gRPC
//   and REST surfaces set the method, path and query they received (see
//   Tc3RequestLine). Service and date are taken from the credential scope, the
//   host is tried as received and without its ":port" (Node signs the bare
//   host name, C++ and Python sign host:port).
//
// THREAD SAFETY
//   The free functions are pure and may be called from any thread.
//   Tc3Verifier::Verify may be called concurrently from several threads,
//   provided the SecretLookup and clock functions given to it are themselves
//   thread-safe; the replay cache is guarded by a mutex.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace facekit::server {

/// The algorithm name that opens the Authorization header and the string to sign.
inline constexpr std::string_view kTc3Algorithm = "TC3-HMAC-SHA256";
/// The only SignedHeaders value accepted (and the one every SDK sends).
inline constexpr std::string_view kTc3SignedHeaders = "content-type;host";
/// X-TC-Content-SHA256 value meaning "the body is not part of the signature".
inline constexpr std::string_view kTc3UnsignedPayload = "UNSIGNED-PAYLOAD";

/// Lowercase hex SHA-256 of `data`. Empty only if OpenSSL itself fails.
std::string Sha256Hex(std::string_view data);
/// Raw 32-byte HMAC-SHA256 of `data` under `key`. Empty only if OpenSSL itself fails.
std::string HmacSha256(std::string_view key, std::string_view data);
/// Lowercase hex of arbitrary bytes (two characters per byte).
std::string HexEncode(std::string_view bytes);
/// yyyy-mm-dd of a unix timestamp, in UTC (proleptic Gregorian; any int64 is valid).
std::string Tc3Date(std::int64_t unix_seconds);
/// `host` without a trailing ":digits" port: "a.b:8080" -> "a.b", "[::1]:8080" -> "[::1]".
/// A host without a port, a bare IPv6 literal ("::1") or a non-numeric port is returned unchanged.
std::string_view Tc3HostWithoutPort(std::string_view host);

/// Everything the signature covers, as the client signed it.
struct Tc3SignInput {
  std::string method = "POST";  ///< HTTP method, upper case
  std::string canonical_uri = "/";
  std::string canonical_query;  ///< empty for POST
  std::string content_type;     ///< exactly as sent, e.g. "application/json; charset=utf-8"
  std::string host;             ///< as signed (with or without port)
  std::string payload_hash;     ///< hex sha256 of the body, or the literal "UNSIGNED-PAYLOAD"
  std::int64_t timestamp = 0;   ///< X-TC-Timestamp, unix seconds
  std::string service;          ///< e.g. "iai"; the second element of the credential scope
};

/// "<date>/<service>/tc3_request" for the input's timestamp and service.
std::string Tc3CredentialScope(const Tc3SignInput& in);
/// Method, URI, query, "content-type:..\nhost:..\n", "content-type;host" and the payload hash,
/// joined by "\n".
std::string Tc3CanonicalRequest(const Tc3SignInput& in);
/// "TC3-HMAC-SHA256\n<timestamp>\n<scope>\n<hex sha256(canonical request)>".
std::string Tc3StringToSign(const Tc3SignInput& in);
/// The raw signing key HMAC(HMAC(HMAC("TC3" + secret_key, date), service), "tc3_request").
std::string Tc3SigningKey(std::string_view secret_key, std::string_view date, std::string_view service);
/// Lowercase hex signature of the input under `secret_key`.
std::string Tc3Signature(std::string_view secret_key, const Tc3SignInput& in);
/// Full Authorization header value:
/// "TC3-HMAC-SHA256 Credential=<id>/<scope>, SignedHeaders=content-type;host, Signature=<hex>".
std::string Tc3Authorization(std::string_view secret_id, std::string_view secret_key, const Tc3SignInput& in);

/// The fields of a parsed Authorization header.
struct Tc3Credential {
  std::string algorithm;       ///< the first token, e.g. "TC3-HMAC-SHA256" (not checked by the parser)
  std::string secret_id;       ///< first element of the credential scope
  std::string date;            ///< yyyy-mm-dd (shape checked, value not)
  std::string service;         ///< e.g. "iai", "cvm", "127"
  std::string signed_headers;  ///< e.g. "content-type;host" (not checked by the parser)
  std::string signature;       ///< 64 hex digits, as received
};

/// Parses "ALG Credential=ID/yyyy-mm-dd/SERVICE/tc3_request, SignedHeaders=H, Signature=HEX".
/// Strict: one space after the algorithm, the three fields in this order, any number of spaces
/// (none included) after each comma, no other whitespace, no empty element, the scope ending in
/// "tc3_request" and a 64-hex-digit signature. Returns nullopt for anything else.
std::optional<Tc3Credential> ParseTc3Authorization(std::string_view header);

/// Values of the request headers a verification needs ("" when absent).
struct Tc3Headers {
  std::string authorization;
  std::string content_type;
  std::string host;
  std::string timestamp;       ///< X-TC-Timestamp
  std::string content_sha256;  ///< X-TC-Content-SHA256
};

/// The request line a signature covers; the defaults are what the SDKs send.
struct Tc3RequestLine {
  std::string method = "POST";      ///< upper case
  std::string canonical_uri = "/";  ///< the path as received
  std::string canonical_query;      ///< the query string as received, without '?'
};

/// Result of Tc3Verifier::Verify.
struct Tc3Outcome {
  /// Empty on success, else one of "AuthFailure.InvalidAuthorization", "AuthFailure.SignatureExpire",
  /// "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure".
  std::string error_code;
  std::string message;    ///< English, says which check failed; never contains a secret key
  std::string secret_id;  ///< the parsed SecretId, also on failure once the header parsed

  bool ok() const { return error_code.empty(); }
};

/// Remembers signatures that verified until they expire, so each is accepted once.
/// Bounded: when full, the entries that expire soonest are evicted (those requests can then be
/// replayed until they expire; size the cache above the expected requests per skew window).
/// An entry costs about 160 bytes (a signature is kept as the 32-byte SHA-256 of its text).
/// Thread-safe.
class Tc3ReplayCache {
 public:
  explicit Tc3ReplayCache(std::size_t max_entries) : max_entries_(max_entries) {}

  /// Forgets entries that expired before `now_s`, then records `signature` as used until
  /// `expires_at_s` (inclusive). Returns false, recording nothing, if it is already recorded.
  /// With max_entries == 0 nothing is ever recorded and every call returns true.
  bool Insert(std::string_view signature, std::int64_t expires_at_s, std::int64_t now_s);
  /// Number of signatures currently remembered.
  std::size_t size() const;

 private:
  using Key = std::array<unsigned char, 32>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };

  void PruneLocked(std::int64_t now_s);
  void EvictSoonestLocked();

  const std::size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<Key, std::int64_t, KeyHash> expiry_by_key_;  // guarded by mu_
  std::set<std::pair<std::int64_t, Key>> by_expiry_;              // guarded by mu_
};

/// Verifies TC3-HMAC-SHA256 signed requests. Checks, in order: the Authorization header parses,
/// names TC3-HMAC-SHA256 and signs exactly content-type;host; X-TC-Timestamp is a decimal integer;
/// it is within max_skew_s of now; the scope date is the UTC date of the timestamp; the SecretId is
/// known; the signature matches (host as received, then without port; constant-time compare); the
/// signature has not been used before (when reject_replays).
class Tc3Verifier {
 public:
  /// SecretId -> SecretKey, or nullopt when the id is unknown (or revoked).
  using SecretLookup = std::function<std::optional<std::string>(std::string_view secret_id)>;
  /// Current unix time in seconds.
  using Clock = std::function<std::int64_t()>;

  struct Options {
    std::int64_t max_skew_s = 300;             ///< accepted |now - X-TC-Timestamp|, seconds
    /// Accept each signature once within its window. Off by default: the official SDKs sign only
    /// content-type;host and the body, so a legitimate client repeats a signature whenever it sends
    /// the same body twice within a second; the server applies a per-action rule instead
    /// (AccessPolicy, docs/api-reference.md "Replays").
    bool reject_replays = false;
    std::size_t replay_cache_max = 1'000'000;  ///< signatures remembered at most
  };

  /// An empty `lookup` finds no SecretId; an empty `now_s` means the system clock.
  Tc3Verifier(SecretLookup lookup, Clock now_s, Options o);

  /// Verifies one request. `body` is the raw request body as received.
  Tc3Outcome Verify(const Tc3Headers& h, std::string_view body, const Tc3RequestLine& line = {});
  /// The same, for a caller that has only the body's lowercase hex SHA-256.
  Tc3Outcome VerifyDigest(const Tc3Headers& h, std::string_view body_sha256_hex, const Tc3RequestLine& line = {});

  /// Number of signatures held by the replay cache (for tests and metrics).
  std::size_t replay_cache_size() const { return replay_cache_.size(); }

 private:
  Tc3Outcome VerifyImpl(const Tc3Headers& h, std::string_view body, bool body_is_digest, const Tc3RequestLine& line);

  SecretLookup lookup_;
  Clock now_s_;
  Options options_;
  Tc3ReplayCache replay_cache_;
};

}  // namespace facekit::server
