#include "server/v1_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <span>

#include "common/base64.h"

namespace facekit::server {
namespace {

constexpr std::string_view kSignatureParam = "Signature";

const std::string* Find(const std::vector<V1Param>& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

// Decimal digits only, no sign, within int64 ("0" is allowed: the Node SDK's
// Nonce is Math.round(Math.random() * 65535)).
std::optional<std::int64_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

V1Outcome& Fail(V1Outcome& out, std::string code, std::string message) {
  out.error_code = std::move(code);
  out.message = std::move(message);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace

std::optional<V1SignatureMethod> ParseV1SignatureMethod(std::string_view text) {
  if (text.empty() || text == "HmacSHA1") return V1SignatureMethod::kHmacSha1;
  if (text == "HmacSHA256") return V1SignatureMethod::kHmacSha256;
  return std::nullopt;
}

std::string V1StringToSign(std::string_view method, std::string_view host, std::string_view path,
                           std::vector<V1Param> params) {
  std::erase_if(params, [](const V1Param& p) { return p.first == kSignatureParam; });
  std::sort(params.begin(), params.end(), [](const V1Param& a, const V1Param& b) { return a.first < b.first; });
  std::size_t size = method.size() + host.size() + path.size() + 1;
  for (const auto& [k, v] : params) size += k.size() + v.size() + 2;
  std::string out;
  out.reserve(size);
  out.append(method).append(host).append(path).push_back('?');
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out.push_back('&');
    out.append(params[i].first).push_back('=');
    out.append(params[i].second);
  }
  return out;
}

std::string V1Signature(std::string_view secret_key, std::string_view string_to_sign, V1SignatureMethod method) {
  const EVP_MD* md = method == V1SignatureMethod::kHmacSha256 ? EVP_sha256() : EVP_sha1();
  if (secret_key.size() > static_cast<std::size_t>(INT_MAX)) return {};
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  static constexpr unsigned char kEmpty[1] = {0};
  const auto* key = secret_key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(secret_key.data());
  const auto* data = string_to_sign.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(string_to_sign.data());
  if (HMAC(md, key, static_cast<int>(secret_key.size()), data, string_to_sign.size(), mac, &mac_len) == nullptr) {
    return {};
  }
  return Base64Encode(std::span<const std::uint8_t>(mac, mac_len));
}

V1Verifier::V1Verifier(SecretLookup lookup, Clock now_s, Options options)
    : lookup_(std::move(lookup)), now_s_(std::move(now_s)), options_(options), accepted_(options.replay_cache_max) {
  if (!now_s_) {
    now_s_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

V1Outcome V1Verifier::Verify(const V1Request& request) {
  V1Outcome out;
  const std::string* secret_id = Find(request.params, "SecretId");
  const std::string* signature = Find(request.params, kSignatureParam);
  const std::string* timestamp_text = Find(request.params, "Timestamp");
  const std::string* nonce = Find(request.params, "Nonce");
  const std::string* method_text = Find(request.params, "SignatureMethod");
  for (auto [name, value] : {std::pair{"SecretId", secret_id}, std::pair{"Signature", signature},
                             std::pair{"Timestamp", timestamp_text}, std::pair{"Nonce", nonce}}) {
    if (value == nullptr)
      return Fail(out, "MissingParameter", std::string("the common parameter ") + name + " is required");
  }
  if (!secret_id || !signature || !timestamp_text || !nonce) return out;  // (reported above)
  out.secret_id = *secret_id;
  const auto method = ParseV1SignatureMethod(method_text ? *method_text : "");
  if (!method) {
    return Fail(out, "InvalidParameterValue",
                "SignatureMethod must be HmacSHA1 or HmacSHA256 (TC3-HMAC-SHA256 goes in the Authorization header)");
  }
  const auto timestamp = ParseDecimal(*timestamp_text);
  if (!timestamp) return Fail(out, "InvalidParameterValue", "Timestamp must be unix seconds (decimal digits)");
  if (!ParseDecimal(*nonce)) return Fail(out, "InvalidParameterValue", "Nonce must be a non-negative decimal integer");
  const std::int64_t now = now_s_();
  const std::int64_t skew = std::max<std::int64_t>(0, options_.max_skew_s);
  const std::int64_t distance = now > *timestamp ? now - *timestamp : *timestamp - now;
  if (distance > skew) {
    return Fail(out, "AuthFailure.SignatureExpire",
                "Timestamp " + std::to_string(*timestamp) + " is " + std::to_string(distance) +
                    " s away from the server time " + std::to_string(now) + " (at most " + std::to_string(skew) +
                    " s allowed); sign with a current clock");
  }
  const auto secret = lookup_ ? lookup_(out.secret_id) : std::nullopt;
  if (!secret) return Fail(out, "AuthFailure.SecretIdNotFound", "the SecretId is unknown or disabled");

  // The host as received (the SDKs sign their endpoint, port included), then without the port.
  auto signs = [&](std::string_view host) {
    return ConstantTimeEquals(
        V1Signature(*secret, V1StringToSign(request.method, host, request.path, request.params), *method), *signature);
  };
  const std::string_view bare_host = Tc3HostWithoutPort(request.host);
  const bool match = signs(request.host) || (bare_host.size() != request.host.size() && signs(bare_host));
  if (!match) {
    return Fail(out, "AuthFailure.SignatureFailure",
                "the signature does not match the request (checked: the method, Host with and without its port, "
                "the path and every parameter but Signature, sorted by name); check the SecretKey and "
                "SignatureMethod");
  }
  if (!accepted_.Insert(out.secret_id + "\n" + *signature, *timestamp + skew, now)) {
    return Fail(out, "AuthFailure.SignatureFailure",
                "this request (SecretId, Nonce and signature) was already received; send each request with a new "
                "Nonce");
  }
  return out;
}

}  // namespace facekit::server
