// facekit_bench_pipeline: the attendance graph (examples/attendance/graph.json)
// on a 1280x720, 30 fps video assembled from LFW photos (3 enrolled people and
// 2 strangers, 2 s each, 0.5 s of empty scene between them), at 1 and 2
// threads, each paced two ways: as fast as it goes (throughput) and at the
// video's 30 fps (latency without a backlog). Prints one JSON object per run:
// frames per second, per-frame latency (source emit to the end of the overlay
// branch) p50/p99, check-ins, and each enrolled person's recognition latency
// in video time (their first frame to their check-in's pts).
//   facekit_bench_pipeline [--liveness] [THREADS ...]      (default 1 2; liveness off)
// A benchmark, not a test: the figures depend on the machine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>

#include "attendance/attendance_nodes.h"
#include "bench_util.h"
#include "attendance/engine_provider.h"
#include "facekit/image.h"
#include "media/frame.h"
#include "media/media_nodes.h"
#include "pipeline/builtin_nodes.h"
#include "pipeline/graph_config.h"
#include "pipeline/graph_runner.h"
#include "pipeline/node.h"
#include "pipeline/registry.h"
#include "service/open_service.h"

namespace fs = std::filesystem;
using facekit::Status;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kFps = 30, kWidth = 1280, kHeight = 720, kFramesPerPerson = 60, kGapFrames = 15;

// Emit time of each frame (by index), written by BenchStamp, read by BenchLatency.
std::mutex g_mu;
std::map<std::int64_t, Clock::time_point> g_emitted;
std::vector<double> g_latency_ms;

class BenchStamp final : public facekit::pipeline::Node {
 public:
  static facekit::pipeline::Contract GetContract() {
    return facekit::pipeline::Contract().Input<facekit::media::Frame>("frames").Output<facekit::media::Frame>("frames");
  }
  Status Process(facekit::pipeline::NodeContext& ctx) override {
    const auto* f = ctx.Input("frames").Get<facekit::media::Frame>();
    if (f) {
      std::lock_guard lock(g_mu);
      g_emitted[f->index] = Clock::now();
    }
    return ctx.Output("frames", ctx.Input("frames"));
  }
};

class BenchLatency final : public facekit::pipeline::Node {
 public:
  static facekit::pipeline::Contract GetContract() {
    return facekit::pipeline::Contract().Input<facekit::media::Frame>("frames");
  }
  Status Process(facekit::pipeline::NodeContext& ctx) override {
    const auto* f = ctx.Input("frames").Get<facekit::media::Frame>();
    if (!f) return Status::Ok();
    std::lock_guard lock(g_mu);
    const auto it = g_emitted.find(f->index);
    if (it != g_emitted.end()) {
      g_latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - it->second).count());
      g_emitted.erase(it);
    }
    return Status::Ok();
  }
};

struct Segment {
  std::string name;
  bool known;
  int first_frame = 0;
};

std::vector<std::string> Photos(const std::string& lfw, const std::string& name) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(lfw + "/" + name, ec)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

bool WriteVideo(const std::string& lfw, const std::string& path, std::vector<Segment>& segments, int* frames) {
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), kFps, cv::Size(kWidth, kHeight));
  if (!writer.isOpened()) return false;
  const cv::Mat blank(kHeight, kWidth, CV_8UC3, cv::Scalar(90, 100, 110));
  int frame = 0;
  auto gap = [&] {
    for (int i = 0; i < kGapFrames; ++i, ++frame) writer.write(blank);
  };
  gap();
  for (Segment& s : segments) {
    const auto photos = Photos(lfw, s.name);
    if (photos.size() < 2) return false;
    s.first_frame = frame;
    for (int i = 0; i < kFramesPerPerson; ++i, ++frame) {
      cv::Mat face = cv::imread(photos[1 + static_cast<std::size_t>(i / 10) % (photos.size() - 1)], cv::IMREAD_COLOR);
      if (face.empty()) return false;
      cv::resize(face, face, cv::Size(400, 400));
      cv::Mat canvas = blank.clone();
      face.copyTo(canvas(cv::Rect(300 + 4 * i, 160, 400, 400)));
      writer.write(canvas);
    }
    gap();
  }
  *frames = frame;
  return true;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "facekit_bench_pipeline: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string source_dir = FACEKIT_SOURCE_DIR;
  const std::string lfw = source_dir + "/../shared/data/lfw-view1/deepfunneled";
  std::vector<int> thread_counts;
  bool liveness = false;  // --liveness: the graph's FaceLiveness node on, with its default options
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--liveness") {
      liveness = true;
    } else {
      thread_counts.push_back(std::atoi(argv[i]));
    }
  }
  if (thread_counts.empty()) {
    thread_counts = {1, 2};
  }
  const fs::path work = fs::temp_directory_path() / ("facekit-bench-pipeline-" + std::to_string(::getpid()));
  fs::create_directories(work);
  std::vector<Segment> segments = {{"Colin_Powell", true},  {"Tony_Blair", false},    {"Jean_Chretien", true},
                                   {"Serena_Williams", false}, {"John_Ashcroft", true}};
  const std::string video = (work / "walk-720p.avi").string();
  int frames = 0;
  if (!WriteVideo(lfw, video, segments, &frames)) return Fail("cannot write the video (LFW photos or MJPG writer)");

  facekit::EngineOptions eo;
  eo.models_dir = source_dir + "/models";
  eo.num_threads = 1;
  auto engine = facekit::FaceEngine::Create(eo);
  if (!engine.ok()) return Fail(engine.status().ToString());
  std::shared_ptr<const facekit::FaceEngine> shared_engine(std::move(engine.value()));
  const std::string gallery = (work / "gallery").string();
  {
    auto service = facekit::service::OpenFaceService(gallery, *shared_engine);
    if (!service.ok()) return Fail(service.status().ToString());
    facekit::service::CreateGroupRequest g;
    g.group_id = g.group_name = "staff";
    if (!(*service)->CreateGroup(g).ok()) return Fail("create group");
    for (const Segment& s : segments) {
      if (!s.known) continue;
      facekit::service::CreatePersonRequest p;
      p.group_id = "staff";
      p.person_id = p.person_name = s.name;
      auto bytes = facekit::ReadFileBytes(Photos(lfw, s.name).at(0));
      if (!bytes.ok()) return Fail(bytes.status().ToString());
      p.image = std::move(*bytes);
      if (auto r = (*service)->CreatePerson(p); !r.ok()) return Fail(r.error().message);
    }
  }

  for (int threads : thread_counts) {
   for (const bool realtime : {false, true}) {
    cv::setNumThreads(threads);
    std::ifstream in(source_dir + "/examples/attendance/graph.json");
    nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
    if (doc.is_discarded()) return Fail("examples/attendance/graph.json is not JSON");
    const std::string events = (work / ("events-" + std::to_string(threads) + ".jsonl")).string();
    Status st = facekit::pipeline::SubstitutePlaceholders(
        doc, {{"source", video}, {"gallery", gallery}, {"group", "staff"}, {"liveness", liveness ? "on" : "off"}, {"fps", "30"},
              {"events", events}, {"annotated", ""}, {"interval_us", realtime ? "33333" : "0"}});
    if (!st.ok()) return Fail(st.message());
    // Stamp frames as they leave the source; measure them at the end of the overlay branch.
    for (auto& node : doc["nodes"]) {
      if (node["name"] == "detect") node["inputs"]["frames"] = "stamp.frames";
      if (node["name"] == "annotated") node = {{"name", "annotated"}, {"type", "BenchLatency"},
                                               {"inputs", {{"frames", "overlay.frames"}}}};
    }
    doc["nodes"].push_back({{"name", "stamp"}, {"type", "BenchStamp"}, {"inputs", {{"frames", "source.frames"}}}});
    auto config = facekit::pipeline::GraphConfigFromJson(doc);
    if (!config.ok()) return Fail(config.status().message());
    facekit::pipeline::NodeRegistry registry;
    facekit::pipeline::RegisterBuiltinNodes(registry);
    st = facekit::media::RegisterMediaNodes(registry);
    if (st.ok()) {
      st = facekit::attendance::RegisterAttendanceNodes(
          registry, std::make_shared<facekit::attendance::EngineProvider>(shared_engine, eo));
    }
    if (st.ok()) st = registry.Register<BenchStamp>("BenchStamp");
    if (st.ok()) st = registry.Register<BenchLatency>("BenchLatency");
    if (!st.ok()) return Fail(st.message());
    facekit::pipeline::RunnerOptions ro;
    ro.registry = &registry;
    ro.threads = threads;
    auto runner = facekit::pipeline::GraphRunner::Create(*config, ro);
    if (!runner.ok()) return Fail(runner.status().message());
    {
      std::lock_guard lock(g_mu);
      g_emitted.clear();
      g_latency_ms.clear();
    }
    const auto start = Clock::now();
    st = (*runner)->Run();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!st.ok()) return Fail(st.message());

    nlohmann::json recognition = nlohmann::json::object();
    int checkins = 0;
    std::ifstream ev(events);
    for (std::string line; std::getline(ev, line);) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (!e.is_object() || e.value("type", "") != "checkin") continue;
      ++checkins;
      for (const Segment& s : segments) {
        if (s.known && e.value("person_id", "") == s.name) {
          recognition[s.name] = e.value("pts_ms", std::int64_t{0}) - std::int64_t{s.first_frame} * 1000 / kFps;
        }
      }
    }
    std::vector<double> latency;
    {
      std::lock_guard lock(g_mu);
      latency = g_latency_ms;
    }
    nlohmann::json out = {{"threads", threads},
                          {"pace", realtime ? "30 fps (real time)" : "as fast as it goes"},
                          {"liveness", liveness},
                          {"video", "1280x720 30 fps MJPG"},
                          {"frames", frames},
                          {"frames_measured", latency.size()},
                          {"seconds", seconds},
                          {"fps", static_cast<double>(frames) / seconds},
                          {"latency_p50_ms", facekit::bench::Quantile(latency, 0.5)},
                          {"latency_p99_ms", facekit::bench::Quantile(latency, 0.99)},
                          {"checkins", checkins},
                          {"recognition_latency_video_ms", recognition}};
    std::printf("%s\n", out.dump().c_str());
    std::fflush(stdout);
   }
  }
  fs::remove_all(work);
  return 0;
}
