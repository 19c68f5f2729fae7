#include "store/sqlite_schema.h"

#include <nlohmann/json.hpp>

#include "store/sqlite_stmt.h"

namespace facekit::store {

Status SqliteExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Status(StatusCode::kIoError, "sqlite: " + message);
  }
  return Status::Ok();
}

Result<int> OpenSchema(sqlite3* db, std::span<const char* const> migrations, const std::string& what,
                       std::span<const char* const> extra_pragmas, bool read_only) {
  if (read_only) {
    FACEKIT_RETURN_IF_ERROR(SqliteExec(db, "PRAGMA busy_timeout=10000"));
  } else {
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000"}) {
      FACEKIT_RETURN_IF_ERROR(SqliteExec(db, pragma));
    }
  }
  for (const char* pragma : extra_pragmas) FACEKIT_RETURN_IF_ERROR(SqliteExec(db, pragma));
  Stmt v(db, "PRAGMA user_version");
  if (!v.ok() || v.Step() != SQLITE_ROW) {
    return Status(StatusCode::kIoError, "reading the schema version of " + what + ": sqlite: " + sqlite3_errmsg(db));
  }
  int version = static_cast<int>(v.Int(0));
  const int target = static_cast<int>(migrations.size());
  if (version > target) {
    return Status(StatusCode::kFailedPrecondition, what + " has schema version " + std::to_string(version) +
                                                       ", newer than this build's " + std::to_string(target) +
                                                       "; use a newer facekit");
  }
  if (read_only && version != target) {
    return Status(StatusCode::kFailedPrecondition,
                  what + " has schema version " + std::to_string(version) + ", this build's is " +
                      std::to_string(target) + "; a command that writes it (or facekit serve) upgrades it");
  }
  for (; version < target; ++version) {
    FACEKIT_RETURN_IF_ERROR(SqliteExec(db, "BEGIN IMMEDIATE"));
    Status s = SqliteExec(db, migrations[static_cast<std::size_t>(version)]);
    if (s.ok()) s = SqliteExec(db, "PRAGMA user_version=" + std::to_string(version + 1));
    if (s.ok()) s = SqliteExec(db, "COMMIT");
    if (!s.ok()) {
      (void)SqliteExec(db, "ROLLBACK");
      return Status(s.code(), "migrating " + what + " to version " + std::to_string(version + 1) + ": " + s.message());
    }
  }
  return version;
}

bool ParseJsonStringArray(const std::string& text, std::vector<std::string>* out) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return false;
  for (const auto& e : j) {
    if (!e.is_string()) return false;
    out->push_back(e.get<std::string>());
  }
  return true;
}

std::string ExToJson(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

std::string PairsToJson(const std::vector<std::pair<int, std::string>>& v) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [i, s] : v) j.push_back(nlohmann::json::array({i, s}));
  return j.dump();
}

bool JsonToPairs(const std::string& text, std::vector<std::pair<int, std::string>>* out) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return false;
  for (const auto& e : j) {
    if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_string()) return false;
    out->emplace_back(e[0].get<int>(), e[1].get<std::string>());
  }
  return true;
}

}  // namespace facekit::store
