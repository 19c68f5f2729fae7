// The bar test of examples/attendance: a video assembled from real LFW photos
// (three enrolled people in a known order, two strangers between them) runs
// through `facekit pipeline run examples/attendance/graph.json` and must give
// exactly one check-in per enrolled person, in order, inside the window in
// which that person is on screen, and none for the strangers. Each check-in
// carries a JPEG crop of the face (face_jpeg) that is recognisably that person.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "attendance/attendance_test_util.h"
#include "common/base64.h"
#include "media/pipeline_cli.h"

namespace facekit::testing {
namespace {

struct Segment {
  std::string name;
  bool known;
  int first_frame = 0, last_frame = 0;
};

constexpr int kFps = 10;
constexpr int kFramesPerPerson = 10;  // 1 s on screen
constexpr int kGapFrames = 5;         // 0.5 s of empty scene between people

// Writes the video; fills each segment's frame range.
bool WriteVideo(const std::string& path, std::vector<Segment>& segments) {
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), kFps, cv::Size(640, 480));
  if (!writer.isOpened()) return false;
  int frame = 0;
  const cv::Mat blank(480, 640, CV_8UC3, cv::Scalar(90, 100, 110));
  auto gap = [&] {
    for (int i = 0; i < kGapFrames; ++i, ++frame) writer.write(blank);
  };
  gap();
  for (Segment& s : segments) {
    s.first_frame = frame;
    for (int i = 0; i < kFramesPerPerson; ++i, ++frame) {
      // The enrolled photo is the first; the video shows the others,
      // changing every 4 frames, drifting right 3 px per frame.
      const std::vector<std::string> photos = LfwPhotos(s.name);
      if (photos.size() < 2) return false;
      const std::size_t photo = 1 + static_cast<std::size_t>(i / 4) % (photos.size() - 1);
      cv::Mat face = cv::imread(photos[photo], cv::IMREAD_COLOR);
      if (face.empty()) return false;
      cv::resize(face, face, cv::Size(300, 300));
      cv::Mat canvas = blank.clone();
      face.copyTo(canvas(cv::Rect(150 + 3 * i, 90, 300, 300)));
      writer.write(canvas);
    }
    s.last_frame = frame - 1;
    gap();
  }
  writer.release();
  return std::filesystem::file_size(path) > 10000;
}

// The event's face_jpeg decodes to a JPEG (at most 64 KB, what POST
// /v1/events takes) with one face, the face at most 160 px, which is closer
// to the event's person's enrolled photo than to any other enrolled person's.
void ExpectFaceOf(const nlohmann::json& event, const std::vector<const Segment*>& known) {
  ASSERT_TRUE(event.contains("face_jpeg")) << "no face crop";
  const auto jpeg = Base64Decode(event.at("face_jpeg").get<std::string>());
  ASSERT_TRUE(jpeg.has_value()) << "face_jpeg is not base64";
  ASSERT_GE(jpeg->size(), 3u);
  EXPECT_EQ((*jpeg)[0], 0xFF);
  EXPECT_EQ((*jpeg)[1], 0xD8);  // JPEG SOI
  EXPECT_LE(jpeg->size(), 64u * 1024);
  auto crop = DecodeImage(*jpeg);
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  EXPECT_LE(std::max(crop->width, crop->height), 2 * 160);
  FaceBox box;
  auto embedding = SharedEngine().EmbedLargestFace(*crop, &box);
  ASSERT_TRUE(embedding.ok()) << "no face in the crop: " << embedding.status().ToString();
  EXPECT_LE(std::max(box.width, box.height), 160.f * 1.2f);
  std::string best;
  float best_score = -1;
  for (const Segment* s : known) {
    auto enrolled = SharedEngine().EmbedLargestFace(MustLoad(LfwPhotos(s->name).at(0)));
    ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    const float score = SharedEngine().Compare(*embedding, *enrolled).score;
    if (score > best_score) best_score = score, best = s->name;
  }
  EXPECT_EQ(best, event.at("person_id").get<std::string>()) << "best score " << best_score;
}

TEST(AttendanceGraph, OneCheckinPerKnownPersonInOrderNoneForStrangers) {
  TempDir dir;
  std::vector<Segment> segments = {{"Colin_Powell", true},  {"Tony_Blair", false},    {"Jean_Chretien", true},
                                   {"Serena_Williams", false}, {"John_Ashcroft", true}};
  const std::string video = dir.file("walk.avi");
  ASSERT_TRUE(WriteVideo(video, segments)) << "LFW photos missing, or cv::VideoWriter could not write MJPG/AVI";

  // Enrol one photo of each known person into a fresh gallery folder.
  const std::string gallery = dir.file("gallery");
  std::vector<std::string> enrolled;
  for (const Segment& s : segments) {
    if (s.known) enrolled.push_back(s.name);
  }
  EnrolFirstPhotos(gallery, enrolled);
  if (HasFatalFailure()) return;

  const CliRun run = RunPipelineCli("'" + SourceDir() + "/examples/attendance/graph.json' --set source='" + video +
                                        "' --set gallery='" + gallery + "' --set group=staff --set liveness=off --set annotated='" +
                                        dir.file("annotated.avi") + "'",
                                    dir.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<nlohmann::json> events = JsonLines(run.out);
  std::vector<const Segment*> known;
  for (const Segment& s : segments) {
    if (s.known) known.push_back(&s);
  }
  ASSERT_EQ(events.size(), known.size()) << run.out << run.err;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const nlohmann::json& e = events[i];
    SCOPED_TRACE(e.dump());
    EXPECT_EQ(e.at("type"), "checkin");
    EXPECT_EQ(e.at("person_id"), known[i]->name);
    EXPECT_EQ(e.at("group_id"), "staff");
    EXPECT_GE(e.at("score").get<double>(), 70.0);
    const std::int64_t pts = e.at("pts_ms").get<std::int64_t>();
    EXPECT_GE(pts, known[i]->first_frame * 1000 / kFps);
    EXPECT_LE(pts, known[i]->last_frame * 1000 / kFps);
    ExpectFaceOf(e, known);
  }
  // The annotated video has every frame.
  cv::VideoCapture annotated(dir.file("annotated.avi"));
  ASSERT_TRUE(annotated.isOpened());
  int frames = 0;
  for (cv::Mat m; annotated.read(m);) ++frames;
  EXPECT_EQ(frames, segments.back().last_frame + 1 + kGapFrames);
  // The profile report ends the run on stderr.
  EXPECT_NE(run.err.find("EmbedSearch"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace facekit::testing
