#include "store/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include "store/face_shard.h"
#include "store/fused_feature.h"
#include "store/mutation_codec.h"
#include "store/pg_util.h"
#include "store/postgres_faces.h"
#include "store/postgres_runs.h"
#include "store/postgres_schema.h"
#include "store/sqlite_schema.h"  // ParseJsonStringArray

namespace facekit::store {

namespace {

using pg::Bytes;
using pg::P;
using pg::Param;
using pg::PgResult;
using pg::Trimmed;

// Advisory lock keys ("FACEKIT" + purpose): migrations, and the writers'
// lock that makes change sequence order equal to commit order.
constexpr const char* kMigrateLock = "4600000000000001";
constexpr const char* kWriterLock = "4600000000000002";


class PgStore final : public PostgresStore {
 public:
  explicit PgStore(PGconn* conn) : conn_(conn) {}
  ~PgStore() override {
    PQfinish(conn_);
    if (listener_) PQfinish(listener_);
  }

  Status Init() {
    FACEKIT_RETURN_IF_ERROR(Command("SET synchronous_commit = on", {}, "configuring the session"));
    FACEKIT_RETURN_IF_ERROR(Command("SET client_min_messages = warning", {}, "configuring the session"));
    FACEKIT_RETURN_IF_ERROR(Command("BEGIN", {}, "migrating the schema"));
    Status s = Migrate();
    if (!s.ok()) {
      (void)Command("ROLLBACK", {}, "");
      return s;
    }
    return Command("COMMIT", {}, "migrating the schema");
  }

  int SchemaVersion() const override { return version_; }
  int face_shards() const override { return shards_; }

  Result<StoreContents> Load(bool with_embeddings) override {
    StoreContents all;
    FACEKIT_RETURN_IF_ERROR(LoadPages(with_embeddings, [&all](StoreContents& part) {
      if (part.log_seq != 0) all.log_seq = part.log_seq;
      const auto append = [](auto& to, auto& from) {
        to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
      };
      append(all.groups, part.groups);
      append(all.persons, part.persons);
      append(all.memberships, part.memberships);
      append(all.faces, part.faces);
      append(all.jobs, part.jobs);
      append(all.other_vectors, part.other_vectors);
      append(all.crop_keys, part.crop_keys);
      return Status::Ok();
    }));
    return all;
  }

  // One REPEATABLE READ transaction (the pages agree with each other and
  // with log_seq); persons, memberships and faces load_page_rows_ (100,000) rows a query
  // (keyset pages: a 10M-face result set would be held whole by libpq).
  Status LoadPages(bool with_embeddings, const PageFn& page) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    FACEKIT_RETURN_IF_ERROR(Command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}, "reading the gallery"));
    Status loaded = LoadPagesLocked(with_embeddings, page);
    (void)Command(loaded.ok() ? "COMMIT" : "ROLLBACK", {}, "reading the gallery");
    return loaded;
  }

  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadEmbeddings(
      const std::vector<std::int64_t>& face_keys) override {
    return LoadByKeys("SELECT fkey,dim,embedding FROM faces WHERE fkey=ANY($1::bigint[]) ORDER BY fkey", {}, face_keys,
                      "reading embeddings");
  }

  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadFaceVectors(
      const std::string& model_version, const std::vector<std::int64_t>& face_keys) override {
    return LoadByKeys(
        "SELECT fkey,dim,embedding FROM face_vectors WHERE fkey=ANY($1::bigint[]) AND model_version=$2 ORDER BY fkey",
        {P(model_version)}, face_keys, "reading face vectors");
  }

  // One query per group: faces of the group's persons in the given shards
  // (faces_by_shard), their own vectors or face_vectors of a version.
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadShardVectors(
      const ShardVectorQuery& query) override {
    std::string shards = "{";
    for (std::size_t i = 0; i < query.shards.size(); ++i) shards += (i ? "," : "") + std::to_string(query.shards[i]);
    shards += "}";
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    const std::string what = "reading the face vectors of shards";
    auto r = query.model_version.empty()
                 ? Query("SELECT f.fkey,f.dim,f.embedding FROM faces f JOIN memberships m ON m.pkey=f.pkey "
                         "WHERE m.gkey=$1 AND f.shard=ANY($2::integer[]) ORDER BY f.fkey",
                         {P(query.group_key), P(shards)}, what)
                 : Query("SELECT v.fkey,v.dim,v.embedding FROM face_vectors v JOIN faces f ON f.fkey=v.fkey "
                         "JOIN memberships m ON m.pkey=f.pkey WHERE m.gkey=$1 AND f.shard=ANY($2::integer[]) "
                         "AND v.model_version=$3 ORDER BY v.fkey",
                         {P(query.group_key), P(shards), P(query.model_version)}, what);
    if (!r.ok()) return r.status();
    std::vector<std::pair<std::int64_t, std::vector<float>>> out;
    FACEKIT_RETURN_IF_ERROR(DecodeVectors(*r, &out));
    return out;
  }

  Result<std::vector<FaceInfo>> LoadFaceInfos(const std::vector<std::int64_t>& face_keys) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    return pg::ReadFaceInfos(Querier(), face_keys);
  }
  Result<std::vector<FaceInfo>> FindFaceInfos(const std::vector<std::string>& face_ids) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    return pg::ReadFaceInfos(Querier(), face_ids);
  }

  std::int64_t vectors_read() const override { return vectors_read_.load(); }

  bool keeps_person_features() const override { return true; }
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadPersonFeatures(
      const std::string& version, const std::vector<std::int64_t>& person_keys) override {
    std::vector<std::pair<std::int64_t, std::vector<float>>> out;
    FACEKIT_ASSIGN_OR_RETURN(
        out, LoadByKeys("SELECT pkey,dim,fused FROM person_features WHERE pkey=ANY($1::bigint[]) AND version=$2 "
                        "ORDER BY pkey",
                        {P(version)}, person_keys, "reading the persons' features", /*count=*/false));
    features_read_ += static_cast<std::int64_t>(out.size());
    return out;
  }
  std::int64_t person_features_read() const override { return features_read_.load(); }

  Result<std::optional<FaceCrop>> LoadFaceCrop(std::int64_t face_key) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT image,landmarks FROM face_crops WHERE fkey=$1", {P(face_key)},
                                               "reading a face crop"));
    if (r.rows() == 0) return std::optional<FaceCrop>();
    std::string image, landmarks;
    if (!r.Hex(0, 0, &image) || !r.Hex(0, 1, &landmarks) || landmarks.size() != 10 * sizeof(float)) {
      return Corrupt("crop of a face");
    }
    FaceCrop crop;
    crop.image.assign(image.begin(), image.end());
    crop.landmarks.resize(10);
    std::memcpy(crop.landmarks.data(), landmarks.data(), landmarks.size());
    return std::optional<FaceCrop>(std::move(crop));
  }

  Result<std::vector<std::int64_t>> Apply(const Batch& batch) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    FACEKIT_RETURN_IF_ERROR(Command("BEGIN", {}, "starting a write"));
    std::vector<std::int64_t> keys(batch.size(), 0);
    Status s = Command("SELECT pg_advisory_xact_lock(" + std::string(kWriterLock) + ")", {}, "taking the writer lock");
    std::int64_t last_seq = 0;
    touched_persons_.clear();
    // Runs of inserts of one kind go in one statement each, and the change
    // log's rows in one at the end (src/store/postgres_runs.h).
    const pg::QueryFn query = Querier();
    std::vector<Change> changes;
    std::vector<std::string> payloads;
    changes.reserve(batch.size());
    payloads.reserve(batch.size());
    for (std::size_t i = 0; s.ok() && i < batch.size();) {
      const std::size_t end = pg::RunEnd(batch, i);
      if (pg::InRuns(batch[i])) {
        std::vector<std::int64_t> persons;
        s = pg::InsertRun(query, batch, i, end, shards_, keys, &changes, &persons);
        touched_persons_.insert(persons.begin(), persons.end());
        for (std::size_t f = i; s.ok() && f < end; ++f) {
          if (const auto* face = std::get_if<mutation::InsertFace>(&batch[f])) {
            for (const auto& [version, vector] : face->face.other_vectors) {
              if (s.ok()) s = PutVector(keys[f], version, vector);
            }
          }
        }
      } else {
        Change c;
        s = std::visit(
            [&](const auto& m) {
              if constexpr (pg::kInsertedInRuns<std::decay_t<decltype(m)>>) {
                return Status(StatusCode::kInternal, "an insert outside its run");
              } else {
                return ApplyOne(m, keys, &keys[i], &c);
              }
            },
            batch[i]);
        changes.push_back(c);
      }
      for (; s.ok() && i < end; ++i) {
        Result<std::string> payload = EncodeMutation(batch[i], keys, keys[i]);
        if (payload.ok()) {
          payloads.push_back(std::move(*payload));
        } else {
          s = payload.status();
        }
      }
    }
    if (s.ok()) {
      auto seq = pg::WriteChanges(query, changes, payloads);
      if (seq.ok()) {
        last_seq = *seq;
      } else {
        s = seq.status();
      }
    }
    if (s.ok() && !touched_persons_.empty()) {
      s = RefreshPersonFeatures({touched_persons_.begin(), touched_persons_.end()}, "updating the persons' features");
    }
    if (s.ok() && last_seq > 0) {
      s = Command("SELECT pg_notify('facekit_changes', $1)", {P(last_seq)}, "notifying followers");
    }
    if (s.ok()) s = Command("COMMIT", {}, "committing a write");
    if (!s.ok()) {
      (void)Command("ROLLBACK", {}, "");
      return s;
    }
    if (last_seq > 0) last_written_seq_.store(last_seq);
    return keys;
  }
  std::int64_t last_written_seq() const override { return last_written_seq_.load(); }

  Result<std::vector<Change>> ChangesSince(std::int64_t after, std::size_t limit) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    FACEKIT_ASSIGN_OR_RETURN(PgResult r,
                             Query("SELECT seq,kind,gkey,pkey,fkey FROM changes WHERE seq>$1 ORDER BY seq LIMIT $2",
                                   {P(after), P(static_cast<std::int64_t>(limit))}, "reading the change log"));
    std::vector<Change> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Int(i, 0), r.Text(i, 1), r.Int(i, 2), r.Int(i, 3), r.Int(i, 4)});
    }
    return out;
  }

  bool shared() const override { return true; }

  // Whole transactions: the inner query picks the transactions of the next
  // `max_batches` x 64 changes, the outer one returns all their rows.
  Result<std::vector<LoggedBatch>> ReadLog(std::int64_t after, std::size_t max_batches) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    FACEKIT_ASSIGN_OR_RETURN(
        PgResult r, Query("SELECT seq,txn,payload FROM changes WHERE seq>$1 AND txn IN (SELECT txn FROM changes WHERE "
                          "seq>$1 ORDER BY seq LIMIT $2) ORDER BY seq",
                          {P(after), P(static_cast<std::int64_t>(max_batches) * 64)}, "reading the change log"));
    std::vector<LoggedBatch> out;
    std::int64_t txn = -1;
    for (int i = 0; i < r.rows(); ++i) {
      if (r.Int(i, 1) != txn || out.empty()) {
        if (out.size() == max_batches) break;
        out.emplace_back();
        txn = r.Int(i, 1);
      }
      auto decoded = DecodeMutation(r.Text(i, 2));
      if (!decoded.ok()) {
        return Status(decoded.status().code(), decoded.status().message() + " (seq " + r.Text(i, 0) + ")");
      }
      out.back().batch.push_back(std::move(decoded->mutation));
      out.back().keys.push_back(decoded->key);
      out.back().last_seq = r.Int(i, 0);
    }
    return out;
  }

  // A second connection LISTENs on the channel; a notification or the
  // timeout ends the wait. Without that connection, the timeout alone.
  Status WaitForLog(std::int64_t after, int timeout_ms) override {
    std::lock_guard lock(listen_mu_);
    if (!listener_ || PQstatus(listener_) != CONNECTION_OK) {
      if (listener_) PQfinish(listener_);
      listener_ = PQconnectdb(conninfo_.c_str());
      PGresult* r = PQstatus(listener_) == CONNECTION_OK ? PQexec(listener_, "LISTEN facekit_changes") : nullptr;
      const bool listening = r && PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (!listening) {
        PQfinish(listener_);
        listener_ = nullptr;
        std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
        return Status::Ok();
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      PQconsumeInput(listener_);
      bool newer = false;
      while (PGnotify* n = PQnotifies(listener_)) {
        if (std::strtoll(n->extra, nullptr, 10) > after) newer = true;
        PQfreemem(n);
      }
      if (newer) return Status::Ok();
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      pollfd p{PQsocket(listener_), POLLIN, 0};
      if (p.fd < 0) break;
      ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(1, left)));
    }
    return Status::Ok();
  }

  void set_conninfo(std::string conninfo) { conninfo_ = std::move(conninfo); }

  Result<std::int64_t> LastChange() override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT COALESCE(MAX(seq),0) FROM changes", {}, "reading the change log"));
    return r.Int(0, 0);
  }

 private:
  // A connection lost (server restarted) is re-opened before the next
  // operation; the operation that saw the loss already failed (kIoError).
  Status Reconnect() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return ServerError("reconnecting to PostgreSQL");
    FACEKIT_RETURN_IF_ERROR(Command("SET synchronous_commit = on", {}, "configuring the session"));
    return Command("SET client_min_messages = warning", {}, "configuring the session");
  }

  Status ServerError(const std::string& what) const {
    const std::string message = Trimmed(PQerrorMessage(conn_));
    return Status(StatusCode::kIoError, what + ": postgresql: " + message);
  }

  // This connection's Query for the helpers of postgres_runs / postgres_faces (mu_ held).
  pg::QueryFn Querier() {
    return [this](const std::string& sql, const std::vector<Param>& params, const std::string& what) {
      return Query(sql, params, what);
    };
  }
  Result<PgResult> Query(const std::string& sql, const std::vector<Param>& params, const std::string& what) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    for (const Param& p : params) {
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
    PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                            lengths.data(), formats.data(), 0));
    return Check(std::move(r), what);
  }

  Result<PgResult> Check(PgResult r, const std::string& what) {
    const PGresult* raw = r.get();
    const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
    const std::string message = Trimmed(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_));
    if (state && std::strcmp(state, "23505") == 0) return Status(StatusCode::kAlreadyExists, what + ": " + message);
    if (state && std::strcmp(state, "23503") == 0) {
      return Status(StatusCode::kNotFound, what + ": refers to a record that does not exist (" + message + ")");
    }
    return Status(StatusCode::kIoError, what + ": postgresql: " + message);
  }

  // Several statements, no parameters (the simple query protocol).
  Status Script(const std::string& sql, const std::string& what) {
    auto r = Check(PgResult(PQexec(conn_, sql.c_str())), what);
    return r.ok() ? Status::Ok() : r.status();
  }

  Status Command(const std::string& sql, const std::vector<Param>& params, const std::string& what) {
    auto r = Query(sql, params, what);
    return r.ok() ? Status::Ok() : r.status();
  }

  static Status Corrupt(const std::string& what) {
    return Status(StatusCode::kDataCorrupt, "gallery database: bad " + what);
  }

  Status Migrate() {
    FACEKIT_RETURN_IF_ERROR(
        Command("SELECT pg_advisory_xact_lock(" + std::string(kMigrateLock) + ")", {}, "locking the schema"));
    FACEKIT_RETURN_IF_ERROR(Command("CREATE TABLE IF NOT EXISTS facekit_schema (version integer NOT NULL)", {},
                                    "creating the schema table"));
    FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT version FROM facekit_schema", {}, "reading the schema version"));
    int version = 0;
    if (r.rows() == 0) {
      FACEKIT_RETURN_IF_ERROR(Command("INSERT INTO facekit_schema(version) VALUES(0)", {}, "starting the schema"));
    } else if (r.rows() == 1) {
      version = static_cast<int>(r.Int(0, 0));
    } else {
      return Corrupt("schema table (" + std::to_string(r.rows()) + " rows)");
    }
    const int target = kPostgresSchemaVersion;
    if (version > target) {
      return Status(StatusCode::kFailedPrecondition, "the gallery database has schema version " +
                                                         std::to_string(version) + ", newer than this build's " +
                                                         std::to_string(target) + "; use a newer facekit");
    }
    for (; version < target; ++version) {
      const std::string what = "migrating to version " + std::to_string(version + 1);
      const PostgresMigration& m = PostgresMigrationFrom(version);
      FACEKIT_RETURN_IF_ERROR(Script(m.sql, what));
      if (m.backfill_face_shards) FACEKIT_RETURN_IF_ERROR(BackfillFaceShards(what));
      if (m.after_sql) FACEKIT_RETURN_IF_ERROR(Script(m.after_sql, what));
      if (m.backfill_person_features) FACEKIT_RETURN_IF_ERROR(BackfillPersonFeatures(what));
      FACEKIT_RETURN_IF_ERROR(
          Command("UPDATE facekit_schema SET version=$1", {P(version + 1)}, "recording the schema version"));
    }
    version_ = version;
    FACEKIT_ASSIGN_OR_RETURN(PgResult shards,
                             Query("SELECT value FROM facekit_settings WHERE name='shards'", {}, "reading the settings"));
    const long long s = shards.rows() == 1 ? std::strtoll(shards.Text(0, 0).c_str(), nullptr, 10) : 0;
    if (s < 1 || s > kMaxFaceShards) return Corrupt("shard count in facekit_settings");
    shards_ = static_cast<int>(s);
    return Status::Ok();
  }

  // faces.shard = ShardOfFace(id, S) for every row still without one, in
  // batches (ids read, shards computed here, one UPDATE per batch).
  Status BackfillFaceShards(const std::string& what) {
    FACEKIT_ASSIGN_OR_RETURN(PgResult setting,
                             Query("SELECT value FROM facekit_settings WHERE name='shards'", {}, what));
    const long long shards = setting.rows() == 1 ? std::strtoll(setting.Text(0, 0).c_str(), nullptr, 10) : 0;
    if (shards < 1 || shards > kMaxFaceShards) return Corrupt("shard count in facekit_settings");
    while (true) {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT fkey,id FROM faces WHERE shard IS NULL ORDER BY fkey LIMIT $1",
                                                 {P(kShardBackfillBatch)}, what));
      if (r.rows() == 0) return Status::Ok();
      std::string keys = "{", values = "{";
      for (int i = 0; i < r.rows(); ++i) {
        keys += (i ? "," : "") + r.Text(i, 0);
        values += (i ? "," : "") + std::to_string(ShardOfFace(r.Text(i, 1), static_cast<int>(shards)));
      }
      keys += "}";
      values += "}";
      FACEKIT_RETURN_IF_ERROR(Command("UPDATE faces AS f SET shard=v.s FROM unnest($1::bigint[],$2::integer[]) AS "
                                      "v(k,s) WHERE f.fkey=v.k",
                                      {P(keys), P(values)}, what));
    }
  }

  // person_features of every person, in batches of persons.
  Status BackfillPersonFeatures(const std::string& what) {
    std::int64_t after = 0;
    while (true) {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT pkey FROM persons WHERE pkey>$1 ORDER BY pkey LIMIT $2",
                                                 {P(after), P(kShardBackfillBatch)}, what));
      if (r.rows() == 0) return Status::Ok();
      std::vector<std::int64_t> keys;
      for (int i = 0; i < r.rows(); ++i) keys.push_back(r.Int(i, 0));
      after = keys.back();
      FACEKIT_RETURN_IF_ERROR(RefreshPersonFeatures(keys, what));
    }
  }

  // Rewrites the persons' rows of person_features from their faces: the
  // faces' own vectors (version "") and each face_vectors version, in
  // face-key order.
  Status RefreshPersonFeatures(const std::vector<std::int64_t>& person_keys, const std::string& what) {
    if (person_keys.empty()) return Status::Ok();
    std::string list = "{";
    for (std::size_t i = 0; i < person_keys.size(); ++i) list += (i ? "," : "") + std::to_string(person_keys[i]);
    list += "}";
    FACEKIT_RETURN_IF_ERROR(Command("DELETE FROM person_features WHERE pkey=ANY($1::bigint[])", {P(list)}, what));
    // (pkey, version) -> vectors in face-key order.
    std::map<std::pair<std::int64_t, std::string>, std::vector<std::vector<float>>> by_person;
    FACEKIT_ASSIGN_OR_RETURN(
        PgResult own, Query("SELECT pkey,fkey,dim,embedding FROM faces WHERE pkey=ANY($1::bigint[]) ORDER BY pkey,fkey",
                            {P(list)}, what));
    for (int i = 0; i < own.rows(); ++i) {
      std::vector<float> v;
      FACEKIT_RETURN_IF_ERROR(ReadEmbedding(own, i, 3, own.Int(i, 2), "key " + own.Text(i, 1), &v));
      by_person[{own.Int(i, 0), ""}].push_back(std::move(v));
    }
    FACEKIT_ASSIGN_OR_RETURN(
        PgResult other, Query("SELECT f.pkey,v.fkey,v.model_version,v.dim,v.embedding FROM face_vectors v JOIN faces f "
                              "ON f.fkey=v.fkey WHERE f.pkey=ANY($1::bigint[]) ORDER BY f.pkey,v.fkey",
                              {P(list)}, what));
    for (int i = 0; i < other.rows(); ++i) {
      std::vector<float> v;
      FACEKIT_RETURN_IF_ERROR(ReadEmbedding(other, i, 4, other.Int(i, 3), "key " + other.Text(i, 1), &v));
      by_person[{other.Int(i, 0), other.Text(i, 2)}].push_back(std::move(v));
    }
    std::vector<pg::FusedRow> rows;
    rows.reserve(by_person.size());
    for (const auto& [key, vectors] : by_person) rows.push_back({key.first, key.second, NormalisedMean(vectors)});
    return pg::InsertFused([this](const std::string& sql, const std::vector<Param>& params,
                                  const std::string& w) { return Query(sql, params, w); },
                           rows, what);
  }

  void SetLoadPageRows(int rows) override {
    std::lock_guard lock(mu_);
    load_page_rows_ = std::max(rows, 1);
  }

  Status LoadPagesLocked(bool with_embeddings, const PageFn& page) {
    StoreContents c;
    {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT COALESCE(MAX(seq),0) FROM changes", {}, "reading the change log"));
      c.log_seq = r.Int(0, 0);
    }
    {
      // The planner's row estimates (for reserving only).
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT relname, GREATEST(reltuples, 0)::bigint FROM pg_class WHERE "
                                                 "relname IN ('persons','faces') AND relkind = 'r'",
                                                 {}, "reading the table sizes"));
      for (int i = 0; i < r.rows(); ++i) {
        (r.Text(i, 0) == "persons" ? c.persons_expected : c.faces_expected) = static_cast<std::size_t>(r.Int(i, 1));
      }
    }
    {
      FACEKIT_ASSIGN_OR_RETURN(
          PgResult r,
          Query("SELECT gkey,id,name,tag,ex_descriptions,face_model_version,created_ms FROM groups ORDER BY gkey", {},
                "reading groups"));
      for (int i = 0; i < r.rows(); ++i) {
        GroupRecord g;
        g.key = r.Int(i, 0);
        g.id = r.Text(i, 1);
        g.name = r.Text(i, 2);
        g.tag = r.Text(i, 3);
        if (!ParseJsonStringArray(r.Text(i, 4), &g.ex_descriptions)) return Corrupt("group " + g.id + " custom fields");
        g.face_model_version = r.Text(i, 5);
        g.created_ms = r.Int(i, 6);
        c.groups.push_back(std::move(g));
      }
    }
    FACEKIT_RETURN_IF_ERROR(page(c));
    // Keyset pages: each query starts after the last row of the one before.
    for (std::int64_t after = std::numeric_limits<std::int64_t>::min();;) {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT pkey,id,name,gender,created_ms FROM persons WHERE pkey > $1 "
                                                 "ORDER BY pkey LIMIT $2",
                                                 {P(after), P(load_page_rows_)}, "reading persons"));
      if (r.rows() == 0) break;
      StoreContents part;
      part.persons.reserve(static_cast<std::size_t>(r.rows()));
      for (int i = 0; i < r.rows(); ++i) {
        part.persons.push_back({r.Int(i, 0), r.Text(i, 1), r.Text(i, 2), static_cast<int>(r.Int(i, 3)), r.Int(i, 4)});
      }
      after = part.persons.back().key;
      FACEKIT_RETURN_IF_ERROR(page(part));
      if (r.rows() < load_page_rows_) break;
    }
    for (std::int64_t after_group = std::numeric_limits<std::int64_t>::min(), after_person = 0;;) {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r,
                               Query("SELECT gkey,pkey,ex_descriptions,added_ms FROM memberships WHERE "
                                     "(gkey,pkey) > ($1,$2) ORDER BY gkey,pkey LIMIT $3",
                                     {P(after_group), P(after_person), P(load_page_rows_)}, "reading memberships"));
      if (r.rows() == 0) break;
      StoreContents part;
      part.memberships.reserve(static_cast<std::size_t>(r.rows()));
      for (int i = 0; i < r.rows(); ++i) {
        MembershipRecord m;
        m.group_key = r.Int(i, 0);
        m.person_key = r.Int(i, 1);
        if (!JsonToPairs(r.Text(i, 2), &m.ex_descriptions)) return Corrupt("membership custom fields");
        m.added_ms = r.Int(i, 3);
        part.memberships.push_back(std::move(m));
      }
      after_group = part.memberships.back().group_key;
      after_person = part.memberships.back().person_key;
      FACEKIT_RETURN_IF_ERROR(page(part));
      if (r.rows() < load_page_rows_) break;
    }
    const std::string columns =
        std::string("SELECT fkey,id,pkey,model_version,dim,rect_x,rect_y,rect_w,rect_h,quality,source,created_ms") +
        (with_embeddings ? ",embedding" : "") + " FROM faces WHERE fkey > $1 ORDER BY fkey LIMIT $2";
    for (std::int64_t after = std::numeric_limits<std::int64_t>::min();;) {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query(columns, {P(after), P(load_page_rows_)}, "reading faces"));
      if (r.rows() == 0) break;
      StoreContents part;
      part.faces.reserve(static_cast<std::size_t>(r.rows()));
      for (int i = 0; i < r.rows(); ++i) {
        FaceRecord f;
        f.key = r.Int(i, 0);
        f.id = r.Text(i, 1);
        f.person_key = r.Int(i, 2);
        f.model_version = r.Text(i, 3);
        const std::int64_t dim = r.Int(i, 4);
        f.rect = {static_cast<int>(r.Int(i, 5)), static_cast<int>(r.Int(i, 6)), static_cast<int>(r.Int(i, 7)),
                  static_cast<int>(r.Int(i, 8))};
        f.quality = static_cast<float>(r.Double(i, 9));
        f.source = r.Text(i, 10);
        f.created_ms = r.Int(i, 11);
        if (with_embeddings) {
          FACEKIT_RETURN_IF_ERROR(ReadEmbedding(r, i, 12, dim, f.id, &f.embedding));
          ++vectors_read_;
        }
        part.faces.push_back(std::move(f));
      }
      after = part.faces.back().key;
      FACEKIT_RETURN_IF_ERROR(page(part));
      if (r.rows() < load_page_rows_) break;
    }
    StoreContents rest;
    {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT fkey,model_version FROM face_vectors ORDER BY fkey,model_version",
                                                 {}, "reading face vectors"));
      for (int i = 0; i < r.rows(); ++i) rest.other_vectors.emplace_back(r.Int(i, 0), r.Text(i, 1));
    }
    {
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query("SELECT fkey FROM face_crops ORDER BY fkey", {}, "reading face crops"));
      for (int i = 0; i < r.rows(); ++i) rest.crop_keys.push_back(r.Int(i, 0));
    }
    {
      FACEKIT_ASSIGN_OR_RETURN(
          PgResult r, Query("SELECT id,gkey,group_id,from_version,to_version,status,progress,start_ms,end_ms,failure "
                            "FROM model_jobs ORDER BY start_ms,id",
                            {}, "reading model jobs"));
      for (int i = 0; i < r.rows(); ++i) {
        ModelJobRecord j;
        j.id = r.Text(i, 0);
        j.group_key = r.Int(i, 1);
        j.group_id = r.Text(i, 2);
        j.from_version = r.Text(i, 3);
        j.to_version = r.Text(i, 4);
        j.status = static_cast<int>(r.Int(i, 5));
        j.progress = static_cast<float>(r.Double(i, 6));
        j.start_ms = r.Int(i, 7);
        j.end_ms = r.Int(i, 8);
        j.failure = r.Text(i, 9);
        rest.jobs.push_back(std::move(j));
      }
    }
    return page(rest);
  }

  // Rows (fkey, dim, embedding) appended to `out`.
  Status DecodeVectors(const PgResult& r, std::vector<std::pair<std::int64_t, std::vector<float>>>* out,
                       bool count = true) {
    out->reserve(out->size() + static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
      std::vector<float> e;
      FACEKIT_RETURN_IF_ERROR(ReadEmbedding(r, i, 2, r.Int(i, 1), "key " + r.Text(i, 0), &e));
      out->emplace_back(r.Int(i, 0), std::move(e));
    }
    if (count) vectors_read_ += r.rows();
    return Status::Ok();
  }

  // `sql` takes the keys as $1 (a bigint[]) and `params` after it; the keys
  // are sent in chunks.
  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadByKeys(const std::string& sql,
                                                                               const std::vector<Param>& params,
                                                                               const std::vector<std::int64_t>& keys,
                                                                               const std::string& what,
                                                                               bool count = true) {
    constexpr std::size_t kChunk = 1000;
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Reconnect());
    std::vector<std::pair<std::int64_t, std::vector<float>>> out;
    for (std::size_t at = 0; at < keys.size(); at += kChunk) {
      std::string list = "{";
      for (std::size_t i = at; i < std::min(keys.size(), at + kChunk); ++i) {
        list += (i > at ? "," : "") + std::to_string(keys[i]);
      }
      list += "}";
      std::vector<Param> all{P(list)};
      all.insert(all.end(), params.begin(), params.end());
      FACEKIT_ASSIGN_OR_RETURN(PgResult r, Query(sql, all, what));
      FACEKIT_RETURN_IF_ERROR(DecodeVectors(r, &out, count));
    }
    return out;
  }

  static Status ReadEmbedding(const PgResult& r, int row, int col, std::int64_t dim, const std::string& face_id,
                              std::vector<float>* out) {
    std::string bytes;
    if (!r.Hex(row, col, &bytes) || dim <= 0 || dim > 4096 ||
        bytes.size() != static_cast<std::size_t>(dim) * sizeof(float)) {
      return Corrupt("embedding of face " + face_id);
    }
    out->resize(static_cast<std::size_t>(dim));
    std::memcpy(out->data(), bytes.data(), bytes.size());
    return Status::Ok();
  }

  Status ExpectChange(const Result<PgResult>& r, const std::string& what) {
    if (!r.ok()) return r.status();
    if (r->Affected() == 0) return Status(StatusCode::kNotFound, what + ": no such record");
    return Status::Ok();
  }

  Status Inserted(Result<PgResult> r, std::int64_t* key) {
    if (!r.ok()) return r.status();
    *key = r->Int(0, 0);
    return Status::Ok();
  }

  Status ApplyOne(const mutation::InsertGroup& m, const std::vector<std::int64_t>&, std::int64_t* key, Change* c) {
    const GroupRecord& g = m.group;
    FACEKIT_RETURN_IF_ERROR(Inserted(Query("INSERT INTO groups(id,name,tag,ex_descriptions,face_model_version,created_ms) "
                                           "VALUES($1,$2,$3,$4,$5,$6) RETURNING gkey",
                                           {P(g.id), P(g.name), P(g.tag), P(ExToJson(g.ex_descriptions)),
                                            P(g.face_model_version), P(g.created_ms)},
                                           "creating group " + g.id),
                                     key));
    *c = {0, "InsertGroup", *key, 0, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::UpdateGroup& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    const GroupRecord& g = m.group;
    FACEKIT_RETURN_IF_ERROR(ExpectChange(Query("UPDATE groups SET name=$1,tag=$2,ex_descriptions=$3 WHERE gkey=$4",
                                               {P(g.name), P(g.tag), P(ExToJson(g.ex_descriptions)), P(g.key)},
                                               "modifying group " + g.id),
                                         "modifying group " + g.id));
    *c = {0, "UpdateGroup", g.key, 0, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::DeleteGroup& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    FACEKIT_RETURN_IF_ERROR(
        ExpectChange(Query("DELETE FROM groups WHERE gkey=$1", {P(m.key)}, "deleting a group"), "deleting a group"));
    *c = {0, "DeleteGroup", m.key, 0, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::UpdatePerson& m, const std::vector<std::int64_t>& keys, std::int64_t*, Change* c) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t pkey, ResolvePlaceholder(m.person.key, keys));
    const std::string what = "modifying person " + m.person.id;
    FACEKIT_RETURN_IF_ERROR(ExpectChange(
        Query("UPDATE persons SET name=$1,gender=$2 WHERE pkey=$3", {P(m.person.name), P(m.person.gender), P(pkey)}, what),
        what));
    *c = {0, "UpdatePerson", 0, pkey, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::DeletePerson& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    FACEKIT_RETURN_IF_ERROR(
        ExpectChange(Query("DELETE FROM persons WHERE pkey=$1", {P(m.key)}, "deleting a person"), "deleting a person"));
    *c = {0, "DeletePerson", 0, m.key, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::UpdateMembership& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    const std::string what = "modifying a person's group fields";
    FACEKIT_RETURN_IF_ERROR(ExpectChange(Query("UPDATE memberships SET ex_descriptions=$1 WHERE gkey=$2 AND pkey=$3",
                                               {P(PairsToJson(m.membership.ex_descriptions)),
                                                P(m.membership.group_key), P(m.membership.person_key)},
                                               what),
                                         what));
    *c = {0, "UpdateMembership", m.membership.group_key, m.membership.person_key, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::DeleteMembership& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    const std::string what = "removing a person from a group";
    FACEKIT_RETURN_IF_ERROR(ExpectChange(
        Query("DELETE FROM memberships WHERE gkey=$1 AND pkey=$2", {P(m.group_key), P(m.person_key)}, what), what));
    *c = {0, "DeleteMembership", m.group_key, m.person_key, 0};
    return Status::Ok();
  }
  Status PutVector(std::int64_t face_key, const std::string& version, const std::vector<float>& vector) {
    if (vector.empty()) return Status(StatusCode::kInvalidArgument, "empty face vector");
    auto r = Query(
        "INSERT INTO face_vectors(fkey,model_version,dim,embedding) VALUES($1,$2,$3,$4) "
        "ON CONFLICT (fkey,model_version) DO UPDATE SET dim=EXCLUDED.dim, embedding=EXCLUDED.embedding",
        {P(face_key), P(version), P(static_cast<std::int64_t>(vector.size())),
         Bytes(vector.data(), vector.size() * sizeof(float))},
        "storing a face vector of model " + version);
    return r.ok() ? Status::Ok() : r.status();
  }
  Status ApplyOne(const mutation::PutFaceVector& m, const std::vector<std::int64_t>& keys, std::int64_t*, Change* c) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t fkey, ResolvePlaceholder(m.face_key, keys));
    FACEKIT_RETURN_IF_ERROR(PutVector(fkey, m.model_version, m.vector));
    FACEKIT_ASSIGN_OR_RETURN(PgResult owner, Query("SELECT pkey FROM faces WHERE fkey=$1", {P(fkey)}, "finding a face"));
    if (owner.rows() == 1) touched_persons_.insert(owner.Int(0, 0));
    *c = {0, "PutFaceVector", 0, 0, fkey};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::SetGroupModelVersion& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    const std::string what = "switching a group's face model version";
    FACEKIT_RETURN_IF_ERROR(ExpectChange(Query("UPDATE groups SET face_model_version=$1 WHERE gkey=$2",
                                               {P(m.model_version), P(m.group_key)}, what),
                                         what));
    *c = {0, "SetGroupModelVersion", m.group_key, 0, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::PutModelJob& m, const std::vector<std::int64_t>& keys, std::int64_t*, Change* c) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t gkey, ResolvePlaceholder(m.job.group_key, keys));
    const ModelJobRecord& j = m.job;
    auto r = Query(
        "INSERT INTO model_jobs(id,gkey,group_id,from_version,to_version,status,progress,start_ms,end_ms,failure) "
        "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (id) DO UPDATE SET gkey=EXCLUDED.gkey, "
        "group_id=EXCLUDED.group_id, from_version=EXCLUDED.from_version, to_version=EXCLUDED.to_version, "
        "status=EXCLUDED.status, progress=EXCLUDED.progress, start_ms=EXCLUDED.start_ms, end_ms=EXCLUDED.end_ms, "
        "failure=EXCLUDED.failure",
        {P(j.id), P(gkey), P(j.group_id), P(j.from_version), P(j.to_version), P(j.status), P(j.progress),
         P(j.start_ms), P(j.end_ms), P(j.failure)},
        "storing model job " + j.id);
    if (!r.ok()) return r.status();
    *c = {0, "PutModelJob", gkey, 0, 0};
    return Status::Ok();
  }
  Status ApplyOne(const mutation::DeleteFace& m, const std::vector<std::int64_t>&, std::int64_t*, Change* c) {
    auto r = Query("DELETE FROM faces WHERE fkey=$1 RETURNING pkey", {P(m.key)}, "deleting a face");
    FACEKIT_RETURN_IF_ERROR(ExpectChange(r, "deleting a face"));
    touched_persons_.insert(r->Int(0, 0));
    *c = {0, "DeleteFace", 0, 0, m.key};
    return Status::Ok();
  }

  PGconn* conn_;
  std::mutex mu_;
  int version_ = 0;
  int shards_ = 0;  // facekit_settings 'shards', read at open (fixed)
  int load_page_rows_ = 100000;  // SetLoadPageRows
  std::atomic<std::int64_t> vectors_read_{0};
  std::atomic<std::int64_t> features_read_{0};
  std::set<std::int64_t> touched_persons_;  // by the batch Apply is writing (under mu_)
  std::atomic<std::int64_t> last_written_seq_{0};
  std::string conninfo_;
  std::mutex listen_mu_;
  PGconn* listener_ = nullptr;
};

}  // namespace

bool IsPostgresUri(const std::string& text) {
  return text.rfind("postgres://", 0) == 0 || text.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<PostgresStore>> OpenPostgresStore(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (!conn) return Status(StatusCode::kIoError, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return Status(StatusCode::kIoError, "cannot connect to PostgreSQL: " + message);
  }
  auto store = std::make_unique<PgStore>(conn);
  store->set_conninfo(conninfo);
  FACEKIT_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<PostgresStore>(std::move(store));
}

}  // namespace facekit::store
