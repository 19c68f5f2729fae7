// API keys: the credentials clients sign requests with, their role and their
// optional allow-lists, kept in DIR/keys.db (SQLite, WAL, synchronous=FULL).
//
// WHAT THIS REPRESENTS
//   A KeyRecord is one SecretId/SecretKey pair. The SecretKey is stored as is:
//   TC3-HMAC-SHA256 needs it to recompute a signature, so it cannot be hashed.
//   The file is created with mode 0600; protect DIR like any secret store.
//   Revoking keeps the row (revoked_ms set) so `keys list` shows the history.
//
// THREAD SAFETY
//   A KeyStore may be used from several threads; several processes may open
//   the same file (the CLI creates keys while a server runs).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/api_key.h"
#include "facekit/status.h"

namespace facekit::store {

using KeyRecord = ApiKey;

struct NewKey {
  KeyRole role = KeyRole::kReadOnly;
  std::vector<std::string> actions, groups;
  double rate_limit = 0;
  std::string description;
};

// What KeyStore::Update changes; unset fields stay as they are.
struct KeyChange {
  std::optional<KeyRole> role;
  std::optional<std::vector<std::string>> groups;  // empty list = every group
};

class KeyStore {
 public:
  // Opens (creating with mode 0600 if needed) the key database at `path`.
  static Result<std::unique_ptr<KeyStore>> Open(const std::string& path);
  ~KeyStore();

  // Generates a fresh SecretId/SecretKey from the OS's random source and stores it durably.
  Result<KeyRecord> Create(const NewKey& key, std::int64_t now_ms);
  // Every key, active and revoked, oldest first.
  Result<std::vector<KeyRecord>> List();
  // The key with this id (revoked ones included); kNotFound when absent.
  Result<KeyRecord> Find(const std::string& secret_id);
  // Marks the key revoked; kNotFound when absent, kFailedPrecondition when already revoked.
  Status Revoke(const std::string& secret_id, std::int64_t now_ms);
  // Changes an active key's role and/or group allow-list and returns it as stored;
  // kNotFound when absent, kFailedPrecondition when revoked.
  Result<KeyRecord> Update(const std::string& secret_id, const KeyChange& change);
  // A counter that changes whenever another connection commits (PRAGMA data_version):
  // a cache of keys reloads when it changes.
  Result<std::int64_t> DataVersion();

  struct Impl;

 private:
  explicit KeyStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facekit::store
