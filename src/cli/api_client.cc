#include "cli/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string_view>

#include "server/change_position.h"
#include "server/tc3_signature.h"

namespace facekit::cli {

namespace {

std::size_t Collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Response headers: keeps X-FaceKit-Seq's value (the answer's change-log
// position, server/change_position.h).
std::size_t PositionHeader(char* data, std::size_t size, std::size_t n, void* out) {
  std::string_view line(data, size * n);
  const std::string_view name = server::kChangePositionMetadata;  // lower case
  if (line.size() <= name.size() || line[name.size()] != ':') return size * n;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return size * n;
  }
  line.remove_prefix(name.size() + 1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  if (const auto position = server::ParseChangePosition(line)) *static_cast<std::int64_t*>(out) = *position;
  return size * n;
}

service::ApiError Unreachable(const std::string& what) { return {"ServerUnreachable", what}; }

}  // namespace

std::string UrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::unique_ptr<ApiClient>> ApiClient::Create(ApiClientOptions o) {
  std::string base = o.server;
  if (base.find("://") == std::string::npos) base = "http://" + base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const auto scheme_end = base.find("://");
  const std::string scheme = base.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status(StatusCode::kInvalidArgument, "--server " + o.server + ": the scheme must be http or https");
  }
  const std::string authority = base.substr(scheme_end + 3);
  if (authority.empty() || authority.find('/') != std::string::npos) {
    return Status(StatusCode::kInvalidArgument,
                  "--server " + o.server + " is not a server's base URL such as http://127.0.0.1:8080");
  }
  const auto colon = o.key.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == o.key.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "--key wants SecretId:SecretKey (facekit keys create prints both)");
  }
  return std::unique_ptr<ApiClient>(
      new ApiClient(base, authority, o.key.substr(0, colon), o.key.substr(colon + 1), o.timeout_s,
                    o.read_your_writes));
}

ApiClient::ApiClient(std::string base, std::string authority, std::string secret_id, std::string secret_key,
                     double timeout_s, bool read_your_writes)
    : base_(std::move(base)),
      authority_(std::move(authority)),
      secret_id_(std::move(secret_id)),
      secret_key_(std::move(secret_key)),
      timeout_s_(timeout_s),
      read_your_writes_(read_your_writes),
      curl_(curl_easy_init()) {}

ApiClient::~ApiClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

service::ApiResult<nlohmann::json> ApiClient::Call(std::string_view method, const std::string& path,
                                                   const nlohmann::json* body) {
  return Send(method, path, body, {});
}

service::ApiResult<nlohmann::json> ApiClient::CallCloud(std::string_view action, const nlohmann::json& params,
                                                        std::string_view version) {
  auto got = Send("POST", "/", &params, {"X-TC-Action: " + std::string(action), "X-TC-Version: " + std::string(version),
                                         "X-TC-Region: ap-guangzhou"});
  if (!got.ok()) return got;
  const nlohmann::json& answer = got.value();
  const auto found = answer.find("Response");
  const nlohmann::json* response = found != answer.end() ? &*found : nullptr;
  if (response == nullptr || !response->is_object()) {
    return service::ApiError{"HttpError", "the answer to " + std::string(action) + " has no Response object"};
  }
  if (const auto e = response->find("Error"); e != response->end() && e->is_object()) {
    return service::ApiError{e->value("Code", std::string()), e->value("Message", std::string())};
  }
  return nlohmann::json(*response);
}

service::ApiResult<nlohmann::json> ApiClient::Send(std::string_view method, const std::string& path,
                                                   const nlohmann::json* body,
                                                   const std::vector<std::string>& extra_headers) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Unreachable("libcurl could not start");
  curl_easy_reset(curl);
  const std::string payload = body != nullptr ? body->dump() : std::string();
  const auto q = path.find('?');
  server::Tc3SignInput in;
  in.method = std::string(method);
  in.canonical_uri = path.substr(0, q);
  in.canonical_query = q == std::string::npos ? std::string() : path.substr(q + 1);
  in.content_type = "application/json";
  in.host = authority_;
  in.payload_hash = server::Sha256Hex(payload);
  in.timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  in.service = "iai";
  const std::string url = base_ + path;
  const std::string headers_text[] = {
      "Authorization: " + server::Tc3Authorization(secret_id_, secret_key_, in),
      "Content-Type: " + in.content_type,
      "Host: " + authority_,
      "X-TC-Timestamp: " + std::to_string(in.timestamp),
      "X-TC-Language: en-US",
      "Expect:",
  };
  curl_slist* headers = nullptr;
  for (const std::string& h : headers_text) headers = curl_slist_append(headers, h.c_str());
  for (const std::string& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
  const std::int64_t min_seq = std::max(min_position_, read_your_writes_ ? position_ : 0);
  if (min_seq > 0) headers = curl_slist_append(headers, ("X-FaceKit-Min-Seq: " + std::to_string(min_seq)).c_str());
  std::int64_t answered_at = 0;
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, PositionHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answered_at);
  std::string answer;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, in.method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (body != nullptr) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s_ * 1000));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return Unreachable("cannot reach " + base_ + ": " + curl_easy_strerror(rc));
  position_ = std::max(position_, answered_at);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  auto j = nlohmann::json::parse(answer, nullptr, false);
  if (status == 200 && !j.is_discarded()) return j;
  if (j.is_object() && j.contains("code") && j["code"].is_string()) {
    return service::ApiError{j["code"].get<std::string>(), j.value("message", std::string())};
  }
  return service::ApiError{"HttpError", in.method + " " + url + " answered HTTP " + std::to_string(status) +
                                            (answer.empty() ? std::string() : ": " + answer.substr(0, 200))};
}

}  // namespace facekit::cli
