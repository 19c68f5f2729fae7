#include "server/url_fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

namespace facekit::server {
namespace {

using url_fetcher_internal::Cidr;

constexpr std::size_t kMaxUrlLength = 8192;
constexpr std::size_t kMaxDisplayLength = 200;
constexpr const char* kAllowedProtocols = "http,https";
constexpr const char* kUserAgent = "FaceKit-UrlFetcher/1";

// ---------------------------------------------------------------------------------------------
// IP addresses and ranges

/// An IPv4 (first 4 bytes significant) or IPv6 address.
struct IpAddress {
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};
};

/// A range of addresses with the reason it is refused.
struct ForbiddenRange {
  std::array<std::uint8_t, 16> network;
  int prefix_len;
  std::string_view reason;
};

constexpr ForbiddenRange kForbiddenV4[] = {
    {{0}, 8, "unspecified (\"this network\") address, 0.0.0.0/8"},
    {{10}, 8, "private address, 10.0.0.0/8"},
    {{100, 64}, 10, "carrier-grade NAT address, 100.64.0.0/10"},
    {{127}, 8, "loopback address, 127.0.0.0/8"},
    {{169, 254}, 16, "link-local address, 169.254.0.0/16 (includes cloud metadata services)"},
    {{172, 16}, 12, "private address, 172.16.0.0/12"},
    {{192, 0, 0}, 24, "IETF protocol assignment address, 192.0.0.0/24"},
    {{192, 0, 2}, 24, "documentation address, 192.0.2.0/24"},
    {{192, 168}, 16, "private address, 192.168.0.0/16"},
    {{198, 18}, 15, "benchmarking address, 198.18.0.0/15"},
    {{198, 51, 100}, 24, "documentation address, 198.51.100.0/24"},
    {{203, 0, 113}, 24, "documentation address, 203.0.113.0/24"},
    {{224}, 4, "multicast address, 224.0.0.0/4"},
    {{255, 255, 255, 255}, 32, "broadcast address, 255.255.255.255"},
    {{240}, 4, "reserved address, 240.0.0.0/4"},
};

constexpr ForbiddenRange kForbiddenV6[] = {
    {{}, 128, "unspecified address, ::"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback address, ::1"},
    {{}, 96, "IPv4-compatible address, ::/96 (deprecated)"},
    {{0x01, 0x00}, 64, "discard-only address, 100::/64"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation address, 2001:db8::/32"},
    {{0xfc}, 7, "unique-local address, fc00::/7"},
    {{0xfe, 0x80}, 10, "link-local address, fe80::/10"},
    {{0xfe, 0xc0}, 10, "site-local address, fec0::/10 (deprecated)"},
    {{0xff}, 8, "multicast address, ff00::/8"},
};

/// ::ffff:0:0/96 (IPv4-mapped) and 64:ff9b::/96 (NAT64 well-known prefix) embed an IPv4 address.
constexpr std::array<std::uint8_t, 16> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::array<std::uint8_t, 16> kNat64Prefix = {0x00, 0x64, 0xff, 0x9b};

bool PrefixMatches(const std::uint8_t* address, const std::uint8_t* network, int prefix_len) {
  const int full_bytes = prefix_len / 8;
  if (std::memcmp(address, network, static_cast<std::size_t>(full_bytes)) != 0) {
    return false;
  }
  const int rest_bits = prefix_len % 8;
  if (rest_bits == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest_bits));
  return (address[full_bytes] & mask) == (network[full_bytes] & mask);
}

std::optional<IpAddress> IpFromSockaddr(const sockaddr* addr) {
  if (addr == nullptr) {
    return std::nullopt;
  }
  IpAddress ip;
  if (addr->sa_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, addr, sizeof(v4));
    ip.family = AF_INET;
    std::memcpy(ip.bytes.data(), &v4.sin_addr, 4);
    return ip;
  }
  if (addr->sa_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, addr, sizeof(v6));
    ip.family = AF_INET6;
    std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpFromText(const std::string& text) {
  IpAddress ip;
  if (inet_pton(AF_INET, text.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

std::string IpToText(const IpAddress& ip) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(ip.family, ip.bytes.data(), text, sizeof(text)) == nullptr) {
    return "(unprintable address)";
  }
  return text;
}

/// The IPv4 address embedded in an IPv4-mapped or NAT64 IPv6 address, if any.
std::optional<IpAddress> EmbeddedV4(const IpAddress& ip) {
  if (ip.family != AF_INET6) {
    return std::nullopt;
  }
  if (!PrefixMatches(ip.bytes.data(), kV4MappedPrefix.data(), 96) &&
      !PrefixMatches(ip.bytes.data(), kNat64Prefix.data(), 96)) {
    return std::nullopt;
  }
  IpAddress v4;
  v4.family = AF_INET;
  std::copy(ip.bytes.begin() + 12, ip.bytes.end(), v4.bytes.begin());
  return v4;
}

template <std::size_t N>
std::optional<std::string_view> FirstMatch(const ForbiddenRange (&ranges)[N], const IpAddress& ip) {
  for (const ForbiddenRange& range : ranges) {
    if (PrefixMatches(ip.bytes.data(), range.network.data(), range.prefix_len)) {
      return range.reason;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> ForbiddenReason(const IpAddress& ip) {
  if (ip.family == AF_INET) {
    return FirstMatch(kForbiddenV4, ip);
  }
  if (std::optional<IpAddress> v4 = EmbeddedV4(ip)) {
    return FirstMatch(kForbiddenV4, *v4);
  }
  return FirstMatch(kForbiddenV6, ip);
}

std::optional<Cidr> ParseCidr(const std::string& text) {
  const std::size_t slash = text.find('/');
  const std::optional<IpAddress> ip = IpFromText(text.substr(0, slash));
  if (!ip) {
    return std::nullopt;
  }
  Cidr cidr;
  cidr.family = ip->family;
  const int max_len = ip->family == AF_INET ? 32 : 128;
  cidr.prefix_len = max_len;
  if (slash != std::string::npos) {
    const std::string digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) {
      return std::nullopt;
    }
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    cidr.prefix_len = std::stoi(digits);
    if (cidr.prefix_len > max_len) {
      return std::nullopt;
    }
  }
  std::copy(ip->bytes.begin(), ip->bytes.end(), std::begin(cidr.bytes));
  return cidr;
}

bool CidrContains(const Cidr& cidr, const IpAddress& ip) {
  return cidr.family == ip.family && PrefixMatches(ip.bytes.data(), cidr.bytes, cidr.prefix_len);
}

bool IsAllowListed(const IpAddress& ip, const std::vector<Cidr>& allowed) {
  const std::optional<IpAddress> v4 = EmbeddedV4(ip);
  for (const Cidr& cidr : allowed) {
    if (CidrContains(cidr, ip) || (v4 && CidrContains(cidr, *v4))) {
      return true;
    }
  }
  return false;
}

/// Why `ip` must not be connected to under the policy, or nullopt when it may.
std::optional<std::string_view> PolicyRefusal(const IpAddress& ip, const std::vector<Cidr>& allowed) {
  std::optional<std::string_view> reason = ForbiddenReason(ip);
  if (!reason || IsAllowListed(ip, allowed)) {
    return std::nullopt;
  }
  return reason;
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/// A failed step: its kind and the message of the Status Fetch returns.
struct Failure {
  UrlErrorKind kind = UrlErrorKind::kNone;
  std::string message;

  bool failed() const { return kind != UrlErrorKind::kNone; }
};

Failure Fail(UrlErrorKind kind, std::string message) { return {kind, std::move(message)}; }

// ---------------------------------------------------------------------------------------------
// libcurl plumbing

CURLcode CurlGlobalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct UrlDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct AddrinfoDeleter {
  void operator()(addrinfo* list) const { freeaddrinfo(list); }
};

/// One part of a parsed URL, or nullopt when absent.
std::optional<std::string> UrlPart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK || text == nullptr) {
    return std::nullopt;
  }
  std::string copy(text);
  curl_free(text);
  return copy;
}

std::string Lowercase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string Uppercase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string StripBrackets(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

/// A URL accepted by ParseHttpUrl.
struct ParsedUrl {
  std::string scheme;   ///< "http" or "https"
  std::string host;     ///< host name or address, IPv6 without brackets
  std::string display;  ///< scheme://host[:port]/path - no credentials, no query; for messages
};

std::string DisplayUrl(CURLU* url, const std::string& scheme) {
  std::string display = scheme + "://" + UrlPart(url, CURLUPART_HOST).value_or("");
  if (std::optional<std::string> port = UrlPart(url, CURLUPART_PORT)) {
    display += ":" + *port;
  }
  display += UrlPart(url, CURLUPART_PATH).value_or("/");
  if (display.size() > kMaxDisplayLength) {
    display = display.substr(0, kMaxDisplayLength) + "...";
  }
  return display;
}

/// Checks that `text` is an http(s) URL without credentials; kIllegalUrl otherwise.
Failure ParseHttpUrl(const std::string& text, ParsedUrl* out) {
  if (text.empty()) {
    return Fail(UrlErrorKind::kIllegalUrl, "URL is empty");
  }
  if (text.size() > kMaxUrlLength) {
    return Fail(UrlErrorKind::kIllegalUrl,
                "URL is longer than " + std::to_string(kMaxUrlLength) + " characters");
  }
  if (text.find('\0') != std::string::npos) {
    return Fail(UrlErrorKind::kIllegalUrl, "URL contains a NUL character");
  }
  UrlHandle url(curl_url());
  if (!url) {
    return Fail(UrlErrorKind::kDownloadFailed, "out of memory parsing the URL");
  }
  const CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return Fail(UrlErrorKind::kIllegalUrl, std::string("URL is malformed: ") + curl_url_strerror(rc));
  }
  const std::string scheme = Lowercase(UrlPart(url.get(), CURLUPART_SCHEME).value_or(""));
  if (scheme != "http" && scheme != "https") {
    return Fail(UrlErrorKind::kIllegalUrl,
                "URL scheme '" + scheme + "' is not supported (only http and https)");
  }
  if (UrlPart(url.get(), CURLUPART_USER) || UrlPart(url.get(), CURLUPART_PASSWORD) ||
      UrlPart(url.get(), CURLUPART_OPTIONS)) {
    return Fail(UrlErrorKind::kIllegalUrl, "URL must not contain credentials (user:password@)");
  }
  const std::string host = StripBrackets(UrlPart(url.get(), CURLUPART_HOST).value_or(""));
  if (host.empty()) {
    return Fail(UrlErrorKind::kIllegalUrl, "URL has no host");
  }
  *out = {scheme, host, DisplayUrl(url.get(), scheme)};
  return {};
}

// ---------------------------------------------------------------------------------------------
// Proxy selection (mirrors libcurl 7.88's detect_proxy and Curl_check_noproxy)

/// getenv, treating an empty value as unset (as curl_getenv does).
const char* NonEmptyEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  return value != nullptr && *value != '\0' ? value : nullptr;
}

bool NoProxyEntryMatches(std::string entry, const std::string& host) {
  if (const std::optional<IpAddress> ip = IpFromText(host)) {  // "10.0.0.1" or "10.0.0.0/8" entries
    const std::optional<Cidr> cidr = ParseCidr(entry);
    return cidr && CidrContains(*cidr, *ip);
  }
  // Name entries: "example.com" or ".example.com" match the domain and its subdomains.
  std::string name = Lowercase(host);
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  entry = Lowercase(entry);
  if (!entry.empty() && entry.front() == '.') {
    entry.erase(0, 1);
  }
  if (!entry.empty() && entry.back() == '.') {
    entry.pop_back();
  }
  if (entry.empty()) {
    return false;
  }
  if (entry == name) {
    return true;
  }
  return entry.size() < name.size() && name.compare(name.size() - entry.size(), entry.size(), entry) == 0 &&
         name[name.size() - entry.size() - 1] == '.';
}

bool NoProxyMatches(const std::string& host) {
  const char* list = NonEmptyEnv("no_proxy");
  if (list == nullptr) {
    list = NonEmptyEnv("NO_PROXY");
  }
  if (list == nullptr) {
    return false;
  }
  const std::string entries(list);
  if (entries == "*") {
    return true;
  }
  std::size_t pos = 0;
  while (pos < entries.size()) {
    const std::size_t end = std::min(entries.find_first_of(", \t", pos), entries.size());
    if (end > pos && NoProxyEntryMatches(entries.substr(pos, end - pos), host)) {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

/// The proxy libcurl would use for `scheme`://`host` from the environment; "" for none.
std::string EnvProxyFor(const std::string& scheme, const std::string& host) {
  if (NoProxyMatches(host)) {
    return "";
  }
  const std::string variable = scheme + "_proxy";
  const char* proxy = NonEmptyEnv(variable);
  // Like libcurl, never HTTP_PROXY: CGI programs receive a client's "Proxy:" header in it.
  if (proxy == nullptr && scheme != "http") {
    proxy = NonEmptyEnv(Uppercase(variable));
  }
  if (proxy == nullptr) {
    proxy = NonEmptyEnv("all_proxy");
  }
  if (proxy == nullptr) {
    proxy = NonEmptyEnv("ALL_PROXY");
  }
  return proxy != nullptr ? proxy : "";
}

/// Resolves `host` locally and refuses it if any address is forbidden (the proxied-mode check).
Failure VetHostByResolution(const std::string& host, const std::vector<Cidr>& allowed) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    return Fail(UrlErrorKind::kDownloadFailed, "DNS failure for host '" + host + "': " + gai_strerror(rc));
  }
  const std::unique_ptr<addrinfo, AddrinfoDeleter> owner(list);
  for (const addrinfo* entry = list; entry != nullptr; entry = entry->ai_next) {
    const std::optional<IpAddress> ip = IpFromSockaddr(entry->ai_addr);
    if (!ip) {
      continue;
    }
    if (std::optional<std::string_view> why = PolicyRefusal(*ip, allowed)) {
      return Fail(UrlErrorKind::kForbiddenAddress, "refused host '" + host + "': it resolves to " +
                                                       IpToText(*ip) + " (" + std::string(*why) + ")");
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// One transfer

/// State shared with the libcurl callbacks of one Fetch; used only on the calling thread.
struct Transfer {
  CURL* curl = nullptr;
  const UrlFetchOptions* options = nullptr;
  const std::vector<Cidr>* allowed = nullptr;
  bool via_proxy = false;
  std::string vetted_host;  // proxied mode: host already vetted by resolution
  std::vector<std::uint8_t> body;
  bool body_too_large = false;
  Failure refusal;  // first refusal by a callback

  void Refuse(Failure failure) {
    if (!refusal.failed()) {
      refusal = std::move(failure);
    }
  }
};

std::string EffectiveUrl(CURL* curl) {
  char* url = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || url == nullptr) {
    return "";
  }
  return url;
}

/// The host of the request in progress, for messages.
std::string CurrentHost(CURL* curl) {
  ParsedUrl parsed;
  if (ParseHttpUrl(EffectiveUrl(curl), &parsed).failed()) {
    return "?";
  }
  return parsed.host;
}

std::string CurrentDisplayUrl(CURL* curl) {
  ParsedUrl parsed;
  if (ParseHttpUrl(EffectiveUrl(curl), &parsed).failed()) {
    return "the URL";
  }
  return parsed.display;
}

Failure ConnectRefusal(CURL* curl, const IpAddress& ip, std::string_view why) {
  return Fail(UrlErrorKind::kForbiddenAddress, "refused to connect to " + IpToText(ip) + " (host '" +
                                                   CurrentHost(curl) + "'): " + std::string(why));
}

// CURLOPT_OPENSOCKETFUNCTION: vets every address before a socket is even created for it.
curl_socket_t OpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(clientp);
  if (purpose != CURLSOCKTYPE_IPCXN) {
    transfer->Refuse(Fail(UrlErrorKind::kForbiddenAddress, "refused to open a listening socket"));
    return CURL_SOCKET_BAD;
  }
  if (!transfer->via_proxy) {  // proxied: the socket goes to the operator's proxy
    sockaddr_storage storage{};
    std::memcpy(&storage, &address->addr, std::min<std::size_t>(address->addrlen, sizeof(storage)));
    const std::optional<IpAddress> ip = IpFromSockaddr(reinterpret_cast<const sockaddr*>(&storage));
    if (!ip) {
      transfer->Refuse(Fail(UrlErrorKind::kForbiddenAddress, "refused to connect to a non-IP address"));
      return CURL_SOCKET_BAD;
    }
    if (std::optional<std::string_view> why = PolicyRefusal(*ip, *transfer->allowed)) {
      transfer->Refuse(ConnectRefusal(transfer->curl, *ip, *why));
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// CURLOPT_PREREQFUNCTION: runs before every request (first and each redirect hop) is sent.
int BeforeRequest(void* clientp, char* primary_ip, char* /*local_ip*/, int /*primary_port*/,
                  int /*local_port*/) {
  auto* transfer = static_cast<Transfer*>(clientp);
  ParsedUrl hop;
  Failure failure = ParseHttpUrl(EffectiveUrl(transfer->curl), &hop);
  if (failure.failed()) {
    failure.message = "redirect refused: " + failure.message;
  } else if (transfer->via_proxy) {
    if (hop.host != transfer->vetted_host) {
      failure = VetHostByResolution(hop.host, *transfer->allowed);
    }
    if (!failure.failed()) {
      transfer->vetted_host = hop.host;
    }
  } else {
    // Defence in depth: OpenSocket has vetted this address already.
    const std::optional<IpAddress> ip = IpFromText(primary_ip != nullptr ? primary_ip : "");
    if (!ip) {
      failure = Fail(UrlErrorKind::kForbiddenAddress, "refused: the connected address is unknown");
    } else if (std::optional<std::string_view> why = PolicyRefusal(*ip, *transfer->allowed)) {
      failure = ConnectRefusal(transfer->curl, *ip, *why);
    }
  }
  if (!failure.failed()) {
    return CURL_PREREQFUNC_OK;
  }
  transfer->Refuse(std::move(failure));
  return CURL_PREREQFUNC_ABORT;
}

// CURLOPT_WRITEFUNCTION: collects the body, aborting as soon as it exceeds max_bytes.
std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* clientp) {
  auto* transfer = static_cast<Transfer*>(clientp);
  const std::size_t length = size * count;
  if (length > transfer->options->max_bytes - transfer->body.size()) {
    transfer->body_too_large = true;
    return 0;  // makes libcurl fail with CURLE_WRITE_ERROR
  }
  transfer->body.insert(transfer->body.end(), data, data + length);
  return length;
}

/// Sets every option of a fetch; false if libcurl refuses one. `proxy` "" means direct.
bool ConfigureHandle(Transfer& transfer, const std::string& url, const std::string& proxy,
                     char* error_buffer) {
  CURL* curl = transfer.curl;
  const UrlFetchOptions& options = *transfer.options;
  CURLcode rc = CURLE_OK;
  // Typed wrapper: keeps curl's checking macros out of our code and stops at the first failure.
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) {
      rc = curl_easy_setopt(curl, option, value);
    }
  };
  set(CURLOPT_ERRORBUFFER, error_buffer);
  set(CURLOPT_URL, url.c_str());
  set(CURLOPT_PROTOCOLS_STR, kAllowedProtocols);
  set(CURLOPT_REDIR_PROTOCOLS_STR, kAllowedProtocols);
  set(CURLOPT_HTTPGET, 1L);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, options.timeout_ms);
  set(CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects));
  set(CURLOPT_FAILONERROR, 1L);
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
  set(CURLOPT_ACCEPT_ENCODING, "");
  set(CURLOPT_USERAGENT, kUserAgent);
  set(CURLOPT_PROXY, proxy.c_str());
  set(CURLOPT_NOPROXY, "");  // the proxy decision above is final; no_proxy was applied already
  set(CURLOPT_OPENSOCKETFUNCTION, &OpenSocket);
  set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(&transfer));
  set(CURLOPT_PREREQFUNCTION, &BeforeRequest);
  set(CURLOPT_PREREQDATA, static_cast<void*>(&transfer));
  set(CURLOPT_WRITEFUNCTION, &WriteBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  return rc == CURLE_OK;
}

long LongInfo(CURL* curl, CURLINFO info) {
  long value = 0;
  if (curl_easy_getinfo(curl, info, &value) != CURLE_OK) {
    return 0;
  }
  return value;
}

std::string WithDetail(std::string message, const char* error_buffer) {
  if (error_buffer[0] != '\0') {
    message += std::string(" (libcurl: ") + error_buffer + ")";
  }
  return message;
}

Failure TimeoutFailure(const Transfer& transfer, const char* error_buffer) {
  const UrlFetchOptions& options = *transfer.options;
  const bool connecting = std::strncmp(error_buffer, "Connection timed out", 20) == 0;
  if (connecting && options.connect_timeout_ms < options.timeout_ms) {
    return Fail(UrlErrorKind::kTimeout,
                WithDetail("connecting to host '" + CurrentHost(transfer.curl) + "' timed out after " +
                               std::to_string(options.connect_timeout_ms) + " ms",
                           error_buffer));
  }
  return Fail(UrlErrorKind::kTimeout,
              WithDetail("download from " + CurrentDisplayUrl(transfer.curl) + " timed out after " +
                             std::to_string(options.timeout_ms) + " ms",
                         error_buffer));
}

Failure TooLargeFailure(const Transfer& transfer, bool by_content_length) {
  return Fail(UrlErrorKind::kTooLarge, "response body exceeds " +
                                           std::to_string(transfer.options->max_bytes) + " bytes" +
                                           (by_content_length ? " (announced by Content-Length)" : ""));
}

/// Turns libcurl's result code into a Failure (kNone on success).
Failure ClassifyResult(CURLcode rc, const Transfer& transfer, const char* error_buffer) {
  CURL* curl = transfer.curl;
  if (rc == CURLE_OK) {
    const long status = LongInfo(curl, CURLINFO_RESPONSE_CODE);
    if (status >= 200 && status < 300) {
      return {};
    }
    return Fail(UrlErrorKind::kDownloadFailed,
                "HTTP status " + std::to_string(status) + " from " + CurrentDisplayUrl(curl));
  }
  if (transfer.refusal.failed() && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_ABORTED_BY_CALLBACK)) {
    return transfer.refusal;
  }
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return TimeoutFailure(transfer, error_buffer);
    case CURLE_HTTP_RETURNED_ERROR:
      return Fail(UrlErrorKind::kDownloadFailed, "HTTP status " +
                                                     std::to_string(LongInfo(curl, CURLINFO_RESPONSE_CODE)) +
                                                     " from " + CurrentDisplayUrl(curl));
    case CURLE_TOO_MANY_REDIRECTS:
      return Fail(UrlErrorKind::kDownloadFailed, "too many redirects (more than " +
                                                     std::to_string(transfer.options->max_redirects) +
                                                     "), last to " + CurrentDisplayUrl(curl));
    case CURLE_FILESIZE_EXCEEDED:
      return TooLargeFailure(transfer, /*by_content_length=*/true);
    case CURLE_COULDNT_RESOLVE_HOST:
      return Fail(UrlErrorKind::kDownloadFailed,
                  WithDetail("DNS failure for host '" + CurrentHost(curl) + "'", error_buffer));
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Fail(UrlErrorKind::kDownloadFailed, WithDetail("DNS failure for the proxy host", error_buffer));
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Fail(
          UrlErrorKind::kIllegalUrl,
          WithDetail("redirect to an unsupported scheme refused (only http and https)", error_buffer));
    default:
      break;
  }
  if (rc == CURLE_WRITE_ERROR && transfer.body_too_large) {
    return TooLargeFailure(transfer, /*by_content_length=*/false);
  }
  if (transfer.refusal.failed()) {
    return transfer.refusal;
  }
  return Fail(UrlErrorKind::kDownloadFailed,
              WithDetail("download from " + CurrentDisplayUrl(curl) + " failed: " + curl_easy_strerror(rc),
                         error_buffer));
}

Result<std::vector<std::uint8_t>> ToResult(Failure failure, UrlErrorKind* kind) {
  if (kind != nullptr) {
    *kind = failure.kind;
  }
  return Status(UrlErrorStatusCode(failure.kind), std::move(failure.message));
}

}  // namespace

std::string_view UrlErrorKindName(UrlErrorKind kind) {
  switch (kind) {
    case UrlErrorKind::kNone:
      return "None";
    case UrlErrorKind::kIllegalUrl:
      return "IllegalUrl";
    case UrlErrorKind::kForbiddenAddress:
      return "ForbiddenAddress";
    case UrlErrorKind::kDownloadFailed:
      return "DownloadFailed";
    case UrlErrorKind::kTooLarge:
      return "TooLarge";
    case UrlErrorKind::kTimeout:
      return "Timeout";
    case UrlErrorKind::kInvalidOptions:
      return "InvalidOptions";
  }
  return "Unknown";
}

StatusCode UrlErrorStatusCode(UrlErrorKind kind) {
  switch (kind) {
    case UrlErrorKind::kNone:
      return StatusCode::kOk;
    case UrlErrorKind::kIllegalUrl:
    case UrlErrorKind::kForbiddenAddress:
      return StatusCode::kInvalidArgument;
    case UrlErrorKind::kDownloadFailed:
    case UrlErrorKind::kTimeout:
      return StatusCode::kIoError;
    case UrlErrorKind::kTooLarge:
      return StatusCode::kImageSizeExceeded;
    case UrlErrorKind::kInvalidOptions:
      return StatusCode::kFailedPrecondition;
  }
  return StatusCode::kInternal;
}

std::optional<std::string_view> ForbiddenAddressReason(const sockaddr* addr) {
  if (addr == nullptr) {
    return "no address";
  }
  const std::optional<IpAddress> ip = IpFromSockaddr(addr);
  if (!ip) {
    return "not an IPv4 or IPv6 address";
  }
  return ForbiddenReason(*ip);
}

bool IsForbiddenAddress(const sockaddr* addr) { return ForbiddenAddressReason(addr).has_value(); }

UrlFetcher::UrlFetcher(UrlFetchOptions options)
    : options_(std::move(options)), options_status_(ValidateOptions(options_)) {
  if (!options_status_.ok()) {
    return;
  }
  for (const std::string& text : options_.allow_cidrs) {
    allowed_.push_back(*ParseCidr(text));
  }
  (void)CurlGlobalInit();
}

Status UrlFetcher::ValidateOptions(const UrlFetchOptions& options) {
  if (options.timeout_ms <= 0) {
    return {StatusCode::kInvalidArgument, "UrlFetchOptions.timeout_ms must be > 0"};
  }
  if (options.connect_timeout_ms <= 0) {
    return {StatusCode::kInvalidArgument, "UrlFetchOptions.connect_timeout_ms must be > 0"};
  }
  if (options.max_bytes == 0) {
    return {StatusCode::kInvalidArgument, "UrlFetchOptions.max_bytes must be > 0"};
  }
  if (options.max_redirects < 0) {
    return {StatusCode::kInvalidArgument, "UrlFetchOptions.max_redirects must be >= 0"};
  }
  for (const std::string& text : options.allow_cidrs) {
    if (!ParseCidr(text)) {
      return {StatusCode::kInvalidArgument, "UrlFetchOptions.allow_cidrs entry '" + text + "' is not a CIDR"};
    }
  }
  return Status::Ok();
}

Result<std::vector<std::uint8_t>> UrlFetcher::Fetch(const std::string& url, UrlErrorKind* kind) const {
  if (!options_status_.ok()) {
    return ToResult(
        Fail(UrlErrorKind::kInvalidOptions, "UrlFetcher is misconfigured: " + options_status_.message()),
        kind);
  }
  const CURLcode init = CurlGlobalInit();
  if (init != CURLE_OK) {
    return ToResult(Fail(UrlErrorKind::kDownloadFailed,
                         std::string("libcurl initialisation failed: ") + curl_easy_strerror(init)),
                    kind);
  }
  ParsedUrl parsed;
  if (Failure failure = ParseHttpUrl(url, &parsed); failure.failed()) {
    return ToResult(std::move(failure), kind);
  }

  Transfer transfer;
  transfer.options = &options_;
  transfer.allowed = &allowed_;
  const std::string proxy = options_.use_env_proxy ? EnvProxyFor(parsed.scheme, parsed.host) : "";
  transfer.via_proxy = !proxy.empty();
  if (transfer.via_proxy) {  // the proxy connects for us; vet the target before contacting it
    if (Failure failure = VetHostByResolution(parsed.host, allowed_); failure.failed()) {
      return ToResult(std::move(failure), kind);
    }
    transfer.vetted_host = parsed.host;
  }

  EasyHandle curl(curl_easy_init());
  if (!curl) {
    return ToResult(Fail(UrlErrorKind::kDownloadFailed, "curl_easy_init failed"), kind);
  }
  transfer.curl = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = {};
  if (!ConfigureHandle(transfer, url, proxy, error_buffer)) {
    return ToResult(Fail(UrlErrorKind::kDownloadFailed, "libcurl rejected an option of the transfer"), kind);
  }
  const CURLcode rc = curl_easy_perform(curl.get());
  if (Failure failure = ClassifyResult(rc, transfer, error_buffer); failure.failed()) {
    return ToResult(std::move(failure), kind);
  }
  if (kind != nullptr) {
    *kind = UrlErrorKind::kNone;
  }
  return std::move(transfer.body);
}

}  // namespace facekit::server
