// FaceService: persons (create, delete, list, get, modify, copy).
#include <algorithm>
#include <set>
#include <unordered_map>

#include "service/face_service.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

ApiResult<std::string> FaceService::SimilarPerson(const std::string& group_id, const std::string& version,
                                                  const FaceInput& face, float need) const {
  const bool primary = version == options_.face_model_version;
  const Embedding& query = primary ? face.embedding : face.other_embeddings.front().second;
  if (router_ != nullptr) {
    // A cluster node indexes its own shards only: the group's nearest face
    // comes from one replica of every shard, and a shard without an answer
    // refuses the enrolment (a partial answer could miss the duplicate).
    RoutedSearchQuery q;
    q.query = query;
    q.face_model_version = version;
    q.group_ids = {group_id};
    q.max_persons = 1;
    q.max_faces_per_person = 1;
    auto found = router_->SearchFaces(q);
    if (!found.ok()) return RouterError(found.status());
    if (found->hits.empty()) return std::string();
    const RoutedHit& best =
        *std::max_element(found->hits.begin(), found->hits.end(),
                          [](const RoutedHit& a, const RoutedHit& b) { return a.similarity < b.similarity; });
    if (ScoreOf(version, best.similarity, /*search=*/false) < need) return std::string();
    return best.person_id;
  }
  return gallery_->Read([&](const gallery::Catalog& c) -> std::string {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g || g->record.face_model_version != version) return {};
    auto hits = c.Search({g->record.key}, query.data(), 1, false);
    if (hits.empty()) return {};
    const float score = primary ? engine_.Compare(face.embedding, c.FaceVector(hits[0].key)).score
                                : ScoreOf(version, hits[0].similarity, /*search=*/false);
    if (score < need) return {};
    const gallery::PersonState* p = c.PersonByKey(c.FacePersonKey(hits[0].key));
    return p ? p->record.id : std::string();
  });
}

ApiResult<CreatePersonResponse> FaceService::CreatePerson(const CreatePersonRequest& r) {
  if (auto e = CheckId(r.group_id, true)) return *e;
  if (auto e = CheckId(r.person_id, false)) return *e;
  if (auto e = CheckName(r.person_name, "PersonName", 60, code::kPersonNameTooLong, code::kPersonNameIllegal))
    return *e;
  if (r.gender < 0 || r.gender > 2) return Err(code::kGenderIllegal, "Gender must be 0, 1 or 2");
  if (r.unique_person_control < 0 || r.unique_person_control > 4) {
    return Err(code::kUniqueIllegal, "UniquePersonControl must be 0 to 4");
  }
  if (r.quality_control < 0 || r.quality_control > 4)
    return Err(code::kQualityIllegal, "QualityControl must be 0 to 4");
  // Cheap checks first, so that a wrong id does not cost a detection.
  EmbedExtras extras;
  extras.crop = true;  // what re-embedding with another model starts from
  std::string version;
  auto pre = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<ApiError> {
    const gallery::GroupState* g = c.GroupById(r.group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + r.group_id + " does not exist");
    if (c.PersonById(r.person_id)) return Err(code::kPersonIdExists, "PersonId " + r.person_id + " exists");
    version = g->record.face_model_version;
    extras.versions = ExtraVersions(c, {g->record.key});
    return CheckPersonEx(r.person_ex_descriptions, g->record.ex_descriptions.size());
  });
  if (pre) return *pre;
  for (const auto& v : extras.versions) {
    if (auto e = CheckVersionServed(v)) return *e;
  }
  auto face = ChosenFace(r.image, r.face_choice, 0, EnrolmentChecksEyes(r.quality_control), &extras);
  if (!face.ok()) return face.error();
  if (face->quality_level < r.quality_control) {
    return Err(code::kQualityNotQualified, "the face's quality level " + std::to_string(face->quality_level) +
                                               " is below QualityControl " + std::to_string(r.quality_control));
  }
  if (auto refused = EnrolmentRefusal(face.value())) return *refused;
  CreatePersonResponse out;
  out.face_rect = ToRect(face->box);
  out.faces_in_photo = face->faces_in_photo;
  out.face_model_version = version;
  if (r.unique_person_control > 0) {
    auto similar =
        SimilarPerson(r.group_id, version, face.value(), options_.unique_person_scores[r.unique_person_control - 1]);
    if (!similar.ok()) return similar.error();
    if (!similar->empty()) {
      out.similar_person_id = similar.value();  // refused: nothing is created
      return out;
    }
  }
  const std::string face_id = NewFaceId();
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::GroupState* g = c.GroupById(r.group_id);
    if (!g) {
      return Err(code::kGroupIdNotExist, "GroupId " + r.group_id + " does not exist");
    }
    if (c.PersonById(r.person_id)) {
      return Err(code::kPersonIdExists, "PersonId " + r.person_id + " exists");
    }
    if (g->face_count >= options_.max_faces_per_group) {
      return Err(code::kGroupFaceNumExceed, "the group holds the maximum number of faces");
    }
    if (auto e = CheckPersonEx(r.person_ex_descriptions, g->record.ex_descriptions.size())) {
      return *e;
    }
    if (auto e = CheckFaceVersions(c, nullptr, g->record.key, face.value())) return *e;
    const std::int64_t now = Now();
    b.push_back(store::mutation::InsertPerson{{0, r.person_id, r.person_name, r.gender, now}});
    store::MembershipRecord m{g->record.key, store::Placeholder(0), {}, now};
    for (const auto& e : r.person_ex_descriptions) m.ex_descriptions.emplace_back(e.index, e.description);
    b.push_back(store::mutation::InsertMembership{m});
    store::FaceRecord f;
    f.id = face_id;
    f.person_key = store::Placeholder(0);
    f.model_version = options_.face_model_version;
    f.embedding = face->embedding;
    f.rect = {out.face_rect.x, out.face_rect.y, out.face_rect.width, out.face_rect.height};
    f.quality = static_cast<float>(face->quality_level);
    f.source = r.source;
    f.created_ms = now;
    f.other_vectors = face->other_embeddings;
    f.crop = face->crop;
    f.crop_landmarks = face->crop_landmarks;
    b.push_back(store::mutation::InsertFace{f});
    return b;
  });
  if (refused) return *refused;
  out.face_id = face_id;
  return out;
}

ApiResult<Empty> FaceService::DeletePerson(const std::string& person_id) {
  if (auto e = CheckId(person_id, false)) return *e;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
    }
    b.push_back(store::mutation::DeletePerson{p->record.key});
    return b;
  });
  if (refused) return *refused;
  return Empty{};
}

ApiResult<Empty> FaceService::DeletePersonFromGroup(const std::string& person_id, const std::string& group_id) {
  if (auto e = CheckId(person_id, false)) return *e;
  if (auto e = CheckId(group_id, true)) return *e;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::GroupState* g = c.GroupById(group_id);
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!g) {
      return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    } else if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
    } else if (!p->groups.count(g->record.key)) {
      return Err(code::kPersonNotInGroup, "PersonId " + person_id + " is not in group " + group_id);
    } else if (p->groups.size() == 1) {
      // Its only group: the person goes, faces and all (as in the cloud API).
      b.push_back(store::mutation::DeletePerson{p->record.key});
    } else {
      b.push_back(store::mutation::DeleteMembership{g->record.key, p->record.key});
    }
    return b;
  });
  if (refused) return *refused;
  return Empty{};
}

namespace {
// A PersonInfo read under the catalog's lock; its face ids are filled after
// it (FillFaceIds): a cluster node keeps only its shards' face records.
struct PendingInfo {
  PersonInfo info;
  std::vector<std::int64_t> face_keys;  // oldest first, as face_ids
};

PendingInfo MakePersonInfo(const gallery::PersonState& p, const gallery::GroupState* g) {
  PendingInfo pending;
  PersonInfo& info = pending.info;
  info.person_name = p.record.name;
  info.person_id = p.record.id;
  info.gender = p.record.gender;
  info.creation_timestamp = p.record.created_ms;
  if (g) {
    auto it = p.groups.find(g->record.key);
    if (it != p.groups.end()) info.person_ex_descriptions = ExValues(*g, it->second);
  }
  pending.face_keys = p.faces;
  return pending;
}

// Fills each PersonInfo's face ids (and `sources`, parallel to them) from the
// face records, the store's for those not kept here; faces deleted meanwhile
// are left out.
Status FillFaceIds(const gallery::Gallery& gallery, std::vector<PendingInfo>& pending,
                   std::vector<std::vector<std::string>>* sources = nullptr) {
  std::vector<std::int64_t> keys;
  for (const PendingInfo& p : pending) keys.insert(keys.end(), p.face_keys.begin(), p.face_keys.end());
  FACEKIT_ASSIGN_OR_RETURN(std::vector<gallery::Gallery::FaceView> faces, gallery.FacesByKey(keys));
  std::unordered_map<std::int64_t, const gallery::Gallery::FaceView*> by_key;
  for (const auto& f : faces) by_key.emplace(f.key, &f);
  if (sources) sources->assign(pending.size(), {});
  for (std::size_t i = 0; i < pending.size(); ++i) {
    for (std::int64_t fk : pending[i].face_keys) {
      auto it = by_key.find(fk);
      if (it == by_key.end()) continue;
      pending[i].info.face_ids.push_back(it->second->state.id.str());
      if (sources) (*sources)[i].push_back(it->second->source);
    }
  }
  return Status::Ok();
}

// GetPersonListNum's answer for group `g` (the counts, no persons).
GetPersonListResponse Counts(const gallery::GroupState& g) {
  GetPersonListResponse out;
  out.person_num = g.persons.size();
  out.face_num = g.face_count;  // the catalog's: a cluster node's index holds its shards only
  out.face_model_version = g.record.face_model_version;
  return out;
}
}  // namespace

ApiResult<GetPersonListResponse> FaceService::GetPersonList(const std::string& group_id, std::int64_t offset,
                                                            std::int64_t limit) const {
  if (auto e = CheckId(group_id, true)) return *e;
  if (auto e = CheckWindow(offset, limit)) return *e;
  std::vector<PendingInfo> pending;
  auto read = gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<GetPersonListResponse> {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    GetPersonListResponse out = Counts(*g);
    std::vector<std::int64_t> keys(g->persons.begin(), g->persons.end());
    auto [begin, end] = Window(keys.size(), offset, limit);
    for (std::size_t i = begin; i < end; ++i) pending.push_back(MakePersonInfo(*c.PersonByKey(keys[i]), g));
    return out;
  });
  if (!read.ok()) return read;
  if (Status filled = FillFaceIds(*gallery_, pending); !filled.ok()) return StoreError(filled);
  for (PendingInfo& p : pending) read->person_infos.push_back(std::move(p.info));
  return read;
}

ApiResult<GetPersonListResponse> FaceService::GetPersonListNum(const std::string& group_id) const {
  if (auto e = CheckId(group_id, true)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<GetPersonListResponse> {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    return Counts(*g);
  });
}

ApiResult<PersonBaseInfo> FaceService::GetPersonBaseInfo(const std::string& person_id) const {
  if (auto e = CheckId(person_id, false)) return *e;
  std::vector<PendingInfo> pending;
  const bool found = gallery_->Read([&](const gallery::Catalog& c) {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (p) pending.push_back(MakePersonInfo(*p, nullptr));
    return p != nullptr;
  });
  if (!found) return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
  std::vector<std::vector<std::string>> sources;
  if (Status filled = FillFaceIds(*gallery_, pending, &sources); !filled.ok()) return StoreError(filled);
  PersonInfo& info = pending[0].info;
  return PersonBaseInfo{info.person_name, info.gender, std::move(info.face_ids), std::move(sources[0])};
}

ApiResult<GetPersonGroupInfoResponse> FaceService::GetPersonGroupInfo(const std::string& person_id, std::int64_t offset,
                                                                      std::int64_t limit,
                                                                      const GroupFilter& visible) const {
  if (auto e = CheckId(person_id, false)) return *e;
  if (auto e = CheckWindow(offset, limit)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<GetPersonGroupInfoResponse> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
    GetPersonGroupInfoResponse out;
    out.face_model_version = options_.face_model_version;
    std::vector<const store::MembershipRecord*> ms;
    for (const auto& [gkey, m] : p->groups) {
      if (!visible || visible(c.GroupByKey(gkey)->record.id)) ms.push_back(&m);
    }
    out.group_num = ms.size();
    auto [begin, end] = Window(ms.size(), offset, limit);
    for (std::size_t i = begin; i < end; ++i) {
      const gallery::GroupState* g = c.GroupByKey(ms[i]->group_key);
      out.person_group_infos.push_back({g->record.id, ExValues(*g, *ms[i])});
    }
    return out;
  });
}

ApiResult<Empty> FaceService::ModifyPersonBaseInfo(const ModifyPersonBaseInfoRequest& r) {
  if (auto e = CheckId(r.person_id, false)) return *e;
  if (r.person_name) {
    if (auto e = CheckName(*r.person_name, "PersonName", 60, code::kPersonNameTooLong, code::kPersonNameIllegal)) {
      return *e;
    }
  }
  if (r.gender && (*r.gender < 0 || *r.gender > 2)) return Err(code::kGenderIllegal, "Gender must be 0, 1 or 2");
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::PersonState* p = c.PersonById(r.person_id);
    if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + r.person_id + " does not exist");
    }
    store::PersonRecord rec = p->record;
    if (r.person_name) rec.name = *r.person_name;
    if (r.gender) rec.gender = *r.gender;
    b.push_back(store::mutation::UpdatePerson{rec});
    return b;
  });
  if (refused) return *refused;
  return Empty{};
}

ApiResult<Empty> FaceService::ModifyPersonGroupInfo(const ModifyPersonGroupInfoRequest& r) {
  if (auto e = CheckId(r.group_id, true)) return *e;
  if (auto e = CheckId(r.person_id, false)) return *e;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::GroupState* g = c.GroupById(r.group_id);
    const gallery::PersonState* p = c.PersonById(r.person_id);
    if (!g) {
      return Err(code::kGroupIdNotExist, "GroupId " + r.group_id + " does not exist");
    }
    if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + r.person_id + " does not exist");
    }
    auto it = p->groups.find(g->record.key);
    if (it == p->groups.end()) {
      return Err(code::kPersonNotInGroup, "PersonId " + r.person_id + " is not in group " + r.group_id);
    }
    if (auto e = CheckPersonEx(r.person_ex_descriptions, g->record.ex_descriptions.size())) {
      return *e;
    }
    store::MembershipRecord m = it->second;
    for (const auto& e : r.person_ex_descriptions) {
      auto slot = std::find_if(m.ex_descriptions.begin(), m.ex_descriptions.end(),
                               [&](const auto& kv) { return kv.first == e.index; });
      if (slot == m.ex_descriptions.end()) {
        m.ex_descriptions.emplace_back(e.index, e.description);
      } else {
        slot->second = e.description;
      }
    }
    b.push_back(store::mutation::UpdateMembership{m});
    return b;
  });
  if (refused) return *refused;
  return Empty{};
}

ApiResult<CopyPersonResponse> FaceService::CopyPerson(const std::string& person_id,
                                                      const std::vector<std::string>& group_ids) {
  if (auto e = CheckId(person_id, false)) return *e;
  if (group_ids.empty()) return Err(code::kMissing, "GroupIds is empty");
  if (group_ids.size() > options_.max_groups_per_person) {
    return Err(code::kGroupIdsExceed, "at most " + std::to_string(options_.max_groups_per_person) + " GroupIds");
  }
  for (const auto& gid : group_ids) {
    if (auto e = CheckId(gid, true)) return *e;
  }
  CopyPersonResponse out;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) {
      return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
    }
    std::set<std::int64_t> adding;
    for (const auto& gid : group_ids) {
      const gallery::GroupState* g = c.GroupById(gid);
      if (!g) {
        return Err(code::kGroupIdNotExist, "GroupId " + gid + " does not exist");
      }
      if (p->groups.count(g->record.key) || !adding.insert(g->record.key).second) continue;  // already there
      // The cloud API refuses copies across versions; FaceKit copies when
      // every face of the person has a vector of the group's version.
      if (g->record.face_model_version != options_.face_model_version) {
        // The face records (a cluster node reads those of other shards).
        auto faces = gallery_->FacesByKey(p->faces);
        if (!faces.ok()) return StoreError(faces.status());
        bool every = faces->size() == p->faces.size();
        for (const auto& f : *faces) every = every && f.state.other_versions.count(g->record.face_model_version) != 0;
        if (!every) {
          return Err(code::kUnsupported, "group " + gid + " uses FaceModelVersion " + g->record.face_model_version +
                                             " and the person's faces have no " +
                                             "vector of it (copy between groups of one version)");
        }
      }
      if (g->face_count + p->faces.size() > options_.max_faces_per_group) {
        return Err(code::kGroupFaceNumExceed, "group " + gid + " would exceed its face limit");
      }
      out.suc_group_ids.push_back(gid);
    }
    if (p->groups.size() + adding.size() > options_.max_groups_per_person) {
      return Err(code::kGroupNumPerPersonExceed,
                 "a person may be in at most " + std::to_string(options_.max_groups_per_person) + " groups");
    }
    const std::int64_t now = Now();
    for (std::int64_t gkey : adding) b.push_back(store::mutation::InsertMembership{{gkey, p->record.key, {}, now}});
    return b;
  });
  if (refused) return *refused;
  out.suc_group_num = out.suc_group_ids.size();
  return out;
}


}  // namespace facekit::service
