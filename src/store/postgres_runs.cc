#include "store/postgres_runs.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <variant>

#include "store/face_shard.h"
#include "store/mutation_codec.h"  // ResolvePlaceholder
#include "store/sqlite_schema.h"   // PairsToJson

namespace facekit::store::pg {

void ArrayLiteral::Next() {
  if (text_.size() > 1) text_ += ',';
}

void ArrayLiteral::Add(std::string_view text) {
  Next();
  text_ += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayLiteral::Add(std::int64_t value) {
  Next();
  text_ += std::to_string(value);
}

void ArrayLiteral::Add(float value) {
  Next();
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(value));
  text_ += buf;
}

Param ArrayLiteral::Take() {
  Param p{std::move(text_) + "}", false};
  text_ = "{";
  return p;
}

namespace {

// Byte strings packed into one bytea parameter, each cut out again in SQL by
// `substring($n::bytea FROM offset FOR length)` (offsets count from 1).
class ByteSlices {
 public:
  void Add(const void* data, std::size_t n) {
    offsets_.Add(static_cast<std::int64_t>(bytes_.size() + 1));
    lengths_.Add(static_cast<std::int64_t>(n));
    bytes_.append(static_cast<const char*>(data), n);
  }
  Param Bytes() const { return pg::Bytes(bytes_.data(), bytes_.size()); }
  Param TakeOffsets() { return offsets_.Take(); }
  Param TakeLengths() { return lengths_.Take(); }

 private:
  std::string bytes_;
  ArrayLiteral offsets_, lengths_;
};

// 0: not in a run; else the kind of run the mutation can join.
int RunKind(const Mutation& m) {
  if (std::holds_alternative<mutation::InsertPerson>(m)) return 1;
  if (std::holds_alternative<mutation::InsertMembership>(m)) return 2;
  if (std::holds_alternative<mutation::InsertFace>(m)) return 3;
  return 0;
}

// "person p1" or "persons p1 .. p9": a run's ids, for error messages.
std::string Span(const std::string& what, const std::vector<std::string>& ids) {
  return ids.size() == 1 ? what + " " + ids.front() : what + "s " + ids.front() + " .. " + ids.back();
}

// keys[from..to) from the rows (id, key) a RETURNING gave.
Status KeysById(const PgResult& r, const std::vector<std::string>& ids, std::size_t from,
                std::vector<std::int64_t>& keys) {
  std::unordered_map<std::string, std::int64_t> by_id;
  by_id.reserve(static_cast<std::size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) by_id.emplace(r.Text(row, 0), r.Int(row, 1));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto it = by_id.find(ids[i]);
    if (it == by_id.end()) return Status(StatusCode::kInternal, "no key came back for the insert of " + ids[i]);
    keys[from + i] = it->second;
  }
  return Status::Ok();
}

Status InsertPersons(const QueryFn& query, const Batch& batch, std::size_t from, std::size_t to,
                     std::vector<std::int64_t>& keys, std::vector<Change>* changes) {
  ArrayLiteral id, name, gender, created;
  std::vector<std::string> ids;
  for (std::size_t i = from; i < to; ++i) {
    const PersonRecord& p = std::get<mutation::InsertPerson>(batch[i]).person;
    id.Add(p.id);
    name.Add(p.name);
    gender.Add(p.gender);
    created.Add(p.created_ms);
    ids.push_back(p.id);
  }
  FACEKIT_ASSIGN_OR_RETURN(
      PgResult r,
      query("INSERT INTO persons(id,name,gender,created_ms) SELECT u.id,u.name,u.gender,u.ms FROM "
            "unnest($1::text[],$2::text[],$3::integer[],$4::bigint[]) WITH ORDINALITY AS u(id,name,gender,ms,ord) "
            "ORDER BY u.ord RETURNING id,pkey",
            {id.Take(), name.Take(), gender.Take(), created.Take()}, "creating " + Span("person", ids)));
  FACEKIT_RETURN_IF_ERROR(KeysById(r, ids, from, keys));
  for (std::size_t i = from; i < to; ++i) changes->push_back({0, "InsertPerson", 0, keys[i], 0});
  return Status::Ok();
}

Status InsertMemberships(const QueryFn& query, const Batch& batch, std::size_t from, std::size_t to,
                         std::vector<std::int64_t>& keys, std::vector<Change>* changes) {
  ArrayLiteral group, person, ex, added;
  const std::size_t first = changes->size();
  for (std::size_t i = from; i < to; ++i) {
    const MembershipRecord& m = std::get<mutation::InsertMembership>(batch[i]).membership;
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t gkey, ResolvePlaceholder(m.group_key, keys));
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t pkey, ResolvePlaceholder(m.person_key, keys));
    group.Add(gkey);
    person.Add(pkey);
    ex.Add(PairsToJson(m.ex_descriptions));
    added.Add(m.added_ms);
    changes->push_back({0, "InsertMembership", gkey, pkey, 0});
  }
  auto r = query(
      "INSERT INTO memberships(gkey,pkey,ex_descriptions,added_ms) SELECT * FROM "
      "unnest($1::bigint[],$2::bigint[],$3::text[],$4::bigint[])",
      {group.Take(), person.Take(), ex.Take(), added.Take()},
      to - from == 1 ? std::string("adding a person to a group")
                     : "adding " + std::to_string(to - from) + " persons to groups");
  if (!r.ok()) {
    changes->resize(first);
    return r.status();
  }
  return Status::Ok();
}

Status InsertFaces(const QueryFn& query, const Batch& batch, std::size_t from, std::size_t to, int shards,
                   std::vector<std::int64_t>& keys, std::vector<Change>* changes, std::vector<std::int64_t>* persons) {
  ArrayLiteral id, person, version, dim, x, y, w, h, quality, source, created, shard;
  ByteSlices vectors;
  std::vector<std::string> ids;
  std::vector<std::int64_t> pkeys;
  bool crops = false;
  for (std::size_t i = from; i < to; ++i) {
    const FaceRecord& f = std::get<mutation::InsertFace>(batch[i]).face;
    if (f.embedding.empty()) return Status(StatusCode::kInvalidArgument, "face without an embedding");
    if (!f.crop.empty() && f.crop_landmarks.size() != 10) {
      return Status(StatusCode::kInvalidArgument, "crop without 5 landmarks");
    }
    crops = crops || !f.crop.empty();
    FACEKIT_ASSIGN_OR_RETURN(std::int64_t pkey, ResolvePlaceholder(f.person_key, keys));
    id.Add(f.id);
    person.Add(pkey);
    version.Add(f.model_version);
    dim.Add(static_cast<std::int64_t>(f.embedding.size()));
    vectors.Add(f.embedding.data(), f.embedding.size() * sizeof(float));
    x.Add(f.rect.x);
    y.Add(f.rect.y);
    w.Add(f.rect.width);
    h.Add(f.rect.height);
    quality.Add(f.quality);
    source.Add(f.source);
    created.Add(f.created_ms);
    shard.Add(ShardOfFace(f.id, shards));
    ids.push_back(f.id);
    pkeys.push_back(pkey);
  }
  const std::string what = "adding " + Span("face", ids);
  FACEKIT_ASSIGN_OR_RETURN(
      PgResult r,
      query("INSERT INTO faces(id,pkey,model_version,dim,embedding,rect_x,rect_y,rect_w,rect_h,quality,source,"
            "created_ms,shard) SELECT u.id,u.pkey,u.mv,u.dim,substring($5::bytea FROM u.off FOR u.len),u.x,u.y,u.w,"
            "u.h,u.q,u.src,u.ms,u.shard FROM unnest($1::text[],$2::bigint[],$3::text[],$4::integer[],$6::integer[],"
            "$7::integer[],$8::integer[],$9::integer[],$10::integer[],$11::integer[],$12::real[],$13::text[],"
            "$14::bigint[],$15::integer[]) WITH ORDINALITY AS u(id,pkey,mv,dim,off,len,x,y,w,h,q,src,ms,shard,ord) "
            "ORDER BY u.ord RETURNING id,fkey",
            {id.Take(), person.Take(), version.Take(), dim.Take(), vectors.Bytes(), vectors.TakeOffsets(),
             vectors.TakeLengths(), x.Take(), y.Take(), w.Take(), h.Take(), quality.Take(), source.Take(),
             created.Take(), shard.Take()},
            what));
  FACEKIT_RETURN_IF_ERROR(KeysById(r, ids, from, keys));
  if (crops) {
    ArrayLiteral fkey;
    ByteSlices images, marks;
    for (std::size_t i = from; i < to; ++i) {
      const FaceRecord& f = std::get<mutation::InsertFace>(batch[i]).face;
      if (f.crop.empty()) continue;
      fkey.Add(keys[i]);
      images.Add(f.crop.data(), f.crop.size());
      marks.Add(f.crop_landmarks.data(), f.crop_landmarks.size() * sizeof(float));
    }
    auto c = query(
        "INSERT INTO face_crops(fkey,image,landmarks) SELECT u.k,substring($2::bytea FROM u.io FOR u.il),"
        "substring($3::bytea FROM u.lo FOR u.ll) FROM unnest($1::bigint[],$4::integer[],$5::integer[],"
        "$6::integer[],$7::integer[]) AS u(k,io,il,lo,ll)",
        {fkey.Take(), images.Bytes(), marks.Bytes(), images.TakeOffsets(), images.TakeLengths(), marks.TakeOffsets(),
         marks.TakeLengths()},
        "storing the crop of " + Span("face", ids));
    if (!c.ok()) return c.status();
  }
  for (std::size_t i = from; i < to; ++i) {
    persons->push_back(pkeys[i - from]);
    changes->push_back({0, "InsertFace", 0, pkeys[i - from], keys[i]});
  }
  return Status::Ok();
}

}  // namespace

bool InRuns(const Mutation& m) { return RunKind(m) != 0; }

std::size_t RunEnd(const Batch& batch, std::size_t i) {
  const int kind = RunKind(batch[i]);
  std::size_t end = i + 1;
  if (kind == 0) return end;
  while (end < batch.size() && RunKind(batch[end]) == kind) ++end;
  return end;
}

Status InsertRun(const QueryFn& query, const Batch& batch, std::size_t from, std::size_t to, int shards,
                 std::vector<std::int64_t>& keys, std::vector<Change>* changes, std::vector<std::int64_t>* persons) {
  switch (RunKind(batch[from])) {
    case 1:
      return InsertPersons(query, batch, from, to, keys, changes);
    case 2:
      return InsertMemberships(query, batch, from, to, keys, changes);
    case 3:
      return InsertFaces(query, batch, from, to, shards, keys, changes, persons);
    default:
      return Status(StatusCode::kInternal, "not a run of inserts");
  }
}

Status InsertFused(const QueryFn& query, const std::vector<FusedRow>& rows, const std::string& what) {
  if (rows.empty()) return Status::Ok();
  ArrayLiteral person, version, dim;
  ByteSlices vectors;
  for (const FusedRow& row : rows) {
    person.Add(row.person_key);
    version.Add(row.version);
    dim.Add(static_cast<std::int64_t>(row.fused.size()));
    vectors.Add(row.fused.data(), row.fused.size() * sizeof(float));
  }
  auto r = query(
      "INSERT INTO person_features(pkey,version,dim,fused) SELECT u.k,u.v,u.d,substring($4::bytea FROM u.o FOR u.l) "
      "FROM unnest($1::bigint[],$2::text[],$3::integer[],$5::integer[],$6::integer[]) AS u(k,v,d,o,l)",
      {person.Take(), version.Take(), dim.Take(), vectors.Bytes(), vectors.TakeOffsets(), vectors.TakeLengths()}, what);
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::int64_t> WriteChanges(const QueryFn& query, const std::vector<Change>& changes,
                                  const std::vector<std::string>& payloads) {
  if (changes.empty()) return std::int64_t{0};
  ArrayLiteral kind, group, person, face, payload;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    kind.Add(changes[i].kind);
    group.Add(changes[i].group_key);
    person.Add(changes[i].person_key);
    face.Add(changes[i].face_key);
    payload.Add(payloads[i]);
  }
  FACEKIT_ASSIGN_OR_RETURN(
      PgResult r,
      query("INSERT INTO changes(kind,gkey,pkey,fkey,txn,payload) SELECT u.k,u.g,u.p,u.f,txid_current(),u.pl FROM "
            "unnest($1::text[],$2::bigint[],$3::bigint[],$4::bigint[],$5::text[]) WITH ORDINALITY AS "
            "u(k,g,p,f,pl,ord) ORDER BY u.ord RETURNING seq",
            {kind.Take(), group.Take(), person.Take(), face.Take(), payload.Take()}, "writing the change log"));
  std::int64_t last = 0;
  for (int row = 0; row < r.rows(); ++row) last = std::max(last, r.Int(row, 0));
  return last;
}

}  // namespace facekit::store::pg
