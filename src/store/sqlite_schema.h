// Opening an SQLite file the way FaceKit's stores do: durable settings, then
// the schema brought to this build's version by its list of migrations.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "facekit/status.h"

namespace facekit::store {

// Runs `sql` (one or more statements); kIoError with SQLite's message.
Status SqliteExec(sqlite3* db, const std::string& sql);

// WAL, synchronous=FULL (a commit is on disk before it returns), a busy
// timeout, and `extra_pragmas`. Then reads PRAGMA user_version and applies
// migrations[v], migrations[v+1], ... each in its own transaction, so the
// file is at version migrations.size() afterwards; a file with a newer
// version is refused (kFailedPrecondition). `what` names the file in errors
// ("the gallery database"). Returns the schema version.
// `read_only` (a connection opened SQLITE_OPEN_READONLY): only the busy
// timeout is set and nothing is migrated; a file at another version than
// migrations.size() is refused (kFailedPrecondition).
Result<int> OpenSchema(sqlite3* db, std::span<const char* const> migrations, const std::string& what,
                       std::span<const char* const> extra_pragmas = {}, bool read_only = false);

// A JSON array of strings stored in a TEXT column; false when `text` is not one.
bool ParseJsonStringArray(const std::string& text, std::vector<std::string>* out);

// The text columns both gallery stores (SQLite, PostgreSQL) keep as JSON: a
// group's custom field names (ExToJson) and a membership's field values
// ([[index, value], ...]; JsonToPairs is false when `text` is not that).
std::string ExToJson(const std::vector<std::string>& v);
std::string PairsToJson(const std::vector<std::pair<int, std::string>>& v);
bool JsonToPairs(const std::string& text, std::vector<std::pair<int, std::string>>* out);

}  // namespace facekit::store
