#include "store/postgres_faces.h"

#include <algorithm>
#include <type_traits>

#include "store/sqlite_schema.h"  // ParseJsonStringArray

namespace facekit::store::pg {

namespace {

template <typename T>
Result<std::vector<FaceInfo>> Read(const QueryFn& query, const std::vector<T>& values) {
  constexpr bool by_id = std::is_same_v<T, std::string>;
  constexpr std::size_t kChunk = 1000;
  const std::string sql =
      std::string(
          "SELECT f.fkey,f.id,f.pkey,f.model_version,f.rect_x,f.rect_y,f.rect_w,f.rect_h,f.quality,f.source,"
          "f.created_ms,EXISTS(SELECT 1 FROM face_crops c WHERE c.fkey=f.fkey),"
          "COALESCE((SELECT json_agg(v.model_version ORDER BY v.model_version) FROM face_vectors v "
          "WHERE v.fkey=f.fkey)::text,'[]') FROM faces f WHERE ") +
      (by_id ? "f.id=ANY($1::text[])" : "f.fkey=ANY($1::bigint[])") + " ORDER BY f.fkey";
  std::vector<FaceInfo> out;
  for (std::size_t at = 0; at < values.size(); at += kChunk) {
    ArrayLiteral list;
    for (std::size_t i = at; i < std::min(values.size(), at + kChunk); ++i) list.Add(values[i]);
    FACEKIT_ASSIGN_OR_RETURN(PgResult r, query(sql, {list.Take()}, "reading face records"));
    for (int i = 0; i < r.rows(); ++i) {
      FaceInfo f;
      f.record.key = r.Int(i, 0);
      f.record.id = r.Text(i, 1);
      f.record.person_key = r.Int(i, 2);
      f.record.model_version = r.Text(i, 3);
      f.record.rect = {static_cast<int>(r.Int(i, 4)), static_cast<int>(r.Int(i, 5)), static_cast<int>(r.Int(i, 6)),
                       static_cast<int>(r.Int(i, 7))};
      f.record.quality = static_cast<float>(r.Double(i, 8));
      f.record.source = r.Text(i, 9);
      f.record.created_ms = r.Int(i, 10);
      f.has_crop = r.Text(i, 11) == "t";
      if (!ParseJsonStringArray(r.Text(i, 12), &f.other_versions)) {
        return Status(StatusCode::kDataCorrupt, "gallery database: face " + f.record.id + "'s vector versions");
      }
      out.push_back(std::move(f));
    }
  }
  if (values.size() > kChunk) {
    std::sort(out.begin(), out.end(), [](const FaceInfo& a, const FaceInfo& b) { return a.record.key < b.record.key; });
  }
  return out;
}

}  // namespace

Result<std::vector<FaceInfo>> ReadFaceInfos(const QueryFn& query, const std::vector<std::int64_t>& keys) {
  return Read(query, keys);
}
Result<std::vector<FaceInfo>> ReadFaceInfos(const QueryFn& query, const std::vector<std::string>& ids) {
  return Read(query, ids);
}

}  // namespace facekit::store::pg
