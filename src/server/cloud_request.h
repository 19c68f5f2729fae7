// One request to the cloud-compatible endpoint (`/`), in any of the forms the
// official SDKs send, decoded before anything is verified or run.
//
// WHAT THIS REPRESENTS
//   The five request forms (docs/api-reference.md, "Request forms"):
//     TC3 POST JSON    POST, Content-Type application/json, X-TC-* headers, TC3 Authorization
//     TC3 GET          GET, the action's parameters flattened in the query string
//     TC3 multipart    POST multipart/form-data, one part per parameter
//     V1 GET           GET, common and action parameters in the query string, no Authorization
//     V1 POST          POST application/x-www-form-urlencoded, the same in the body (<= 1 MB)
//   DecodeCloudRequest tells them apart, reads the action, version and
//   language from the headers (TC3) or the common parameters (V1), and keeps
//   the action's parameters as received: the JSON body, or flat name/value
//   pairs (percent-decoded; nested names such as `Urls.0` kept as sent) that
//   BuildParamTree (cloud_param_tree.h) types into the same JSON tree.
//   Malformed and ambiguous requests get the cloud API's error codes:
//   duplicate parameters, parameters both in the query and the body, a TC3
//   Authorization beside a V1 Signature, bad percent-encoding, a JSON body
//   under a form Content-Type, a broken multipart body.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http_server.h"
#include "server/v1_signature.h"
#include "service/face_service.h"

namespace facekit::server {

enum class CloudRequestForm { kTc3Json, kTc3Get, kTc3Multipart, kV1Get, kV1Post };

/// "TC3 POST JSON", "TC3 GET", "TC3 multipart", "V1 GET", "V1 POST".
std::string_view FormName(CloudRequestForm form);
inline bool IsV1(CloudRequestForm form) {
  return form == CloudRequestForm::kV1Get || form == CloudRequestForm::kV1Post;
}

/// An action parameter of a flat form: its name as sent ("Urls.0") and its value.
struct FlatParam {
  std::string name;
  std::string value;
  bool binary = false;  ///< a multipart part sent as bytes (a Content-Type other than text/plain)
};

struct CloudRequest {
  CloudRequestForm form = CloudRequestForm::kTc3Json;
  std::string action;
  std::string version;
  std::string language;           ///< X-TC-Language or the Language parameter; "" when absent
  std::string_view json_body;     ///< kTc3Json: the body (a view of the HttpRequest's)
  std::vector<FlatParam> params;  ///< the other forms: the action's parameters, in arrival order
  V1Request v1;                   ///< V1 forms: what the signature covers (every parameter)
};

struct CloudRequestLimits {
  std::size_t max_v1_body_bytes = 1024 * 1024;  ///< the cloud API's limit for V1 POST bodies
};

/// Errors: UnsupportedProtocol (a method other than GET and POST), InvalidParameter (a
/// malformed or ambiguous request), MissingParameter (no action or version),
/// RequestSizeLimitExceeded (a V1 body over the limit).
service::ApiResult<CloudRequest> DecodeCloudRequest(const HttpRequest& request, const CloudRequestLimits& limits = {});

/// The body digest the Node SDK signs for a multipart request (common/sign.js sign3): the
/// parts as form-data writes them, except those whose value was a JavaScript number, which
/// it leaves out of the hash (it sends them all the same). `is_number(part)` says which
/// parts were numbers. Lowercase hex SHA-256.
std::string NodeMultipartDigest(const CloudRequest& request, std::string_view boundary,
                                const std::function<bool(const FlatParam&)>& is_number);

/// The boundary parameter of a multipart/form-data Content-Type, or "".
std::string_view MultipartBoundary(std::string_view content_type);

}  // namespace facekit::server
