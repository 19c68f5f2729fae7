// api_client.h - the CLI's client of a running `facekit serve`: REST/JSON
// calls (/v1/...) signed with TC3-HMAC-SHA256, so they work over plain HTTP
// from any host, over HTTPS, and with keys limited to some groups.
//
// WHAT THIS REPRESENTS
//   One server (base URL) and one key (SecretId:SecretKey). Call() sends one
//   request and returns the answer's JSON, or the API's error code and
//   message; a server that cannot be reached is the error "ServerUnreachable"
//   with curl's reason.
//
// THREAD SAFETY
//   One ApiClient per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "facekit/status.h"
#include "service/face_service.h"

namespace facekit::cli {

struct ApiClientOptions {
  std::string server;  ///< base URL, e.g. http://127.0.0.1:8080 (http:// assumed without a scheme)
  std::string key;     ///< "SecretId:SecretKey"
  double timeout_s = 120;
  /// Read-your-writes (docs/scale-out.md): every request carries the highest
  /// change-log position an answer gave (X-FaceKit-Min-Seq), so this client
  /// sees its own writes on any node of a cluster.
  bool read_your_writes = true;
};

class ApiClient {
 public:
  /// kInvalidArgument for a malformed URL or key.
  static Result<std::unique_ptr<ApiClient>> Create(ApiClientOptions options);
  ~ApiClient();

  /// `method` GET/POST/PATCH/DELETE, `path` with an optional query
  /// ("/v1/groups?limit=5"), `body` sent as JSON when not null.
  service::ApiResult<nlohmann::json> Call(std::string_view method, const std::string& path,
                                          const nlohmann::json* body = nullptr);

  /// One action of the cloud API (POST / with a JSON body, TC3-signed,
  /// X-TC-Action/Version/Region headers): the answer's `Response` object, or
  /// its `Error` as the error.
  service::ApiResult<nlohmann::json> CallCloud(std::string_view action, const nlohmann::json& params,
                                               std::string_view version = "2020-03-03");

  /// The base URL, for messages.
  const std::string& server() const { return base_; }

  /// The highest change-log position an answer gave (X-FaceKit-Seq; 0: none,
  /// e.g. a node with no shared store).
  std::int64_t position() const { return position_; }
  /// Requests from now on carry X-FaceKit-Min-Seq: at least `seq` (e.g. the
  /// position of another client's write); 0 sends none.
  void set_min_position(std::int64_t seq) { min_position_ = seq; }

 private:
  service::ApiResult<nlohmann::json> Send(std::string_view method, const std::string& path,
                                          const nlohmann::json* body, const std::vector<std::string>& extra_headers);
  ApiClient(std::string base, std::string authority, std::string secret_id, std::string secret_key, double timeout_s,
            bool read_your_writes);
  std::string base_, authority_, secret_id_, secret_key_;
  double timeout_s_;
  bool read_your_writes_;
  std::int64_t position_ = 0, min_position_ = 0;
  void* curl_;
};

/// `text` percent-encoded for a URL path segment or query value.
std::string UrlEncode(std::string_view text);

}  // namespace facekit::cli
