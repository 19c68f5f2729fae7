#include "server/cloud_request.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "server/http_rule.h"
#include "server/tc3_signature.h"

namespace facekit::server {

using service::ApiError;
using service::ApiResult;

namespace {

// The V1 common parameters (the Node SDK adds RequestClient); everything else is the action's.
constexpr std::array<std::string_view, 11> kV1CommonParams = {"Action",   "Version",  "Region",       "Timestamp",
                                                              "Nonce",    "SecretId", "Signature",    "SignatureMethod",
                                                              "Language", "Token",    "RequestClient"};

ApiError Invalid(std::string message) { return ApiError{"InvalidParameter", std::move(message)}; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// The media type of a Content-Type, without parameters, trimmed.
std::string_view MediaType(std::string_view content_type) {
  return Trim(content_type.substr(0, content_type.find(';')));
}

// A query string or form body as name/value pairs; each name once.
ApiResult<std::vector<V1Param>> ParseUnique(std::string_view text, std::string_view where) {
  auto pairs = ParseQuery(text);
  if (!pairs)
    return Invalid("the " + std::string(where) +
                   " has a malformed percent-encoding (a '%' not followed by two hex digits)");
  std::unordered_set<std::string_view> seen;
  for (const auto& [name, value] : *pairs) {
    if (name.empty()) return Invalid("the " + std::string(where) + " has a parameter without a name");
    if (!seen.insert(name).second) return Invalid("the parameter " + name + " is given more than once");
  }
  return std::move(pairs.value());
}

// The name="..." parameter of a Content-Disposition value.
std::optional<std::string_view> DispositionName(std::string_view value) {
  while (true) {
    const std::size_t semicolon = value.find(';');
    if (semicolon == std::string_view::npos) return std::nullopt;
    value.remove_prefix(semicolon + 1);
    const std::string_view param = Trim(value.substr(0, value.find(';')));
    if (param.starts_with("name=\"") && param.size() >= 7 && param.back() == '"')
      return param.substr(6, param.size() - 7);
  }
}

// RFC 7578 form-data: "--B\r\n" headers "\r\n\r\n" value "\r\n--B" ... "--B--".
ApiResult<std::vector<FlatParam>> ParseMultipart(std::string_view body, std::string_view boundary) {
  if (boundary.empty() || boundary.size() > 70)
    return Invalid("multipart/form-data needs a boundary of 1 to 70 characters");
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\r\n" + delimiter;
  if (!body.starts_with(delimiter)) return Invalid("the multipart body does not start with its boundary");
  std::size_t pos = delimiter.size();
  std::vector<FlatParam> parts;
  std::unordered_set<std::string> seen;
  while (true) {
    const std::string_view rest = body.substr(pos);
    if (rest.starts_with("--")) {
      if (rest != "--" && rest != "--\r\n") return Invalid("the multipart body has data after its closing boundary");
      return parts;
    }
    if (!rest.starts_with("\r\n")) return Invalid("a multipart boundary is not followed by CRLF");
    pos += 2;
    const std::size_t header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos) return Invalid("a multipart part has no end of headers");
    FlatParam part;
    bool has_name = false;
    std::string_view headers = body.substr(pos, header_end - pos);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Invalid("a multipart part has a malformed header line");
      const std::string_view name = Trim(line.substr(0, colon));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "content-type")) {
        part.binary = !EqualsIgnoreCase(MediaType(value), "text/plain");
      } else if (EqualsIgnoreCase(name, "content-disposition")) {
        if (!EqualsIgnoreCase(MediaType(value), "form-data")) return Invalid("a multipart part is not form-data");
        const auto name_param = DispositionName(value);
        if (!name_param || name_param->empty()) return Invalid("a multipart part has no name");
        part.name = std::string(*name_param);
        has_name = true;
      }
    }
    if (!has_name) return Invalid("a multipart part has no Content-Disposition name");
    if (!seen.insert(part.name).second) return Invalid("the parameter " + part.name + " is given more than once");
    const std::size_t value_begin = header_end + 4;
    const std::size_t value_end = body.find(next_delimiter, value_begin);
    if (value_end == std::string_view::npos) return Invalid("the multipart part " + part.name + " is not closed");
    part.value = std::string(body.substr(value_begin, value_end - value_begin));
    parts.push_back(std::move(part));
    pos = value_end + next_delimiter.size();
  }
}

// V1: every parameter in `v1.params`; the common ones read, the action's copied to `params`.
ApiResult<CloudRequest> DecodeV1(const HttpRequest& req, CloudRequest out, std::string_view text,
                                 std::string_view where) {
  auto pairs = ParseUnique(text, where);
  if (!pairs.ok()) return pairs.error();
  for (const auto& [name, value] : pairs.value()) {
    if (name == "Action") out.action = value;
    if (name == "Version") out.version = value;
    if (name == "Language") out.language = value;
    if (std::find(kV1CommonParams.begin(), kV1CommonParams.end(), name) == kV1CommonParams.end()) {
      out.params.push_back(FlatParam{name, value, false});
    }
  }
  if (out.action.empty()) return ApiError{"MissingParameter", "the common parameter Action is required"};
  if (out.version.empty()) return ApiError{"MissingParameter", "the common parameter Version is required"};
  for (const auto& [header, value] : {std::pair{"x-tc-action", &out.action}, std::pair{"x-tc-version", &out.version}}) {
    const std::string_view sent = req.Header(header);
    if (!sent.empty() && sent != *value) {
      return Invalid("the header " + std::string(header) + " says " + std::string(sent) + " but the parameter " +
                     *value + "; send one of them");
    }
  }
  out.v1.method = req.method;
  out.v1.host = std::string(req.Header("host"));
  out.v1.path = std::string(req.Path());
  out.v1.params = std::move(pairs.value());
  return out;
}

}  // namespace

std::string_view FormName(CloudRequestForm form) {
  switch (form) {
    case CloudRequestForm::kTc3Json:
      return "TC3 POST JSON";
    case CloudRequestForm::kTc3Get:
      return "TC3 GET";
    case CloudRequestForm::kTc3Multipart:
      return "TC3 multipart";
    case CloudRequestForm::kV1Get:
      return "V1 GET";
    case CloudRequestForm::kV1Post:
      return "V1 POST";
  }
  return "?";
}

std::string_view MultipartBoundary(std::string_view content_type) {
  std::string_view rest = content_type;
  while (true) {
    const std::size_t semicolon = rest.find(';');
    if (semicolon == std::string_view::npos) return {};
    rest.remove_prefix(semicolon + 1);
    const std::string_view param = Trim(rest.substr(0, rest.find(';')));
    if (param.size() > 9 && EqualsIgnoreCase(param.substr(0, 9), "boundary=")) {
      std::string_view b = param.substr(9);
      if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
      return b;
    }
  }
}

ApiResult<CloudRequest> DecodeCloudRequest(const HttpRequest& req, const CloudRequestLimits& limits) {
  const bool get = req.method == "GET";
  if (!get && req.method != "POST") {
    return ApiError{"UnsupportedProtocol", "this endpoint takes GET and POST requests, not " + req.method};
  }
  const std::string_view query = req.Query();
  const std::string_view content_type = req.Header("content-type");
  const std::string_view media = MediaType(content_type);
  const bool tc3 = !req.Header("authorization").empty();
  CloudRequest out;
  if (!get && !query.empty()) {
    return Invalid("a POST request carries its parameters in the body, not in the query string");
  }
  if (get && !req.body.empty()) return Invalid("a GET request carries its parameters in the query string, not a body");
  if (!tc3) {
    if (get) {
      out.form = CloudRequestForm::kV1Get;
      return DecodeV1(req, std::move(out), query, "query string");
    }
    if (EqualsIgnoreCase(media, "application/x-www-form-urlencoded")) {
      if (req.body.size() > limits.max_v1_body_bytes) {
        return ApiError{"RequestSizeLimitExceeded", "a V1 (HmacSHA1/HmacSHA256) POST body is limited to " +
                                                        std::to_string(limits.max_v1_body_bytes) +
                                                        " bytes; send large images with TC3-HMAC-SHA256"};
      }
      if (Trim(req.body).starts_with("{")) {
        return Invalid("the body is JSON but its Content-Type is application/x-www-form-urlencoded");
      }
      out.form = CloudRequestForm::kV1Post;
      return DecodeV1(req, std::move(out), req.body, "form body");
    }
  }
  out.action = std::string(req.Header("x-tc-action"));
  out.version = std::string(req.Header("x-tc-version"));
  out.language = std::string(req.Header("x-tc-language"));
  if (get) {
    auto pairs = ParseUnique(query, "query string");
    if (!pairs.ok()) return pairs.error();
    for (auto& [name, value] : pairs.value()) {
      if (name == "Signature" || name == "SecretId") {
        return Invalid("a TC3 Authorization header and a V1 " + name + " parameter in one request; use one scheme");
      }
      out.params.push_back(FlatParam{std::move(name), std::move(value), false});
    }
    out.form = CloudRequestForm::kTc3Get;
  } else if (EqualsIgnoreCase(media, "application/json")) {
    out.form = CloudRequestForm::kTc3Json;
    out.json_body = req.body;
  } else if (EqualsIgnoreCase(media, "multipart/form-data")) {
    auto parts = ParseMultipart(req.body, MultipartBoundary(content_type));
    if (!parts.ok()) return parts.error();
    out.params = std::move(parts.value());
    out.form = CloudRequestForm::kTc3Multipart;
  } else if (EqualsIgnoreCase(media, "application/x-www-form-urlencoded")) {
    return Invalid(Trim(req.body).starts_with("{")
                       ? "the body is JSON but its Content-Type is application/x-www-form-urlencoded"
                       : "a TC3-signed POST carries JSON or multipart/form-data; form bodies are for V1 signatures");
  } else {
    return Invalid(
        "Content-Type must be application/json or multipart/form-data (TC3-HMAC-SHA256), or "
        "application/x-www-form-urlencoded (V1), not '" +
        std::string(content_type) + "'");
  }
  if (out.action.empty()) return ApiError{"MissingParameter", "the X-TC-Action header is missing"};
  if (out.version.empty()) return ApiError{"MissingParameter", "the X-TC-Version header is missing"};
  return out;
}

std::string NodeMultipartDigest(const CloudRequest& request, std::string_view boundary,
                                const std::function<bool(const FlatParam&)>& is_number) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return {};
  }
  auto update = [&](std::string_view s) { EVP_DigestUpdate(ctx, s.data(), s.size()); };
  const std::string delimiter = "--" + std::string(boundary);
  update(delimiter);
  for (const auto& p : request.params) {
    if (p.binary) {
      update("\r\nContent-Disposition: form-data; name=\"" + p.name +
             "\"\r\nContent-Type: application/octet-stream\r\n\r\n");
      update(p.value);
      update("\r\n");
    } else if (!is_number(p)) {
      update("\r\nContent-Disposition: form-data; name=\"" + p.name + "\"\r\n\r\n");
      update(p.value);
      update("\r\n");
    }
    update(delimiter);
  }
  update("--\r\n");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), md_len));
}

}  // namespace facekit::server
