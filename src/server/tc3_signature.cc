#include "server/tc3_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <limits>
#include <system_error>
#include <vector>

namespace facekit::server {
namespace {

constexpr std::string_view kScopeTerminator = "tc3_request";
constexpr std::size_t kSignatureHexLength = 64;
constexpr std::int64_t kSecondsPerDay = 86'400;
// Longest piece of client input quoted back in an error message.
constexpr std::size_t kMaxQuotedLength = 64;

constexpr std::string_view kInvalidAuthorization = "AuthFailure.InvalidAuthorization";
constexpr std::string_view kSignatureExpire = "AuthFailure.SignatureExpire";
constexpr std::string_view kSecretIdNotFound = "AuthFailure.SecretIdNotFound";
constexpr std::string_view kSignatureFailure = "AuthFailure.SignatureFailure";

// ---- small text helpers -------------------------------------------------

const unsigned char* Bytes(std::string_view s) {
  static constexpr unsigned char kEmpty[1] = {0};
  return s.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Visible ASCII: no space, control character, DEL or byte >= 0x80.
bool IsVisibleAscii(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

std::string_view TrimSpaces(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool ConsumePrefix(std::string_view& s, std::string_view prefix) {
  if (s.substr(0, prefix.size()) != prefix) {
    return false;
  }
  s.remove_prefix(prefix.size());
  return true;
}

// Client text for an error message: quoted, truncated, non-printable bytes replaced.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, kMaxQuotedLength)) {
    out += (IsVisibleAscii(c) || c == ' ') ? c : '?';
  }
  if (s.size() > kMaxQuotedLength) {
    out += "...";
  }
  return out + "\"";
}

// Splits on '/'; empty elements are kept.
std::vector<std::string_view> SplitSlash(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t pos = s.find('/'); pos != std::string_view::npos; pos = s.find('/')) {
    parts.push_back(s.substr(0, pos));
    s.remove_prefix(pos + 1);
  }
  parts.push_back(s);
  return parts;
}

bool IsDateShaped(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return false;
  }
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(s[i])) {
      return false;
    }
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(Bytes(a), Bytes(b), a.size()) == 0;
}

// ---- time helpers -------------------------------------------------------

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm, proleptic Gregorian).
struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

CivilDate CivilFromDays(std::int64_t days) {
  const std::int64_t z = days + 719'468;
  const std::int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const std::int64_t doe = z - era * 146'097;                                         // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                   // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                        // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
}

// Decimal unix seconds: digits only, no sign, no leading zero, within int64.
std::optional<std::int64_t> ParseTimestamp(std::string_view s) {
  if (s.empty() || !AllOf(s, IsDigit) || (s.size() > 1 && s.front() == '0')) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

// |a - b| without overflow (two's-complement wrap-around gives the exact distance).
std::uint64_t Distance(std::int64_t a, std::int64_t b) {
  const auto ua = static_cast<std::uint64_t>(a);
  const auto ub = static_cast<std::uint64_t>(b);
  return a >= b ? ua - ub : ub - ua;
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) {
    return std::numeric_limits<std::int64_t>::max();
  }
  if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return a + b;
}

std::int64_t SystemNowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- signing ------------------------------------------------------------

std::string SignWithKey(std::string_view signing_key, const Tc3SignInput& in) {
  return HexEncode(HmacSha256(signing_key, Tc3StringToSign(in)));
}

Tc3Outcome& Fail(Tc3Outcome& out, std::string_view code, std::string message) {
  out.error_code = std::string(code);
  out.message = std::move(message);
  return out;
}

}  // namespace

// ---- primitives -----------------------------------------------------------

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(Bytes(data), data.size(), md, &md_len, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), md_len));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  // HMAC() takes an int key length. RFC 2104 replaces a key longer than the hash block by its
  // hash, so hashing a (theoretical) > 2 GiB key first gives the same MAC.
  std::string hashed_key;
  if (key.size() > static_cast<std::size_t>(INT_MAX)) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(Bytes(key), key.size(), md, &md_len, EVP_sha256(), nullptr) != 1) {
      return {};
    }
    hashed_key.assign(reinterpret_cast<const char*>(md), md_len);
    key = hashed_key;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), Bytes(key), static_cast<int>(key.size()), Bytes(data), data.size(), mac, &mac_len) ==
      nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += kDigits[u >> 4];
    out += kDigits[u & 0x0f];
  }
  return out;
}

std::string Tc3Date(std::int64_t unix_seconds) {
  const CivilDate d = CivilFromDays(FloorDiv(unix_seconds, kSecondsPerDay));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(d.year), d.month, d.day);
  return buf;
}

std::string_view Tc3HostWithoutPort(std::string_view host) {
  std::size_t colon = std::string_view::npos;
  if (!host.empty() && host.front() == '[') {  // IPv6 literal: only a ':' right after ']' starts a port
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close + 1 >= host.size() || host[close + 1] != ':') {
      return host;
    }
    colon = close + 1;
  } else {
    colon = host.find(':');
    if (colon == std::string_view::npos || host.find(':', colon + 1) != std::string_view::npos) {
      return host;
    }
  }
  const std::string_view port = host.substr(colon + 1);
  if (port.empty() || !AllOf(port, IsDigit)) {
    return host;
  }
  return host.substr(0, colon);
}

// ---- signature steps --------------------------------------------------------

std::string Tc3CredentialScope(const Tc3SignInput& in) {
  return Tc3Date(in.timestamp) + "/" + in.service + "/" + std::string(kScopeTerminator);
}

std::string Tc3CanonicalRequest(const Tc3SignInput& in) {
  std::string out;
  out.reserve(in.method.size() + in.canonical_uri.size() + in.canonical_query.size() +
              in.content_type.size() + in.host.size() + in.payload_hash.size() + 64);
  out.append(in.method).append("\n");
  out.append(in.canonical_uri).append("\n");
  out.append(in.canonical_query).append("\n");
  out.append("content-type:").append(in.content_type).append("\n");
  out.append("host:").append(in.host).append("\n");
  out.append("\n");
  out.append(kTc3SignedHeaders).append("\n");
  out.append(in.payload_hash);
  return out;
}

std::string Tc3StringToSign(const Tc3SignInput& in) {
  return std::string(kTc3Algorithm) + "\n" + std::to_string(in.timestamp) + "\n" + Tc3CredentialScope(in) +
         "\n" + Sha256Hex(Tc3CanonicalRequest(in));
}

std::string Tc3SigningKey(std::string_view secret_key, std::string_view date, std::string_view service) {
  const std::string secret_date = HmacSha256("TC3" + std::string(secret_key), date);
  const std::string secret_service = HmacSha256(secret_date, service);
  return HmacSha256(secret_service, kScopeTerminator);
}

std::string Tc3Signature(std::string_view secret_key, const Tc3SignInput& in) {
  return SignWithKey(Tc3SigningKey(secret_key, Tc3Date(in.timestamp), in.service), in);
}

std::string Tc3Authorization(std::string_view secret_id, std::string_view secret_key,
                             const Tc3SignInput& in) {
  return std::string(kTc3Algorithm) + " Credential=" + std::string(secret_id) + "/" + Tc3CredentialScope(in) +
         ", SignedHeaders=" + std::string(kTc3SignedHeaders) + ", Signature=" + Tc3Signature(secret_key, in);
}

// ---- parsing ----------------------------------------------------------------

std::optional<Tc3Credential> ParseTc3Authorization(std::string_view header) {
  // Takes the text up to the next ',' and then the ',' and any spaces after it.
  const auto take_until_comma = [](std::string_view& s) -> std::optional<std::string_view> {
    const std::size_t comma = s.find(',');
    if (comma == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view field = s.substr(0, comma);
    s.remove_prefix(comma + 1);
    while (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);
    }
    return field;
  };

  const std::size_t space = header.find(' ');
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  Tc3Credential out;
  out.algorithm = std::string(header.substr(0, space));
  std::string_view rest = header.substr(space + 1);

  if (!ConsumePrefix(rest, "Credential=")) {
    return std::nullopt;
  }
  const auto credential = take_until_comma(rest);
  if (!credential || !ConsumePrefix(rest, "SignedHeaders=")) {
    return std::nullopt;
  }
  const auto signed_headers = take_until_comma(rest);
  if (!signed_headers || !ConsumePrefix(rest, "Signature=")) {
    return std::nullopt;
  }
  const std::string_view signature = rest;

  const std::vector<std::string_view> scope = SplitSlash(*credential);
  if (scope.size() != 4 || scope[3] != kScopeTerminator || !IsDateShaped(scope[1])) {
    return std::nullopt;
  }
  for (std::string_view element : {std::string_view(out.algorithm), scope[0], scope[2], *signed_headers}) {
    if (element.empty() || !AllOf(element, IsVisibleAscii)) {
      return std::nullopt;
    }
  }
  if (signature.size() != kSignatureHexLength || !AllOf(signature, IsHexDigit)) {
    return std::nullopt;
  }

  out.secret_id = std::string(scope[0]);
  out.date = std::string(scope[1]);
  out.service = std::string(scope[2]);
  out.signed_headers = std::string(*signed_headers);
  out.signature = std::string(signature);
  return out;
}

// ---- replay cache -------------------------------------------------------------

std::size_t Tc3ReplayCache::KeyHash::operator()(const Key& k) const {
  // The key is a SHA-256 digest: any 8 of its bytes are already uniformly distributed.
  std::size_t h = 0;
  std::memcpy(&h, k.data(), sizeof h);
  return h;
}

bool Tc3ReplayCache::Insert(std::string_view signature, std::int64_t expires_at_s, std::int64_t now_s) {
  if (max_entries_ == 0) {
    return true;
  }
  Key key{};
  if (EVP_Digest(Bytes(signature), signature.size(), key.data(), nullptr, EVP_sha256(), nullptr) != 1) {
    return true;  // cannot happen short of OpenSSL failing; the signature itself was valid
  }
  std::lock_guard<std::mutex> lock(mu_);
  PruneLocked(now_s);
  if (expiry_by_key_.count(key) != 0) {
    return false;
  }
  while (expiry_by_key_.size() >= max_entries_) {
    EvictSoonestLocked();
  }
  expiry_by_key_.emplace(key, expires_at_s);
  by_expiry_.emplace(expires_at_s, key);
  return true;
}

std::size_t Tc3ReplayCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return expiry_by_key_.size();
}

void Tc3ReplayCache::PruneLocked(std::int64_t now_s) {
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now_s) {
    EvictSoonestLocked();
  }
}

void Tc3ReplayCache::EvictSoonestLocked() {
  const auto first = by_expiry_.begin();
  expiry_by_key_.erase(first->second);
  by_expiry_.erase(first);
}

// ---- verifier -------------------------------------------------------------------

namespace {

// Each check fills `out` and returns nothing (nullopt / false) when the request fails it.

std::optional<Tc3Credential> CheckAuthorization(std::string_view header, Tc3Outcome& out) {
  header = TrimSpaces(header);
  if (header.empty()) {
    Fail(out, kInvalidAuthorization, "the Authorization header is missing");
    return std::nullopt;
  }
  std::optional<Tc3Credential> cred = ParseTc3Authorization(header);
  if (!cred) {
    Fail(out, kInvalidAuthorization,
         "the Authorization header is malformed; expected \"TC3-HMAC-SHA256 Credential=<SecretId>/"
         "<yyyy-mm-dd>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<64 hex digits>\"");
    return std::nullopt;
  }
  out.secret_id = cred->secret_id;
  if (cred->algorithm != kTc3Algorithm) {
    Fail(out, kInvalidAuthorization,
         "the signature algorithm " + Quoted(cred->algorithm) + " is not supported; use TC3-HMAC-SHA256");
    return std::nullopt;
  }
  if (cred->signed_headers != kTc3SignedHeaders) {
    Fail(out, kInvalidAuthorization,
         "SignedHeaders is " + Quoted(cred->signed_headers) + "; it must be exactly content-type;host");
    return std::nullopt;
  }
  return cred;
}

// Format, then skew, then the scope date.
std::optional<std::int64_t> CheckTimestamp(const Tc3Credential& cred, std::string_view text, std::int64_t now,
                                           std::int64_t skew, Tc3Outcome& out) {
  text = TrimSpaces(text);
  const std::optional<std::int64_t> timestamp = ParseTimestamp(text);
  if (!timestamp) {
    Fail(out, kInvalidAuthorization,
         text.empty() ? "the X-TC-Timestamp header is missing"
                      : "X-TC-Timestamp " + Quoted(text) + " is not a decimal integer of unix seconds");
    return std::nullopt;
  }
  const std::uint64_t distance = Distance(now, *timestamp);
  if (distance > static_cast<std::uint64_t>(skew)) {
    Fail(out, kSignatureExpire,
         "X-TC-Timestamp " + std::to_string(*timestamp) + " is " + std::to_string(distance) +
             " s away from the server time " + std::to_string(now) + " (at most " + std::to_string(skew) +
             " s allowed); sign with a current clock");
    return std::nullopt;
  }
  const std::string date = Tc3Date(*timestamp);
  if (cred.date != date) {
    Fail(out, kInvalidAuthorization,
         "the credential scope date " + cred.date + " is not the UTC date of X-TC-Timestamp (" + date + ")");
    return std::nullopt;
  }
  return timestamp;
}

// Tries the host as received, then without its port; compares in constant time.
bool SignatureMatches(const Tc3Credential& cred, std::string_view secret_key, Tc3SignInput in) {
  const std::string key = Tc3SigningKey(secret_key, cred.date, cred.service);
  if (ConstantTimeEquals(SignWithKey(key, in), cred.signature)) {
    return true;
  }
  const std::string_view bare_host = Tc3HostWithoutPort(in.host);
  if (bare_host.size() == in.host.size()) {
    return false;
  }
  in.host = std::string(bare_host);
  return ConstantTimeEquals(SignWithKey(key, in), cred.signature);
}

// `body` is the body, or its hex SHA-256 when `body_is_digest`.
bool CheckSignature(const Tc3Credential& cred, std::string_view secret_key, const Tc3Headers& h,
                    const Tc3RequestLine& line, std::string_view body, bool body_is_digest, std::int64_t timestamp,
                    Tc3Outcome& out) {
  Tc3SignInput in;
  in.method = line.method;
  in.canonical_uri = line.canonical_uri;
  in.canonical_query = line.canonical_query;
  in.content_type = std::string(TrimSpaces(h.content_type));
  in.host = std::string(TrimSpaces(h.host));
  const bool unsigned_payload = TrimSpaces(h.content_sha256) == kTc3UnsignedPayload;
  in.payload_hash = unsigned_payload ? std::string(kTc3UnsignedPayload)
                    : body_is_digest ? std::string(body)
                                     : Sha256Hex(body);
  in.timestamp = timestamp;
  in.service = cred.service;
  if (SignatureMatches(cred, secret_key, std::move(in))) {
    return true;
  }
  Fail(out, kSignatureFailure,
       "the signature does not match the request (checked with the received Content-Type, Host with and "
       "without its port, X-TC-Timestamp, body and the credential scope); check the SecretKey and sign "
       "the headers exactly as sent");
  return false;
}

}  // namespace

Tc3Verifier::Tc3Verifier(SecretLookup lookup, Clock now_s, Options o)
    : lookup_(std::move(lookup)),
      now_s_(now_s ? std::move(now_s) : Clock(SystemNowSeconds)),
      options_(o),
      replay_cache_(o.reject_replays ? o.replay_cache_max : 0) {}

Tc3Outcome Tc3Verifier::Verify(const Tc3Headers& h, std::string_view body, const Tc3RequestLine& line) {
  return VerifyImpl(h, body, false, line);
}

Tc3Outcome Tc3Verifier::VerifyDigest(const Tc3Headers& h, std::string_view body_sha256_hex,
                                     const Tc3RequestLine& line) {
  return VerifyImpl(h, body_sha256_hex, true, line);
}

Tc3Outcome Tc3Verifier::VerifyImpl(const Tc3Headers& h, std::string_view body, bool body_is_digest,
                                   const Tc3RequestLine& line) {
  Tc3Outcome out;
  const std::optional<Tc3Credential> cred = CheckAuthorization(h.authorization, out);
  if (!cred) {
    return out;
  }
  const std::int64_t now = now_s_();
  const std::int64_t skew = std::max<std::int64_t>(0, options_.max_skew_s);
  const std::optional<std::int64_t> timestamp = CheckTimestamp(*cred, h.timestamp, now, skew, out);
  if (!timestamp) {
    return out;
  }
  const std::optional<std::string> secret_key = lookup_ ? lookup_(cred->secret_id) : std::nullopt;
  if (!secret_key) {
    return Fail(out, kSecretIdNotFound,
                "the SecretId " + Quoted(cred->secret_id) + " is unknown or disabled");
  }
  if (!CheckSignature(*cred, *secret_key, h, line, body, body_is_digest, *timestamp, out)) {
    return out;
  }
  if (options_.reject_replays &&
      !replay_cache_.Insert(cred->signature, SaturatingAdd(*timestamp, skew), now)) {
    return Fail(out, kSignatureFailure, "the signature was already used; every request must be signed anew");
  }
  return out;
}

}  // namespace facekit::server
