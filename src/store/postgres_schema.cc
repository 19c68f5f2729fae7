#include "store/postgres_schema.h"

#include "store/postgres_store.h"

namespace facekit::store {

namespace {

const PostgresMigration kMigrations[] = {
    // 0 -> 1: the SQLite schema's tables, plus the change log.
    {
    R"sql(
CREATE TABLE groups (
  gkey bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  name text NOT NULL UNIQUE,
  tag text NOT NULL DEFAULT '',
  ex_descriptions text NOT NULL DEFAULT '[]',
  face_model_version text NOT NULL,
  created_ms bigint NOT NULL
);
CREATE TABLE persons (
  pkey bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  name text NOT NULL,
  gender integer NOT NULL DEFAULT 0,
  created_ms bigint NOT NULL
);
CREATE TABLE memberships (
  gkey bigint NOT NULL REFERENCES groups(gkey) ON DELETE CASCADE,
  pkey bigint NOT NULL REFERENCES persons(pkey) ON DELETE CASCADE,
  ex_descriptions text NOT NULL DEFAULT '[]',
  added_ms bigint NOT NULL,
  PRIMARY KEY (gkey, pkey)
);
CREATE INDEX memberships_by_person ON memberships(pkey);
CREATE TABLE faces (
  fkey bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  pkey bigint NOT NULL REFERENCES persons(pkey) ON DELETE CASCADE,
  model_version text NOT NULL,
  dim integer NOT NULL,
  embedding bytea NOT NULL,
  rect_x integer NOT NULL, rect_y integer NOT NULL, rect_w integer NOT NULL, rect_h integer NOT NULL,
  quality real NOT NULL DEFAULT 0,
  source text NOT NULL DEFAULT '',
  created_ms bigint NOT NULL
);
CREATE INDEX faces_by_person ON faces(pkey);
CREATE TABLE face_vectors (
  fkey bigint NOT NULL REFERENCES faces(fkey) ON DELETE CASCADE,
  model_version text NOT NULL,
  dim integer NOT NULL,
  embedding bytea NOT NULL,
  PRIMARY KEY (fkey, model_version)
);
CREATE TABLE face_crops (
  fkey bigint PRIMARY KEY REFERENCES faces(fkey) ON DELETE CASCADE,
  image bytea NOT NULL,
  landmarks bytea NOT NULL
);
CREATE TABLE model_jobs (
  id text PRIMARY KEY,
  gkey bigint NOT NULL REFERENCES groups(gkey) ON DELETE CASCADE,
  group_id text NOT NULL,
  from_version text NOT NULL,
  to_version text NOT NULL,
  status integer NOT NULL,
  progress real NOT NULL DEFAULT 0,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL DEFAULT 0,
  failure text NOT NULL DEFAULT ''
);
CREATE TABLE changes (
  seq bigserial PRIMARY KEY,
  kind text NOT NULL,
  gkey bigint NOT NULL DEFAULT 0,
  pkey bigint NOT NULL DEFAULT 0,
  fkey bigint NOT NULL DEFAULT 0,
  txn bigint NOT NULL,
  payload text NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT now()
);
)sql",
        false, nullptr},
    // 1 -> 2: the fixed shard count and each face's shard.
    {R"sql(
CREATE TABLE IF NOT EXISTS facekit_settings (
  name text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO facekit_settings(name, value) VALUES ('shards', '64') ON CONFLICT (name) DO NOTHING;
ALTER TABLE faces ADD COLUMN IF NOT EXISTS shard integer;
)sql",
     true,
     R"sql(
ALTER TABLE faces ALTER COLUMN shard SET NOT NULL;
CREATE INDEX IF NOT EXISTS faces_by_shard ON faces(shard);
)sql"},
    // 2 -> 3: the persons' fused features.
    {R"sql(
CREATE TABLE IF NOT EXISTS person_features (
  pkey bigint NOT NULL REFERENCES persons(pkey) ON DELETE CASCADE,
  version text NOT NULL,
  dim integer NOT NULL,
  fused bytea NOT NULL,
  PRIMARY KEY (pkey, version)
);
)sql",
     false, nullptr, true},
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kPostgresSchemaVersion);
static_assert(kDefaultFaceShards == 64, "migration 2 writes '64'");

}  // namespace

const PostgresMigration& PostgresMigrationFrom(int version) { return kMigrations[version]; }

}  // namespace facekit::store
