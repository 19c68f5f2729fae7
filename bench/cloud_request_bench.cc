// facekit_bench_cloud_request: what decoding and authenticating one request
// costs on the cloud endpoint, for each request form: DecodeCloudRequest,
// the signature check (AccessPolicy, with the key lookup and the replay
// caches, as served) and BuildParamTree, timed one request at a time.
//   facekit_bench_cloud_request [--requests N] [--json]
// Payloads: GetGroupList (no image), DetectFace with a 20 KB base64 image
// (fits a GET under 32 KB) and with a 900 KB one (POST forms; V1 bodies are
// limited to 1 MB). Every request is distinct (its own timestamp or Nonce),
// as a client's would be. Prints one JSON line per form and payload:
// median and p90 in microseconds, and the thread CPU time per request.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "server/access_policy.h"
#include "server/cloud_param_tree.h"
#include "server/cloud_request.h"
#include "server/cloud_schema.h"

namespace facekit {
namespace {

using nlohmann::json;
using server::CloudRequestForm;
using server::HttpRequest;

constexpr std::int64_t kNow = 1700000000;
const std::string kId = "AKIDbench";
const std::string kKey = "bench-secret-key";
const std::string kHost = "127.0.0.1:8080";

class OneKey final : public server::KeyDirectory {
 public:
  std::optional<ApiKey> Find(std::string_view id) override {
    if (id != kId) return std::nullopt;
    ApiKey k;
    k.secret_id = kId;
    k.secret_key = kKey;
    k.role = KeyRole::kAdmin;
    return k;
  }
};

std::string Encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 11 / 10);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// The action's parameters as the SDK flattens them (all of them scalars here).
using Params = std::vector<std::pair<std::string, std::string>>;

std::string Query(const Params& params) {
  std::string q;
  for (const auto& [k, v] : params) q += (q.empty() ? "" : "&") + Encode(k) + "=" + Encode(v);
  return q;
}

HttpRequest Tc3(CloudRequestForm form, const std::string& action, const Params& params, std::int64_t ts) {
  HttpRequest r;
  r.target = "/";
  server::Tc3SignInput in;
  in.host = "127.0.0.1";
  in.timestamp = ts;
  in.service = "127";
  if (form == CloudRequestForm::kTc3Get) {
    r.method = in.method = "GET";
    in.canonical_query = Query(params);
    r.target += "?" + in.canonical_query;
    in.content_type = "application/x-www-form-urlencoded";
  } else if (form == CloudRequestForm::kTc3Json) {
    r.method = "POST";
    json body = json::object();
    for (const auto& [k, v] : params) {
      if (k == "Image") {
        body[k] = v;
      } else {
        body[k] = std::stoll(v);
      }
    }
    r.body = body.dump();
    in.content_type = "application/json";
  } else {
    r.method = "POST";
    const std::string boundary = "--------------------------bench0123456789";
    for (const auto& [k, v] : params) {
      r.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    }
    r.body += "--" + boundary + "--\r\n";
    in.content_type = "multipart/form-data; boundary=" + boundary;
  }
  in.payload_hash = server::Sha256Hex(r.body);
  r.headers = {{"host", kHost},
               {"content-type", in.content_type},
               {"x-tc-action", action},
               {"x-tc-version", "2020-03-03"},
               {"x-tc-timestamp", std::to_string(ts)},
               {"authorization", server::Tc3Authorization(kId, kKey, in)}};
  return r;
}

HttpRequest V1(bool get, server::V1SignatureMethod method, const std::string& action, Params params, int nonce) {
  params.insert(params.end(),
                {{"Action", action},
                 {"Version", "2020-03-03"},
                 {"Nonce", std::to_string(nonce)},
                 {"Timestamp", std::to_string(kNow)},
                 {"SecretId", kId},
                 {"SignatureMethod", method == server::V1SignatureMethod::kHmacSha1 ? "HmacSHA1" : "HmacSHA256"}});
  const std::string to_sign = server::V1StringToSign(get ? "GET" : "POST", kHost, "/", params);
  params.emplace_back("Signature", server::V1Signature(kKey, to_sign, method));
  HttpRequest r;
  r.method = get ? "GET" : "POST";
  r.target = get ? "/?" + Query(params) : "/";
  r.headers = {{"host", kHost}};
  if (!get) {
    r.body = Query(params);
    r.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  }
  return r;
}

struct Form {
  std::string name;
  std::function<HttpRequest(const std::string& action, const Params&, int i)> make;
  bool get;
};

}  // namespace
}  // namespace facekit

int main(int argc, char** argv) {
  using namespace facekit;
  CLI::App app{"Cloud endpoint: request decoding + signature check per request, for each request form"};
  int requests = 2000;
  app.add_option("--requests", requests, "requests timed per form and payload");
  CLI11_PARSE(app, argc, argv);

  const auto sha1 = server::V1SignatureMethod::kHmacSha1;
  const auto sha256 = server::V1SignatureMethod::kHmacSha256;
  const std::vector<Form> forms = {
      {"TC3 POST JSON", [](auto& a, auto& p, int i) { return Tc3(CloudRequestForm::kTc3Json, a, p, kNow - i % 250); },
       false},
      {"TC3 GET", [](auto& a, auto& p, int i) { return Tc3(CloudRequestForm::kTc3Get, a, p, kNow - i % 250); }, true},
      {"TC3 multipart",
       [](auto& a, auto& p, int i) { return Tc3(CloudRequestForm::kTc3Multipart, a, p, kNow - i % 250); }, false},
      {"HmacSHA256 POST", [=](auto& a, auto& p, int i) { return V1(false, sha256, a, p, i); }, false},
      {"HmacSHA256 GET", [=](auto& a, auto& p, int i) { return V1(true, sha256, a, p, i); }, true},
      {"HmacSHA1 POST", [=](auto& a, auto& p, int i) { return V1(false, sha1, a, p, i); }, false},
      {"HmacSHA1 GET", [=](auto& a, auto& p, int i) { return V1(true, sha1, a, p, i); }, true},
  };
  // A base64 image of `bytes` characters (its content does not matter here).
  auto image = [](std::size_t bytes) {
    std::string s(bytes, 'A');
    for (std::size_t i = 0; i < bytes; ++i)
      s[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(i * 7919) % 64];
    return s;
  };
  struct Payload {
    std::string name, action;
    Params params;
    bool fits_get;
  };
  const std::vector<Payload> payloads = {
      {"GetGroupList", "GetGroupList", {{"Offset", "0"}, {"Limit", "100"}}, true},
      {"DetectFace 20 KB", "DetectFace", {{"MaxFaceNum", "5"}, {"Image", image(20 * 1024)}}, true},
      {"DetectFace 900 KB", "DetectFace", {{"MaxFaceNum", "5"}, {"Image", image(900 * 1024)}}, false},
  };

  OneKey keys;
  for (const auto& payload : payloads) {
    for (const auto& form : forms) {
      if (form.get && !payload.fits_get) continue;
      server::AccessPolicyOptions po;
      po.now_s = [] { return kNow; };
      po.default_rate_limit = 0;
      server::AccessPolicy policy(keys, po);
      const int n = payload.fits_get ? requests : std::max(50, requests / 20);
      std::vector<HttpRequest> prepared;
      prepared.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) prepared.push_back(form.make(payload.action, payload.params, i));
      std::vector<double> us;
      us.reserve(prepared.size());
      int failures = 0;
      const double cpu0 = bench::ThreadCpuMs();
      for (const HttpRequest& req : prepared) {
        const double t0 = bench::NowMs();
        auto decoded = server::DecodeCloudRequest(req);
        bool ok = decoded.ok();
        if (ok) {
          const auto* schema = server::FindActionSchema(decoded->action);
          const auto version = server::ApiVersion::k2020_03_03;
          auto key = server::IsV1(decoded->form)
                         ? policy.AuthenticateV1(decoded->v1)
                         : policy.Authenticate(
                               {std::string(req.Header("authorization")), std::string(req.Header("content-type")),
                                kHost, std::string(req.Header("x-tc-timestamp")), ""},
                               req.body, decoded->action, {req.method, "/", std::string(req.Query())});
          ok = key.ok() && schema && server::BuildParamTree(decoded.value(), *schema, version).ok();
        }
        us.push_back((bench::NowMs() - t0) * 1000.0);
        failures += ok ? 0 : 1;
      }
      const double cpu_us = (bench::ThreadCpuMs() - cpu0) * 1000.0 / static_cast<double>(prepared.size());
      std::size_t request_bytes = prepared[0].body.size() + prepared[0].target.size();
      std::cout << json{{"form", form.name},
                        {"payload", payload.name},
                        {"request_bytes", request_bytes},
                        {"requests", prepared.size()},
                        {"failures", failures},
                        {"median_us", bench::Quantile(us, 0.5)},
                        {"p90_us", bench::Quantile(us, 0.9)},
                        {"cpu_us_per_request", cpu_us},
                        {"cpu", bench::CpuDescription()}}
                       .dump()
                << std::endl;
    }
  }
  return 0;
}
