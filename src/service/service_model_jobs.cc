// FaceService: face model versions (UpgradeGroupFaceModelVersion,
// RevertGroupFaceModelVersion, GetUpgradeGroupFaceModelVersionJobList,
// GetUpgradeGroupFaceModelVersionResult) and the job thread that re-embeds a
// group's faces (docs/gallery.md#face-model-versions).
//
// A job's state lives in the store (model_jobs) and every step is a write
// through the gallery: the vectors of a batch of faces with the job's
// progress, then the switch (group version + job status) in one transaction.
// The group answers with its recorded version only, so it is never half
// switched; a job found running at start-up resumes (the vectors already
// stored are kept) or, without the embedder it needs, fails, leaving the
// group on its old version.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "service/face_service.h"
#include "service/model_versions.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

namespace {
constexpr std::size_t kJobBatch = 8;  // faces embedded per stored step
constexpr std::size_t kLostFacesListed = 10;

UpgradeJobInfo InfoOf(const store::ModelJobRecord& j) {
  return UpgradeJobInfo{j.id, j.group_id, j.from_version, j.to_version, j.start_ms, j.end_ms, j.status, j.progress,
                        j.failure};
}

// The group's faces, and those among them without a vector of `version`
// (`no_crop`: of those, the ones without a stored crop, as
// "PersonId/FaceId"). The face records a cluster node does not keep (other
// shards) are read from the store. No lock of the gallery held (or from a
// planner: the writer lock).
struct GroupFaces {
  std::size_t total = 0;
  std::vector<std::int64_t> todo;
  std::vector<std::pair<std::int64_t, std::string>> no_crop;  // by face key
};
Result<GroupFaces> FacesOf(const gallery::Gallery& gallery, std::int64_t group_key, const std::string& version) {
  GroupFaces out;
  std::vector<std::int64_t> elsewhere;
  std::unordered_map<std::int64_t, std::string> person_ids;  // of the faces read from the store
  auto check = [&](std::int64_t fk, const gallery::FaceState& f, const std::string& person_id) {
    if (f.other_versions.count(version)) return;
    out.todo.push_back(fk);
    if (!f.has_crop) out.no_crop.emplace_back(fk, person_id + "/" + f.id.str());
  };
  gallery.Read([&](const gallery::Catalog& c) {
    const gallery::GroupState* g = c.GroupByKey(group_key);
    if (!g) return;
    for (std::int64_t pk : g->persons) {
      const gallery::PersonState* p = c.PersonByKey(pk);
      for (std::int64_t fk : p->faces) {
        ++out.total;
        if (const gallery::FaceState* f = c.FaceByKey(fk)) {
          check(fk, *f, p->record.id);
        } else {
          elsewhere.push_back(fk);
          person_ids.emplace(fk, p->record.id);
        }
      }
    }
  });
  if (!elsewhere.empty()) {
    FACEKIT_ASSIGN_OR_RETURN(auto faces, gallery.FacesByKey(elsewhere));
    for (const auto& f : faces) check(f.key, f.state, person_ids[f.key]);
  }
  std::sort(out.todo.begin(), out.todo.end());
  std::sort(out.no_crop.begin(), out.no_crop.end());
  return out;
}
}  // namespace


FaceService::FaceService(const FaceEngine& engine, std::unique_ptr<gallery::Gallery> gallery, ServiceOptions options)
    : engine_(engine), gallery_(std::move(gallery)), options_(std::move(options)), ids_(std::make_unique<IdSource>()) {
  if (options_.verify_match_score <= 0) options_.verify_match_score = engine_.match_rule().score;
  if (options_.mask_match_score <= 0) options_.mask_match_score = options_.verify_match_score;
  StartModelJobs();  // resumes a job a restart interrupted
}

FaceService::~FaceService() {
  if (!jobs_) return;
  {
    std::lock_guard lock(jobs_->mu);
    jobs_->stop = true;
  }
  jobs_->cv.notify_all();
  if (jobs_->thread.joinable()) jobs_->thread.join();
}

void FaceService::SetModelJobHook(ModelJobHook hook) {
  std::lock_guard lock(jobs_->mu);
  jobs_->hook = std::move(hook);
}

std::string FaceService::NewJobId(const std::string& group_id) {
  std::lock_guard lock(ids_->mu);
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> d(0, 35);
  std::string tail;
  for (int i = 0; i < 8; ++i) tail += kChars[d(ids_->rng)];
  return group_id + "_upgrade_group_" + std::to_string(Now() / 1000) + "_" + tail;
}

void FaceService::StartModelJobs() {
  if (!jobs_) jobs_ = std::make_unique<JobThread>();
  if (gallery_->options().read_only) return;
  // A job whose embedder is not loaded cannot go on: it fails, the group
  // stays on its old version.
  std::size_t runnable = 0;
  auto stranded = gallery_->Read([&](const gallery::Catalog& c) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& j : c.Jobs()) {
      if (j.status != 0) continue;
      if (auto e = CheckVersionServed(j.to_version)) {
        out.emplace_back(j.id, e->message);
      } else {
        ++runnable;
      }
    }
    return out;
  });
  for (const auto& [id, why] : stranded) FailModelJob(id, "stopped at a restart: " + why);
  if (runnable == 0) return;  // the thread starts with the first job
  std::lock_guard lock(jobs_->mu);
  jobs_->wake = true;
  if (!jobs_->thread.joinable()) {
    jobs_->thread = std::thread([this] { ModelJobLoop(); });
  }
  jobs_->cv.notify_all();
}

void FaceService::ModelJobLoop() {
  std::unique_lock lock(jobs_->mu);
  while (true) {
    jobs_->cv.wait(lock, [&] { return jobs_->wake || jobs_->stop; });
    if (jobs_->stop) return;
    jobs_->wake = false;
    jobs_->running = true;
    lock.unlock();
    bool go_on = true;
    while (go_on) {
      auto next = gallery_->Read([](const gallery::Catalog& c) -> std::optional<std::string> {
        for (const auto& j : c.Jobs()) {
          if (j.status == 0) return j.id;
        }
        return std::nullopt;
      });
      if (!next) break;
      go_on = RunModelJob(*next);
    }
    lock.lock();
    jobs_->running = false;
    jobs_->cv.notify_all();
    if (!go_on) {  // stopped by the hook (a simulated crash): no more work
      jobs_->cv.wait(lock, [&] { return jobs_->stop; });
      return;
    }
  }
}

void FaceService::WaitForModelJobs() {
  std::unique_lock lock(jobs_->mu);
  jobs_->cv.wait(lock, [&] { return jobs_->stop || (!jobs_->wake && !jobs_->running); });
}

void FaceService::FailModelJob(const std::string& job_id, const std::string& why) {
  (void)Commit([&](const gallery::Catalog& c) -> Plan {
    const store::ModelJobRecord* j = c.JobById(job_id);
    if (!j || j->status != 0) return store::Batch{};
    store::ModelJobRecord failed = *j;
    failed.status = 3;
    failed.end_ms = Now();
    failed.failure = why;
    return store::Batch{store::mutation::PutModelJob{failed}};
  });
}

bool FaceService::RunModelJob(const std::string& job_id) {
  while (true) {
    {
      std::lock_guard lock(jobs_->mu);
      if (jobs_->stop) return false;
    }
    struct Step {
      bool live = false;
      std::string version;
      GroupFaces faces;
    };
    std::int64_t group_key = 0;
    Step step = gallery_->Read([&](const gallery::Catalog& c) {
      Step s;
      const store::ModelJobRecord* j = c.JobById(job_id);
      const gallery::GroupState* g = j ? c.GroupByKey(j->group_key) : nullptr;
      if (!j || j->status != 0 || !g) return s;
      s.live = true;
      s.version = j->to_version;
      group_key = g->record.key;
      return s;
    });
    if (!step.live) return true;  // deleted with its group, or finished
    if (auto faces = FacesOf(*gallery_, group_key, step.version); faces.ok()) {
      step.faces = std::move(*faces);
    } else {
      FailModelJob(job_id, "reading the group's faces: " + faces.status().message());
      return true;
    }
    if (step.faces.todo.empty()) {
      // Switch, in one transaction, if nothing was enrolled meanwhile.
      bool switched = false;
      auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
        const store::ModelJobRecord* j = c.JobById(job_id);
        const gallery::GroupState* g = j ? c.GroupByKey(j->group_key) : nullptr;
        if (!j || j->status != 0 || !g) return store::Batch{};
        auto left = FacesOf(*gallery_, g->record.key, j->to_version);
        if (!left.ok()) return StoreError(left.status());
        if (!left->todo.empty()) return store::Batch{};
        store::ModelJobRecord done = *j;
        done.status = 1;
        done.progress = 100;
        done.end_ms = Now();
        switched = true;
        return store::Batch{store::mutation::SetGroupModelVersion{g->record.key, j->to_version},
                            store::mutation::PutModelJob{done}};
      });
      if (refused) {
        FailModelJob(job_id, "switching failed: " + refused->message);
        return true;
      }
      if (switched) return true;
      continue;  // faces were enrolled meanwhile: embed them first
    }
    const std::size_t done_before = step.faces.total - step.faces.todo.size();
    {
      std::lock_guard lock(jobs_->mu);
      if (jobs_->hook && !jobs_->hook(job_id, done_before)) return false;
    }
    std::vector<std::pair<std::int64_t, Embedding>> made;
    for (std::size_t i = 0; i < step.faces.todo.size() && i < kJobBatch; ++i) {
      const std::int64_t fk = step.faces.todo[i];
      auto crop = gallery_->FaceCrop(fk);
      if (!crop.ok()) {
        FailModelJob(job_id, "reading a face crop: " + crop.status().message());
        return true;
      }
      if (!crop->has_value()) {  // enrolled before crops were stored, meanwhile (a copy)
        FailModelJob(job_id, "face key " + std::to_string(fk) + " has no stored crop to re-embed");
        return true;
      }
      ImageLimits limits;
      limits.min_short_side = 1;
      auto image = DecodeImage((*crop)->image, limits);
      auto e = [&]() -> Result<Embedding> {
        if (!image.ok()) return image.status();
        FaceBox box;  // the landmarks are what the alignment uses
        for (std::size_t k = 0; k < 5; ++k) box.landmarks[k] = {(*crop)->landmarks[2 * k], (*crop)->landmarks[2 * k + 1]};
        box.width = static_cast<float>(image->width);
        box.height = static_cast<float>(image->height);
        return EmbedWith(*image, box, step.version);
      }();
      if (!e.ok()) {
        FailModelJob(job_id, "re-embedding a face: " + e.status().message());
        return true;
      }
      made.emplace_back(fk, std::move(*e));
    }
    auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
      const store::ModelJobRecord* j = c.JobById(job_id);
      const gallery::GroupState* g = j ? c.GroupByKey(j->group_key) : nullptr;
      if (!j || j->status != 0 || !g) return store::Batch{};
      store::Batch b;
      for (auto& [fk, e] : made) {
        if (c.FaceKnown(fk)) b.push_back(store::mutation::PutFaceVector{fk, j->to_version, e});
      }
      store::ModelJobRecord progressed = *j;
      auto faces_now = FacesOf(*gallery_, g->record.key, j->to_version);
      if (!faces_now.ok()) return StoreError(faces_now.status());
      const GroupFaces& now = *faces_now;
      const std::size_t left = now.todo.size() > b.size() ? now.todo.size() - b.size() : 0;
      progressed.progress =
          now.total == 0 ? 100.f : 100.f * static_cast<float>(now.total - left) / static_cast<float>(now.total);
      b.push_back(store::mutation::PutModelJob{progressed});
      return b;
    });
    if (refused) {
      FailModelJob(job_id, "storing vectors failed: " + refused->message);
      return true;
    }
  }
}

ApiResult<std::string> FaceService::UpgradeGroupFaceModelVersion(const std::string& group_id,
                                                                 const std::string& version) {
  if (auto e = CheckId(group_id, true)) return *e;
  if (version.empty()) return Err(code::kModelVersionIllegal, "FaceModelVersion is empty");
  if (auto e = CheckVersionServed(version)) return *e;
  const std::string job_id = NewJobId(group_id);
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    const gallery::GroupState* g = c.GroupById(group_id);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + group_id + " does not exist");
    for (const auto& j : c.Jobs()) {
      if (j.group_key == g->record.key && j.status == 0) {
        return Err(code::kUnsupported, "group " + group_id + " has a running upgrade job " + j.id);
      }
    }
    const std::string& from = g->record.face_model_version;
    const ModelVersion* current = FindModelVersion(from);
    const ModelVersion* target = FindModelVersion(version);
    if (current && target->order <= current->order) {
      return Err(code::kModelVersionIllegal, "group " + group_id + " is at FaceModelVersion " + from +
                                                 "; it can only be upgraded to a newer version, not " + version);
    }
    // Faces that cannot be re-embedded: enrolled before crops were stored.
    auto faces = FacesOf(*gallery_, g->record.key, version);
    if (!faces.ok()) return StoreError(faces.status());
    const std::size_t lost_num = faces->no_crop.size();
    std::vector<std::string> lost;
    for (std::size_t i = 0; i < lost_num && i < kLostFacesListed; ++i) lost.push_back(faces->no_crop[i].second);
    if (lost_num > 0) {
      std::string list;
      for (const auto& l : lost) list += (list.empty() ? "" : ", ") + l;
      return Err(code::kGroupLostFaces,
                 std::to_string(lost_num) + " face(s) of group " + group_id +
                     " were enrolled without a stored face crop and cannot be re-embedded; delete them or enrol "
                     "them again (PersonId/FaceId: " + list + (lost_num > lost.size() ? ", ..." : "") + ")");
    }
    store::ModelJobRecord j;
    j.id = job_id;
    j.group_key = g->record.key;
    j.group_id = group_id;
    j.from_version = from;
    j.to_version = version;
    j.status = 0;
    j.start_ms = Now();
    return store::Batch{store::mutation::PutModelJob{j}};
  });
  if (refused) return *refused;
  StartModelJobs();
  return job_id;
}

ApiResult<Empty> FaceService::RevertGroupFaceModelVersion(const std::string& job_id) {
  if (job_id.empty()) return Err(code::kMissing, "JobId is empty");
  auto refused = Commit([&](const gallery::Catalog& c) -> Plan {
    const store::ModelJobRecord* j = c.JobById(job_id);
    if (!j) return Err(code::kJobNotFound, "JobId " + job_id + " does not exist");
    const gallery::GroupState* g = c.GroupByKey(j->group_key);
    if (!g) return Err(code::kGroupIdNotExist, "GroupId " + j->group_id + " does not exist");
    if (j->status == 0) return Err(code::kUnsupported, "job " + job_id + " is still upgrading");
    if (j->status == 2) return Err(code::kUnsupported, "job " + job_id + " was reverted already");
    if (j->status == 3) return Err(code::kUnsupported, "job " + job_id + " failed; the group was not switched");
    for (const auto& other : c.Jobs()) {
      if (other.group_key != j->group_key) continue;
      if (other.status == 2) {
        return Err(code::kUnsupported, "group " + j->group_id + " was reverted once (job " + other.id +
                                           "); a group can be reverted only once");
      }
      if (other.start_ms > j->start_ms || other.status == 0) {
        return Err(code::kUnsupported, "a later job (" + other.id + ") changed group " + j->group_id);
      }
    }
    if (g->record.face_model_version != j->to_version) {
      return Err(code::kUnsupported, "group " + j->group_id + " is no longer at FaceModelVersion " + j->to_version);
    }
    store::ModelJobRecord reverted = *j;
    reverted.status = 2;
    reverted.end_ms = Now();
    return store::Batch{store::mutation::SetGroupModelVersion{g->record.key, j->from_version},
                        store::mutation::PutModelJob{reverted}};
  });
  if (refused) return *refused;
  return Empty{};
}

ApiResult<GetUpgradeJobListResponse> FaceService::GetUpgradeJobList(std::int64_t offset, std::int64_t limit,
                                                                   const GroupFilter& visible) const {
  if (auto e = CheckWindow(offset, limit)) return *e;
  return gallery_->Read([&](const gallery::Catalog& c) {
    std::vector<const store::ModelJobRecord*> jobs;
    for (const auto& j : c.Jobs()) {
      if (!visible || visible(j.group_id)) jobs.push_back(&j);
    }
    GetUpgradeJobListResponse out;
    out.job_num = jobs.size();
    auto [begin, end] = Window(out.job_num, offset, limit);
    for (std::size_t i = begin; i < end; ++i) out.jobs.push_back(InfoOf(*jobs[i]));
    return out;
  });
}

ApiResult<UpgradeJobInfo> FaceService::GetUpgradeJobResult(const std::string& job_id) const {
  if (job_id.empty()) return Err(code::kMissing, "JobId is empty");
  return gallery_->Read([&](const gallery::Catalog& c) -> ApiResult<UpgradeJobInfo> {
    const store::ModelJobRecord* j = c.JobById(job_id);
    if (!j) return Err(code::kJobNotFound, "JobId " + job_id + " does not exist");
    return InfoOf(*j);
  });
}

}  // namespace facekit::service
