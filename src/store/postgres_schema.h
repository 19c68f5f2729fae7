// postgres_schema.h - the PostgreSQL store's schema versions (docs/scale-out.md).
//
// WHAT THIS REPRESENTS
//   Migration i takes a database at version i to i + 1. It runs inside the
//   store's migration transaction, under the migration advisory lock, so two
//   nodes opening one database together migrate it once; every statement is
//   written to be harmless when run again (IF NOT EXISTS, ON CONFLICT).
//   A migration is SQL, optionally a back-fill computed in C++ (the face
//   shards: StableHash is FaceKit's, not PostgreSQL's), then more SQL.
//
//   Version 1: the SQLite schema's tables plus the change log.
//   Version 2: `facekit_settings(name, value)` with row ('shards', S), S = 64
//   for every database (fixed once written: a face's shard is
//   ShardOfFace(face id, S)); `faces.shard` filled on insert, back-filled for
//   existing rows in batches of kShardBackfillBatch, NOT NULL, indexed.
//   Version 3: `person_features(pkey, version, dim, fused)`: each person's
//   fused feature (store::NormalisedMean of its faces' vectors in face-key
//   order) per face model version ("" = the faces' own vectors), rewritten
//   by every write that changes the person's faces, back-filled for existing
//   persons; a sharded node reads these instead of other shards' faces.
#pragma once

namespace facekit::store {

/// The number of shards a database is created with (facekit_settings 'shards').
inline constexpr int kDefaultFaceShards = 64;
/// The largest shard count a database may hold.
inline constexpr int kMaxFaceShards = 65536;
/// Rows read and updated per statement while back-filling faces.shard.
inline constexpr int kShardBackfillBatch = 1000;

struct PostgresMigration {
  const char* sql = nullptr;               ///< run first (several statements)
  bool backfill_face_shards = false;       ///< then faces.shard for rows where it IS NULL
  const char* after_sql = nullptr;         ///< then this, when non-null
  bool backfill_person_features = false;   ///< then person_features for every person
};

/// The migration from `version` to `version + 1` (0 <= version < kPostgresSchemaVersion).
const PostgresMigration& PostgresMigrationFrom(int version);

}  // namespace facekit::store
