#include "server/store_keys.h"

#include <cstdio>

namespace facekit::server {

StoreKeys::StoreKeys(std::unique_ptr<store::KeyStore> store, std::function<std::int64_t()> now_ms)
    : store_(std::move(store)), now_ms_(std::move(now_ms)) {}

StoreKeys::~StoreKeys() = default;

std::optional<ApiKey> StoreKeys::Find(std::string_view secret_id) {
  std::lock_guard lock(mu_);
  auto version = store_->DataVersion();
  if (!version.ok() || *version != version_) {
    cache_.clear();
    version_ = version.ok() ? *version : -1;
  }
  const std::string id(secret_id);
  if (auto it = cache_.find(id); it != cache_.end()) return it->second;
  auto key = store_->Find(id);
  if (!key.ok()) {
    if (key.status().code() != StatusCode::kNotFound) {
      std::fprintf(stderr, "facekit serve: %s\n", key.status().ToString().c_str());
      return std::nullopt;  // not cached: a storage hiccup must not lock a key out
    }
    cache_[id] = std::nullopt;
    return std::nullopt;
  }
  cache_[id] = *key;
  return std::move(*key);
}

// PRAGMA data_version does not change for this connection's own commits.
void StoreKeys::DropCache() {
  std::lock_guard lock(mu_);
  cache_.clear();
}

Result<std::vector<ApiKey>> StoreKeys::List() { return store_->List(); }

Result<ApiKey> StoreKeys::Create(const store::NewKey& key) {
  auto created = store_->Create(key, now_ms_());
  DropCache();
  return created;
}

Result<ApiKey> StoreKeys::Update(const std::string& secret_id, const store::KeyChange& change) {
  auto changed = store_->Update(secret_id, change);
  DropCache();
  return changed;
}

Status StoreKeys::Revoke(const std::string& secret_id) {
  Status s = store_->Revoke(secret_id, now_ms_());
  DropCache();
  return s;
}

}  // namespace facekit::server
