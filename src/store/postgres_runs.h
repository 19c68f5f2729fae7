// postgres_runs.h - multi-row writes of the PostgreSQL store: a run of
// inserts of one kind (persons, memberships, faces) in one statement, and a
// batch's change-log rows in one statement. Internal to src/store
// (postgres_store.cc).
//
// WHY
//   One statement a row cost a client-server round trip a row: a batch of
//   1,000 persons with 3 faces each was ~10,000 statements (every insert and
//   its change-log row), which kept a bulk load near 1,300 faces a second
//   (`facekit bench cluster`, docs/scale-out.md). A run is one
//   `INSERT ... SELECT FROM unnest($1::T[], ...) WITH ORDINALITY` whose
//   arrays are text parameters (ArrayLiteral) and whose vectors and crops are
//   slices of one bytea parameter (`substring(... FROM offset FOR length)`).
//
// SEMANTICS
//   The same rows, keys, change-log order and error codes as one statement a
//   mutation: keys come back by id (RETURNING id, key), so they do not depend
//   on the order PostgreSQL returns rows in; change-log rows take their
//   sequence numbers in the batch's order (ORDER BY the ordinality); a unique
//   or foreign-key violation anywhere in a run fails the run (kAlreadyExists /
//   kNotFound, PostgreSQL's message names the row) and with it the batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "facekit/status.h"
#include "store/gallery_store.h"
#include "store/pg_util.h"
#include "store/postgres_store.h"

namespace facekit::store::pg {

// A PostgreSQL array literal ("{...}") built element by element, passed as a
// text parameter and cast in SQL ($1::text[], $2::bigint[]).
class ArrayLiteral {
 public:
  void Add(std::string_view text);  // quoted; backslashes and double quotes escaped
  void Add(std::int64_t value);
  void Add(int value) { Add(static_cast<std::int64_t>(value)); }
  void Add(float value);
  Param Take();  // the literal, closed; the builder is empty again

 private:
  void Next();
  std::string text_ = "{";
};

// Runs one statement of the store's connection (its Query).
using QueryFn =
    std::function<Result<PgResult>(const std::string& sql, const std::vector<Param>& params, const std::string& what)>;

// The inserts that go in runs (InsertPerson, InsertMembership, InsertFace),
// even a run of one: the store has no other statement for them.
template <class M>
inline constexpr bool kInsertedInRuns =
    std::is_same_v<M, mutation::InsertPerson> || std::is_same_v<M, mutation::InsertMembership> ||
    std::is_same_v<M, mutation::InsertFace>;
bool InRuns(const Mutation& m);

// batch[i..end): the mutations of batch[i]'s kind that follow it (a run) when
// it is an insert InRuns; end == i + 1 otherwise.
std::size_t RunEnd(const Batch& batch, std::size_t i);

// Inserts batch[from..to), a run RunEnd found, in one or two statements
// (faces: their crops in a second), sets keys[from..to) and appends their
// change-log rows to `changes`. `persons` gets the person keys whose faces
// changed (their fused features are refreshed before the commit). A face's
// vectors of other models (FaceRecord::other_vectors) are the caller's to
// write, once its key is known.
Status InsertRun(const QueryFn& query, const Batch& batch, std::size_t from, std::size_t to, int shards,
                 std::vector<std::int64_t>& keys, std::vector<Change>* changes, std::vector<std::int64_t>* persons);

// A person's fused feature of one model version (person_features).
struct FusedRow {
  std::int64_t person_key = 0;
  std::string version;
  std::vector<float> fused;
};
// Inserts `rows` into person_features in one statement.
Status InsertFused(const QueryFn& query, const std::vector<FusedRow>& rows, const std::string& what);

// Appends the batch's change-log rows (kind and keys from `changes`, the
// encoded mutations in `payloads`) in one statement, sequence numbers in
// their order; the last one's number.
Result<std::int64_t> WriteChanges(const QueryFn& query, const std::vector<Change>& changes,
                                  const std::vector<std::string>& payloads);

}  // namespace facekit::store::pg
