// The server's keys kept in the key database (store/key_store.h): looked up
// for every request (KeyDirectory) and administered over the API (KeyAdmin,
// the ListKeys / CreateKey / UpdateKey / RevokeKey rpcs).
//
// WHAT THIS REPRESENTS
//   One KeyStore connection shared by authentication and administration.
//   Looked-up keys are cached; the cache is dropped whenever the database
//   changes: after this object's own writes, and when another process (the
//   `facekit keys` CLI, which writes keys.db directly even while a server
//   runs) has committed (PRAGMA data_version). So a created key works, and a
//   revoked or changed one is refused or narrowed, from the next request on,
//   whichever side made the change; CLI and server never hold separate state.
//
// THREAD SAFETY
//   Every method may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/access_policy.h"
#include "store/key_store.h"

namespace facekit::server {

// Key administration as the API offers it (admin keys only; the gRPC service checks the role).
class KeyAdmin {
 public:
  virtual ~KeyAdmin() = default;
  // Every key, active and revoked, oldest first (with secret_key; callers drop it).
  virtual Result<std::vector<ApiKey>> List() = 0;
  virtual Result<ApiKey> Create(const store::NewKey& key) = 0;
  // kNotFound / kFailedPrecondition (revoked) as KeyStore::Update.
  virtual Result<ApiKey> Update(const std::string& secret_id, const store::KeyChange& change) = 0;
  // kNotFound / kFailedPrecondition (already revoked) as KeyStore::Revoke.
  virtual Status Revoke(const std::string& secret_id) = 0;
};

class StoreKeys final : public KeyDirectory, public KeyAdmin {
 public:
  // `now_ms` is the wall clock stamped on created and revoked keys (injectable).
  StoreKeys(std::unique_ptr<store::KeyStore> store, std::function<std::int64_t()> now_ms);
  ~StoreKeys() override;

  std::optional<ApiKey> Find(std::string_view secret_id) override;

  Result<std::vector<ApiKey>> List() override;
  Result<ApiKey> Create(const store::NewKey& key) override;
  Result<ApiKey> Update(const std::string& secret_id, const store::KeyChange& change) override;
  Status Revoke(const std::string& secret_id) override;

 private:
  void DropCache();

  std::unique_ptr<store::KeyStore> store_;
  std::function<std::int64_t()> now_ms_;
  std::mutex mu_;
  std::int64_t version_ = -1;                                      // guarded by mu_
  std::unordered_map<std::string, std::optional<ApiKey>> cache_;  // guarded by mu_
};

}  // namespace facekit::server
