// Face model versions through the cloud endpoint (signed requests): a real
// group of LFW people upgraded from 3.0 (MobileFaceNet) to 3.1 (face-api's
// ResNet-128) by the background job, searched during and after the job,
// reverted; the job's list and result; the errors; and a job stopped mid-way
// (a simulated crash) that resumes, or fails cleanly without the embedder.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "cloud_test_util.h"
#include "common/base64.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::CodeOf;
using testing::ResponseOf;

const FaceEngine& ResnetEngine() {
  static std::unique_ptr<FaceEngine> engine = [] {
    EngineOptions o;
    o.models_dir = testing::ModelsDir();
    o.num_threads = 1;
    o.extra_embedders = {EmbedderKind::kResNet128};
    auto e = FaceEngine::Create(o);
    if (!e.ok()) {
      ADD_FAILURE() << e.status().ToString();
      std::abort();
    }
    return std::move(*e);
  }();
  return *engine;
}

// LFW View 1 people with at least three images: the first is enrolled, the
// last is the probe.
const std::vector<std::string>& People() {
  static const std::vector<std::string> people = {"Al_Gore",       "Aaron_Peirsol",  "Ahmed_Chalabi", "Abdullah_Gul",
                                                  "Abel_Pacheco",  "Adam_Sandler",   "Alec_Baldwin",  "Albert_Costa",
                                                  "Akhmed_Zakayev", "Alejandro_Toledo"};
  return people;
}

std::vector<std::string> ImagesOf(const std::string& person) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(testing::DataDir() + "/lfw-view1/deepfunneled/" + person)) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Base64Of(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? Base64Encode(*bytes) : std::string();
}

class ModelVersionTest : public ::testing::Test {
 protected:
  ModelVersionTest() { Open(ResnetEngine()); }

  void Open(const FaceEngine& engine) {
    api_.reset();
    service_.reset();
    auto svc = service::OpenFaceService(dir_.path(), engine);
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc.value());
    keys_.Add("AKIDadmin", KeyRole::kAdmin);
    CloudApiOptions o;
    o.now_s = [] { return std::int64_t{1700000000}; };
    o.default_rate_limit = 100000;
    api_ = std::make_unique<CloudApi>(
        *service_, keys_, [](const std::string& url) -> Result<std::vector<std::uint8_t>> {
          return Status(StatusCode::kInvalidArgument, "no downloads here: " + url);
        },
        &metrics_, o);
  }

  json Call(const std::string& action, json params) {
    testing::SignedRequest r;
    r.action = action;
    r.params = std::move(params);
    r.secret_id = "AKIDadmin";
    r.secret_key = "secret-of-AKIDadmin";
    r.timestamp = 1700000000;
    r.language = "en-US";
    return ResponseOf(api_->Handle(r.Build()));
  }

  // Creates group `id` with the first image of each of `people`.
  void Enrol(const std::string& group, const std::vector<std::string>& people) {
    for (const auto& p : people) {
      json r = Call("CreatePerson",
                    {{"GroupId", group}, {"PersonId", p}, {"PersonName", p}, {"Image", Base64Of(ImagesOf(p).front())}});
      ASSERT_EQ(CodeOf(r), "OK") << p << " " << r;
    }
  }

  // Every person's last image finds that person first; returns the answers' FaceModelVersion.
  std::string ExpectFound(const std::vector<std::string>& groups, const std::vector<std::string>& people) {
    std::string version;
    for (const auto& p : people) {
      json r = Call("SearchFaces", {{"GroupIds", groups}, {"Image", Base64Of(ImagesOf(p).back())}});
      EXPECT_EQ(CodeOf(r), "OK") << p << " " << r;
      if (CodeOf(r) != "OK") continue;
      const json& cands = r["Results"][0]["Candidates"];
      EXPECT_FALSE(cands.empty()) << p;
      if (!cands.empty()) {
        EXPECT_EQ(cands[0]["PersonId"], p) << r;
      }
      version = r["FaceModelVersion"].get<std::string>();
    }
    return version;
  }

  json WaitForJob(const std::string& job_id) {
    service_->WaitForModelJobs();
    return Call("GetUpgradeGroupFaceModelVersionResult", {{"JobId", job_id}});
  }

  testing::TempDir dir_;
  std::unique_ptr<service::FaceService> service_;
  testing::MemoryKeys keys_;
  Metrics metrics_;
  std::unique_ptr<CloudApi> api_;
};

TEST_F(ModelVersionTest, UpgradesARealGroupWhileItAnswersThenReverts) {
  ASSERT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "staff"}, {"GroupName", "Staff"}})), "OK");
  const std::vector<std::string> first(People().begin(), People().begin() + 6);
  Enrol("staff", first);
  EXPECT_EQ(ExpectFound({"staff"}, first), "3.0");
  const json verify_params = {{"PersonId", People()[0]}, {"Image", Base64Of(ImagesOf(People()[0]).back())}};
  const json verify_before = Call("VerifyFace", verify_params);
  ASSERT_EQ(CodeOf(verify_before), "OK") << verify_before;

  // The job waits at its first step until the test has searched and enrolled.
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, go = false;
  service_->SetModelJobHook([&](const std::string&, std::size_t done) {
    std::unique_lock lock(mu);
    if (done == 0) {
      started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return go; });
    }
    return true;
  });
  json up = Call("UpgradeGroupFaceModelVersion", {{"GroupId", "staff"}, {"FaceModelVersion", "3.1"}});
  ASSERT_EQ(CodeOf(up), "OK") << up;
  const std::string job = up["JobId"].get<std::string>();
  EXPECT_EQ(job.rfind("staff_upgrade_group_", 0), 0u) << job;
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return started; });
  }
  // During the job: the group answers with its 3.0 vectors; a person
  // enrolled now is caught up by the job; a second job and a revert wait.
  json running = Call("GetUpgradeGroupFaceModelVersionResult", {{"JobId", job}});
  EXPECT_EQ(running["Status"], 0) << running;
  EXPECT_EQ(running["EndTimestamp"], 0);
  EXPECT_EQ(CodeOf(Call("UpgradeGroupFaceModelVersion", {{"GroupId", "staff"}, {"FaceModelVersion", "3.1"}})),
            "UnsupportedOperation");
  EXPECT_EQ(CodeOf(Call("RevertGroupFaceModelVersion", {{"JobId", job}})), "UnsupportedOperation");
  EXPECT_EQ(ExpectFound({"staff"}, first), "3.0");
  Enrol("staff", {People()[6]});
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();

  json done = WaitForJob(job);
  EXPECT_EQ(done["Status"], 1) << done;
  EXPECT_EQ(done["Progress"], 100.0);
  EXPECT_EQ(done["FromFaceModelVersion"], "3.0");
  EXPECT_EQ(done["ToFaceModelVersion"], "3.1");
  EXPECT_EQ(done["GroupId"], "staff");
  EXPECT_GE(done["EndTimestamp"].get<std::int64_t>(), done["StartTime"].get<std::int64_t>());
  EXPECT_GT(done["StartTime"].get<std::int64_t>(), 0);
  EXPECT_EQ(Call("GetGroupInfo", {{"GroupId", "staff"}})["FaceModelVersion"], "3.1");
  const std::vector<std::string> seven(People().begin(), People().begin() + 7);
  EXPECT_EQ(ExpectFound({"staff"}, seven), "3.1");  // the one enrolled during the job too

  // After the switch: enrolment embeds with both models; 1:1 still works.
  Enrol("staff", {People()[7]});
  const std::vector<std::string> eight(People().begin(), People().begin() + 8);
  EXPECT_EQ(ExpectFound({"staff"}, eight), "3.1");
  json verify = Call("VerifyFace", verify_params);  // the 3.0 vectors, as before
  EXPECT_EQ(verify["Score"], verify_before["Score"]) << verify;
  EXPECT_EQ(verify["FaceModelVersion"], "3.0");
  // One search covers one version.
  ASSERT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "old"}, {"GroupName", "Old"}})), "OK");
  Enrol("old", {People()[8]});
  EXPECT_EQ(CodeOf(Call("SearchFaces", {{"GroupIds", {"staff", "old"}}, {"Image", Base64Of(ImagesOf(People()[0]).back())}})),
            "UnsupportedOperation");
  EXPECT_EQ(CodeOf(Call("CopyPerson", {{"PersonId", People()[8]}, {"GroupIds", {"staff"}}})), "UnsupportedOperation");

  json list = Call("GetUpgradeGroupFaceModelVersionJobList", {{"Offset", 0}, {"Limit", 10}});
  ASSERT_EQ(list["JobNum"], 1) << list;
  EXPECT_EQ(list["JobInfos"][0]["JobId"], job);
  EXPECT_EQ(list["JobInfos"][0]["Status"], 1);
  EXPECT_EQ(list["JobInfos"][0]["GroupId"], "staff");
  EXPECT_EQ(list["JobInfos"][0]["FromFaceModelVersion"], "3.0");
  EXPECT_EQ(list["JobInfos"][0]["ToFaceModelVersion"], "3.1");

  // Revert: back to the 3.0 vectors, which were kept (and written for the
  // person enrolled after the switch).
  ASSERT_EQ(CodeOf(Call("RevertGroupFaceModelVersion", {{"JobId", job}})), "OK");
  EXPECT_EQ(Call("GetGroupInfo", {{"GroupId", "staff"}})["FaceModelVersion"], "3.0");
  EXPECT_EQ(ExpectFound({"staff"}, eight), "3.0");
  EXPECT_EQ(WaitForJob(job)["Status"], 2);
  EXPECT_EQ(CodeOf(Call("RevertGroupFaceModelVersion", {{"JobId", job}})), "UnsupportedOperation");

  // Upgrading again reuses the stored 3.1 vectors; a second revert is refused.
  json again = Call("UpgradeGroupFaceModelVersion", {{"GroupId", "staff"}, {"FaceModelVersion", "3.1"}});
  ASSERT_EQ(CodeOf(again), "OK") << again;
  EXPECT_EQ(WaitForJob(again["JobId"].get<std::string>())["Status"], 1);
  EXPECT_EQ(ExpectFound({"staff"}, eight), "3.1");
  EXPECT_EQ(CodeOf(Call("RevertGroupFaceModelVersion", {{"JobId", again["JobId"]}})), "UnsupportedOperation");

  // A restart loads the 3.1 group from the store.
  Open(ResnetEngine());
  EXPECT_EQ(Call("GetGroupInfo", {{"GroupId", "staff"}})["FaceModelVersion"], "3.1");
  EXPECT_EQ(ExpectFound({"staff"}, eight), "3.1");
}

TEST_F(ModelVersionTest, RefusesWithTheCloudsCodes) {
  ASSERT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "g"}, {"GroupName", "G"}})), "OK");
  Enrol("g", {People()[0]});
  auto upgrade = [&](json params) { return CodeOf(Call("UpgradeGroupFaceModelVersion", std::move(params))); };
  EXPECT_EQ(upgrade({{"GroupId", "nope"}, {"FaceModelVersion", "3.1"}}), "InvalidParameterValue.GroupIdNotExist");
  EXPECT_EQ(upgrade({{"GroupId", "g"}}), "MissingParameter");
  EXPECT_EQ(upgrade({{"GroupId", "g"}, {"FaceModelVersion", "2.0"}}), "InvalidParameterValue.FaceModelVersionIllegal");
  EXPECT_EQ(upgrade({{"GroupId", "g"}, {"FaceModelVersion", "3.0"}}), "InvalidParameterValue.FaceModelVersionIllegal");
  EXPECT_EQ(upgrade({{"GroupId", "g"}, {"FaceModelVersion", "4.0"}}), "InvalidParameterValue.FaceModelVersionIllegal");
  EXPECT_EQ(CodeOf(Call("GetUpgradeGroupFaceModelVersionResult", {{"JobId", "nope"}})), "ResourceNotFound");
  EXPECT_EQ(CodeOf(Call("RevertGroupFaceModelVersion", {{"JobId", "nope"}})), "ResourceNotFound");
  EXPECT_EQ(CodeOf(Call("GetUpgradeGroupFaceModelVersionJobList", {{"Limit", 5000}})), "InvalidParameterValue.LimitExceed");
  json empty = Call("GetUpgradeGroupFaceModelVersionJobList", json::object());
  EXPECT_EQ(empty["JobNum"], 0);
  EXPECT_TRUE(empty["JobInfos"].empty());

  // A face enrolled without a stored crop (before schema 2) cannot be
  // re-embedded: FailedOperation.GroupLostFaces names it, nothing starts.
  auto written = service_->gallery().Write([&](const gallery::Catalog& c) -> Result<store::Batch> {
    store::FaceRecord f;
    f.id = "old-face";
    f.person_key = c.PersonById(People()[0])->record.key;
    f.model_version = "3.0";
    f.embedding = c.FaceVector(c.PersonById(People()[0])->faces.front());
    f.created_ms = 1;
    return store::Batch{store::mutation::InsertFace{f}};
  });
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  json lost = Call("UpgradeGroupFaceModelVersion", {{"GroupId", "g"}, {"FaceModelVersion", "3.1"}});
  EXPECT_EQ(CodeOf(lost), "FailedOperation.GroupLostFaces");
  EXPECT_NE(lost["Error"]["Message"].get<std::string>().find(People()[0] + "/old-face"), std::string::npos) << lost;
  EXPECT_EQ(Call("GetUpgradeGroupFaceModelVersionJobList", json::object())["JobNum"], 0);
  ASSERT_EQ(CodeOf(Call("DeleteFace", {{"PersonId", People()[0]}, {"FaceIds", {"old-face"}}})), "OK");
  EXPECT_EQ(upgrade({{"GroupId", "g"}, {"FaceModelVersion", "3.1"}}), "OK");

  // A server without the ResNet-128 embedder refuses 3.1.
  Open(testing::SharedEngine());
  EXPECT_EQ(upgrade({{"GroupId", "g"}, {"FaceModelVersion", "3.1"}}), "UnsupportedOperation");
  EXPECT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "h"}, {"GroupName", "H"}, {"FaceModelVersion", "3.1"}})),
            "UnsupportedOperation");
}

TEST_F(ModelVersionTest, AnInterruptedJobResumesOrFailsButNeverHalfSwitches) {
  ASSERT_EQ(CodeOf(Call("CreateGroup", {{"GroupId", "staff"}, {"GroupName", "Staff"}})), "OK");
  Enrol("staff", People());  // 10 faces: more than one step of 8
  // A crash after the first step: the job thread stops there.
  service_->SetModelJobHook([](const std::string&, std::size_t done) { return done == 0; });
  json up = Call("UpgradeGroupFaceModelVersion", {{"GroupId", "staff"}, {"FaceModelVersion", "3.1"}});
  ASSERT_EQ(CodeOf(up), "OK") << up;
  const std::string job = up["JobId"].get<std::string>();
  json stopped = WaitForJob(job);
  EXPECT_EQ(stopped["Status"], 0) << stopped;
  EXPECT_GT(stopped["Progress"].get<double>(), 0);
  EXPECT_LT(stopped["Progress"].get<double>(), 100);
  EXPECT_EQ(ExpectFound({"staff"}, People()), "3.0");  // not half switched

  // Restarted without the embedder: the job fails, the group stays on 3.0.
  Open(testing::SharedEngine());
  json failed = Call("GetUpgradeGroupFaceModelVersionResult", {{"JobId", job}});
  EXPECT_EQ(failed["Status"], 3) << failed;
  EXPECT_EQ(Call("GetGroupInfo", {{"GroupId", "staff"}})["FaceModelVersion"], "3.0");
  EXPECT_EQ(ExpectFound({"staff"}, People()), "3.0");

  // Again, and this time restarted with it: the job resumes from the stored
  // vectors and switches.
  Open(ResnetEngine());
  service_->SetModelJobHook([](const std::string&, std::size_t done) { return done == 0; });
  json up2 = Call("UpgradeGroupFaceModelVersion", {{"GroupId", "staff"}, {"FaceModelVersion", "3.1"}});
  ASSERT_EQ(CodeOf(up2), "OK") << up2;
  const std::string job2 = up2["JobId"].get<std::string>();
  EXPECT_EQ(WaitForJob(job2)["Status"], 0);
  Open(ResnetEngine());
  json resumed = WaitForJob(job2);
  EXPECT_EQ(resumed["Status"], 1) << resumed;
  EXPECT_EQ(resumed["Progress"], 100.0);
  EXPECT_EQ(Call("GetGroupInfo", {{"GroupId", "staff"}})["FaceModelVersion"], "3.1");
  EXPECT_EQ(ExpectFound({"staff"}, People()), "3.1");
}

}  // namespace
}  // namespace facekit::server
