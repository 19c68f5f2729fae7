#include "server/access_policy.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace facekit::server {

using service::ApiError;
using service::ApiResult;

namespace {

ApiError Err(std::string code, std::string message) { return ApiError{std::move(code), std::move(message)}; }

}  // namespace

AccessPolicy::AccessPolicy(KeyDirectory& keys, AccessPolicyOptions options) : keys_(keys), options_(std::move(options)) {
  if (!options_.now_s) {
    options_.now_s = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!options_.steady_ms) {
    options_.steady_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
  const auto secret_of = [this](std::string_view id) -> std::optional<std::string> {
    auto key = keys_.Find(id);
    if (!key || key->revoked_ms != 0) return std::nullopt;
    return key->secret_key;
  };
  Tc3Verifier::Options vo;
  vo.max_skew_s = options_.max_clock_skew_s;
  vo.reject_replays = false;  // identical requests are answered; see SignatureFitsAction
  verifier_ = std::make_unique<Tc3Verifier>(secret_of, options_.now_s, vo);
  V1Verifier::Options v1o;
  v1o.max_skew_s = options_.max_clock_skew_s;
  v1_verifier_ = std::make_unique<V1Verifier>(secret_of, options_.now_s, v1o);
}

AccessPolicy::~AccessPolicy() = default;

ApiResult<ApiKey> AccessPolicy::Authenticate(const Tc3Headers& h, std::string_view body, std::string_view action,
                                             const Tc3RequestLine& line) {
  if (h.authorization.empty()) return Err("AuthFailure.InvalidAuthorization", "the Authorization header is missing");
  return Finish(h, verifier_->Verify(h, body, line), action);
}

ApiResult<ApiKey> AccessPolicy::AuthenticateDigest(const Tc3Headers& h, std::string_view body_sha256,
                                                   std::string_view action, const Tc3RequestLine& line) {
  if (h.authorization.empty()) return Err("AuthFailure.InvalidAuthorization", "the Authorization header is missing");
  return Finish(h, verifier_->VerifyDigest(h, body_sha256, line), action);
}

ApiResult<ApiKey> AccessPolicy::Finish(const Tc3Headers& h, const Tc3Outcome& outcome, std::string_view action) {
  if (!outcome.error_code.empty()) return Err(outcome.error_code, outcome.message);
  if (options_.reject_signatures_of_other_actions && !SignatureFitsAction(h, action)) {
    return Err("AuthFailure.SignatureFailure",
               "this signature was made for another action more than a second ago; sign each request anew");
  }
  auto found = keys_.Find(outcome.secret_id);
  if (!found || found->revoked_ms != 0) {
    return Err("AuthFailure.SecretIdNotFound", "the SecretId is unknown or revoked");
  }
  return std::move(*found);
}

ApiResult<ApiKey> AccessPolicy::AuthenticateV1(const V1Request& request) {
  const V1Outcome outcome = v1_verifier_->Verify(request);
  if (!outcome.ok()) return Err(outcome.error_code, outcome.message);
  auto found = keys_.Find(outcome.secret_id);
  if (!found || found->revoked_ms != 0) {
    return Err("AuthFailure.SecretIdNotFound", "the SecretId is unknown or revoked");
  }
  return std::move(*found);
}

ApiResult<ApiKey> AccessPolicy::AuthenticateBearer(std::string_view credentials) {
  const auto colon = credentials.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
    return Err("AuthFailure.InvalidAuthorization", "a Bearer credential is \"Bearer <SecretId>:<SecretKey>\"");
  }
  const std::string_view id = credentials.substr(0, colon);
  const std::string_view secret = credentials.substr(colon + 1);
  auto found = keys_.Find(id);
  if (!found || found->revoked_ms != 0) {
    return Err("AuthFailure.SecretIdNotFound", "the SecretId is unknown or revoked");
  }
  if (found->secret_key.size() != secret.size() ||
      CRYPTO_memcmp(found->secret_key.data(), secret.data(), secret.size()) != 0) {
    return Err("AuthFailure.SignatureFailure", "the SecretKey does not match the SecretId");
  }
  return std::move(*found);
}

std::optional<ApiError> AccessPolicy::Authorise(const ApiKey& key, std::string_view action, bool write) {
  if (write && key.role == KeyRole::kReadOnly) {
    return Err("AuthFailure.UnauthorizedOperation", "this key is read-only and may not call " + std::string(action));
  }
  if (!key.actions.empty() && std::find(key.actions.begin(), key.actions.end(), action) == key.actions.end()) {
    return Err("AuthFailure.UnauthorizedOperation", "this key may not call " + std::string(action));
  }
  if (!TakeToken(key)) {
    return Err("RequestLimitExceeded", "this key is over its limit of requests per second; retry later");
  }
  return std::nullopt;
}

// Repeated signatures. The SDKs sign only content-type, host and body (not
// X-TC-Action), so identical requests sent in the same second carry the same
// signature: an SDK's retry, a kiosk sending one frame twice, a client
// polling GetGroupList. They are all answered, as the cloud answers them
// (replay defence belongs to TLS). Refused: a signature reused for a
// *different* action more than a second after its timestamp (a captured
// GetPersonBaseInfo replayed as DeletePerson); a client that signs each
// request never does that, since another second gives another signature.
// Only TLS binds the action header to the request against an on-path
// attacker. (gRPC and REST sign the method and path, so their signatures
// never match another action.)
bool AccessPolicy::SignatureFitsAction(const Tc3Headers& h, std::string_view action) {
  const auto credential = ParseTc3Authorization(h.authorization);
  if (!credential) return false;
  const std::int64_t now = options_.now_s();
  std::int64_t timestamp = 0;
  std::from_chars(h.timestamp.data(), h.timestamp.data() + h.timestamp.size(), timestamp);  // verified already
  const std::int64_t expires = timestamp + options_.max_clock_skew_s;
  const bool first_use = signatures_seen_.Insert(credential->signature, expires, now);
  const bool new_action =
      signature_actions_seen_.Insert(credential->signature + "|" + std::string(action), expires, now);
  if (first_use || !new_action) return true;
  return now - timestamp <= 1;
}

// Token bucket per key; false when the key is over its rate.
bool AccessPolicy::TakeToken(const ApiKey& key) {
  const double rate = key.rate_limit > 0 ? key.rate_limit : options_.default_rate_limit;
  if (rate <= 0) return true;
  const double burst = std::max(1.0, rate);
  const std::int64_t now = options_.steady_ms();
  std::lock_guard lock(rate_mu_);
  auto [it, fresh] = buckets_.try_emplace(key.secret_id, Bucket{burst, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst, b.tokens + static_cast<double>(now - b.last_ms) * rate / 1000.0);
    b.last_ms = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

// ---------------------------------------------------------------- KeyScope

bool KeyScope::Visible(const std::string& group_id) const {
  return key_.groups.empty() || std::find(key_.groups.begin(), key_.groups.end(), group_id) != key_.groups.end();
}

std::optional<ApiError> KeyScope::CheckGroups(const std::vector<std::string>& group_ids) const {
  for (const auto& id : group_ids) {
    if (!Visible(id)) {
      return Err("AuthFailure.UnauthorizedOperation",
                 "this key may not access group " + id + " (it is limited to some groups)");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> KeyScope::CheckPerson(const std::string& person_id, bool write) const {
  if (key_.groups.empty()) return std::nullopt;
  auto groups = service_.PersonGroups(person_id);
  if (!groups) return std::nullopt;  // the service reports PersonIdNotExist
  const auto visible = std::count_if(groups->begin(), groups->end(), [&](const auto& g) { return Visible(g); });
  if (visible == 0) {
    return Err("InvalidParameterValue.PersonIdNotExist", "PersonId " + person_id + " does not exist");
  }
  if (write && static_cast<std::size_t>(visible) != groups->size()) {
    return Err("AuthFailure.UnauthorizedOperation",
               "this key may not change person " + person_id + ": the person is also in groups it cannot access");
  }
  return std::nullopt;
}

service::FaceService::GroupFilter KeyScope::Filter() const {
  if (key_.groups.empty()) return {};
  return [this](const std::string& id) { return Visible(id); };
}

bool IsLoopbackAddress(std::string_view address) {
  if (address.starts_with("[") && address.ends_with("]")) address = address.substr(1, address.size() - 2);
  if (address == "::1") return true;
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  return address.starts_with("127.") && address.size() <= 15 &&
         std::all_of(address.begin(), address.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace facekit::server
