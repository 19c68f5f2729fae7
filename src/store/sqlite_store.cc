#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "store/sqlite_schema.h"
#include "store/sqlite_stmt.h"

namespace facekit::store {

namespace {

// The schema, one entry per version: entry i migrates version i to i + 1.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE groups (
  gkey INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  tag TEXT NOT NULL DEFAULT '',
  ex_descriptions TEXT NOT NULL DEFAULT '[]',
  face_model_version TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE persons (
  pkey INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  gender INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL
);
CREATE TABLE memberships (
  gkey INTEGER NOT NULL REFERENCES groups(gkey) ON DELETE CASCADE,
  pkey INTEGER NOT NULL REFERENCES persons(pkey) ON DELETE CASCADE,
  ex_descriptions TEXT NOT NULL DEFAULT '[]',
  added_ms INTEGER NOT NULL,
  PRIMARY KEY (gkey, pkey)
) WITHOUT ROWID;
CREATE INDEX memberships_by_person ON memberships(pkey);
CREATE TABLE faces (
  fkey INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  pkey INTEGER NOT NULL REFERENCES persons(pkey) ON DELETE CASCADE,
  model_version TEXT NOT NULL,
  dim INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  rect_x INTEGER NOT NULL, rect_y INTEGER NOT NULL, rect_w INTEGER NOT NULL, rect_h INTEGER NOT NULL,
  quality REAL NOT NULL DEFAULT 0,
  source TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL
);
CREATE INDEX faces_by_person ON faces(pkey);
)sql",
    // 2: face model versions (docs/gallery.md#face-model-versions).
    R"sql(
CREATE TABLE face_vectors (
  fkey INTEGER NOT NULL REFERENCES faces(fkey) ON DELETE CASCADE,
  model_version TEXT NOT NULL,
  dim INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  PRIMARY KEY (fkey, model_version)
) WITHOUT ROWID;
CREATE TABLE face_crops (
  fkey INTEGER PRIMARY KEY REFERENCES faces(fkey) ON DELETE CASCADE,
  image BLOB NOT NULL,
  landmarks BLOB NOT NULL
);
CREATE TABLE model_jobs (
  id TEXT PRIMARY KEY,
  gkey INTEGER NOT NULL REFERENCES groups(gkey) ON DELETE CASCADE,
  group_id TEXT NOT NULL,
  from_version TEXT NOT NULL,
  to_version TEXT NOT NULL,
  status INTEGER NOT NULL,
  progress REAL NOT NULL DEFAULT 0,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL DEFAULT 0,
  failure TEXT NOT NULL DEFAULT ''
);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSqliteSchemaVersion);

class SqliteStore final : public GalleryStore {
 public:
  SqliteStore(sqlite3* db, bool read_only) : db_(db), read_only_(read_only) {}
  ~SqliteStore() override { sqlite3_close(db_); }

  Status Init() {
    static constexpr const char* kForeignKeys[] = {"PRAGMA foreign_keys=ON"};
    auto version = OpenSchema(db_, kMigrations, "the gallery database", kForeignKeys, read_only_);
    if (!version.ok()) return version.status();
    version_ = *version;
    return Status::Ok();
  }

  int SchemaVersion() const override { return version_; }

  // One read transaction: a consistent snapshot even while another process
  // (the folder's owner, beside a read-only reader) commits.
  Result<StoreContents> Load(bool with_embeddings) override {
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Exec("BEGIN"));
    auto contents = LoadLocked(with_embeddings);
    (void)Exec(contents.ok() ? "COMMIT" : "ROLLBACK");
    return contents;
  }

  Result<StoreContents> LoadLocked(bool with_embeddings) {
    StoreContents c;
    {
      Stmt s(db_, "SELECT gkey,id,name,tag,ex_descriptions,face_model_version,created_ms FROM groups ORDER BY gkey");
      if (!s.ok()) return Error("reading groups");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) {
        GroupRecord g;
        g.key = s.Int(0);
        g.id = s.Text(1);
        g.name = s.Text(2);
        g.tag = s.Text(3);
        if (!ParseJsonStringArray(s.Text(4), &g.ex_descriptions)) return Corrupt("group " + g.id + " custom fields");
        g.face_model_version = s.Text(5);
        g.created_ms = s.Int(6);
        c.groups.push_back(std::move(g));
      }
      if (rc != SQLITE_DONE) return Error("reading groups");
    }
    {
      Stmt s(db_, "SELECT pkey,id,name,gender,created_ms FROM persons ORDER BY pkey");
      if (!s.ok()) return Error("reading persons");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) {
        PersonRecord p;
        p.key = s.Int(0);
        p.id = s.Text(1);
        p.name = s.Text(2);
        p.gender = static_cast<int>(s.Int(3));
        p.created_ms = s.Int(4);
        c.persons.push_back(std::move(p));
      }
      if (rc != SQLITE_DONE) return Error("reading persons");
    }
    {
      Stmt s(db_, "SELECT gkey,pkey,ex_descriptions,added_ms FROM memberships ORDER BY gkey,pkey");
      if (!s.ok()) return Error("reading memberships");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) {
        MembershipRecord m;
        m.group_key = s.Int(0);
        m.person_key = s.Int(1);
        if (!JsonToPairs(s.Text(2), &m.ex_descriptions)) return Corrupt("membership custom fields");
        m.added_ms = s.Int(3);
        c.memberships.push_back(std::move(m));
      }
      if (rc != SQLITE_DONE) return Error("reading memberships");
    }
    {
      Stmt s(db_, with_embeddings ? "SELECT fkey,id,pkey,model_version,dim,rect_x,rect_y,rect_w,rect_h,quality,source,"
                                    "created_ms,embedding FROM faces ORDER BY fkey"
                                  : "SELECT fkey,id,pkey,model_version,dim,rect_x,rect_y,rect_w,rect_h,quality,source,"
                                    "created_ms FROM faces ORDER BY fkey");
      if (!s.ok()) return Error("reading faces");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) {
        FaceRecord f;
        f.key = s.Int(0);
        f.id = s.Text(1);
        f.person_key = s.Int(2);
        f.model_version = s.Text(3);
        const std::int64_t dim = s.Int(4);
        f.rect = {static_cast<int>(s.Int(5)), static_cast<int>(s.Int(6)), static_cast<int>(s.Int(7)),
                  static_cast<int>(s.Int(8))};
        f.quality = static_cast<float>(s.Double(9));
        f.source = s.Text(10);
        f.created_ms = s.Int(11);
        if (with_embeddings) {
          FACEKIT_RETURN_IF_ERROR(ReadEmbedding(s, 12, dim, f.id, &f.embedding));
        }
        c.faces.push_back(std::move(f));
      }
      if (rc != SQLITE_DONE) return Error("reading faces");
    }
    {
      Stmt s(db_, "SELECT fkey,model_version FROM face_vectors ORDER BY fkey,model_version");
      if (!s.ok()) return Error("reading face vectors");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) c.other_vectors.emplace_back(s.Int(0), s.Text(1));
      if (rc != SQLITE_DONE) return Error("reading face vectors");
    }
    {
      Stmt s(db_, "SELECT fkey FROM face_crops ORDER BY fkey");
      if (!s.ok()) return Error("reading face crops");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) c.crop_keys.push_back(s.Int(0));
      if (rc != SQLITE_DONE) return Error("reading face crops");
    }
    {
      Stmt s(db_,
             "SELECT id,gkey,group_id,from_version,to_version,status,progress,start_ms,end_ms,failure FROM model_jobs "
             "ORDER BY start_ms,id");
      if (!s.ok()) return Error("reading model jobs");
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) {
        ModelJobRecord j;
        j.id = s.Text(0);
        j.group_key = s.Int(1);
        j.group_id = s.Text(2);
        j.from_version = s.Text(3);
        j.to_version = s.Text(4);
        j.status = static_cast<int>(s.Int(5));
        j.progress = static_cast<float>(s.Double(6));
        j.start_ms = s.Int(7);
        j.end_ms = s.Int(8);
        j.failure = s.Text(9);
        c.jobs.push_back(std::move(j));
      }
      if (rc != SQLITE_DONE) return Error("reading model jobs");
    }
    return c;
  }

  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadFaceVectors(
      const std::string& model_version, const std::vector<std::int64_t>& face_keys) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::int64_t, std::vector<float>>> out;
    Stmt s(db_, "SELECT dim,embedding FROM face_vectors WHERE fkey=? AND model_version=?");
    if (!s.ok()) return Error("reading face vectors");
    for (std::int64_t key : face_keys) {
      sqlite3_reset(s.get());
      s.Bind(1, key);
      s.Bind(2, model_version);
      const int rc = s.Step();
      if (rc == SQLITE_DONE) continue;
      if (rc != SQLITE_ROW) return Error("reading face vectors");
      std::vector<float> e;
      FACEKIT_RETURN_IF_ERROR(ReadEmbedding(s, 1, s.Int(0), "key " + std::to_string(key), &e));
      out.emplace_back(key, std::move(e));
    }
    return out;
  }

  Result<std::optional<FaceCrop>> LoadFaceCrop(std::int64_t face_key) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT image,landmarks FROM face_crops WHERE fkey=?");
    if (!s.ok()) return Error("reading a face crop");
    s.Bind(1, face_key);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<FaceCrop>();
    if (rc != SQLITE_ROW) return Error("reading a face crop");
    FaceCrop crop;
    const auto* image = static_cast<const std::uint8_t*>(sqlite3_column_blob(s.get(), 0));
    crop.image.assign(image, image + sqlite3_column_bytes(s.get(), 0));
    const int bytes = sqlite3_column_bytes(s.get(), 1);
    if (bytes != 10 * static_cast<int>(sizeof(float))) return Corrupt("landmarks of a face crop");
    crop.landmarks.resize(10);
    std::memcpy(crop.landmarks.data(), sqlite3_column_blob(s.get(), 1), static_cast<std::size_t>(bytes));
    return std::optional<FaceCrop>(std::move(crop));
  }

  Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> LoadEmbeddings(
      const std::vector<std::int64_t>& face_keys) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::int64_t, std::vector<float>>> out;
    Stmt s(db_, "SELECT id,dim,embedding FROM faces WHERE fkey=?");
    if (!s.ok()) return Error("reading embeddings");
    for (std::int64_t key : face_keys) {
      sqlite3_reset(s.get());
      s.Bind(1, key);
      const int rc = s.Step();
      if (rc == SQLITE_DONE) continue;
      if (rc != SQLITE_ROW) return Error("reading embeddings");
      std::vector<float> e;
      FACEKIT_RETURN_IF_ERROR(ReadEmbedding(s, 2, s.Int(1), s.Text(0), &e));
      out.emplace_back(key, std::move(e));
    }
    return out;
  }

  Result<std::vector<std::int64_t>> Apply(const Batch& batch) override {
    if (read_only_) return Status(StatusCode::kFailedPrecondition, "the gallery database was opened read-only");
    std::lock_guard lock(mu_);
    FACEKIT_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    std::vector<std::int64_t> keys(batch.size(), 0);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Status s = std::visit([&](const auto& m) { return ApplyOne(m, keys, &keys[i]); }, batch[i]);
      if (!s.ok()) {
        (void)Exec("ROLLBACK");
        return s;
      }
    }
    if (Status s = Exec("COMMIT"); !s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return keys;
  }

 private:
  Status Exec(const std::string& sql) { return SqliteExec(db_, sql); }

  Status Error(const std::string& what) const {
    return Status(StatusCode::kIoError, what + ": sqlite: " + sqlite3_errmsg(db_));
  }
  static Status Corrupt(const std::string& what) {
    return Status(StatusCode::kDataCorrupt, "gallery database: bad " + what);
  }

  Status ReadEmbedding(Stmt& s, int col, std::int64_t dim, const std::string& face_id, std::vector<float>* out) {
    const void* blob = sqlite3_column_blob(s.get(), col);
    const int bytes = sqlite3_column_bytes(s.get(), col);
    if (dim <= 0 || dim > 4096 || bytes != dim * static_cast<std::int64_t>(sizeof(float)) || !blob) {
      return Corrupt("embedding of face " + face_id);
    }
    out->resize(static_cast<std::size_t>(dim));
    std::memcpy(out->data(), blob, static_cast<std::size_t>(bytes));
    return Status::Ok();
  }

  // A placeholder (negative) refers to an earlier insert of the batch.
  static Result<std::int64_t> Resolve(std::int64_t key, const std::vector<std::int64_t>& keys) {
    if (key >= 0) return key;
    const auto i = static_cast<std::size_t>(-key - 1);
    if (i >= keys.size() || keys[i] <= 0) {
      return Status(StatusCode::kInternal, "placeholder key does not name an earlier insert");
    }
    return keys[i];
  }

  Status StepDone(Stmt& s, const std::string& what) {
    if (!s.ok()) return Error(what);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return Status::Ok();
    if (rc == SQLITE_CONSTRAINT) {
      return Status(StatusCode::kAlreadyExists, what + ": " + sqlite3_errmsg(db_));
    }
    return Error(what);
  }

  Status ExpectChange(const std::string& what) {
    if (sqlite3_changes(db_) == 0) return Status(StatusCode::kNotFound, what + ": no such record");
    return Status::Ok();
  }

  Status ApplyOne(const mutation::InsertGroup& m, const std::vector<std::int64_t>&, std::int64_t* key) {
    Stmt s(db_, "INSERT INTO groups(id,name,tag,ex_descriptions,face_model_version,created_ms) VALUES(?,?,?,?,?,?)");
    s.Bind(1, m.group.id);
    s.Bind(2, m.group.name);
    s.Bind(3, m.group.tag);
    s.Bind(4, ExToJson(m.group.ex_descriptions));
    s.Bind(5, m.group.face_model_version);
    s.Bind(6, m.group.created_ms);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "creating group " + m.group.id));
    *key = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  }
  Status ApplyOne(const mutation::UpdateGroup& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "UPDATE groups SET name=?,tag=?,ex_descriptions=? WHERE gkey=?");
    s.Bind(1, m.group.name);
    s.Bind(2, m.group.tag);
    s.Bind(3, ExToJson(m.group.ex_descriptions));
    s.Bind(4, m.group.key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "modifying group " + m.group.id));
    return ExpectChange("modifying group " + m.group.id);
  }
  Status ApplyOne(const mutation::DeleteGroup& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "DELETE FROM groups WHERE gkey=?");
    s.Bind(1, m.key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "deleting a group"));
    return ExpectChange("deleting a group");
  }
  Status ApplyOne(const mutation::InsertPerson& m, const std::vector<std::int64_t>&, std::int64_t* key) {
    Stmt s(db_, "INSERT INTO persons(id,name,gender,created_ms) VALUES(?,?,?,?)");
    s.Bind(1, m.person.id);
    s.Bind(2, m.person.name);
    s.Bind(3, std::int64_t{m.person.gender});
    s.Bind(4, m.person.created_ms);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "creating person " + m.person.id));
    *key = sqlite3_last_insert_rowid(db_);
    return Status::Ok();
  }
  Status ApplyOne(const mutation::UpdatePerson& m, const std::vector<std::int64_t>& keys, std::int64_t*) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t pkey, Resolve(m.person.key, keys));
    Stmt s(db_, "UPDATE persons SET name=?,gender=? WHERE pkey=?");
    s.Bind(1, m.person.name);
    s.Bind(2, std::int64_t{m.person.gender});
    s.Bind(3, pkey);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "modifying person " + m.person.id));
    return ExpectChange("modifying person " + m.person.id);
  }
  Status ApplyOne(const mutation::DeletePerson& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "DELETE FROM persons WHERE pkey=?");
    s.Bind(1, m.key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "deleting a person"));
    return ExpectChange("deleting a person");
  }
  Status ApplyOne(const mutation::InsertMembership& m, const std::vector<std::int64_t>& keys, std::int64_t*) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t gkey, Resolve(m.membership.group_key, keys));
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t pkey, Resolve(m.membership.person_key, keys));
    Stmt s(db_, "INSERT INTO memberships(gkey,pkey,ex_descriptions,added_ms) VALUES(?,?,?,?)");
    s.Bind(1, gkey);
    s.Bind(2, pkey);
    s.Bind(3, PairsToJson(m.membership.ex_descriptions));
    s.Bind(4, m.membership.added_ms);
    return StepDone(s, "adding a person to a group");
  }
  Status ApplyOne(const mutation::UpdateMembership& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "UPDATE memberships SET ex_descriptions=? WHERE gkey=? AND pkey=?");
    s.Bind(1, PairsToJson(m.membership.ex_descriptions));
    s.Bind(2, m.membership.group_key);
    s.Bind(3, m.membership.person_key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "modifying a person's group fields"));
    return ExpectChange("modifying a person's group fields");
  }
  Status ApplyOne(const mutation::DeleteMembership& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "DELETE FROM memberships WHERE gkey=? AND pkey=?");
    s.Bind(1, m.group_key);
    s.Bind(2, m.person_key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "removing a person from a group"));
    return ExpectChange("removing a person from a group");
  }
  Status ApplyOne(const mutation::InsertFace& m, const std::vector<std::int64_t>& keys, std::int64_t* key) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t pkey, Resolve(m.face.person_key, keys));
    if (m.face.embedding.empty()) return Status(StatusCode::kInvalidArgument, "face without an embedding");
    Stmt s(db_,
           "INSERT INTO faces(id,pkey,model_version,dim,embedding,rect_x,rect_y,rect_w,rect_h,quality,source,"
           "created_ms) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, m.face.id);
    s.Bind(2, pkey);
    s.Bind(3, m.face.model_version);
    s.Bind(4, static_cast<std::int64_t>(m.face.embedding.size()));
    s.BindBlob(5, m.face.embedding.data(), m.face.embedding.size() * sizeof(float));
    s.Bind(6, std::int64_t{m.face.rect.x});
    s.Bind(7, std::int64_t{m.face.rect.y});
    s.Bind(8, std::int64_t{m.face.rect.width});
    s.Bind(9, std::int64_t{m.face.rect.height});
    s.BindDouble(10, m.face.quality);
    s.Bind(11, m.face.source);
    s.Bind(12, m.face.created_ms);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "adding face " + m.face.id));
    *key = sqlite3_last_insert_rowid(db_);
    for (const auto& [version, vector] : m.face.other_vectors) {
      FACEKIT_RETURN_IF_ERROR(PutVector(*key, version, vector));
    }
    if (!m.face.crop.empty()) {
      if (m.face.crop_landmarks.size() != 10) return Status(StatusCode::kInvalidArgument, "crop without 5 landmarks");
      Stmt c(db_, "INSERT INTO face_crops(fkey,image,landmarks) VALUES(?,?,?)");
      c.Bind(1, *key);
      c.BindBlob(2, m.face.crop.data(), m.face.crop.size());
      c.BindBlob(3, m.face.crop_landmarks.data(), m.face.crop_landmarks.size() * sizeof(float));
      FACEKIT_RETURN_IF_ERROR(StepDone(c, "storing the crop of face " + m.face.id));
    }
    return Status::Ok();
  }
  Status PutVector(std::int64_t face_key, const std::string& version, const std::vector<float>& vector) {
    if (vector.empty()) return Status(StatusCode::kInvalidArgument, "empty face vector");
    Stmt s(db_, "INSERT OR REPLACE INTO face_vectors(fkey,model_version,dim,embedding) VALUES(?,?,?,?)");
    s.Bind(1, face_key);
    s.Bind(2, version);
    s.Bind(3, static_cast<std::int64_t>(vector.size()));
    s.BindBlob(4, vector.data(), vector.size() * sizeof(float));
    return StepDone(s, "storing a face vector of model " + version);
  }
  Status ApplyOne(const mutation::PutFaceVector& m, const std::vector<std::int64_t>& keys, std::int64_t*) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t fkey, Resolve(m.face_key, keys));
    return PutVector(fkey, m.model_version, m.vector);
  }
  Status ApplyOne(const mutation::SetGroupModelVersion& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "UPDATE groups SET face_model_version=? WHERE gkey=?");
    s.Bind(1, m.model_version);
    s.Bind(2, m.group_key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "switching a group's face model version"));
    return ExpectChange("switching a group's face model version");
  }
  Status ApplyOne(const mutation::PutModelJob& m, const std::vector<std::int64_t>& keys, std::int64_t*) {
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t gkey, Resolve(m.job.group_key, keys));
    Stmt s(db_,
           "INSERT OR REPLACE INTO model_jobs(id,gkey,group_id,from_version,to_version,status,progress,start_ms,"
           "end_ms,failure) VALUES(?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, m.job.id);
    s.Bind(2, gkey);
    s.Bind(3, m.job.group_id);
    s.Bind(4, m.job.from_version);
    s.Bind(5, m.job.to_version);
    s.Bind(6, std::int64_t{m.job.status});
    s.BindDouble(7, m.job.progress);
    s.Bind(8, m.job.start_ms);
    s.Bind(9, m.job.end_ms);
    s.Bind(10, m.job.failure);
    return StepDone(s, "storing model job " + m.job.id);
  }
  Status ApplyOne(const mutation::DeleteFace& m, const std::vector<std::int64_t>&, std::int64_t*) {
    Stmt s(db_, "DELETE FROM faces WHERE fkey=?");
    s.Bind(1, m.key);
    FACEKIT_RETURN_IF_ERROR(StepDone(s, "deleting a face"));
    return ExpectChange("deleting a face");
  }

  sqlite3* db_;
  bool read_only_;
  std::mutex mu_;
  int version_ = 0;
};

}  // namespace

Result<std::unique_ptr<GalleryStore>> OpenSqliteStore(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status(StatusCode::kIoError, "cannot open gallery database " + path + ": " + message);
  }
  auto store = std::make_unique<SqliteStore>(db, read_only);
  if (Status s = store->Init(); !s.ok()) {
    if (s.code() == StatusCode::kIoError && std::strstr(s.message().c_str(), "not a database")) {
      return Status(StatusCode::kDataCorrupt, path + " is not a gallery database: " + s.message());
    }
    return s;
  }
  return std::unique_ptr<GalleryStore>(std::move(store));
}

}  // namespace facekit::store
