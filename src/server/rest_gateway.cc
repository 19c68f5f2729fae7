#include "server/rest_gateway.h"

#include <google/api/annotations.pb.h>
#include <google/api/http.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "server/change_position.h"
#include "server/grpc_service.h"
#include "server/grpc_status_map.h"
#include "server/tc3_signature.h"

namespace facekit::server {

namespace pb = google::protobuf;

namespace {

// Header values that may travel as gRPC metadata: printable ASCII.
bool IsMetadataSafe(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// "Code: message" -> "message" when the status message carries the code.
std::string_view WithoutCodePrefix(std::string_view message, std::string_view code) {
  if (!code.empty() && message.starts_with(code) && message.substr(code.size()).starts_with(": ")) {
    message.remove_prefix(code.size() + 2);
  }
  return message;
}

// The change-log position the answer reflects (gRPC metadata -> header).
void AddChangePosition(const grpc::ClientContext& ctx, HttpResponse* r) {
  const auto& md = ctx.GetServerInitialMetadata();
  if (auto it = md.find(kChangePositionMetadata); it != md.end()) {
    r->headers.emplace_back(kChangePositionHeader, std::string(it->second.data(), it->second.size()));
  }
}

}  // namespace

HttpResponse RestGateway::Error(int http_status, std::string_view code, std::string_view message,
                                std::string_view status) {
  HttpResponse r;
  r.status = http_status;
  r.content_type = "application/json";
  r.body = nlohmann::json{{"code", code}, {"message", message}, {"status", status}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Result<std::unique_ptr<RestGateway>> RestGateway::Create(const pb::ServiceDescriptor* service,
                                                         std::shared_ptr<grpc::Channel> channel,
                                                         std::string gateway_token, Metrics* metrics) {
  std::unique_ptr<RestGateway> g(new RestGateway());
  g->channel_ = std::move(channel);
  g->token_ = std::move(gateway_token);
  g->metrics_ = metrics;
  for (int i = 0; i < service->method_count(); ++i) {
    const pb::MethodDescriptor* m = service->method(i);
    if (!m->options().HasExtension(google::api::http)) continue;
    if (m->client_streaming() || m->server_streaming()) {
      return Status(StatusCode::kInvalidArgument, m->full_name() + ": streaming methods cannot be transcoded");
    }
    std::vector<google::api::HttpRule> rules = {m->options().GetExtension(google::api::http)};
    for (const auto& extra : rules[0].additional_bindings()) rules.push_back(extra);
    for (const auto& rule : rules) {
      Route route;
      route.method = m;
      route.grpc_path = "/" + service->full_name() + "/" + m->name();
      route.body = rule.body();
      std::string path;
      switch (rule.pattern_case()) {
        case google::api::HttpRule::kGet:
          route.http_method = "GET";
          path = rule.get();
          break;
        case google::api::HttpRule::kPut:
          route.http_method = "PUT";
          path = rule.put();
          break;
        case google::api::HttpRule::kPost:
          route.http_method = "POST";
          path = rule.post();
          break;
        case google::api::HttpRule::kDelete:
          route.http_method = "DELETE";
          path = rule.delete_();
          break;
        case google::api::HttpRule::kPatch:
          route.http_method = "PATCH";
          path = rule.patch();
          break;
        default:
          return Status(StatusCode::kInvalidArgument, m->full_name() + ": only get/put/post/delete/patch rules");
      }
      auto parsed = PathTemplate::Parse(path);
      if (!parsed.ok()) return Status(StatusCode::kInvalidArgument, m->full_name() + ": " + parsed.status().message());
      route.path = std::move(parsed.value());
      for (const auto& var : route.path.variables()) {
        const pb::FieldDescriptor* f = FindFieldPath(m->input_type(), var);
        if (f == nullptr || f->is_repeated() || f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          return Status(StatusCode::kInvalidArgument,
                        m->full_name() + ": path variable " + var + " is not a singular scalar field");
        }
      }
      if (!route.body.empty() && route.body != "*") {
        const pb::FieldDescriptor* f = m->input_type()->FindFieldByName(route.body);
        if (f == nullptr || f->is_repeated() || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          return Status(StatusCode::kInvalidArgument,
                        m->full_name() + ": body " + route.body + " is not a singular message field");
        }
      }
      g->routes_.push_back(std::move(route));
    }
  }
  return g;
}

RestGateway::~RestGateway() = default;

RestGateway::Decoded RestGateway::Decode(const HttpRequest& req) const {
  auto refuse = [](int status, grpc::StatusCode code, std::string message) {
    Decoded d;
    d.http_status = status;
    d.code = code;
    d.message = std::move(message);
    return d;
  };

  const std::string_view path = req.Path();
  const std::string_view query = req.Query();
  if (!IsMetadataSafe(req.target) || req.target.find(' ') != std::string::npos) {
    return refuse(400, grpc::StatusCode::INVALID_ARGUMENT, "the request target must be printable ASCII");
  }

  // 1. The route: the most specific template matching the path and method.
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> vars;
  std::set<std::string> allowed;
  for (const Route& r : routes_) {
    auto m = r.path.Match(path);
    if (!m) continue;
    allowed.insert(r.http_method);
    if (r.http_method != req.method) continue;
    if (route == nullptr || r.path.literal_count() > route->path.literal_count()) {
      route = &r;
      vars = std::move(*m);
    }
  }
  if (route == nullptr) {
    if (allowed.empty()) {
      return refuse(404, grpc::StatusCode::NOT_FOUND, "no REST route for " + std::string(path));
    }
    std::string allow;
    for (const auto& a : allowed) allow += (allow.empty() ? "" : ", ") + a;
    Decoded d = refuse(405, grpc::StatusCode::UNIMPLEMENTED,
                       req.method + " is not served for " + std::string(path) + " (allowed: " + allow + ")");
    d.allow = std::move(allow);
    return d;
  }
  const pb::MethodDescriptor& method = *route->method;

  // 2. The request message.
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(method.input_type());
  std::unique_ptr<pb::Message> request(prototype->New());
  std::set<std::string> bound;  // fields set from the path or body, by canonical path
  if (route->body.empty()) {
    if (!IsBlank(req.body)) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                    req.method + " " + route->path.text() + " takes no body; give the fields as query parameters");
    }
  } else {
    if (!IsBlank(req.body)) {
      const std::string_view content_type = req.Header("content-type");
      if (!content_type.starts_with("application/json")) {
        return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                      "the body must be JSON with Content-Type application/json, not '" + std::string(content_type) +
                          "'");
      }
      pb::Message* target = request.get();
      if (route->body != "*") {
        const pb::FieldDescriptor* f = method.input_type()->FindFieldByName(route->body);
        target = request->GetReflection()->MutableMessage(request.get(), f);
        bound.insert(route->body);
      }
      pb::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      const auto parsed = pb::util::JsonStringToMessage(req.body, target, options);
      if (!parsed.ok()) {
        return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                      "the body is not a " + target->GetDescriptor()->full_name() +
                          " in JSON: " + std::string(parsed.message()));
      }
    }
  }
  for (const auto& [field, value] : vars) {
    std::string canonical;
    const pb::FieldDescriptor* f = FindFieldPath(method.input_type(), field, &canonical);
    // A body "*" may repeat a path variable, but not contradict it.
    if (route->body == "*" && f != nullptr && !f->is_repeated() &&
        f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING && f->containing_type() == method.input_type() &&
        !request->GetReflection()->GetString(*request, f).empty() &&
        request->GetReflection()->GetString(*request, f) != value) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                    "the body's " + field + " differs from the one in the path");
    }
    if (Status s = SetFieldFromText(request.get(), field, value); !s.ok()) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT, s.message());
    }
    bound.insert(canonical);
  }
  auto params = ParseQuery(query);
  if (!params) return refuse(400, grpc::StatusCode::INVALID_ARGUMENT, "the query string has a malformed %-escape");
  if (route->body == "*" && !params->empty()) {
    return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                  "query parameters are not accepted by " + req.method + " " + route->path.text() +
                      "; give every field in the JSON body");
  }
  std::set<std::string> seen;
  for (const auto& [name, value] : *params) {
    std::string canonical;
    const pb::FieldDescriptor* f = FindFieldPath(method.input_type(), name, &canonical);
    if (f == nullptr) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                    "unknown query parameter " + name + " (not a field of " + method.input_type()->full_name() + ")");
    }
    if (bound.count(canonical) != 0 || bound.count(canonical.substr(0, canonical.find('.'))) != 0) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT, "the field " + name + " is already given by the path");
    }
    if (!f->is_repeated() && !seen.insert(canonical).second) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT, "the query parameter " + name + " is given twice");
    }
    if (Status s = SetFieldFromText(request.get(), name, value); !s.ok()) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT, s.message());
    }
  }

  Decoded d;
  d.route = route;
  d.request = std::move(request);
  return d;
}

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view v) {
  if (v.size() < 2 || v.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  for (char c : v.substr(0, v.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  using namespace std::chrono;
  switch (v.back()) {
    case 'H': return duration_cast<nanoseconds>(hours(n));
    case 'M': return duration_cast<nanoseconds>(minutes(n));
    case 'S': return duration_cast<nanoseconds>(seconds(n));
    case 'm': return duration_cast<nanoseconds>(milliseconds(n));
    case 'u': return duration_cast<nanoseconds>(microseconds(n));
    case 'n': return nanoseconds(n);
    default: return std::nullopt;
  }
}

HttpResponse RestGateway::Handle(const HttpRequest& req) const {
  const auto started = std::chrono::steady_clock::now();
  // Refusals before the service is reached (it counts the others itself).
  Decoded decoded = Decode(req);
  if (decoded.route == nullptr) {
    const std::string_view name = GrpcCodeName(decoded.code);
    if (metrics_) {
      metrics_->Observe("rest", "unknown", name,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    HttpResponse r = Error(decoded.http_status, name, decoded.message, name);
    if (!decoded.allow.empty()) r.headers.emplace_back("Allow", decoded.allow);
    return r;
  }
  const Route* route = decoded.route;
  const pb::MethodDescriptor& method = *route->method;
  const std::unique_ptr<pb::Message>& request = decoded.request;
  const std::string_view path = req.Path();
  const std::string_view query = req.Query();
  auto refuse = [&](int status, grpc::StatusCode code, const std::string& message) {
    const std::string_view name = GrpcCodeName(code);
    if (metrics_) {
      metrics_->Observe("rest", "unknown", name,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    return Error(status, name, message, name);
  };

  // 3. The call, through the gRPC server.
  grpc::ClientContext ctx;
  const std::pair<const char*, std::string_view> passed[] = {
      {"authorization", req.Header("authorization")},
      {"x-tc-timestamp", req.Header("x-tc-timestamp")},
      {rest_metadata::kContentType, req.Header("content-type")},
      {rest_metadata::kHost, req.Header("host")},
      // The language of error messages (grpc_service.h).
      {"x-tc-language", req.Header("x-tc-language")},
      {"accept-language", req.Header("accept-language")},
      // Read-your-writes (change_position.h).
      {kMinChangePositionHeader, req.Header(kMinChangePositionHeader)},
  };
  for (const auto& [name, value] : passed) {
    if (!IsMetadataSafe(value)) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                    std::string("the header ") + name + " must be printable ASCII");
    }
    if (!value.empty()) ctx.AddMetadata(name, std::string(value));
  }
  // The caller's deadline, as grpc-gateway takes it: Grpc-Timeout.
  if (const std::string_view timeout = req.Header("grpc-timeout"); !timeout.empty()) {
    const auto t = ParseGrpcTimeout(timeout);
    if (!t) {
      return refuse(400, grpc::StatusCode::INVALID_ARGUMENT,
                    "the Grpc-Timeout header must be 1 to 8 digits and a unit (H, M, S, m, u or n), e.g. 500m");
    }
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(*t));
  }
  ctx.AddMetadata(rest_metadata::kToken, token_);
  ctx.AddMetadata(rest_metadata::kMethod, req.method);
  ctx.AddMetadata(rest_metadata::kPath, std::string(path));
  ctx.AddMetadata(rest_metadata::kQuery, std::string(query));
  ctx.AddMetadata(rest_metadata::kBodySha256, Sha256Hex(req.body));
  ctx.AddMetadata(rest_metadata::kRemote, req.remote_address);
  if (req.secure) ctx.AddMetadata(rest_metadata::kSecure, "1");

  const std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  const grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  std::promise<grpc::Status> done;
  grpc::GenericStub stub(channel_);
  stub.UnaryCall(&ctx, route->grpc_path, grpc::StubOptions(), &in, &out,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();

  // 4. The answer.
  if (!status.ok()) {
    std::string code;
    const auto& trailers = ctx.GetServerTrailingMetadata();
    if (auto it = trailers.find(kErrorCodeMetadata); it != trailers.end()) {
      code.assign(it->second.data(), it->second.size());
    }
    const std::string_view name = GrpcCodeName(status.error_code());
    return Error(HttpStatusFor(status.error_code()), code.empty() ? name : std::string_view(code),
                 WithoutCodePrefix(status.error_message(), code), name);
  }
  std::vector<grpc::Slice> slices;
  std::string response_bytes;
  if (out.Dump(&slices).ok()) {
    for (const auto& s : slices) response_bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  std::unique_ptr<pb::Message> response(
      pb::MessageFactory::generated_factory()->GetPrototype(method.output_type())->New());
  if (method.output_type()->full_name() == kHttpBodyMessage) {  // not JSON: the bytes themselves
    const pb::FieldDescriptor* type = method.output_type()->FindFieldByName("content_type");
    const pb::FieldDescriptor* data = method.output_type()->FindFieldByName("data");
    if (type == nullptr || data == nullptr || !response->ParseFromString(response_bytes)) {
      return Error(500, "INTERNAL", "the response could not be read", "INTERNAL");
    }
    HttpResponse r;
    r.status = 200;
    AddChangePosition(ctx, &r);
    r.content_type = response->GetReflection()->GetString(*response, type);
    r.body = response->GetReflection()->GetString(*response, data);
    r.headers.emplace_back("Cache-Control", "private, no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  }
  std::string json;
  pb::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  if (!response->ParseFromString(response_bytes) || !pb::util::MessageToJsonString(*response, &json, print).ok()) {
    return Error(500, "INTERNAL", "the response could not be converted to JSON", "INTERNAL");
  }
  HttpResponse r;
  r.status = 200;
  AddChangePosition(ctx, &r);
  r.content_type = "application/json";
  r.body = std::move(json);
  return r;
}

}  // namespace facekit::server
