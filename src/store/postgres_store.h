// The gallery store on PostgreSQL 15 (libpq): the system of record when
// several FaceKit nodes share one gallery (docs/scale-out.md).
//
// Same interface and semantics as the SQLite store: Apply(batch) is one
// transaction, acknowledged only after COMMIT returned (synchronous_commit on:
// the commit is in PostgreSQL's WAL on disk); unique violations are
// kAlreadyExists, updates/deletes of missing rows kNotFound, and on any error
// nothing of the batch is applied.
//
// Every Apply also appends one row per mutation to the change log, in the same
// transaction, and NOTIFYs channel `facekit_changes` with the last sequence
// number. Writers serialise on an advisory lock, so sequence order is commit
// order and a follower that reads ChangesSince(last applied) never skips a
// change that commits later with a lower number.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/gallery_store.h"

namespace facekit::store {

// The schema version this build writes; older databases are migrated on open,
// newer ones refused (kFailedPrecondition).
inline constexpr int kPostgresSchemaVersion = 3;

struct Change {
  std::int64_t seq = 0;
  std::string kind;  // the mutation's name: "InsertGroup", "DeleteFace", ...
  std::int64_t group_key = 0;
  std::int64_t person_key = 0;
  std::int64_t face_key = 0;
};

class PostgresStore : public GalleryStore {
 public:
  // Changes with seq > `after`, oldest first, at most `limit`.
  virtual Result<std::vector<Change>> ChangesSince(std::int64_t after, std::size_t limit) = 0;
  // The last committed sequence number (0 when the log is empty).
  virtual Result<std::int64_t> LastChange() = 0;
  // Rows per query of LoadPages (and so of Load) for persons, memberships and
  // faces: 100,000 (tests make it small).
  virtual void SetLoadPageRows(int rows) = 0;
};

// `conninfo`: a libpq connection string or URI ("postgres://user@host/db",
// "host=/run/postgresql dbname=facekit"). Creates the schema or migrates it.
// An unreachable server or a refused login is kIoError naming the server's
// message (the password, if any, is not repeated).
Result<std::unique_ptr<PostgresStore>> OpenPostgresStore(const std::string& conninfo);

// True for the store URIs OpenPostgresStore takes ("postgres://", "postgresql://").
bool IsPostgresUri(const std::string& text);

}  // namespace facekit::store
