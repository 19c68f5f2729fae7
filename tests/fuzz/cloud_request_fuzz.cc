// The cloud API's request decoding (src/server/cloud_request.cc,
// cloud_param_tree.cc): all five request forms (TC3 POST JSON, TC3 GET, TC3
// multipart, V1 GET, V1 POST form) told apart, then the action's parameters
// typed into the JSON tree by the action's schema, as CloudApi::Handle does
// before anything runs.
//
// Input: an HTTP request as text: "METHOD TARGET\n", header lines
// "name: value\n" (names lower-cased), an empty line, then the body.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.h"
#include "server/cloud_param_tree.h"
#include "server/cloud_request.h"
#include "server/cloud_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::server;
  const auto head_body = facekit::fuzz::Split(facekit::fuzz::AsText(data, size), "\n\n", 2);
  const auto lines = facekit::fuzz::Split(head_body[0], "\n", 64);
  HttpRequest req;
  const auto request_line = facekit::fuzz::Split(lines[0], " ", 2);
  req.method = std::string(request_line[0]);
  if (request_line.size() > 1) req.target = std::string(request_line[1]);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto nv = facekit::fuzz::Split(lines[i], ": ", 2);
    std::string name(nv[0]);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    req.headers.emplace_back(std::move(name), nv.size() > 1 ? std::string(nv[1]) : std::string());
  }
  if (head_body.size() > 1) req.body = std::string(head_body[1]);

  CloudRequestLimits limits;
  limits.max_v1_body_bytes = 64 * 1024;
  const auto decoded = DecodeCloudRequest(req, limits);
  if (!decoded.ok()) {
    if (decoded.error().code.empty() || decoded.error().message.empty()) facekit::fuzz::Fail();
    return 0;
  }
  const CloudRequest& cloud = decoded.value();
  (void)FormName(cloud.form);
  const std::string_view boundary = MultipartBoundary(req.Header("content-type"));
  const ActionSchema* schema = FindActionSchema(cloud.action);
  const auto version = ParseApiVersion(cloud.version);
  if (schema == nullptr || !version) return 0;
  if (cloud.form == CloudRequestForm::kTc3Multipart) {
    (void)NodeMultipartDigest(cloud, boundary,
                              [&](const FlatParam& p) { return IsNumberParam(p, *schema, *version); });
  }
  const auto tree = BuildParamTree(cloud, *schema, *version);
  if (tree.ok() && !tree.value().is_object()) facekit::fuzz::Fail();
  if (!tree.ok() && tree.error().code.empty()) facekit::fuzz::Fail();
  return 0;
}
