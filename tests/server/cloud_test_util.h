// Helpers for the server tests: a key directory in memory, TC3-signed
// requests, and a FaceService on a temporary data folder.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "common/base64.h"
#include "server/cloud_api.h"
#include "server/tc3_signature.h"
#include "service/open_service.h"
#include "test_util.h"

namespace facekit::testing {

class MemoryKeys final : public server::KeyDirectory {
 public:
  ApiKey& Add(const std::string& id, KeyRole role) {
    std::lock_guard lock(mu_);
    ApiKey& k = keys_[id];
    k.secret_id = id;
    k.secret_key = "secret-of-" + id;
    k.role = role;
    return k;
  }
  // Revokes a key (under the lock: the server may be reading keys meanwhile).
  void Revoke(const std::string& id, std::int64_t when_ms = 1) {
    std::lock_guard lock(mu_);
    keys_[id].revoked_ms = when_ms;
  }
  std::optional<ApiKey> Find(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = keys_.find(std::string(id));
    if (it == keys_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mu_;
  std::map<std::string, ApiKey> keys_;
};

inline std::string PhotoBase64(const std::string& name) {
  auto bytes = ReadFileBytes(Photo(name));
  EXPECT_TRUE(bytes.ok()) << name;
  return bytes.ok() ? Base64Encode(*bytes) : std::string();
}

// A request to `POST /` signed like the Node SDK does (host without port,
// service from the endpoint's first label).
struct SignedRequest {
  std::string action;
  nlohmann::json params = nlohmann::json::object();
  std::string secret_id, secret_key;
  std::int64_t timestamp = 1700000000;
  std::string host = "iai.facekit.test:8080";
  std::string service = "iai";
  std::string language;
  std::string version = "2020-03-03";

  server::HttpRequest Build() const {
    server::HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.body = params.dump();
    server::Tc3SignInput in;
    in.content_type = "application/json";
    in.host = std::string(server::Tc3HostWithoutPort(host));
    in.payload_hash = server::Sha256Hex(r.body);
    in.timestamp = timestamp;
    in.service = service;
    r.headers = {{"host", host},
                 {"content-type", "application/json"},
                 {"x-tc-action", action},
                 {"x-tc-version", version},
                 {"x-tc-timestamp", std::to_string(timestamp)},
                 {"authorization", server::Tc3Authorization(secret_id, secret_key, in)}};
    if (!language.empty()) r.headers.emplace_back("x-tc-language", language);
    r.received = std::chrono::steady_clock::now();
    return r;
  }
};

// The "Response" object of an answer (HTTP status checked to be 200).
inline nlohmann::json ResponseOf(const server::HttpResponse& r) {
  EXPECT_EQ(r.status, 200);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("Response")) << r.body;
  return j.is_object() && j.contains("Response") ? j["Response"] : nlohmann::json::object();
}

// "OK", or the error code of the answer.
inline std::string CodeOf(const nlohmann::json& response) {
  if (response.contains("Error")) return response["Error"]["Code"].get<std::string>();
  return "OK";
}

}  // namespace facekit::testing
