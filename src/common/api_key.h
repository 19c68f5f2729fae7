// An API key: the SecretId/SecretKey pair a client signs requests with, its
// role and its optional allow-lists. Shared by the key store (which keeps
// them) and the server (which enforces them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "facekit/status.h"

namespace facekit {

// admin: everything, including key administration; read-write: every face
// API action; read-only: actions that change nothing (Get*, Search*, Verify*,
// CompareFace, Detect*).
enum class KeyRole { kAdmin, kReadWrite, kReadOnly };

std::string_view KeyRoleName(KeyRole role);  // "admin", "read-write", "read-only"
Result<KeyRole> ParseKeyRole(std::string_view name);

struct ApiKey {
  std::string secret_id;   // "AKID" + 32 characters [A-Za-z0-9]
  std::string secret_key;  // 40 characters [A-Za-z0-9]
  KeyRole role = KeyRole::kReadOnly;
  std::vector<std::string> actions;  // allow-list of action names; empty = all the role permits
  std::vector<std::string> groups;   // allow-list of group ids; empty = every group
  double rate_limit = 0;             // requests per second; 0 = the server's default
  std::string description;
  std::int64_t created_ms = 0;
  std::int64_t revoked_ms = 0;  // 0 = active
};

}  // namespace facekit
