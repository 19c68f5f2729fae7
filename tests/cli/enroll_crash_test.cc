// kill -9 in the middle of `facekit gallery enroll`, then restart: every
// acknowledged enrolment is present, nothing is half-present, searches equal
// a fresh rebuild, and a second run finishes the job.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "service/open_service.h"
#include "test_util.h"

namespace facekit {
namespace {

namespace fs = std::filesystem;

// Builds FOLDER/<person>/<image> from LFW View 1 (symlinks, read in place).
std::size_t MakeEnrolFolder(const std::string& folder) {
  const fs::path lfw = fs::path(testing::DataDir()) / "lfw-view1" / "original-150";
  std::size_t images = 0;
  std::size_t people = 0;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(lfw)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    std::vector<fs::path> files;
    for (const auto& f : fs::directory_iterator(d)) files.push_back(f.path());
    if (files.size() < 2) continue;
    std::sort(files.begin(), files.end());
    fs::create_directories(fs::path(folder) / d.filename());
    for (std::size_t i = 0; i < std::min<std::size_t>(files.size(), 3); ++i) {
      fs::create_symlink(files[i], fs::path(folder) / d.filename() / files[i].filename());
      ++images;
    }
    if (++people == 16) break;
  }
  return images;
}

testing::ChildProcess SpawnEnrol(const std::string& data, const std::string& folder) {
  // --face central: LFW centres the labelled person; some photos hold others of similar size.
  return testing::SpawnWithStdout({::facekit::testing::CliPath(), "--models=" + testing::ModelsDir(), "gallery", "enroll", "--data",
                                   data, "--group", "staff", folder, "--json", "--face", "central"},
                                  /*quiet_stderr=*/true);
}

TEST(EnrollCrash, KillNineMidEnrolmentLosesNothingAcknowledged) {
  testing::TempDir dir;
  const std::string folder = dir.file("people"), data = dir.file("data");
  const std::size_t total = MakeEnrolFolder(folder);
  ASSERT_GE(total, 30u);

  testing::ChildProcess child = SpawnEnrol(data, folder);
  std::set<std::string> acknowledged;  // face ids
  char line[4096];
  while (acknowledged.size() < 8 && std::fgets(line, sizeof(line), child.out)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "enrolled") acknowledged.insert(j["face_id"].get<std::string>());
  }
  ASSERT_EQ(kill(child.pid, SIGKILL), 0);
  int status = 0;
  waitpid(child.pid, &status, 0);
  std::fclose(child.out);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(acknowledged.size(), 8u);

  {
    auto svc = service::OpenFaceService(data, testing::SharedEngine());
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    gallery::Gallery& g = (*svc)->gallery();
    g.Read([&](const gallery::Catalog& c) {
      for (const auto& id : acknowledged) EXPECT_NE(c.FaceKeyById(id), 0) << "acknowledged face lost: " << id;
      EXPECT_LT(c.face_count(), total) << "the kill came too late to test anything";
      const gallery::GroupState* staff = c.GroupById("staff");
      EXPECT_NE(staff, nullptr);
      std::size_t faces_in_group = 0;
      for (std::int64_t pkey : staff->persons) {
        const gallery::PersonState* p = c.PersonByKey(pkey);
        EXPECT_FALSE(p->faces.empty()) << p->record.id << " has no face";
        EXPECT_FALSE(p->groups.empty());
        faces_in_group += p->faces.size();
      }
      EXPECT_EQ(faces_in_group, c.face_count());
      EXPECT_EQ(staff->faces->size(), c.face_count());
      return 0;
    });
    // Searches on the restarted gallery equal those on a fresh rebuild.
    auto rebuilt = service::OpenFaceService(data, testing::SharedEngine());
    ASSERT_TRUE(rebuilt.ok());
    ASSERT_TRUE((*rebuilt)->gallery().RebuildIndexes().ok());
    const std::int64_t gkey = g.Read([](const gallery::Catalog& c) { return c.GroupById("staff")->record.key; });
    for (const char* photo : {"obama.jpg", "biden.jpg", "bbt1.jpg"}) {
      auto img = testing::MustLoad(testing::Photo(photo));
      auto e = testing::SharedEngine().EmbedLargestFace(img);
      ASSERT_TRUE(e.ok());
      auto a = g.SearchFaces({gkey}, e->data(), 10);
      auto b = (*rebuilt)->gallery().SearchFaces({gkey}, e->data(), 10);
      ASSERT_EQ(a.size(), b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].key, b[i].key);
        EXPECT_FLOAT_EQ(a[i].similarity, b[i].similarity);
      }
    }
  }

  // Running again finishes the job and skips what is there.
  testing::ChildProcess again = SpawnEnrol(data, folder);
  std::size_t enrolled = 0, already = 0;
  while (std::fgets(line, sizeof(line), again.out)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == "summary") {
      enrolled = j["enrolled"];
      already = j["already_enrolled"];
    }
  }
  std::fclose(again.out);
  waitpid(again.pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GE(already, acknowledged.size());
  auto svc = service::OpenFaceService(data, testing::SharedEngine());
  ASSERT_TRUE(svc.ok());
  const std::size_t faces = (*svc)->gallery().Read([](const gallery::Catalog& c) { return c.face_count(); });
  EXPECT_EQ(faces, already + enrolled);
  EXPECT_GE(faces, total - 3);  // a few LFW images may have no detectable face
}

}  // namespace
}  // namespace facekit
