// server/url_fetcher.h - downloads the image behind a cloud API `Url` input, safely.
//
// WHAT THIS REPRESENTS
//   UrlFetcher turns an untrusted http(s) URL into the bytes of its body, or into an error that
//   says exactly what went wrong. It is the only way the server reaches out to the network on a
//   client's behalf, so it is built to be no stepping stone into the server's own network (SSRF):
//
//   * Only `http` and `https` URLs are fetched (also for redirects); user credentials
//     (`user:password@`) in a URL are refused. URLs are parsed with libcurl's URL API.
//   * Without a proxy, every address libcurl is about to connect to is vetted AFTER name
//     resolution, for the first request and for every redirect hop (CURLOPT_OPENSOCKETFUNCTION,
//     checked again in CURLOPT_PREREQFUNCTION). A host that resolves, or re-resolves (DNS
//     rebinding), to a loopback, private, link-local (cloud metadata 169.254.169.254), CGNAT,
//     multicast, reserved or unspecified address is refused before any packet is sent to it,
//     unless the address is inside one of UrlFetchOptions::allow_cidrs. When a host has several
//     addresses, forbidden ones are skipped and libcurl may still succeed with an allowed one;
//     the bytes then always come from an address that passed the check.
//   * With a proxy (see "PROXIES" below) the socket goes to the proxy, so the proxy address is
//     not checked; instead the target host of every hop is resolved locally (getaddrinfo) and the
//     hop is refused if ANY of its addresses is forbidden. The proxy resolves the name again, so
//     a rebinding attack on the target cannot be excluded in this mode; a proxy that itself
//     refuses internal destinations closes that gap.
//   * At most `max_redirects` redirects, a whole-transfer timeout, a connect timeout, and a body
//     cap enforced both on Content-Length and on the bytes actually received (after any
//     Content-Encoding is undone). A final HTTP status outside 200..299 is a failure.
//
// ERRORS AS VALUES
//   Fetch returns Result<std::vector<std::uint8_t>>. Its Status code alone tells the server which
//   cloud API error to answer with; the optional UrlErrorKind output refines it (e.g. timeout):
//
//     UrlErrorKind        StatusCode                      cloud API error
//     kIllegalUrl         kInvalidArgument                InvalidParameterValue.UrlIllegal
//     kForbiddenAddress   kInvalidArgument                InvalidParameterValue.UrlIllegal
//     kDownloadFailed     kIoError                        FailedOperation.ImageDownloadError
//     kTimeout            kIoError                        FailedOperation.ImageDownloadError
//     kTooLarge           kImageSizeExceeded              FailedOperation.ImageSizeExceed
//     kInvalidOptions     kFailedPrecondition             InternalError (a server configuration bug)
//
//   Messages name what happened precisely ("refused to connect to 127.0.0.1 (host 'localhost'):
//   loopback address, 127.0.0.0/8", "download from http://h/p timed out after 4500 ms", "HTTP
//   status 404 from http://h/p", "too many redirects (more than 3)", "response body exceeds
//   7340032 bytes", "DNS failure for host 'x'", "URL scheme 'ftp' is not supported").
//   They never contain the URL's query string or credentials.
//
// PROXIES
//   With use_env_proxy, the proxy is chosen once per Fetch from the environment exactly as
//   libcurl would for the first URL (lowercase `http_proxy` only for http - never HTTP_PROXY -,
//   `https_proxy`/`HTTPS_PROXY` for https, then `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY`
//   host, domain-suffix, IP and CIDR entries and "*" bypass it). That choice is then given to
//   libcurl explicitly and applies to every redirect hop of that Fetch, so the address check and
//   the route always agree (so an http -> https redirect keeps the proxy chosen for http).
//   Local name resolution of a proxied target is not bounded by timeout_ms, and it needs a
//   working local resolver for names (IP-literal targets need none).
//
// THREAD SAFETY
//   A UrlFetcher is immutable after construction; Fetch is const and may be called concurrently
//   from any number of threads (each call uses its own libcurl easy handle). libcurl's global
//   initialisation is done exactly once per process (std::call_once; curl_global_cleanup is
//   never called, libcurl stays initialised until exit). Fetch reads the proxy
//   environment variables; do not change them (setenv) while fetches run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/status.h"

struct sockaddr;

namespace facekit::server {

/// Limits and policy of a UrlFetcher.
struct UrlFetchOptions {
  /// Limit for the whole transfer including redirects (the cloud API allows 4.5 s). Must be > 0.
  long timeout_ms = 4500;
  /// Limit for establishing each connection. Must be > 0.
  long connect_timeout_ms = 3000;
  /// Largest accepted body; the transfer is aborted as soon as Content-Length or the received
  /// bytes exceed it. Must be > 0.
  std::size_t max_bytes = std::size_t{7} * 1024 * 1024;
  /// Redirects followed at most; one more is an error. Must be >= 0 (0 = no redirects).
  int max_redirects = 3;
  /// Addresses allowed although IsForbiddenAddress says otherwise, as CIDR strings
  /// ("127.0.0.1/32", "10.0.0.0/8", "::1/128"; a bare address means a single host). An IPv4 entry
  /// also matches the IPv4-mapped IPv6 form of its addresses.
  std::vector<std::string> allow_cidrs;
  /// Honour http_proxy / https_proxy / all_proxy / no_proxy (see PROXIES in the header comment).
  /// false: always connect directly.
  bool use_env_proxy = true;
};

/// Why a Fetch failed; see the table in the header comment for the matching StatusCode.
enum class UrlErrorKind {
  kNone,              ///< success
  kIllegalUrl,        ///< malformed URL, unsupported scheme, credentials in the URL or a redirect
  kForbiddenAddress,  ///< the host is, or resolves to, an address the policy refuses
  kDownloadFailed,    ///< DNS, connection, TLS or protocol failure, HTTP status, too many redirects
  kTooLarge,          ///< the body (or its Content-Length) exceeds max_bytes
  kTimeout,           ///< timeout_ms or connect_timeout_ms elapsed
  kInvalidOptions,    ///< the fetcher's own UrlFetchOptions are invalid; nothing was fetched
};

/// Stable name, e.g. "ForbiddenAddress".
std::string_view UrlErrorKindName(UrlErrorKind kind);
/// The StatusCode Fetch uses for `kind` (kOk for kNone).
StatusCode UrlErrorStatusCode(UrlErrorKind kind);

/// Why `addr` must not be fetched from ("loopback address, 127.0.0.0/8", ...),
/// or nullopt when it is a public unicast address. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d)
/// and NAT64 addresses (64:ff9b::a.b.c.d) are classified by their IPv4 part. Families other than
/// AF_INET / AF_INET6, and null, are refused. Ignores allow_cidrs.
std::optional<std::string_view> ForbiddenAddressReason(const sockaddr* addr);
/// ForbiddenAddressReason(addr).has_value(): loopback 127/8 and ::1, 0/8 and ::, private 10/8,
/// 172.16/12, 192.168/16, CGNAT 100.64/10, link-local 169.254/16 and fe80::/10, unique-local
/// fc00::/7, site-local fec0::/10, multicast, broadcast and reserved 240/4, documentation and
/// benchmarking ranges, IPv4-compatible ::/96.
bool IsForbiddenAddress(const sockaddr* addr);

namespace url_fetcher_internal {
/// One parsed allow_cidrs entry; an implementation detail.
struct Cidr {
  int family = 0;               ///< AF_INET or AF_INET6
  std::uint8_t bytes[16] = {};  ///< network address; 4 (AF_INET) or 16 significant bytes
  int prefix_len = 0;           ///< 0..32 or 0..128
};
}  // namespace url_fetcher_internal

/// Downloads http(s) URLs under the policy of its UrlFetchOptions (see the header comment).
class UrlFetcher {
 public:
  /// Stores `options`. Invalid options (see ValidateOptions) are not fatal here, but make every
  /// Fetch fail with kInvalidOptions / kFailedPrecondition naming the problem.
  explicit UrlFetcher(UrlFetchOptions options = {});

  /// Ok, or kInvalidArgument naming the first bad field or allow_cidrs entry.
  static Status ValidateOptions(const UrlFetchOptions& options);

  /// The options given to the constructor.
  const UrlFetchOptions& options() const { return options_; }

  /// Downloads `url` and returns its body. On failure the Status code and message are as in the
  /// header comment; if `kind` is not null it receives the error kind (kNone on success).
  Result<std::vector<std::uint8_t>> Fetch(const std::string& url, UrlErrorKind* kind = nullptr) const;

 private:
  UrlFetchOptions options_;
  Status options_status_;                            // ValidateOptions(options_)
  std::vector<url_fetcher_internal::Cidr> allowed_;  // parsed options_.allow_cidrs
};

}  // namespace facekit::server
