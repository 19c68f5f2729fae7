#include "common/api_key.h"

namespace facekit {

std::string_view KeyRoleName(KeyRole role) {
  switch (role) {
    case KeyRole::kAdmin:
      return "admin";
    case KeyRole::kReadWrite:
      return "read-write";
    case KeyRole::kReadOnly:
      return "read-only";
  }
  return "read-only";
}

Result<KeyRole> ParseKeyRole(std::string_view name) {
  for (KeyRole r : {KeyRole::kAdmin, KeyRole::kReadWrite, KeyRole::kReadOnly}) {
    if (KeyRoleName(r) == name) return r;
  }
  return Status(StatusCode::kInvalidArgument,
                "unknown role '" + std::string(name) + "' (admin, read-write or read-only)");
}

}  // namespace facekit
