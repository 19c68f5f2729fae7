// FaceService: groups (create, delete, list, get, modify).
#include "service/face_service.h"

#include <set>

#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

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
  const std::string version = r.face_model_version.empty() ? options_.face_model_version : r.face_model_version;
  if (auto e = CheckVersionServed(version)) return *e;
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
          {0, r.group_id, r.group_name, r.tag, r.group_ex_descriptions, version, Now()}});
    }
    return b;
  });
  if (refused) return *refused;
  return CreateGroupResponse{version};
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


}  // namespace facekit::service
