#include "service/face_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <unordered_map>

namespace facekit::service {

namespace {

namespace code {
constexpr const char* kMissing = "MissingParameter.ErrorParameterEmpty";
constexpr const char* kInvalid = "InvalidParameterValue";
constexpr const char* kInternal = "InternalError";
constexpr const char* kGroupIdIllegal = "InvalidParameterValue.GroupIdIllegal";
constexpr const char* kGroupIdTooLong = "InvalidParameterValue.GroupIdTooLong";
constexpr const char* kGroupIdExists = "InvalidParameterValue.GroupIdAlreadyExist";
constexpr const char* kGroupIdNotExist = "InvalidParameterValue.GroupIdNotExist";
constexpr const char* kGroupIdsExceed = "InvalidParameterValue.GroupIdsExceed";
constexpr const char* kGroupNameExists = "InvalidParameterValue.GroupNameAlreadyExist";
constexpr const char* kGroupNameIllegal = "InvalidParameterValue.GroupNameIllegal";
constexpr const char* kGroupNameTooLong = "InvalidParameterValue.GroupNameTooLong";
constexpr const char* kGroupNumExceed = "InvalidParameterValue.GroupNumExceed";
constexpr const char* kGroupNumPerPersonExceed = "InvalidParameterValue.GroupNumPerPersonExceed";
constexpr const char* kGroupTagIllegal = "InvalidParameterValue.GroupTagIllegal";
constexpr const char* kGroupTagTooLong = "InvalidParameterValue.GroupTagTooLong";
constexpr const char* kGroupExExceed = "InvalidParameterValue.GroupExDescriptionsExceed";
constexpr const char* kGroupExIdentical = "InvalidParameterValue.GroupExDescriptionsNameIdentical";
constexpr const char* kGroupExIllegal = "InvalidParameterValue.GroupExDescriptionsNameIllegal";
constexpr const char* kGroupExTooLong = "InvalidParameterValue.GroupExDescriptionsNameTooLong";
constexpr const char* kGroupFaceNumExceed = "InvalidParameterValue.GroupFaceNumExceed";
constexpr const char* kModelVersionIllegal = "InvalidParameterValue.FaceModelVersionIllegal";
constexpr const char* kPersonIdIllegal = "InvalidParameterValue.PersonIdIllegal";
constexpr const char* kPersonIdTooLong = "InvalidParameterValue.PersonIdTooLong";
constexpr const char* kPersonIdExists = "InvalidParameterValue.PersonIdAlreadyExist";
constexpr const char* kPersonIdNotExist = "InvalidParameterValue.PersonIdNotExist";
constexpr const char* kPersonNameIllegal = "InvalidParameterValue.PersonNameIllegal";
constexpr const char* kPersonNameTooLong = "InvalidParameterValue.PersonNameTooLong";
constexpr const char* kGenderIllegal = "InvalidParameterValue.PersonGenderIllegal";
constexpr const char* kPersonExExceed = "InvalidParameterValue.PersonExDescriptionInfosExceed";
constexpr const char* kPersonExIdentical = "InvalidParameterValue.PersonExDescriptionsNameIdentical";
constexpr const char* kPersonExIllegal = "InvalidParameterValue.PersonExDescriptionsNameIllegal";
constexpr const char* kPersonExTooLong = "InvalidParameterValue.PersonExDescriptionsNameTooLong";
constexpr const char* kPersonFaceNumExceed = "InvalidParameterValue.PersonFaceNumExceed";
constexpr const char* kDeleteFaceNumExceed = "InvalidParameterValue.DeleteFaceNumExceed";
constexpr const char* kUploadFaceNumExceed = "InvalidParameterValue.UploadFaceNumExceed";
constexpr const char* kThresholdIllegal = "InvalidParameterValue.FaceMatchThresholdIllegal";
constexpr const char* kQualityIllegal = "InvalidParameterValue.QualityControlIllegal";
constexpr const char* kUniqueIllegal = "InvalidParameterValue.UniquePersonControlIllegal";
constexpr const char* kLimitExceed = "InvalidParameterValue.LimitExceed";
constexpr const char* kOffsetExceed = "InvalidParameterValue.OffsetExceed";
constexpr const char* kNoFaceInGroups = "InvalidParameterValue.NoFaceInGroups";
constexpr const char* kSearchPersonsExceed = "InvalidParameterValue.SearchPersonsExceed";
constexpr const char* kSearchFacesExceed = "FailedOperation.SearchFacesExceed";
constexpr const char* kPersonInGroup = "FailedOperation.GroupPersonMapExist";
constexpr const char* kPersonNotInGroup = "FailedOperation.GroupPersonMapNotExist";
constexpr const char* kQualityNotQualified = "FailedOperation.FaceQualityNotQualified";
constexpr const char* kFaceSizeTooSmall = "FailedOperation.FaceSizeTooSmall";
}  // namespace code

constexpr int kRetNoFace = -1101;
constexpr int kRetDecodeFailed = -1102;
constexpr int kRetQuality = -1601;
constexpr int kRetMismatch = -1604;

ApiError Err(const char* c, std::string message) { return ApiError{c, std::move(message)}; }

ApiError StoreError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kAlreadyExists:
      return Err(code::kInvalid, "conflicting concurrent change: " + s.message());
    case StatusCode::kNotFound:
      return Err(code::kInvalid, "the record changed concurrently: " + s.message());
    default:
      return Err(code::kInternal, s.ToString());
  }
}

// Code points of valid UTF-8, or -1.
long Utf8Length(const std::string& s) {
  long n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

bool IdChars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '-' || c == '%' || c == '@' || c == '#' || c == '&' || c == '_';
  });
}

// Letters of any script, digits, '-', '_', '.', and spaces (the cloud API
// allows Chinese and English letters, digits, '-' and '_').
bool NameChars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x80 || std::isalnum(c) || c == '-' || c == '_' || c == ' ' || c == '.';
  });
}

std::optional<ApiError> CheckId(const std::string& id, bool group) {
  if (id.empty()) return Err(code::kMissing, std::string(group ? "GroupId" : "PersonId") + " is empty");
  if (id.size() > 64) {
    return Err(group ? code::kGroupIdTooLong : code::kPersonIdTooLong,
               std::string(group ? "GroupId" : "PersonId") + " is longer than 64 bytes");
  }
  if (!IdChars(id)) {
    return Err(group ? code::kGroupIdIllegal : code::kPersonIdIllegal,
               std::string(group ? "GroupId" : "PersonId") + " may hold only letters, digits and -%@#&_");
  }
  return std::nullopt;
}

// A name field: 1..max_chars characters of NameChars.
std::optional<ApiError> CheckName(const std::string& v, const char* field, long max_chars, const char* too_long,
                                  const char* illegal, bool required = true) {
  if (v.empty()) {
    if (required) return Err(code::kMissing, std::string(field) + " is empty");
    return std::nullopt;
  }
  const long n = Utf8Length(v);
  if (n < 0 || !NameChars(v)) return Err(illegal, std::string(field) + " has characters that are not allowed");
  if (n > max_chars) {
    return Err(too_long, std::string(field) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return std::nullopt;
}

std::optional<ApiError> CheckPersonEx(const std::vector<ExDescription>& ex, std::size_t group_fields) {
  if (ex.size() > 5) return Err(code::kPersonExExceed, "at most 5 PersonExDescriptionInfos");
  std::set<int> seen;
  for (const auto& e : ex) {
    if (e.index < 0 || static_cast<std::size_t>(e.index) >= group_fields) {
      return Err(code::kInvalid, "PersonExDescriptionIndex " + std::to_string(e.index) +
                                     " is not a field of the group (it has " + std::to_string(group_fields) + ")");
    }
    if (!seen.insert(e.index).second) return Err(code::kPersonExIdentical, "PersonExDescriptionIndex repeated");
    const long n = Utf8Length(e.description);
    if (n < 0) return Err(code::kPersonExIllegal, "PersonExDescription is not valid UTF-8");
    if (n > 60) return Err(code::kPersonExTooLong, "PersonExDescription is longer than 60 characters");
  }
  return std::nullopt;
}

Rect ToRect(const FaceBox& b) {
  return Rect{static_cast<int>(std::lround(b.x)), static_cast<int>(std::lround(b.y)),
              static_cast<int>(std::lround(b.width)), static_cast<int>(std::lround(b.height))};
}

std::vector<std::string> ExValues(const gallery::GroupState& g, const store::MembershipRecord& m) {
  std::vector<std::string> out(g.record.ex_descriptions.size());
  for (const auto& [i, v] : m.ex_descriptions) {
    if (i >= 0 && static_cast<std::size_t>(i) < out.size()) out[static_cast<std::size_t>(i)] = v;
  }
  return out;
}

std::pair<std::size_t, std::size_t> Window(std::size_t total, std::int64_t offset, std::int64_t limit) {
  const auto begin = std::min(total, static_cast<std::size_t>(offset));
  return {begin, std::min(total, begin + static_cast<std::size_t>(limit))};
}

std::optional<ApiError> CheckWindow(std::int64_t offset, std::int64_t limit) {
  if (offset < 0) return Err(code::kOffsetExceed, "Offset must not be negative");
  if (limit < 1 || limit > 1000) return Err(code::kLimitExceed, "Limit must be 1 to 1000");
  return std::nullopt;
}

}  // namespace

ApiError ImageError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kImageEmpty:
      return Err("InvalidParameterValue.ImageEmpty", "the image is empty");
    case StatusCode::kImageTruncated:
    case StatusCode::kImageCorrupt:
    case StatusCode::kImageUnsupportedFormat:
      return Err("FailedOperation.ImageDecodeFailed", "image decode failed: " + s.message());
    case StatusCode::kImageTooSmall:
      return Err("FailedOperation.ImageResolutionTooSmall", s.message());
    case StatusCode::kImageTooLarge:
      return Err("FailedOperation.ImageResolutionExceed", s.message());
    case StatusCode::kImageSizeExceeded:
      return Err("FailedOperation.ImageSizeExceed", s.message());
    case StatusCode::kNoFace:
      return Err("InvalidParameterValue.NoFaceInPhoto", "no face in the image");
    default:
      return Err("FailedOperation.ServerError", s.ToString());
  }
}

struct FaceService::IdSource {
  std::mutex mu;
  std::mt19937_64 rng{std::random_device{}()};
};

FaceService::FaceService(const FaceEngine& engine, std::unique_ptr<gallery::Gallery> gallery, ServiceOptions options)
    : engine_(engine), gallery_(std::move(gallery)), options_(std::move(options)), ids_(std::make_unique<IdSource>()) {}

FaceService::~FaceService() = default;

void FaceService::SetModelObserver(ModelObserver observer) { model_observer_ = std::move(observer); }

std::int64_t FaceService::Now() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FaceService::NewFaceId() {
  std::lock_guard lock(ids_->mu);
  // 19 decimal digits, like the cloud API's face ids.
  std::uniform_int_distribution<std::uint64_t> d(1000000000000000000ull, 9999999999999999999ull);
  return std::to_string(d(ids_->rng));
}

std::optional<ApiError> FaceService::Commit(const std::function<Plan(const gallery::Catalog&)>& plan) {
  std::optional<ApiError> refused;
  auto written = gallery_->Write([&](const gallery::Catalog& c) -> Result<store::Batch> {
    Plan planned = plan(c);
    if (auto* e = std::get_if<ApiError>(&planned)) {
      refused = std::move(*e);
      return store::Batch{};
    }
    return std::move(std::get<store::Batch>(planned));
  });
  if (refused) return refused;
  if (!written.ok()) return StoreError(written.status());
  return std::nullopt;
}

ApiResult<std::vector<FaceService::FaceInput>> FaceService::Faces(const std::vector<std::uint8_t>& image, int max_faces,
                                                                  int min_face_size) const {
  auto decoded = Timed("decode", [&] { return DecodeImage(image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto boxes = Timed("detect", [&] { return engine_.Detect(*decoded); });
  if (!boxes.ok()) return ImageError(boxes.status());
  if (boxes->empty()) return ImageError(Status(StatusCode::kNoFace, "no face"));
  std::vector<FaceBox> kept;
  for (const FaceBox& b : *boxes) {
    if (std::max(b.width, b.height) >= static_cast<float>(min_face_size)) kept.push_back(b);
    if (static_cast<int>(kept.size()) >= max_faces) break;
  }
  if (kept.empty()) {
    return Err(code::kFaceSizeTooSmall, "every face is smaller than MinFaceSize " + std::to_string(min_face_size));
  }
  std::vector<Image> chips;
  std::vector<FaceInput> out;
  for (const FaceBox& b : kept) {
    auto chip = engine_.Align(*decoded, b);
    if (!chip.ok()) return ImageError(chip.status());
    chips.push_back(std::move(*chip));
    FaceInput f;
    f.box = b;
    auto q = engine_.Quality(*decoded, b);
    f.quality_level = q.ok() ? q->level : 0;
    out.push_back(std::move(f));
  }
  auto embeddings = Timed("embed", [&] { return engine_.Embed(chips); });
  if (!embeddings.ok()) return ImageError(embeddings.status());
  for (std::size_t i = 0; i < out.size(); ++i) out[i].embedding = std::move((*embeddings)[i]);
  return out;
}

ApiResult<FaceService::FaceInput> FaceService::LargestFace(const std::vector<std::uint8_t>& image,
                                                           int min_face_size) const {
  auto faces = Faces(image, 1, min_face_size);
  if (!faces.ok()) return faces.error();
  return std::move(faces.value().front());
}

// ---------------- groups ----------------

ApiResult<CreateGroupResponse> FaceService::CreateGroup(const CreateGroupRequest& r) {
  if (auto e = CheckId(r.group_id, true)) return *e;
  if (auto e = CheckName(r.group_name, "GroupName", 60, code::kGroupNameTooLong, code::kGroupNameIllegal)) return *e;
  if (auto e = CheckName(r.tag, "Tag", 40, code::kGroupTagTooLong, code::kGroupTagIllegal, false)) return *e;
  if (r.group_ex_descriptions.size() > 5) return Err(code::kGroupExExceed, "at most 5 GroupExDescriptions");
  std::set<std::string> seen;
  for (const auto& d : r.group_ex_descriptions) {
    if (auto e = CheckName(d, "GroupExDescription", 30, code::kGroupExTooLong, code::kGroupExIllegal)) return *e;
    if (!seen.insert(d).second) return Err(code::kGroupExIdentical, "GroupExDescriptions repeat '" + d + "'");
  }
  if (!r.face_model_version.empty() && r.face_model_version != options_.face_model_version) {
    return Err(code::kModelVersionIllegal, "FaceModelVersion '" + r.face_model_version +
                                               "' is not offered; FaceKit serves " + options_.face_model_version);
  }
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    if (c.GroupById(r.group_id)) {
      return Err(code::kGroupIdExists, "GroupId " + r.group_id + " exists");
    } else if (c.GroupNameTaken(r.group_name)) {
      return Err(code::kGroupNameExists, "GroupName " + r.group_name + " exists");
    } else if (c.group_count() >= options_.max_groups) {
      return Err(code::kGroupNumExceed, "at most " + std::to_string(options_.max_groups) + " groups");
    } else {
      b.push_back(store::mutation::InsertGroup{
          {0, r.group_id, r.group_name, r.tag, r.group_ex_descriptions, options_.face_model_version, Now()}});
    }
    return b;
  });
  if (refused) return *refused;
  return CreateGroupResponse{options_.face_model_version};
}

ApiResult<Empty> FaceService::DeleteGroup(const std::string& group_id) {
  if (auto e = CheckId(group_id, true)) return *e;
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) {
      return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    }
    // Persons in no other group go with it.
    for (std::int64_t pkey : g->persons) {
      if (c.PersonByKey(pkey)->groups.size() == 1) b.push_back(store::mutation::DeletePerson{pkey});
    }
    b.push_back(store::mutation::DeleteGroup{g->record.key});
    return b;
  });
  if (refused) return *refused;
  return Empty{};
}

namespace {
GroupInfo Info(const gallery::GroupState& g) {
  return GroupInfo{
      g.record.id,        g.record.name, g.record.tag, g.record.face_model_version, g.record.ex_descriptions,
      g.record.created_ms};
}
}  // namespace

ApiResult<GetGroupListResponse> FaceService::GetGroupList(std::int64_t offset, std::int64_t limit,
                                                         const GroupFilter& visible) const {
  if (auto e = CheckWindow(offset, limit)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) {
    GetGroupListResponse out;
    auto groups = c.Groups();
    if (visible) {
      std::erase_if(groups, [&](const gallery::GroupState* g) { return !visible(g->record.id); });
    }
    out.group_num = groups.size();
    auto [begin, end] = Window(groups.size(), offset, limit);
    for (std::size_t i = begin; i < end; ++i) out.group_infos.push_back(Info(*groups[i]));
    return out;
  });
}

ApiResult<GroupInfo> FaceService::GetGroupInfo(const std::string& group_id) const {
  if (auto e = CheckId(group_id, true)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<GroupInfo> {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    return Info(*g);
  });
}

ApiResult<Empty> FaceService::ModifyGroup(const ModifyGroupRequest& r) {
  if (auto e = CheckId(r.group_id, true)) return *e;
  if (r.group_name) {
    if (auto e = CheckName(*r.group_name, "GroupName", 60, code::kGroupNameTooLong, code::kGroupNameIllegal)) return *e;
  }
  if (r.tag) {
    if (auto e = CheckName(*r.tag, "Tag", 40, code::kGroupTagTooLong, code::kGroupTagIllegal, false)) return *e;
  }
  for (const auto& [i, name] : r.group_ex_descriptions_infos) {
    if (auto e = CheckName(name, "GroupExDescription", 30, code::kGroupExTooLong, code::kGroupExIllegal)) return *e;
  }
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    store::Batch b;
    const gallery::GroupState* g = c.GroupById(r.group_id);
    if (!g) {
      return Err(code::kGroupIdNotExist, "GroupId " + r.group_id + " does not exist");
    }
    store::GroupRecord rec = g->record;
    if (r.group_name && *r.group_name != rec.name) {
      if (c.GroupNameTaken(*r.group_name)) {
        return Err(code::kGroupNameExists, "GroupName " + *r.group_name + " exists");
      }
      rec.name = *r.group_name;
    }
    if (r.tag) rec.tag = *r.tag;
    for (const auto& [i, name] : r.group_ex_descriptions_infos) {
      // An index one past the end appends a field (up to 5).
      if (i < 0 || static_cast<std::size_t>(i) > rec.ex_descriptions.size()) {
        return Err(code::kInvalid, "GroupExDescriptionIndex " + std::to_string(i) + " is out of range");
      }
      if (static_cast<std::size_t>(i) == rec.ex_descriptions.size()) {
        if (rec.ex_descriptions.size() >= 5) {
          return Err(code::kGroupExExceed, "at most 5 GroupExDescriptions");
        }
        rec.ex_descriptions.push_back(name);
      } else {
        rec.ex_descriptions[static_cast<std::size_t>(i)] = name;
      }
    }
    std::set<std::string> seen(rec.ex_descriptions.begin(), rec.ex_descriptions.end());
    if (seen.size() != rec.ex_descriptions.size()) {
      return Err(code::kGroupExIdentical, "GroupExDescriptions would repeat a name");
    }
    b.push_back(store::mutation::UpdateGroup{rec});
    return b;
  });
  if (refused) return *refused;
  return Empty{};
}

// ---------------- persons ----------------

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
  auto pre = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<ApiError> {
    const gallery::GroupState* g = c.GroupById(r.group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + r.group_id + " does not exist");
    if (c.PersonById(r.person_id)) return Err(code::kPersonIdExists, "PersonId " + r.person_id + " exists");
    return CheckPersonEx(r.person_ex_descriptions, g->record.ex_descriptions.size());
  });
  if (pre) return *pre;
  auto face = LargestFace(r.image);
  if (!face.ok()) return face.error();
  if (face->quality_level < r.quality_control) {
    return Err(code::kQualityNotQualified, "the face's quality level " + std::to_string(face->quality_level) +
                                               " is below QualityControl " + std::to_string(r.quality_control));
  }
  CreatePersonResponse out;
  out.face_rect = ToRect(face->box);
  out.face_model_version = options_.face_model_version;
  if (r.unique_person_control > 0) {
    const float need = options_.unique_person_scores[r.unique_person_control - 1];
    std::string similar = gallery_->Read([&](const gallery::Catalog& c) -> std::string {
      const gallery::GroupState* g = c.GroupById(r.group_id);
      if (!g) return {};
      auto hits = c.Search({g->record.key}, face->embedding.data(), 1, false);
      if (hits.empty()) return {};
      const float score = engine_.Compare(face->embedding, c.FaceVector(hits[0].key)).score;
      if (score < need) return {};
      const gallery::FaceState* f = c.FaceByKey(hits[0].key);
      return f ? c.PersonByKey(f->person_key)->record.id : std::string();
    });
    if (!similar.empty()) {
      out.similar_person_id = similar;  // refused: nothing is created
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
    if (g->faces->size() >= options_.max_faces_per_group) {
      return Err(code::kGroupFaceNumExceed, "the group holds the maximum number of faces");
    }
    if (auto e = CheckPersonEx(r.person_ex_descriptions, g->record.ex_descriptions.size())) {
      return *e;
    }
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
PersonInfo MakePersonInfo(const gallery::Catalog& c, const gallery::PersonState& p, const gallery::GroupState* g) {
  PersonInfo info;
  info.person_name = p.record.name;
  info.person_id = p.record.id;
  info.gender = p.record.gender;
  info.creation_timestamp = p.record.created_ms;
  if (g) {
    auto it = p.groups.find(g->record.key);
    if (it != p.groups.end()) info.person_ex_descriptions = ExValues(*g, it->second);
  }
  for (std::int64_t fk : p.faces) {
    if (const gallery::FaceState* f = c.FaceByKey(fk)) info.face_ids.push_back(f->id);
  }
  return info;
}
}  // namespace

ApiResult<GetPersonListResponse> FaceService::GetPersonList(const std::string& group_id, std::int64_t offset,
                                                            std::int64_t limit) const {
  if (auto e = CheckId(group_id, true)) return *e;
  if (auto e = CheckWindow(offset, limit)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<GetPersonListResponse> {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    GetPersonListResponse out;
    out.person_num = g->persons.size();
    out.face_num = g->faces->size();
    out.face_model_version = g->record.face_model_version;
    std::vector<std::int64_t> keys(g->persons.begin(), g->persons.end());
    auto [begin, end] = Window(keys.size(), offset, limit);
    for (std::size_t i = begin; i < end; ++i) out.person_infos.push_back(MakePersonInfo(c, *c.PersonByKey(keys[i]), g));
    return out;
  });
}

ApiResult<GetPersonListResponse> FaceService::GetPersonListNum(const std::string& group_id) const {
  if (auto e = CheckId(group_id, true)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<GetPersonListResponse> {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    GetPersonListResponse out;
    out.person_num = g->persons.size();
    out.face_num = g->faces->size();
    out.face_model_version = g->record.face_model_version;
    return out;
  });
}

ApiResult<PersonBaseInfo> FaceService::GetPersonBaseInfo(const std::string& person_id) const {
  if (auto e = CheckId(person_id, false)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<PersonBaseInfo> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
    PersonInfo info = MakePersonInfo(c, *p, nullptr);
    return PersonBaseInfo{info.person_name, info.gender, info.face_ids};
  });
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
      if (g->faces->size() + p->faces.size() > options_.max_faces_per_group) {
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

// ---------------- faces ----------------

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
  Current cur = gallery_->Read([&](const gallery::Catalog& c) {
    Current out;
    const gallery::PersonState* p = c.PersonById(r.person_id);
    if (!p) return out;
    out.found = true;
    out.faces = p->faces.size();
    for (std::int64_t fk : p->faces) out.vectors.push_back(c.FaceVector(fk));
    return out;
  });
  if (!cur.found) return Err(code::kPersonIdNotExist, "PersonId " + r.person_id + " does not exist");
  if (cur.faces >= options_.max_faces_per_person) {
    return Err(code::kPersonFaceNumExceed,
               "a person has at most " + std::to_string(options_.max_faces_per_person) + " faces");
  }
  CreateFaceResponse out;
  out.face_model_version = options_.face_model_version;
  out.ret_code.assign(r.images.size(), 0);
  struct Good {
    std::size_t index;
    FaceInput face;
    std::string id;
  };
  std::vector<Good> good;
  for (std::size_t i = 0; i < r.images.size(); ++i) {
    auto face = LargestFace(r.images[i]);
    if (!face.ok()) {
      out.ret_code[i] =
          face.error().code == "InvalidParameterValue.NoFaceInPhoto" || face.error().code == code::kFaceSizeTooSmall
              ? kRetNoFace
              : kRetDecodeFailed;
      continue;
    }
    if (face->quality_level < r.quality_control) {
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
      if (c.GroupByKey(gkey)->faces->size() + good.size() > options_.max_faces_per_group) {
        return Err(code::kGroupFaceNumExceed, "group " + c.GroupByKey(gkey)->record.id + " is full");
      }
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
    std::set<std::int64_t> doomed;
    for (const auto& id : face_ids) {
      const std::int64_t fk = c.FaceKeyById(id);
      if (fk == 0 || c.FaceByKey(fk)->person_key != p->record.key) continue;  // not this person's: skipped
      if (doomed.insert(fk).second) out.suc_face_ids.push_back(id);
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

// ---------------- search and verification ----------------

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
  auto pre = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<ApiError> {
    std::size_t faces = 0;
    for (const auto& gid : r.group_ids) {
      const gallery::GroupState* g = c.GroupById(gid);
      if (!g) return Err(code::kGroupIdNotExist, "GroupId " + gid + " does not exist");
      faces += g->faces->size();
    }
    if (faces == 0) return Err(code::kNoFaceInGroups, "the groups hold no faces");
    return std::nullopt;
  });
  if (pre) return *pre;
  auto faces = Faces(r.image, r.max_face_num, r.min_face_size);
  if (!faces.ok()) return faces.error();
  const auto k = static_cast<std::size_t>(r.max_person_num);
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<SearchResponse> {
    SearchResponse out;
    out.face_model_version = options_.face_model_version;
    std::vector<std::int64_t> gkeys;
    for (const auto& gid : r.group_ids) {
      if (const gallery::GroupState* g = c.GroupById(gid)) gkeys.push_back(g->record.key);
    }
    std::set<std::int64_t> searched_persons;
    for (std::int64_t gk : gkeys) {
      const auto& ps = c.GroupByKey(gk)->persons;
      searched_persons.insert(ps.begin(), ps.end());
    }
    out.person_num = searched_persons.size();
    // FaceNum: the faces held by the searched groups (the cloud API's meaning).
    for (std::int64_t pk : searched_persons) out.face_num += c.PersonByKey(pk)->faces.size();
    // Candidates of one group list: best face per person (face search) or the
    // fused feature (person search), scored, thresholded, top k.
    auto candidates = [&](const std::vector<std::int64_t>& groups, const float* query) {
      std::vector<Candidate> list;
      std::vector<gallery::SearchHit> hits =
          c.Search(groups, query, persons ? k : k * options_.max_faces_per_person, persons);
      std::set<std::int64_t> seen;
      for (const auto& h : hits) {
        const gallery::PersonState* p = nullptr;
        const gallery::FaceState* f = nullptr;
        if (persons) {
          p = c.PersonByKey(h.key);
        } else if ((f = c.FaceByKey(h.key))) {
          p = c.PersonByKey(f->person_key);
        }
        if (!p || !seen.insert(p->record.key).second) continue;
        Candidate cand;
        cand.person_id = p->record.id;
        if (f) cand.face_id = f->id;
        cand.similarity = h.similarity;
        cand.score = engine_.SearchScore(h.similarity);
        if (cand.score < r.face_match_threshold) continue;
        const gallery::GroupState* g = c.GroupByKey(h.group_key);
        cand.group_id = g ? g->record.id : std::string();
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
    for (const FaceInput& face : faces.value()) {
      SearchResult result;
      result.face_rect = ToRect(face.box);
      if (face.quality_level < r.quality_control) {
        result.ret_code = kRetQuality;
      } else if (by_group) {
        for (std::int64_t gk : gkeys) {
          result.by_group.push_back({c.GroupByKey(gk)->record.id, candidates({gk}, face.embedding.data())});
        }
      } else {
        result.candidates = candidates(gkeys, face.embedding.data());
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
  auto vectors = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<std::vector<std::vector<float>>> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return std::nullopt;
    std::vector<std::vector<float>> vs;
    for (std::int64_t fk : p->faces) vs.push_back(c.FaceVector(fk));
    return vs;
  });
  if (!vectors) return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
  auto face = LargestFace(image);
  if (!face.ok()) return face.error();
  VerifyResponse out;
  out.face_model_version = options_.face_model_version;
  for (const auto& v : *vectors) {
    if (!v.empty()) out.score = std::max(out.score, engine_.Compare(face->embedding, v).score);
  }
  out.is_match = out.score >= options_.verify_match_score;
  return out;
}

ApiResult<VerifyResponse> FaceService::VerifyPerson(const std::string& person_id,
                                                    const std::vector<std::uint8_t>& image) const {
  if (auto e = CheckId(person_id, false)) return *e;
  auto fused = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<std::vector<float>> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return std::nullopt;
    std::vector<std::vector<float>> vs;
    for (std::int64_t fk : p->faces) {
      auto v = c.FaceVector(fk);
      if (!v.empty()) vs.push_back(std::move(v));
    }
    return gallery::NormalisedMean(vs);
  });
  if (!fused) return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
  auto face = LargestFace(image);
  if (!face.ok()) return face.error();
  VerifyResponse out;
  out.face_model_version = options_.face_model_version;
  if (!fused->empty()) out.score = engine_.Compare(face->embedding, *fused).score;
  out.is_match = out.score >= options_.verify_match_score;
  return out;
}

std::optional<std::vector<std::string>> FaceService::PersonGroups(const std::string& person_id) const {
  return gallery_->Read([&](const gallery::Catalog& c) -> std::optional<std::vector<std::string>> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return std::nullopt;
    std::vector<std::string> ids;
    for (const auto& [gkey, m] : p->groups) ids.push_back(c.GroupByKey(gkey)->record.id);
    return ids;
  });
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
  for (const FaceBox& b : kept) {
    DetectedFace f;
    f.rect = ToRect(b);
    auto q = engine_.Quality(*decoded, b);
    if (!q.ok()) return ImageError(q.status());
    f.yaw = q->yaw;
    f.pitch = q->pitch;
    f.roll = q->roll;
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

ApiResult<LivenessResponse> FaceService::DetectLiveFace(const std::vector<std::uint8_t>& image) const {
  auto decoded = Timed("decode", [&] { return DecodeImage(image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto boxes = Timed("detect", [&] { return engine_.Detect(*decoded); });
  if (!boxes.ok()) return ImageError(boxes.status());
  if (boxes->empty()) return ImageError(Status(StatusCode::kNoFace, "no face"));
  const FaceBox& face = (*boxes)[static_cast<std::size_t>(facekit::LargestFace(*boxes))];
  auto live = Timed("liveness", [&] { return engine_.Liveness(*decoded, face); });
  if (!live.ok()) return ImageError(live.status());
  return LivenessResponse{live->score, live->is_live, options_.face_model_version};
}

ApiResult<CompareResponse> FaceService::CompareFace(const std::vector<std::uint8_t>& image_a,
                                                    const std::vector<std::uint8_t>& image_b) const {
  auto a = LargestFace(image_a);
  if (!a.ok()) return a.error();
  auto b = LargestFace(image_b);
  if (!b.ok()) return b.error();
  const CompareResult cmp = engine_.Compare(a->embedding, b->embedding);
  return CompareResponse{cmp.score, cmp.similarity, options_.face_model_version};
}

}  // namespace facekit::service
