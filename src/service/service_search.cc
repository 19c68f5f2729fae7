// FaceService: search, verification, detection, liveness and comparison.
#include "service/face_service.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "service/model_versions.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

namespace {
// PersonNum and FaceNum of a search (the cloud API's meaning: the persons in
// any of the searched groups, each once, and their faces), from the groups'
// counters: only the groups besides the largest are walked, for the persons
// the largest does not have. One group costs nothing however large it is.
std::pair<std::size_t, std::size_t> SearchedCounts(const gallery::Catalog& c, std::vector<std::int64_t> gkeys) {
  std::sort(gkeys.begin(), gkeys.end());
  gkeys.erase(std::unique(gkeys.begin(), gkeys.end()), gkeys.end());
  const gallery::GroupState* largest = nullptr;
  for (std::int64_t gk : gkeys) {
    const gallery::GroupState* g = c.GroupByKey(gk);
    if (g != nullptr && (largest == nullptr || g->persons.size() > largest->persons.size())) largest = g;
  }
  if (largest == nullptr) return {0, 0};
  std::size_t persons = largest->persons.size(), faces = largest->face_count;
  std::unordered_set<std::int64_t> others;  // persons of the other groups, not in the largest
  for (std::int64_t gk : gkeys) {
    const gallery::GroupState* g = c.GroupByKey(gk);
    if (g == nullptr || g == largest) continue;
    for (std::int64_t pk : g->persons) {
      if (largest->persons.count(pk) == 0 && others.insert(pk).second) {
        ++persons;
        faces += c.PersonByKey(pk)->faces.size();
      }
    }
  }
  return {persons, faces};
}
}  // namespace

ApiResult<SearchResponse> FaceService::Search(const SearchRequest& r, bool by_group, bool persons) const {
  if (r.group_ids.empty()) return Err(code::kMissing, "GroupIds is empty");
  if (r.group_ids.size() > options_.max_search_groups) {
    return Err(code::kGroupIdsExceed, "at most " + std::to_string(options_.max_search_groups) + " GroupIds");
  }
  for (const auto& gid : r.group_ids) {
    if (auto e = CheckId(gid, true)) return *e;
  }
  if (r.max_face_num < 1 || r.max_face_num > 10) return Err(code::kSearchFacesExceed, "MaxFaceNum must be 1 to 10");
  if (r.max_person_num < 1 || r.max_person_num > 100) {
    return Err(code::kSearchPersonsExceed, "MaxPersonNum must be 1 to 100");
  }
  if (!(r.face_match_threshold >= 0 && r.face_match_threshold <= 100)) {
    return Err(code::kThresholdIllegal, "FaceMatchThreshold must be 0 to 100");
  }
  if (r.quality_control < 0 || r.quality_control > 4)
    return Err(code::kQualityIllegal, "QualityControl must be 0 to 4");
  if (r.min_face_size < 0) return Err(code::kInvalid, "MinFaceSize must not be negative");
  std::string version;  // of the searched groups: one (the cloud API's rule)
  auto pre = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<ApiError> {
    std::size_t faces = 0;
    for (const auto& gid : r.group_ids) {
      const gallery::GroupState* g = c.GroupById(gid);
      if (!g) return Err(code::kGroupIdNotExist, "GroupId " + gid + " does not exist");
      if (version.empty()) {
        version = g->record.face_model_version;
      } else if (version != g->record.face_model_version) {
        return Err(code::kUnsupported, "the groups have different FaceModelVersions (" + version + ", " +
                                           g->record.face_model_version +
                                           "); one search covers groups of one version");
      }
      faces += g->face_count;  // the catalog's (a cluster node indexes its own shards only)
    }
    if (faces == 0) return Err(code::kNoFaceInGroups, "the groups hold no faces");
    return std::nullopt;
  });
  if (pre) return *pre;
  const bool primary = version == options_.face_model_version;
  if (!primary) {
    if (auto e = CheckVersionServed(version)) return *e;
  }
  EmbedExtras extras;
  if (!primary) extras.versions = {version};
  // The cloud API's rule: the largest max_face_num faces. A FaceKit face
  // choice other than "largest" names the one face searched.
  const bool chosen = r.max_face_num == 1 && r.face_choice.rule != FaceChoice::Rule::kLargest;
  auto faces = Faces(r.image, r.max_face_num, r.min_face_size, chosen ? &r.face_choice : nullptr, false,
                     primary ? nullptr : &extras);
  if (!faces.ok()) return faces.error();
  const auto k = static_cast<std::size_t>(r.max_person_num);
  // Cluster nodes: the candidates come from the shards (sharded_search.h),
  // asked before the catalog is read (the router waits on other nodes).
  // Per face searched, one list per group list (all groups, or each group).
  const bool routed = router_ != nullptr;
  std::vector<std::vector<RoutedSearchResult>> routed_hits;
  std::vector<std::string> missing_shards;
  if (routed) {
    for (const FaceInput& face : faces.value()) {
      std::vector<RoutedSearchResult>& lists = routed_hits.emplace_back();
      if (face.quality_level < r.quality_control) continue;
      RoutedSearchQuery q;
      q.query = primary ? face.embedding : face.other_embeddings.front().second;
      q.face_model_version = version;
      q.max_persons = k;
      q.max_faces_per_person = options_.max_faces_per_person;
      q.allow_partial = r.allow_partial;
      q.deadline = r.deadline;
      q.min_seq = r.min_seq;
      q.persons = persons;
      std::vector<std::vector<std::string>> group_lists;
      if (by_group) {
        for (const auto& gid : r.group_ids) group_lists.push_back({gid});
      } else {
        group_lists.push_back(r.group_ids);
      }
      for (auto& groups : group_lists) {
        q.group_ids = std::move(groups);
        auto found = router_->SearchFaces(q);
        if (!found.ok()) return RouterError(found.status());
        for (const auto& m : found->missing_shards) {
          if (std::find(missing_shards.begin(), missing_shards.end(), m) == missing_shards.end()) {
            missing_shards.push_back(m);
          }
        }
        lists.push_back(std::move(found.value()));
      }
    }
  }
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<SearchResponse> {
    SearchResponse out;
    out.face_model_version = version;
    std::vector<std::int64_t> gkeys;
    for (const auto& gid : r.group_ids) {
      const gallery::GroupState* g = c.GroupById(gid);
      // Switched by a job since the check: the query's vector is of the old version.
      if (g && g->record.face_model_version != version) {
        return Err(code::kUnsupported, "group " + gid + " switched FaceModelVersion during the request; send it again");
      }
      if (g) gkeys.push_back(g->record.key);
    }
    out.faces_in_photo = static_cast<std::size_t>(faces->front().faces_in_photo);
    std::tie(out.person_num, out.face_num) = SearchedCounts(c, gkeys);
    // Candidates of one group list: best face per person (face search) or the
    // fused feature (person search), scored, thresholded, top k. Each hit as
    // (person, face id, group, similarity): a routed one names them by id (the
    // shards' answer: no face record is read here, so the node need not hold
    // the faces it did not find; persons this node has not applied yet, or
    // deleted meanwhile, are left out), a local one by key.
    struct Found {
      const gallery::PersonState* person = nullptr;
      std::string_view face_id;
      const gallery::GroupState* group = nullptr;
      float similarity = 0;
    };
    auto found_hits = [&](const std::vector<std::int64_t>& groups, const float* query,
                          const RoutedSearchResult* routed_found) {
      std::vector<Found> hits;
      if (routed_found != nullptr) {
        for (const RoutedHit& h : routed_found->hits) {
          hits.push_back({c.PersonById(h.person_id), h.face_id, c.GroupById(h.group_id), h.similarity});
        }
        return hits;
      }
      for (const gallery::SearchHit& h :
           c.Search(groups, query, persons ? k : k * options_.max_faces_per_person, persons)) {
        const gallery::FaceState* f = persons ? nullptr : c.FaceByKey(h.key);
        const gallery::PersonState* p = persons ? c.PersonByKey(h.key) : f ? c.PersonByKey(f->person_key) : nullptr;
        hits.push_back({p, f ? std::string_view(f->id) : std::string_view(), c.GroupByKey(h.group_key), h.similarity});
      }
      return hits;
    };
    auto candidates = [&](const std::vector<std::int64_t>& groups, const float* query,
                          const RoutedSearchResult* routed_found) {
      std::vector<Candidate> list;
      std::set<std::int64_t> seen;
      for (const Found& h : found_hits(groups, query, routed_found)) {
        const gallery::PersonState* p = h.person;
        if (!p || !h.group || !seen.insert(p->record.key).second) continue;
        Candidate cand;
        cand.person_id = p->record.id;
        if (!persons) cand.face_id = std::string(h.face_id);
        cand.similarity = h.similarity;
        cand.score = ScoreOf(version, h.similarity, /*search=*/true);
        if (cand.score < r.face_match_threshold) continue;
        cand.group_id = h.group->record.id;
        if (r.need_person_info) {
          cand.person_name = p->record.name;
          cand.gender = p->record.gender;
          for (const auto& [gkey, m] : p->groups) {
            const gallery::GroupState* pg = c.GroupByKey(gkey);
            if (pg) cand.person_group_infos.push_back({pg->record.id, ExValues(*pg, m)});
          }
        }
        list.push_back(std::move(cand));
        if (list.size() >= k) break;
      }
      return list;
    };
    out.missing_shards = missing_shards;
    for (std::size_t fi = 0; fi < faces.value().size(); ++fi) {
      const FaceInput& face = faces.value()[fi];
      const float* query = primary ? face.embedding.data() : face.other_embeddings.front().second.data();
      auto found = [&](std::size_t list) -> const RoutedSearchResult* {
        return routed && list < routed_hits[fi].size() ? &routed_hits[fi][list] : nullptr;
      };
      SearchResult result;
      result.face_rect = ToRect(face.box);
      if (face.quality_level < r.quality_control) {
        result.ret_code = kRetQuality;
      } else if (by_group) {
        // Routed lists follow r.group_ids; gkeys leaves out groups deleted since.
        for (std::size_t gi = 0; gi < r.group_ids.size(); ++gi) {
          const gallery::GroupState* g = c.GroupById(r.group_ids[gi]);
          if (g) result.by_group.push_back({g->record.id, candidates({g->record.key}, query, found(gi))});
        }
      } else {
        result.candidates = candidates(gkeys, query, found(0));
      }
      out.results.push_back(std::move(result));
    }
    return out;
  });
}

ApiResult<SearchResponse> FaceService::SearchFaces(const SearchRequest& r, bool by_group) const {
  return Search(r, by_group, /*persons=*/false);
}

ApiResult<SearchResponse> FaceService::SearchPersons(const SearchRequest& r, bool by_group) const {
  return Search(r, by_group, /*persons=*/true);
}

ApiResult<VerifyResponse> FaceService::VerifyFace(const std::string& person_id,
                                                  const std::vector<std::uint8_t>& image) const {
  if (auto e = CheckId(person_id, false)) return *e;
  auto vectors = PrimaryVectors(person_id);
  if (!vectors.ok()) return vectors.error();
  auto face = ChosenFace(image);
  if (!face.ok()) return face.error();
  VerifyResponse out;
  out.face_model_version = options_.face_model_version;
  for (const auto& v : vectors.value()) {
    if (!v.empty()) out.score = std::max(out.score, engine_.Compare(face->embedding, v).score);
  }
  out.is_match = out.score >= options_.verify_match_score;
  out.match_score = options_.verify_match_score;
  return out;
}

ApiResult<VerifyResponse> FaceService::VerifyPerson(const std::string& person_id,
                                                    const std::vector<std::uint8_t>& image) const {
  if (auto e = CheckId(person_id, false)) return *e;
  auto vectors = PrimaryVectors(person_id);
  if (!vectors.ok()) return vectors.error();
  std::vector<std::vector<float>> vs;
  for (auto& v : vectors.value()) {
    if (!v.empty()) vs.push_back(std::move(v));
  }
  std::optional<std::vector<float>> fused = gallery::NormalisedMean(vs);
  auto face = ChosenFace(image);
  if (!face.ok()) return face.error();
  VerifyResponse out;
  out.face_model_version = options_.face_model_version;
  if (!fused->empty()) out.score = engine_.Compare(face->embedding, *fused).score;
  out.is_match = out.score >= options_.verify_match_score;
  out.match_score = options_.verify_match_score;
  return out;
}


ApiResult<DetectFaceResponse> FaceService::DetectFace(const DetectFaceRequest& r) const {
  if (r.max_face_num < 1 || r.max_face_num > 120) return Err(code::kInvalid, "MaxFaceNum must be 1 to 120");
  if (r.min_face_size < 1) return Err(code::kInvalid, "MinFaceSize must be positive");
  auto decoded = Timed("decode", [&] { return DecodeImage(r.image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto boxes = Timed("detect", [&] { return engine_.Detect(*decoded); });
  if (!boxes.ok()) return ImageError(boxes.status());
  if (boxes->empty()) return ImageError(Status(StatusCode::kNoFace, "no face"));
  DetectFaceResponse out;
  out.image_width = decoded->original_width();  // face rects are in original pixels too
  out.image_height = decoded->original_height();
  out.face_model_version = options_.face_model_version;
  std::vector<FaceBox> kept;
  for (const FaceBox& b : *boxes) {
    if (std::max(b.width, b.height) >= static_cast<float>(r.min_face_size)) kept.push_back(b);
  }
  if (kept.empty()) {
    return Err(code::kFaceSizeTooSmall, "every face is smaller than MinFaceSize " + std::to_string(r.min_face_size));
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const FaceBox& a, const FaceBox& b) { return a.width * a.height > b.width * b.height; });
  if (kept.size() > static_cast<std::size_t>(r.max_face_num)) kept.resize(static_cast<std::size_t>(r.max_face_num));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const FaceBox& b = kept[i];
    DetectedFace f;
    f.rect = ToRect(b);
    f.landmarks = b.landmarks;
    auto q = engine_.Quality(*decoded, b);
    if (!q.ok()) return ImageError(q.status());
    f.yaw = q->yaw;
    f.pitch = q->pitch;
    f.roll = q->roll;
    if (r.need_face_attributes) {
      // The models run on the largest faces only; the rest get the pose.
      AttributeSelection selection = r.attribute_selection;
      if (i >= options_.max_attribute_faces) selection = {false, false, false};
      auto a = Attributes(*decoded, b, *q, selection);
      if (!a.ok()) return a.error();
      f.attributes = std::move(a.value());
    }
    if (r.need_quality) {
      FaceQualityInfo info;
      info.level = q->level;
      info.score = 25 * q->level;
      info.sharpness = static_cast<int>(std::lround(100.0 * std::min(1.0, static_cast<double>(q->sharpness) / 160.0)));
      info.brightness = static_cast<int>(std::lround(static_cast<double>(q->brightness) * 100.0 / 255.0));
      f.quality = info;
    }
    out.face_infos.push_back(f);
  }
  return out;
}

namespace {

// DetectLiveFace's Score from the medium evidence: r = the largest decisive
// cue's value over its threshold; live (r < 1) maps to (87, 100], a fired cue
// (r >= 1) to (0, 87], so that the cloud API's "live above 87" holds.
float LivenessScore(const MediumEvidence& m) {
  float r = 0;
  for (const SpoofCue& c : m.cues) {
    if (c.decisive && c.measured && c.threshold > 0) r = std::max(r, c.value / c.threshold);
  }
  return r < 1 ? 87.f + 13.f * (1.f - r) : 87.f / r;
}

}  // namespace

ApiResult<LivenessResponse> FaceService::DetectLiveFace(const std::vector<std::uint8_t>& image) const {
  auto decoded = Timed("decode", [&] { return DecodeImage(image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto boxes = Timed("detect", [&] { return engine_.Detect(*decoded); });
  if (!boxes.ok()) return ImageError(boxes.status());
  if (boxes->empty()) return ImageError(Status(StatusCode::kNoFace, "no face"));
  const FaceBox& face = (*boxes)[static_cast<std::size_t>(facekit::LargestFace(*boxes))];
  if (liveness_ != nullptr) {
    auto judged = Timed("liveness", [&] { return liveness_->Judge(*decoded, face); });
    if (!judged.ok()) return ImageError(judged.status());
    return LivenessResponse{LivenessScore(judged->medium), judged->live, options_.face_model_version,
                            judged->reason};
  }
  auto live = Timed("liveness", [&] { return engine_.Liveness(*decoded, face); });
  if (!live.ok()) return ImageError(live.status());
  return LivenessResponse{live->score, live->is_live, options_.face_model_version,
                          "the passive anti-spoofing model alone (no replay-medium check on this server)"};
}

ApiResult<CompareResponse> FaceService::CompareFace(const std::vector<std::uint8_t>& image_a,
                                                    const std::vector<std::uint8_t>& image_b) const {
  auto a = ChosenFace(image_a);
  if (!a.ok()) return a.error();
  auto b = ChosenFace(image_b);
  if (!b.ok()) return b.error();
  const CompareResult cmp = engine_.Compare(a->embedding, b->embedding, options_.verify_match_score);
  return CompareResponse{cmp.score, cmp.similarity, options_.face_model_version, cmp.same_person, cmp.match_score};
}

}  // namespace facekit::service
