// The replay bar of the attendance graph (issue 14): a video of an enrolled
// person's photo shown on a phone held in front of a scene gives no
// check-in, and the liveness events record why; the same photo placed
// directly in the same scene (the live counterpart) checks in once. Both
// videos are built here from LFW and COCO images (eval/replay_scene.h), run
// through `facekit pipeline run examples/attendance/graph.json` with the
// default liveness options.
//
// This checks the graph's wiring and the node's behaviour on one replay
// whose phone is fully in view; how often replays are caught is measured
// over many scenes by `facekit eval liveness --replay-set` (docs/liveness.md).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "attendance/attendance_test_util.h"
#include "eval/replay_scene.h"
#include "media/pipeline_cli.h"

namespace facekit::testing {
namespace {

constexpr int kFps = 10;
constexpr int kFrames = 25;  // 2.5 s: one re-check of the track (recheck_ms 2000)
constexpr char kPerson[] = "Colin_Powell";

// One scene (live or replay) drifting 2 px a frame, each frame through its
// own camera noise.
bool WriteVideo(const std::string& path, bool replay, eval::SceneFrame* first) {
  const std::vector<std::string> photos = LfwPhotos(kPerson);
  if (photos.size() < 2) return false;
  eval::ScenePhoto photo;
  photo.bgr = cv::imread(photos[1], cv::IMREAD_COLOR);
  photo.face = cv::Rect2f(73.f, 76.f, 100.f, 100.f);  // deep-funneled LFW, as in eval/replay_set.cc
  const cv::Mat background =
      cv::imread(DataDir() + "/detection/coco128-train/images/train2017/000000000071.jpg", cv::IMREAD_COLOR);
  if (photo.bgr.empty() || background.empty()) return false;
  eval::SceneRandom rng(eval::SceneRandom::Derive(14, replay ? 1 : 0));
  *first = replay ? eval::RenderReplayScene(photo, background, 90, eval::SceneKind::kPhone, rng)
                  : eval::RenderLiveScene(photo, background, 90, rng);
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), kFps, first->bgr.size());
  if (!writer.isOpened()) return false;
  for (int i = 0; i < kFrames; ++i) {
    cv::Mat frame;
    const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 2 * i - kFrames, 0, 1, 0);
    cv::warpAffine(first->bgr, frame, shift, first->bgr.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    eval::SceneRandom camera(eval::SceneRandom::Derive(140, static_cast<std::uint64_t>(i)));
    eval::ApplyCamera(frame, camera);
    writer.write(frame);
  }
  writer.release();
  return true;
}

struct GraphRun {
  std::vector<nlohmann::json> checkins, liveness;
};

GraphRun RunGraph(const TempDir& dir, const std::string& video, const std::string& gallery) {
  const std::string log = dir.file(video + ".liveness.jsonl");
  const CliRun run =
      RunPipelineCli("'" + SourceDir() + "/examples/attendance/graph.json' --set source='" + dir.file(video) +
                         "' --set gallery='" + gallery + "' --set group=staff --set liveness_events='" + log + "'",
                     dir.path());
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return {JsonLines(run.out), JsonLines(ReadAll(log))};
}

TEST(AttendanceLiveness, ReplayOnAPhoneGivesNoCheckinTheLiveSceneGivesOne) {
  TempDir dir;
  eval::SceneFrame replay_scene, live_scene;
  ASSERT_TRUE(WriteVideo(dir.file("replay.avi"), true, &replay_scene)) << "LFW/COCO images missing or no MJPG writer";
  ASSERT_TRUE(WriteVideo(dir.file("live.avi"), false, &live_scene));
  ASSERT_TRUE(replay_scene.medium_in_frame) << replay_scene.description;
  const std::string gallery = dir.file("gallery");
  EnrolFirstPhotos(gallery, {kPerson});
  if (HasFatalFailure()) return;

  const GraphRun replay = RunGraph(dir, "replay.avi", gallery);
  EXPECT_TRUE(replay.checkins.empty()) << replay_scene.description;
  ASSERT_FALSE(replay.liveness.empty()) << "no liveness event for the replay";
  for (const nlohmann::json& e : replay.liveness) {
    SCOPED_TRACE(e.dump());
    EXPECT_EQ(e.at("type"), "liveness");
    EXPECT_FALSE(e.at("live").get<bool>());
    const nlohmann::json& evidence = e.at("evidence");
    EXPECT_FALSE(evidence.at("is_live").get<bool>());
    bool fired = false;
    for (const nlohmann::json& cue : evidence.at("cues")) fired = fired || (cue.at("decisive") && cue.at("fired"));
    EXPECT_TRUE(fired);
    EXPECT_NE(e.at("reason"), "no replay medium found");
  }

  const GraphRun live = RunGraph(dir, "live.avi", gallery);
  ASSERT_EQ(live.checkins.size(), 1u) << live_scene.description;
  EXPECT_EQ(live.checkins[0].at("person_id"), kPerson);
  EXPECT_TRUE(live.checkins[0].at("live").get<bool>());
  // Confirmed live after confirm_frames (3) judgements: the check-in is on the third frame or later.
  EXPECT_GE(live.checkins[0].at("pts_ms").get<std::int64_t>(), 2 * 1000 / kFps);
  ASSERT_FALSE(live.liveness.empty());
  EXPECT_TRUE(live.liveness.front().at("live").get<bool>()) << live.liveness.front().dump();
}

}  // namespace
}  // namespace facekit::testing
