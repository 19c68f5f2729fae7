#include "eval/liveness_video_set.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "eval/face_animation.h"
#include "image/image_internal.h"

namespace facekit::eval {
namespace {

namespace fs = std::filesystem;
constexpr int kWidth = 640, kHeight = 480;

// What the live person does at one frame.
struct Pose {
  float closed = 0.f;  // eyelid closure 0..1
  float yaw = 0.f;     // degrees
};

// Blink: 4 frames (half, shut, shut, half) starting at `at` seconds.
void AddBlink(std::vector<Pose>& poses, int fps, double at) {
  const int f = static_cast<int>(at * fps);
  const float closure[] = {0.5f, 1.f, 1.f, 0.5f};
  for (int k = 0; k < 4 && f + k < static_cast<int>(poses.size()); ++k)
    poses[static_cast<size_t>(f + k)].closed = closure[k];
}

// Turn to `deg` over 0.5 s, hold 0.3 s, back over 0.5 s, starting at `at` seconds.
void AddTurn(std::vector<Pose>& poses, int fps, double at, float deg) {
  const int f0 = static_cast<int>(at * fps), ramp = fps / 2, hold = fps * 3 / 10;
  for (int k = 0; k < 2 * ramp + hold; ++k) {
    const size_t i = static_cast<size_t>(f0 + k);
    if (i >= poses.size()) break;
    const float a = k < ramp          ? static_cast<float>(k + 1) / ramp
                    : k < ramp + hold ? 1.f
                                      : 1.f - static_cast<float>(k - ramp - hold + 1) / ramp;
    poses[i].yaw = deg * a;
  }
}

std::vector<Pose> Script(const std::string& kind, int fps) {
  if (kind == "blink") {
    std::vector<Pose> p(static_cast<size_t>(6 * fps));
    AddBlink(p, fps, 1.5);
    AddBlink(p, fps, 4.0);
    return p;
  }
  if (kind == "turn") {
    std::vector<Pose> p(static_cast<size_t>(6 * fps));
    AddTurn(p, fps, 1.0, 30.f);
    AddTurn(p, fps, 3.3, -30.f);
    return p;
  }
  std::vector<Pose> p(static_cast<size_t>(10 * fps));  // "all"
  for (int cycle = 0; cycle < 3; ++cycle) {
    const double t = 1.0 + 3.0 * cycle;
    AddBlink(p, fps, t);
    AddTurn(p, fps, t + 0.5, 30.f);
    AddTurn(p, fps, t + 1.8, -30.f);
  }
  return p;
}

// The scene: a deterministic textured background and the photo at 300x300.
cv::Mat Scene(const cv::Mat& photo, std::uint64_t seed) {
  cv::Mat scene(kHeight, kWidth, CV_8UC3);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      scene.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(90 + x / 16), static_cast<uchar>(100 + y / 12), 110);
    }
  }
  cv::Mat noise(scene.size(), CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 12);
  scene += noise;
  cv::Mat face;
  cv::resize(photo, face, cv::Size(300, 300), 0, 0, cv::INTER_CUBIC);
  face.copyTo(scene(cv::Rect(170, 90, 300, 300)));
  return scene;
}

// Camera shake and sensor noise of frame i.
cv::Mat Camera(const cv::Mat& frame, int i, std::uint64_t seed) {
  const double t = i / 15.0;
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 2.0 * std::sin(2.1 * t), 0, 1, 1.5 * std::cos(1.7 * t));
  cv::Mat out;
  cv::warpAffine(frame, out, shift, frame.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  cv::Mat noise(out.size(), CV_16SC3);
  cv::RNG rng(seed * 7919 + static_cast<std::uint64_t>(i));
  rng.fill(noise, cv::RNG::NORMAL, 0, 3);
  cv::Mat wide;
  out.convertTo(wide, CV_16SC3);
  wide += noise;
  wide.convertTo(out, CV_8UC3);
  return out;
}

// `content` shown on a device screen (quad `screen` in a 640x480 room),
// with a bezel, glare and the screen's pixel texture.
cv::Mat OnScreen(const cv::Mat& content, const std::vector<cv::Point2f>& screen, const std::vector<cv::Point2f>& body) {
  cv::Mat room(kHeight, kWidth, CV_8UC3);
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      room.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(150 - y / 8), static_cast<uchar>(140 - x / 20), 130);
    }
  }
  std::vector<cv::Point> outline;
  for (const auto& p : body) outline.emplace_back(cvRound(p.x), cvRound(p.y));
  cv::fillConvexPoly(room, outline, cv::Scalar(25, 25, 28), cv::LINE_AA);
  // The screen's pixel grid: a faint 3-pixel pattern on the content.
  cv::Mat shown = content.clone();
  for (int y = 0; y < shown.rows; ++y) {
    for (int x = 0; x < shown.cols; ++x) {
      if ((x % 3 == 0) || (y % 3 == 0)) shown.at<cv::Vec3b>(y, x) = shown.at<cv::Vec3b>(y, x) * 0.93;
    }
  }
  const std::vector<cv::Point2f> corners = {{0, 0},
                                            {static_cast<float>(shown.cols), 0},
                                            {static_cast<float>(shown.cols), static_cast<float>(shown.rows)},
                                            {0, static_cast<float>(shown.rows)}};
  const cv::Mat h = cv::getPerspectiveTransform(corners, screen);
  cv::Mat warped, mask;
  cv::warpPerspective(shown, warped, h, room.size(), cv::INTER_LINEAR);
  cv::warpPerspective(cv::Mat(shown.size(), CV_8U, cv::Scalar(255)), mask, h, room.size(), cv::INTER_NEAREST);
  warped.copyTo(room, mask);
  // Glare: a soft bright band across the screen.
  cv::Mat glare(room.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Point2f c = (screen[0] + screen[2]) * 0.5f;
  cv::ellipse(glare, cv::Point(cvRound(c.x) - 30, cvRound(c.y) - 60), cv::Size(160, 40), -35, 0, 360,
              cv::Scalar(60, 60, 60), -1, cv::LINE_AA);
  cv::GaussianBlur(glare, glare, cv::Size(0, 0), 18);
  cv::Mat glare_on_screen;
  glare.copyTo(glare_on_screen, mask);
  room += glare_on_screen;
  return room;
}

// A phone held at (cx, cy), turned by `yaw_deg` about its vertical axis and
// rolled by `roll_deg`: its screen and body quads.
void PhoneQuads(float cx, float cy, float yaw_deg, float roll_deg, std::vector<cv::Point2f>& screen,
                std::vector<cv::Point2f>& body) {
  auto quad = [&](float hw, float hh) {
    const float a = yaw_deg * static_cast<float>(CV_PI) / 180.f, r = roll_deg * static_cast<float>(CV_PI) / 180.f;
    const float focal = 900.f;
    std::vector<cv::Point2f> q;
    for (const auto& [sx, sy] : {std::pair{-1.f, -1.f}, {1.f, -1.f}, {1.f, 1.f}, {-1.f, 1.f}}) {
      const float x = sx * hw * std::cos(a), z = sx * hw * std::sin(a);
      const float y = sy * hh;
      const float px = x * focal / (focal + z), py = y * focal / (focal + z);
      q.emplace_back(cx + px * std::cos(r) - py * std::sin(r), cy + px * std::sin(r) + py * std::cos(r));
    }
    return q;
  };
  screen = quad(105, 185);
  body = quad(115, 205);
}

Status WriteVideo(const std::string& path, int fps, int frames, const std::function<cv::Mat(int)>& frame) {
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(kWidth, kHeight));
  if (!writer.isOpened()) return Status(StatusCode::kIoError, "cannot write " + path + " (MJPG/AVI)");
  for (int i = 0; i < frames; ++i) writer.write(frame(i));
  writer.release();
  return Status::Ok();
}

Result<std::vector<LivenessVideoPerson>> PickPeople(const FaceEngine& engine, const FaceMesh& mesh,
                                                    const LivenessVideoSetOptions& o,
                                                    std::vector<std::vector<Point3f>>* meshes) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.lfw_dir, ec)) names.push_back(e.path().filename().string());
  if (ec) return Status(StatusCode::kNotFound, "cannot read " + o.lfw_dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  std::vector<LivenessVideoPerson> people;
  for (const std::string& name : names) {
    if (static_cast<int>(people.size()) >= o.people) break;
    std::vector<std::string> photos;
    for (const auto& e : fs::directory_iterator(fs::path(o.lfw_dir) / name, ec)) photos.push_back(e.path().string());
    if (photos.size() < 2) continue;
    std::sort(photos.begin(), photos.end());
    cv::Mat photo = cv::imread(photos[0], cv::IMREAD_COLOR);
    if (photo.empty()) continue;
    const Image scene = ImageFromMat(Scene(photo, o.seed));
    auto faces = engine.Detect(scene);
    if (!faces.ok() || faces->size() != 1) continue;
    FACEKIT_ASSIGN_OR_RETURN(FaceMeshResult m, mesh.Run(scene, (*faces)[0]));
    FACEKIT_ASSIGN_OR_RETURN(EyeOpenness eyes, MeshEyeOpenness(m.points));
    FACEKIT_ASSIGN_OR_RETURN(MeshPose pose, MeshHeadPose(m.points));
    if (m.confidence < mesh.min_confidence() || std::fabs(pose.yaw) > 12.f || eyes.mean() < 0.2f) continue;
    people.push_back({name, photos[0], photos[1], eyes.mean(), pose.yaw});
    meshes->push_back(std::move(m.points));
  }
  return people;
}

}  // namespace

Result<LivenessVideoSet> BuildLivenessVideoSet(const FaceEngine& engine, const FaceMesh& mesh,
                                               const LivenessVideoSetOptions& options) {
  const LivenessVideoSetOptions& o = options;
  if (o.fps < 5 || o.fps > 60) return Status(StatusCode::kInvalidArgument, "fps must be in [5, 60]");
  std::vector<std::string> kinds = o.kinds;
  if (kinds.empty()) kinds = {"blink", "turn", "all", "phone", "tilt", "replay"};
  std::error_code ec;
  for (const char* dir : {"live-blink", "live-turn", "live-all", "spoof"})
    fs::create_directories(fs::path(o.out_dir) / dir, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + o.out_dir + ": " + ec.message());
  LivenessVideoSet set;
  std::vector<std::vector<Point3f>> meshes;
  FACEKIT_ASSIGN_OR_RETURN(set.people, PickPeople(engine, mesh, o, &meshes));
  if (set.people.empty()) return Status(StatusCode::kNotFound, "no suitable photo in " + o.lfw_dir);
  auto wants = [&](const std::string& k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
  for (size_t p = 0; p < set.people.size(); ++p) {
    const LivenessVideoPerson& person = set.people[p];
    const cv::Mat scene = Scene(cv::imread(person.photo, cv::IMREAD_COLOR), o.seed);
    const std::span<const Point3f> points = meshes[p];
    const std::uint64_t seed = o.seed * 1000 + p;
    auto live_frame = [&](const std::vector<Pose>& script, int i) {
      const Pose& pose = script[static_cast<size_t>(i)];
      cv::Mat f = pose.yaw != 0.f ? TurnHead(scene, points, pose.yaw) : scene.clone();
      CloseEyelids(f, points, pose.closed);
      return Camera(f, i, seed);
    };
    for (const char* k : {"blink", "turn", "all"}) {
      const std::string kind = k;
      if (!wants(kind)) continue;
      const std::vector<Pose> script = Script(kind, o.fps);
      const std::string path = (fs::path(o.out_dir) / ("live-" + kind) / (person.name + "-" + kind + ".avi")).string();
      FACEKIT_RETURN_IF_ERROR(
          WriteVideo(path, o.fps, static_cast<int>(script.size()), [&](int i) { return live_frame(script, i); }));
      set.live.push_back(path);
    }
    const int spoof_frames = 10 * o.fps;
    const cv::Mat still = Camera(scene, 0, seed);
    for (const char* k : {"phone", "tilt"}) {
      const std::string kind = k;
      if (!wants(kind)) continue;
      const std::string path = (fs::path(o.out_dir) / "spoof" / (person.name + "-" + kind + ".avi")).string();
      FACEKIT_RETURN_IF_ERROR(WriteVideo(path, o.fps, spoof_frames, [&](int i) {
        const double t = static_cast<double>(i) / o.fps;
        const float yaw = kind == "tilt" ? 35.f * static_cast<float>(std::sin(2 * CV_PI * t / 4.0)) : 0.f;
        std::vector<cv::Point2f> screen, body;
        PhoneQuads(320.f + 6.f * static_cast<float>(std::sin(1.3 * t)),
                   240.f + 4.f * static_cast<float>(std::cos(1.1 * t)), yaw,
                   3.f * static_cast<float>(std::sin(0.9 * t)), screen, body);
        // The phone shows the photo's square middle (the face), as a phone would.
        return Camera(OnScreen(still(cv::Rect(170, 60, 300, 360)), screen, body), i, seed);
      }));
      set.spoof.push_back(path);
    }
    if (wants("replay")) {
      const std::vector<Pose> script = Script("all", o.fps);
      const std::string path = (fs::path(o.out_dir) / "spoof" / (person.name + "-replay.avi")).string();
      const std::vector<cv::Point2f> screen = {{110, 95}, {530, 100}, {528, 410}, {112, 405}};
      const std::vector<cv::Point2f> body = {{95, 80}, {545, 85}, {543, 425}, {97, 420}};
      FACEKIT_RETURN_IF_ERROR(WriteVideo(path, o.fps, static_cast<int>(script.size()), [&](int i) {
        return Camera(OnScreen(live_frame(script, i), screen, body), i, seed);
      }));
      set.spoof.push_back(path);
    }
  }
  return set;
}

}  // namespace facekit::eval
