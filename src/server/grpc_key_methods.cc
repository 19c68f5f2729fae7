// The key administration rpcs (ListKeys, CreateKey, UpdateKey, RevokeKey):
// admin keys only (GrpcMethod::admin, checked by the gRPC service before the
// call runs), acting on the server's KeyAdmin.
#include <google/protobuf/empty.pb.h>

#include "facekit/v1/facekit.pb.h"
#include "server/grpc_methods.h"

namespace facekit::server {

namespace v1 = ::facekit::v1;
using google::protobuf::Empty;
using google::protobuf::Message;
using service::ApiError;
using Outcome = std::optional<ApiError>;

namespace {

Outcome NoAdmin() {
  return ApiError{"UnsupportedOperation", "this server has no key store to administer (keys come from elsewhere)"};
}

// A store error as an API error: unknown key, revoked key, else a server error.
ApiError KeyError(const Status& s, const std::string& secret_id) {
  if (s.code() == StatusCode::kNotFound) {
    return ApiError{"ResourceNotFound.KeyNotExist", "there is no key " + secret_id};
  }
  if (s.code() == StatusCode::kFailedPrecondition) return ApiError{"FailedOperation.KeyRevoked", s.message()};
  return ApiError{"InternalError", s.message()};
}

void SetKey(const ApiKey& k, v1::ApiKeyInfo* out) {
  out->set_secret_id(k.secret_id);
  out->set_role(std::string(KeyRoleName(k.role)));
  for (const auto& a : k.actions) out->add_actions(a);
  for (const auto& g : k.groups) out->add_groups(g);
  out->set_rate_limit(k.rate_limit);
  out->set_description(k.description);
  out->set_created_ms(k.created_ms);
  out->set_revoked(k.revoked_ms != 0);
  out->set_revoked_ms(k.revoked_ms);
}

service::ApiResult<KeyRole> Role(const std::string& name) {
  auto role = ParseKeyRole(name);
  if (!role.ok()) {
    return ApiError{"InvalidParameterValue.KeyRoleIllegal",
                    "role must be admin, read-write or read-only, not '" + name + "'"};
  }
  return *role;
}

Outcome ListKeys(GrpcCall& c, const v1::ListKeysRequest&, v1::ListKeysResponse* out) {
  if (c.keys == nullptr) return NoAdmin();
  auto all = c.keys->List();
  if (!all.ok()) return ApiError{"InternalError", all.status().message()};
  for (const auto& k : *all) SetKey(k, out->add_keys());  // never the secret
  return std::nullopt;
}

Outcome CreateKey(GrpcCall& c, const v1::CreateKeyRequest& q, v1::CreateKeyResponse* out) {
  if (c.keys == nullptr) return NoAdmin();
  if (q.role().empty()) return ApiError{"MissingParameter", "the field role is required"};
  auto role = Role(q.role());
  if (!role.ok()) return role.error();
  if (q.rate_limit() < 0) {
    return ApiError{"InvalidParameterValue.RateLimitIllegal", "rate_limit must be 0 (the default) or more"};
  }
  store::NewKey nk;
  nk.role = role.value();
  nk.groups.assign(q.groups().begin(), q.groups().end());
  nk.actions.assign(q.actions().begin(), q.actions().end());
  nk.rate_limit = q.rate_limit();
  nk.description = q.description();
  auto created = c.keys->Create(nk);
  if (!created.ok()) return ApiError{"InternalError", created.status().message()};
  SetKey(*created, out->mutable_key());
  out->set_secret_key(created->secret_key);
  return std::nullopt;
}

Outcome UpdateKey(GrpcCall& c, const v1::UpdateKeyRequest& q, v1::ApiKeyInfo* out) {
  if (c.keys == nullptr) return NoAdmin();
  if (q.secret_id().empty()) return ApiError{"MissingParameter", "the field secret_id is required"};
  store::KeyChange change;
  if (!q.role().empty()) {
    auto role = Role(q.role());
    if (!role.ok()) return role.error();
    change.role = role.value();
  }
  if (q.update_groups()) change.groups = std::vector<std::string>(q.groups().begin(), q.groups().end());
  if (!change.role && !change.groups) {
    return ApiError{"MissingParameter", "give a role, or groups with update_groups: true"};
  }
  auto changed = c.keys->Update(q.secret_id(), change);
  if (!changed.ok()) return KeyError(changed.status(), q.secret_id());
  SetKey(*changed, out);
  return std::nullopt;
}

Outcome RevokeKey(GrpcCall& c, const v1::RevokeKeyRequest& q, Empty*) {
  if (c.keys == nullptr) return NoAdmin();
  if (q.secret_id().empty()) return ApiError{"MissingParameter", "the field secret_id is required"};
  if (Status s = c.keys->Revoke(q.secret_id()); !s.ok()) return KeyError(s, q.secret_id());
  return std::nullopt;
}

template <typename Req, typename Resp>
GrpcMethod AdminMethod(const char* name, bool write, const char* action, Outcome (*fn)(GrpcCall&, const Req&, Resp*)) {
  GrpcMethod m;
  m.name = name;
  m.write = write;
  m.admin = true;
  m.action = [a = std::string(action)](const Message&) { return a; };
  m.run = [fn](GrpcCall& call, const Message& request, Message* response) {
    return fn(call, static_cast<const Req&>(request), static_cast<Resp*>(response));
  };
  return m;
}

}  // namespace

std::vector<GrpcMethod> KeyMethods() {
  return {
      AdminMethod("ListKeys", false, "ListKeys", ListKeys),
      AdminMethod("CreateKey", true, "CreateKey", CreateKey),
      AdminMethod("UpdateKey", true, "ModifyKey", UpdateKey),
      AdminMethod("RevokeKey", true, "RevokeKey", RevokeKey),
  };
}

}  // namespace facekit::server
