// The live event rpcs: PublishEvent (a pipeline's check-in, into the
// server's EventHub) and CreateEventStreamToken (what opens
// GET /v1/events/stream; server.cc serves the stream itself).
#include <google/protobuf/util/json_util.h>

#include "common/base64.h"
#include "facekit/v1/facekit.pb.h"
#include "server/grpc_methods.h"

namespace facekit::server {

namespace v1 = ::facekit::v1;
using google::protobuf::Message;
using service::ApiError;
using Outcome = std::optional<ApiError>;

namespace {

constexpr std::size_t kMaxEventBytes = 256 * 1024;
constexpr std::size_t kMaxFaceJpegBytes = 64 * 1024;

Outcome NoHub() { return ApiError{"UnsupportedOperation", "this server has no event hub"}; }

Outcome Illegal(const std::string& message) { return ApiError{"InvalidParameterValue.EventIllegal", message}; }

Outcome PublishEvent(GrpcCall& c, const v1::PublishEventRequest& q, v1::PublishEventResponse* out) {
  if (c.events == nullptr) return NoHub();
  if (!q.has_event()) return ApiError{"MissingParameter", "the event (the request's JSON body) is required"};
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(q.event(), &text).ok()) return Illegal("the event is not JSON");
  if (text.size() > kMaxEventBytes) {
    return Illegal("the event is " + std::to_string(text.size()) + " bytes, more than " +
                   std::to_string(kMaxEventBytes));
  }
  nlohmann::json event = nlohmann::json::parse(text, nullptr, false);
  if (!event.is_object()) return Illegal("the event must be a JSON object");
  auto type = event.find("type");
  if (type == event.end() || !type->is_string() || type->get<std::string>().empty()) {
    return Illegal("the event needs a string \"type\" (e.g. \"checkin\")");
  }
  auto group = event.find("group_id");
  if (group != event.end() && !group->is_string()) return Illegal("group_id must be a string");
  const std::string group_id = group == event.end() ? std::string() : group->get<std::string>();
  if (group_id.empty() && !c.key->groups.empty()) {
    return ApiError{"AuthFailure.UnauthorizedOperation",
                    "this key is limited to some groups: its events must name one of them in group_id"};
  }
  if (!group_id.empty()) {
    if (auto e = c.scope.CheckGroups({group_id})) return e;
  }
  if (auto face = event.find("face_jpeg"); face != event.end()) {
    std::optional<std::vector<std::uint8_t>> decoded;
    if (face->is_string()) decoded = Base64Decode(face->get<std::string>());
    if (!decoded) return ApiError{"InvalidParameterValue.FaceJpegIllegal", "face_jpeg must be base64 of a JPEG file"};
    const std::vector<std::uint8_t>& jpeg = *decoded;
    if (jpeg.size() < 3 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 || jpeg[2] != 0xFF) {
      return ApiError{"InvalidParameterValue.FaceJpegIllegal", "face_jpeg is not a JPEG file"};
    }
    if (jpeg.size() > kMaxFaceJpegBytes) {
      return ApiError{"InvalidParameterValue.FaceJpegIllegal", "face_jpeg is " + std::to_string(jpeg.size()) +
                                                                   " bytes, more than " +
                                                                   std::to_string(kMaxFaceJpegBytes)};
    }
  }
  event["publisher"] = c.key->secret_id;
  out->set_id(std::to_string(c.events->Publish(std::move(event))));
  return std::nullopt;
}

Outcome CreateEventStreamToken(GrpcCall& c, const v1::CreateEventStreamTokenRequest&, v1::EventStreamToken* out) {
  if (c.events == nullptr) return NoHub();
  auto [token, expires] = c.events->IssueToken(c.key->secret_id);
  if (token.empty()) return ApiError{"InternalError", "the OS random source failed"};
  out->set_token(token);
  out->set_expires_ms(expires);
  out->set_url(std::string(kEventStreamPath) + "?token=" + token);
  return std::nullopt;
}

template <typename Req, typename Resp>
GrpcMethod EventMethod(const char* name, bool write, Outcome (*fn)(GrpcCall&, const Req&, Resp*), const char* action) {
  GrpcMethod m;
  m.name = name;
  m.write = write;
  m.action = [a = std::string(action)](const Message&) { return a; };
  m.run = [fn](GrpcCall& call, const Message& request, Message* response) {
    return fn(call, static_cast<const Req&>(request), static_cast<Resp*>(response));
  };
  return m;
}

}  // namespace

std::vector<GrpcMethod> EventMethods() {
  return {
      EventMethod("PublishEvent", true, PublishEvent, "PublishEvent"),
      EventMethod("CreateEventStreamToken", false, CreateEventStreamToken, "SubscribeEvents"),
  };
}

}  // namespace facekit::server
