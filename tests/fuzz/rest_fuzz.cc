// REST/JSON transcoding (src/server/rest_gateway.cc, http_rule.cc): the
// routes made from facekit.v1's google.api.http annotations, then
// RestGateway::Decode on arbitrary requests: route matching, the JSON body
// into the request message, path variables and query parameters into its
// fields. Nothing is called (Decode stops before the gRPC call).
//
// Input: "METHOD TARGET\n", the body (Content-Type application/json).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "facekit/v1/facekit.pb.h"
#include "fuzz_input.h"
#include "server/http_rule.h"
#include "server/rest_gateway.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::server;
  static const RestGateway* gateway = [] {
    const auto* service = ::facekit::v1::CreateGroupRequest::descriptor()->file()->FindServiceByName("FaceKit");
    auto created = RestGateway::Create(service, nullptr, "fuzz-token", nullptr);
    if (!created.ok()) facekit::fuzz::Fail();
    return created.value().release();
  }();
  const auto head_body = facekit::fuzz::Split(facekit::fuzz::AsText(data, size), "\n", 2);
  const auto request_line = facekit::fuzz::Split(head_body[0], " ", 2);
  HttpRequest req;
  req.method = std::string(request_line[0]);
  if (request_line.size() > 1) req.target = std::string(request_line[1]);
  req.headers.emplace_back("content-type", "application/json");
  if (head_body.size() > 1) req.body = std::string(head_body[1]);
  (void)PercentDecode(req.Query(), true);
  const RestGateway::Decoded decoded = gateway->Decode(req);
  if (decoded.route != nullptr) {
    if (!decoded.request || decoded.request->GetDescriptor() != decoded.route->method->input_type()) {
      facekit::fuzz::Fail();
    }
    (void)decoded.request->SerializeAsString();
  } else if (decoded.http_status < 400 || decoded.message.empty()) {
    facekit::fuzz::Fail();
  }
  return 0;
}
