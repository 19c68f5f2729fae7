#include "store/key_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "store/sqlite_schema.h"
#include "store/sqlite_stmt.h"

namespace facekit::store {

namespace {

constexpr int kKeySchemaVersion = 1;
const char* const kKeyMigrations[] = {
    R"sql(
CREATE TABLE api_keys (
  secret_id   TEXT PRIMARY KEY,
  secret_key  TEXT NOT NULL,
  role        TEXT NOT NULL,
  actions     TEXT NOT NULL,  -- JSON array of action names
  groups      TEXT NOT NULL,  -- JSON array of group ids
  rate_limit  REAL NOT NULL,
  description TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  revoked_ms  INTEGER NOT NULL
);
)sql",
};
static_assert(sizeof(kKeyMigrations) / sizeof(kKeyMigrations[0]) == kKeySchemaVersion);

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// `n` characters drawn uniformly from kAlphabet (rejection sampling on random bytes).
Result<std::string> RandomToken(std::size_t n) {
  std::string out;
  unsigned char buf[64];
  while (out.size() < n) {
    if (RAND_bytes(buf, sizeof(buf)) != 1) return Status(StatusCode::kInternal, "the OS random source failed");
    for (unsigned char b : buf) {
      if (b < 248 && out.size() < n) out.push_back(kAlphabet[b % 62]);  // 248 = 4 * 62: no modulo bias
    }
  }
  return out;
}

std::string ToJson(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }


}  // namespace

struct KeyStore::Impl {
  sqlite3* db = nullptr;
  std::mutex mu;
  ~Impl() { sqlite3_close(db); }


  Status Error(const std::string& what) const {
    return Status(StatusCode::kIoError, "key database: " + what + ": sqlite: " + sqlite3_errmsg(db));
  }

  Status Init() { return OpenSchema(db, kKeyMigrations, "the key database").status(); }

  Result<KeyRecord> Row(Stmt& s) {
    KeyRecord k;
    k.secret_id = s.Text(0);
    k.secret_key = s.Text(1);
    auto role = ParseKeyRole(s.Text(2));
    if (!role.ok()) return Status(StatusCode::kDataCorrupt, "key database: key " + k.secret_id + " has a bad role");
    k.role = *role;
    if (!ParseJsonStringArray(s.Text(3), &k.actions) || !ParseJsonStringArray(s.Text(4), &k.groups)) {
      return Status(StatusCode::kDataCorrupt, "key database: key " + k.secret_id + " has a bad allow-list");
    }
    k.rate_limit = s.Double(5);
    k.description = s.Text(6);
    k.created_ms = s.Int(7);
    k.revoked_ms = s.Int(8);
    return k;
  }
};

constexpr const char* kSelect =
    "SELECT secret_id, secret_key, role, actions, groups, rate_limit, description, created_ms, revoked_ms "
    "FROM api_keys";

KeyStore::KeyStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeyStore::~KeyStore() = default;

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& path) {
  // Create the file with owner-only permissions before SQLite opens it.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status(StatusCode::kIoError, "cannot open key database " + path);
  ::close(fd);
  auto impl = std::make_unique<Impl>();
  if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    return Status(StatusCode::kIoError, "cannot open key database " + path + ": " + sqlite3_errmsg(impl->db));
  }
  Status s = impl->Init();
  if (!s.ok()) {
    if (s.message().find("file is not a database") != std::string::npos) {
      return Status(StatusCode::kDataCorrupt, path + " is not a FaceKit key database");
    }
    return s;
  }
  return std::unique_ptr<KeyStore>(new KeyStore(std::move(impl)));
}

Result<KeyRecord> KeyStore::Create(const NewKey& key, std::int64_t now_ms) {
  auto id = RandomToken(32);
  if (!id.ok()) return id.status();
  auto secret = RandomToken(40);
  if (!secret.ok()) return secret.status();
  KeyRecord k{"AKID" + *id, *secret, key.role, key.actions, key.groups, key.rate_limit, key.description, now_ms, 0};
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db,
         "INSERT INTO api_keys (secret_id, secret_key, role, actions, groups, rate_limit, description, created_ms, "
         "revoked_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)");
  if (!s.ok()) return impl_->Error("preparing the insert");
  s.Bind(1, k.secret_id);
  s.Bind(2, k.secret_key);
  s.Bind(3, std::string(KeyRoleName(k.role)));
  s.Bind(4, ToJson(k.actions));
  s.Bind(5, ToJson(k.groups));
  s.BindDouble(6, k.rate_limit);
  s.Bind(7, k.description);
  s.Bind(8, k.created_ms);
  if (s.Step() != SQLITE_DONE) return impl_->Error("storing the key");
  return k;
}

Result<std::vector<KeyRecord>> KeyStore::List() {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, (std::string(kSelect) + " ORDER BY created_ms, secret_id").c_str());
  if (!s.ok()) return impl_->Error("listing keys");
  std::vector<KeyRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    auto k = impl_->Row(s);
    if (!k.ok()) return k.status();
    out.push_back(std::move(*k));
  }
  if (rc != SQLITE_DONE) return impl_->Error("listing keys");
  return out;
}

Result<KeyRecord> KeyStore::Find(const std::string& secret_id) {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, (std::string(kSelect) + " WHERE secret_id = ?").c_str());
  if (!s.ok()) return impl_->Error("reading a key");
  s.Bind(1, secret_id);
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return Status(StatusCode::kNotFound, "no key " + secret_id);
  if (rc != SQLITE_ROW) return impl_->Error("reading a key");
  return impl_->Row(s);
}

Status KeyStore::Revoke(const std::string& secret_id, std::int64_t now_ms) {
  auto k = Find(secret_id);
  if (!k.ok()) return k.status();
  if (k->revoked_ms != 0) return Status(StatusCode::kFailedPrecondition, "key " + secret_id + " is already revoked");
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, "UPDATE api_keys SET revoked_ms = ? WHERE secret_id = ? AND revoked_ms = 0");
  if (!s.ok()) return impl_->Error("revoking a key");
  s.Bind(1, now_ms);
  s.Bind(2, secret_id);
  if (s.Step() != SQLITE_DONE) return impl_->Error("revoking a key");
  return Status::Ok();
}

Result<KeyRecord> KeyStore::Update(const std::string& secret_id, const KeyChange& change) {
  auto k = Find(secret_id);
  if (!k.ok()) return k.status();
  if (k->revoked_ms != 0) return Status(StatusCode::kFailedPrecondition, "key " + secret_id + " is revoked");
  if (change.role) k->role = *change.role;
  if (change.groups) k->groups = *change.groups;
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, "UPDATE api_keys SET role = ?, groups = ? WHERE secret_id = ? AND revoked_ms = 0");
  if (!s.ok()) return impl_->Error("changing a key");
  s.Bind(1, std::string(KeyRoleName(k->role)));
  s.Bind(2, ToJson(k->groups));
  s.Bind(3, secret_id);
  if (s.Step() != SQLITE_DONE) return impl_->Error("changing a key");
  if (sqlite3_changes(impl_->db) != 1) {
    return Status(StatusCode::kFailedPrecondition, "key " + secret_id + " was revoked meanwhile");
  }
  return std::move(*k);
}

Result<std::int64_t> KeyStore::DataVersion() {
  std::lock_guard lock(impl_->mu);
  Stmt s(impl_->db, "PRAGMA data_version");
  if (!s.ok() || s.Step() != SQLITE_ROW) return impl_->Error("reading data_version");
  return s.Int(0);
}

}  // namespace facekit::store
