// FaceService: faces (create, delete).
#include <algorithm>
#include <set>
#include <unordered_map>

#include "service/face_service.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

ApiResult<CreateFaceResponse> FaceService::CreateFace(const CreateFaceRequest& r) {
  if (auto e = CheckId(r.person_id, false)) return *e;
  if (r.images.empty()) return Err(code::kMissing, "Images and Urls are empty");
  if (r.images.size() > options_.max_images_per_call) {
    return Err(code::kUploadFaceNumExceed,
               "at most " + std::to_string(options_.max_images_per_call) + " images per call");
  }
  if (!(r.face_match_threshold >= 0 && r.face_match_threshold <= 100)) {
    return Err(code::kThresholdIllegal, "FaceMatchThreshold must be 0 to 100");
  }
  if (r.quality_control < 0 || r.quality_control > 4)
    return Err(code::kQualityIllegal, "QualityControl must be 0 to 4");
  // The person's current faces (for the limit and the match check).
  struct Current {
    bool found = false;
    std::size_t faces = 0;
    std::vector<std::vector<float>> vectors;
  };
  EmbedExtras extras;
  extras.crop = true;  // what re-embedding with another model starts from
  Current cur = gallery_->Read([&](const gallery::Catalog& c) {
    Current out;
    const gallery::PersonState* p = c.PersonById(r.person_id);
    if (!p) return out;
    out.found = true;
    out.faces = p->faces.size();
    std::vector<std::int64_t> groups;
    for (const auto& [gk, m] : p->groups) groups.push_back(gk);
    extras.versions = ExtraVersions(c, groups);
    return out;
  });
  if (!cur.found) return Err(code::kPersonIdNotExist, "PersonId " + r.person_id + " does not exist");
  for (const auto& v : extras.versions) {
    if (auto e = CheckVersionServed(v)) return *e;
  }
  if (auto vectors = PrimaryVectors(r.person_id); vectors.ok()) cur.vectors = std::move(vectors.value());
  if (cur.faces >= options_.max_faces_per_person) {
    return Err(code::kPersonFaceNumExceed,
               "a person has at most " + std::to_string(options_.max_faces_per_person) + " faces");
  }
  CreateFaceResponse out;
  out.face_model_version = options_.face_model_version;
  out.ret_code.assign(r.images.size(), 0);
  out.faces_in_photo.assign(r.images.size(), 0);
  struct Good {
    std::size_t index;
    FaceInput face;
    std::string id;
  };
  std::vector<Good> good;
  for (std::size_t i = 0; i < r.images.size(); ++i) {
    auto face = ChosenFace(r.images[i], r.face_choice, 0, EnrolmentChecksEyes(r.quality_control), &extras);
    if (!face.ok()) {
      const std::string& c = face.error().code;
      out.ret_code[i] = c == "InvalidParameterValue.NoFaceInPhoto" || c == code::kFaceSizeTooSmall ||
                                c == code::kFaceIndexExceed
                            ? kRetNoFace
                        : c == code::kFaceAmbiguous ? kRetAmbiguous
                                                    : kRetDecodeFailed;
      continue;
    }
    out.faces_in_photo[i] = face->faces_in_photo;
    if (face->quality_level < r.quality_control || EnrolmentRefusal(face.value())) {
      out.ret_code[i] = kRetQuality;
      continue;
    }
    float best = 0;
    for (const auto& v : cur.vectors) {
      if (!v.empty()) best = std::max(best, engine_.Compare(face->embedding, v).score);
    }
    if (r.face_match_threshold > 0 && best < r.face_match_threshold) {
      out.ret_code[i] = kRetMismatch;
      continue;
    }
    good.push_back({i, std::move(face.value()), NewFaceId()});
  }
  if (good.empty()) return out;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::PersonState* p = c.PersonById(r.person_id);
    if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + r.person_id + " does not exist");
    }
    if (p->faces.size() + good.size() > options_.max_faces_per_person) {
      return Err(code::kPersonFaceNumExceed, "the person has " + std::to_string(p->faces.size()) + " faces; " +
                                                 std::to_string(good.size()) + " more would exceed " +
                                                 std::to_string(options_.max_faces_per_person));
    }
    for (const auto& [gkey, m] : p->groups) {
      if (c.GroupByKey(gkey)->face_count + good.size() > options_.max_faces_per_group) {
        return Err(code::kGroupFaceNumExceed, "group " + c.GroupByKey(gkey)->record.id + " is full");
      }
    }
    for (const Good& g : good) {
      if (auto e = CheckFaceVersions(c, p, 0, g.face)) return *e;
    }
    const std::int64_t now = Now();
    for (const Good& g : good) {
      store::FaceRecord f;
      f.id = g.id;
      f.person_key = p->record.key;
      f.model_version = options_.face_model_version;
      f.embedding = g.face.embedding;
      const Rect rect = ToRect(g.face.box);
      f.rect = {rect.x, rect.y, rect.width, rect.height};
      f.quality = static_cast<float>(g.face.quality_level);
      if (g.index < r.sources.size()) f.source = r.sources[g.index];
      f.created_ms = now;
      f.other_vectors = g.face.other_embeddings;
      f.crop = g.face.crop;
      f.crop_landmarks = g.face.crop_landmarks;
      b.push_back(store::mutation::InsertFace{f});
    }
    return b;
  });
  if (refused) return *refused;
  for (const Good& g : good) {
    out.suc_face_ids.push_back(g.id);
    out.suc_indexes.push_back(g.index);
    out.suc_face_rects.push_back(ToRect(g.face.box));
  }
  out.suc_face_num = good.size();
  return out;
}

ApiResult<DeleteFaceResponse> FaceService::DeleteFace(const std::string& person_id,
                                                      const std::vector<std::string>& face_ids) {
  if (auto e = CheckId(person_id, false)) return *e;
  if (face_ids.empty()) return Err(code::kMissing, "FaceIds is empty");
  DeleteFaceResponse out;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
    }
    // By id: the records kept here, the store's for a cluster node's other shards.
    auto found = gallery_->FacesById(face_ids);
    if (!found.ok()) return StoreError(found.status());
    std::unordered_map<std::string_view, std::int64_t> key_of;
    for (const auto& f : *found) key_of.emplace(f.state.id.view(), f.key);
    std::set<std::int64_t> doomed;
    for (const auto& id : face_ids) {
      auto it = key_of.find(id);
      if (it == key_of.end() || c.FacePersonKey(it->second) != p->record.key) continue;  // not this person's: skipped
      if (doomed.insert(it->second).second) out.suc_face_ids.push_back(id);
    }
    if (!doomed.empty() && doomed.size() >= p->faces.size()) {
      return Err(code::kDeleteFaceNumExceed, "a person keeps at least one face; delete the person instead");
    }
    for (std::int64_t fk : doomed) b.push_back(store::mutation::DeleteFace{fk});
    return b;
  });
  if (refused) return *refused;
  out.suc_deleted_num = out.suc_face_ids.size();
  return out;
}


ApiResult<std::string> FaceService::FacePerson(const std::string& face_id) const {
  if (face_id.empty()) return Err(code::kMissing, "FaceId is empty");
  auto found = gallery_->FacesById({face_id});
  if (!found.ok()) return StoreError(found.status());
  const std::int64_t key = found->empty() ? 0 : found->front().key;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<std::string> {
    const gallery::PersonState* p = c.PersonByKey(c.FacePersonKey(key));
    if (!p) return Err(code::kFaceIdNotExist, "FaceId " + face_id + " does not exist");
    return p->record.id;
  });
}

ApiResult<std::vector<std::uint8_t>> FaceService::GetFaceCrop(const std::string& face_id) const {
  if (face_id.empty()) return Err(code::kMissing, "FaceId is empty");
  auto found = gallery_->FacesById({face_id});
  if (!found.ok()) return StoreError(found.status());
  if (found->empty()) return Err(code::kFaceIdNotExist, "FaceId " + face_id + " does not exist");
  const std::int64_t key = found->front().key;
  auto crop = gallery_->FaceCrop(key);
  if (!crop.ok()) return StoreError(crop.status());
  if (!crop->has_value()) {
    // Deleted since, or enrolled before crops were stored.
    if (!gallery_->Read([&](const gallery::Catalog& c) { return c.FaceKnown(key); })) {
      return Err(code::kFaceIdNotExist, "FaceId " + face_id + " does not exist");
    }
    return Err(code::kFaceCropNotExist, "FaceId " + face_id +
                                            " has no stored image: it was enrolled before the gallery kept face crops "
                                            "(schema 2); enrol the photo again to get one");
  }
  return std::move((*crop)->image);
}

}  // namespace facekit::service
