// The bar test of the active liveness challenge (issue 14 part 3): the
// attendance graph with --set challenge=blink, through the CLI, on videos
// built at run time from a real LFW photo (eval::BuildLivenessVideoSet:
// synthetic eyelid closure; docs/liveness-video.md). A live video with a
// blink gives a check-in and a challenge event with its evidence; the same
// photo shown on a phone gives no check-in, and the event says it timed out.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eval/liveness_video_set.h"
#include "facekit/face_mesh.h"
#include "media/pipeline_cli.h"
#include "service/open_service.h"
#include "test_util.h"

namespace facekit::testing {
namespace {

constexpr int kFps = 10;

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> events;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) events.push_back(nlohmann::json::parse(line));
  }
  return events;
}

class ChallengeGraph : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    FaceMeshOptions mo;
    mo.models_dir = ModelsDir();
    auto mesh = FaceMesh::Create(mo);
    ASSERT_TRUE(mesh.ok()) << mesh.status().ToString();
    eval::LivenessVideoSetOptions o;
    o.out_dir = dir_->file("videos");
    o.lfw_dir = DataDir() + "/lfw-view1/deepfunneled";
    o.people = 1;
    o.fps = kFps;  // fewer frames than the set's 15 fps: quicker, also under the sanitizers
    o.kinds = {"blink", "phone"};
    auto set = eval::BuildLivenessVideoSet(SharedEngine(), **mesh, o);
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    ASSERT_EQ(set->live.size(), 1u);
    ASSERT_EQ(set->spoof.size(), 1u);
    set_ = new eval::LivenessVideoSet(*set);
    // The person's other photo enrolled in a fresh gallery.
    auto service = service::OpenFaceService(dir_->file("gallery"), SharedEngine());
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service::CreateGroupRequest g;
    g.group_id = "staff";
    g.group_name = "Staff";
    ASSERT_TRUE((*service)->CreateGroup(g).ok());
    service::CreatePersonRequest p;
    p.group_id = "staff";
    p.person_id = set_->people[0].name;
    p.person_name = set_->people[0].name;
    auto bytes = ReadFileBytes(set_->people[0].enrol);
    ASSERT_TRUE(bytes.ok());
    p.image = std::move(*bytes);
    auto created = (*service)->CreatePerson(p);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
  static void TearDownTestSuite() {
    delete set_;
    delete dir_;
  }

  static CliRun Run(const std::string& video, const std::string& challenge) {
    return RunPipelineCli("'" + SourceDir() + "/examples/attendance/graph.json' --set source='" + video +
                              "' --set gallery='" + dir_->file("gallery") +
                              "' --set group=staff --set liveness=off --set challenge=" + challenge,
                          dir_->path());
  }

  static TempDir* dir_;
  static eval::LivenessVideoSet* set_;
};

TempDir* ChallengeGraph::dir_ = nullptr;
eval::LivenessVideoSet* ChallengeGraph::set_ = nullptr;

TEST_F(ChallengeGraph, LiveVideoWithABlinkChecksInWithEvidence) {
  const CliRun run = Run(set_->live[0], "blink");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<nlohmann::json> events = Lines(run.out);
  const nlohmann::json* challenge = nullptr;
  const nlohmann::json* checkin = nullptr;
  for (const nlohmann::json& e : events) {
    if (e.at("type") == "challenge" && challenge == nullptr) challenge = &e;
    if (e.at("type") == "checkin" && checkin == nullptr) checkin = &e;
  }
  ASSERT_NE(challenge, nullptr) << run.out << run.err;
  SCOPED_TRACE(challenge->dump());
  EXPECT_EQ(challenge->at("decision"), "passed");
  EXPECT_EQ(challenge->at("asked"), nlohmann::json::array({"blink"}));
  const nlohmann::json& step = challenge->at("steps").at(0);
  EXPECT_EQ(step.at("measure"), "eye_openness");
  // The video blinks at 1.5 s (4 frames from frame 15 at 10 fps): the closed
  // frame is one of them, and the eyes reopen after it.
  const std::int64_t closed = step.at("closed").at("frame").get<std::int64_t>();
  EXPECT_GE(closed, 15);
  EXPECT_LE(closed, 18);
  EXPECT_GT(step.at("reopened").at("frame").get<std::int64_t>(), closed);
  EXPECT_LT(step.at("closed").at("value").get<double>(), 0.6 * step.at("baseline").get<double>());
  EXPECT_EQ(challenge->at("time_to_decision_ms"),
            challenge->at("decided_ms").get<std::int64_t>() - challenge->at("started_ms").get<std::int64_t>());
  ASSERT_NE(checkin, nullptr) << run.out << run.err;
  EXPECT_EQ(checkin->at("person_id"), set_->people[0].name);
  EXPECT_EQ(checkin->at("challenge").at("decision"), "passed");
  // No check-in before the challenge passed.
  EXPECT_GE(checkin->at("pts_ms").get<std::int64_t>(), challenge->at("decided_ms").get<std::int64_t>());
}

TEST_F(ChallengeGraph, PhotoOnAPhoneGivesNoCheckinAndTimesOut) {
  const CliRun run = Run(set_->spoof[0], "blink");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<nlohmann::json> events = Lines(run.out);
  ASSERT_FALSE(events.empty()) << run.err;
  for (const nlohmann::json& e : events) {
    SCOPED_TRACE(e.dump());
    ASSERT_EQ(e.at("type"), "challenge");
    EXPECT_EQ(e.at("decision"), "timed_out");
    EXPECT_EQ(e.at("time_to_decision_ms"), 8000);
    EXPECT_FALSE(e.at("steps").at(0).at("passed").get<bool>());
    EXPECT_GT(e.at("frames").get<int>(), 0);
  }
}

TEST_F(ChallengeGraph, WithoutAChallengeTheLiveVideoChecksInAsBefore) {
  const CliRun run = Run(set_->live[0], "none");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<nlohmann::json> events = Lines(run.out);
  ASSERT_EQ(events.size(), 1u) << run.out;
  EXPECT_EQ(events[0].at("type"), "checkin");
  EXPECT_FALSE(events[0].contains("challenge"));
  EXPECT_EQ(events[0].at("pts_ms"), 0);  // the first frame: nothing is held back
}

}  // namespace
}  // namespace facekit::testing
