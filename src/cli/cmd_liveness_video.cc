// facekit eval liveness-video (APCER, BPCER and time to decision of the
// active challenge over video files) and facekit eval liveness-video-set
// (the synthetic video set it is measured on); docs/liveness-video.md.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/liveness_video_metrics.h"
#include "eval/liveness_video_set.h"
#include "pipeline/graph_config.h"
#include "pipeline/graph_runner.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct VideoEvalOptions {
  std::string live, spoof;
  std::string challenge = "blink";
  std::int64_t time_limit_ms = 8000;
  std::int64_t seed = 0;
  bool strict = false;
  bool json = false;
};

std::vector<std::string> Videos(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".avi" || ext == ".mp4" || ext == ".mkv" || ext == ".mov")) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The presentation attack species of an attack video: its name's last
// "-word" ("Ann-phone.avi" -> "phone"), else "attack".
std::string Species(const std::string& path) {
  const std::string stem = fs::path(path).stem().string();
  const auto dash = stem.rfind('-');
  return dash == std::string::npos ? "attack" : stem.substr(dash + 1);
}

// Runs source -> detect -> track -> FaceChallenge on one video; returns the challenge events.
Result<std::vector<json>> RunChallenge(pipeline::NodeRegistry& registry, const std::string& video,
                                       const VideoEvalOptions& o, std::int64_t seed, const std::string& events_path) {
  const json graph = {
      {"default_queue", {{"capacity", 8}, {"policy", "block"}}},
      {"nodes",
       {{{"name", "source"}, {"type", "VideoSource"}, {"options", {{"uri", video}}}},
        {{"name", "detect"},
         {"type", "FaceDetect"},
         {"options", {{"min_face_size", 40}}},
         {"inputs", {{"frames", "source.frames"}}}},
        {{"name", "track"}, {"type", "FaceTrack"}, {"inputs", {{"faces", "detect.faces"}}}},
        {{"name", "challenge"},
         {"type", "FaceChallenge"},
         {"options",
          {{"challenge", o.challenge}, {"seed", seed}, {"time_limit_ms", o.time_limit_ms}, {"strict", o.strict}}},
         {"inputs", {{"faces", "track.faces"}}}},
        {{"name", "events"},
         {"type", "JsonLinesSink"},
         {"options", {{"path", events_path}}},
         {"inputs", {{"events", "challenge.events"}}}}}}};
  FACEKIT_ASSIGN_OR_RETURN(pipeline::GraphConfig config, pipeline::ParseGraphConfig(graph.dump()));
  pipeline::RunnerOptions ro;
  ro.registry = &registry;
  FACEKIT_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::GraphRunner> runner, pipeline::GraphRunner::Create(config, ro));
  FACEKIT_RETURN_IF_ERROR(runner->Run());
  if (!runner->source_errors().empty()) return runner->source_errors().front();
  std::vector<json> events;
  std::ifstream in(events_path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) events.push_back(json::parse(line, nullptr, false));
  }
  return events;
}

eval::VideoOutcome Outcome(const std::string& path, bool attack, const std::vector<json>& events) {
  eval::VideoOutcome o;
  o.path = path;
  o.attack = attack;
  o.species = attack ? Species(path) : "";
  std::optional<std::int64_t> pass, timeout;
  for (const json& e : events) {
    if (!e.is_object() || !e.contains("time_to_decision_ms") || !e["time_to_decision_ms"].is_number()) continue;
    const std::int64_t ms = e["time_to_decision_ms"].get<std::int64_t>();
    std::optional<std::int64_t>& slot = e.value("decision", "") == "passed" ? pass : timeout;
    slot = slot.has_value() ? std::min(*slot, ms) : ms;
  }
  o.accepted = pass.has_value();
  o.decision_ms = pass.has_value() ? pass : timeout;
  return o;
}

json MsJson(const std::optional<double>& v) { return v.has_value() ? json(*v) : json(nullptr); }

int EvalVideos(const GlobalOptions& g, const VideoEvalOptions& o) {
  pipeline::NodeRegistry registry;
  const Status st = RegisterGraphNodes(registry, g);
  if (!st.ok()) return Fail(st);
  std::error_code ec;
  const fs::path tmp =
      fs::temp_directory_path(ec) / ("facekit-liveness-video-" + std::to_string(::getpid()) + ".jsonl");
  std::vector<eval::VideoOutcome> outcomes;
  json per_video = json::array();
  for (const auto& [dir, attack] : {std::pair{o.live, false}, std::pair{o.spoof, true}}) {
    for (const std::string& video : Videos(dir)) {
      // Each video's first track has the same id: a seed per video varies
      // the drawn actions across the set (turn: left or right; random).
      const std::int64_t seed = o.seed + static_cast<std::int64_t>(outcomes.size());
      auto events = RunChallenge(registry, video, o, seed, tmp.string());
      if (!events.ok()) return Fail(Status(events.status().code(), video + ": " + events.status().message()));
      outcomes.push_back(Outcome(video, attack, *events));
      const eval::VideoOutcome& r = outcomes.back();
      per_video.push_back({{"video", video},
                           {"attack", attack},
                           {"species", r.species},
                           {"accepted", r.accepted},
                           {"decision_ms", r.decision_ms.has_value() ? json(*r.decision_ms) : json(nullptr)},
                           {"events", *events}});
      if (!o.json) {
        std::printf("%-60s %-6s %s%s\n", video.c_str(), attack ? "attack" : "live",
                    r.accepted ? "accepted" : "rejected",
                    r.decision_ms.has_value() ? (" after " + std::to_string(*r.decision_ms) + " ms").c_str() : "");
      }
    }
  }
  fs::remove(tmp, ec);
  const eval::LivenessVideoMetrics m = eval::SummariseLivenessVideos(outcomes);
  json species = json::object();
  for (const auto& [name, s] : m.species)
    species[name] = {{"attacks", s.attacks}, {"accepted", s.accepted}, {"apcer", s.apcer}};
  if (o.json) {
    std::cout << json{{"challenge", o.challenge},
                      {"time_limit_ms", o.time_limit_ms},
                      {"seed", o.seed},
                      {"strict", o.strict},
                      {"bona_fide", m.bona_fide},
                      {"attacks", m.attacks},
                      {"bpcer", m.bpcer},
                      {"apcer", m.apcer_max},
                      {"apcer_pooled", m.apcer_pooled},
                      {"species", species},
                      {"accept_ms_median", MsJson(m.accept_ms_median)},
                      {"accept_ms_p90", MsJson(m.accept_ms_p90)},
                      {"reject_ms_median", MsJson(m.reject_ms_median)},
                      {"reject_ms_p90", MsJson(m.reject_ms_p90)},
                      {"videos", per_video}}
                     .dump()
              << "\n";
    return 0;
  }
  std::printf("challenge %s: %d bona fide, %d attacks\n", o.challenge.c_str(), m.bona_fide, m.attacks);
  std::printf("BPCER %.1f%% (%d rejected)  APCER %.1f%% (max over species; pooled %.1f%%)\n", 100 * m.bpcer,
              m.bona_fide_rejected, 100 * m.apcer_max, 100 * m.apcer_pooled);
  for (const auto& [name, s] : m.species) {
    std::printf("  APCER %-8s %.1f%% (%d of %d accepted)\n", name.c_str(), 100 * s.apcer, s.accepted, s.attacks);
  }
  auto ms = [](const std::optional<double>& v) {
    return v.has_value() ? std::to_string(static_cast<long>(*v)) + " ms" : std::string("-");
  };
  std::printf("time to decision: accepted live median %s, p90 %s; rejections (timeout) median %s, p90 %s\n",
              ms(m.accept_ms_median).c_str(), ms(m.accept_ms_p90).c_str(), ms(m.reject_ms_median).c_str(),
              ms(m.reject_ms_p90).c_str());
  return 0;
}

int BuildSet(const GlobalOptions& g, const eval::LivenessVideoSetOptions& o, bool json_out) {
  auto engine = MakeEngine(g);
  if (!engine.ok()) return Fail(engine.status());
  FaceMeshOptions mo;
  mo.models_dir = ResolveModelsDir(g);
  mo.num_threads = g.threads;
  auto mesh = FaceMesh::Create(mo);
  if (!mesh.ok()) return Fail(mesh.status());
  auto set = eval::BuildLivenessVideoSet(**engine, **mesh, o);
  if (!set.ok()) return Fail(set.status());
  json people = json::array();
  for (const auto& p : set->people) {
    people.push_back(
        {{"name", p.name}, {"photo", p.photo}, {"enrol", p.enrol}, {"openness", p.openness}, {"yaw", p.yaw}});
  }
  if (json_out) {
    std::cout << json{{"people", people}, {"live", set->live}, {"spoof", set->spoof}}.dump() << "\n";
  } else {
    for (const auto& p : set->people) std::printf("%s (%s)\n", p.name.c_str(), p.photo.c_str());
    std::printf("%zu live and %zu attack videos in %s (synthetic: docs/liveness-video.md)\n", set->live.size(),
                set->spoof.size(), o.out_dir.c_str());
  }
  return 0;
}

}  // namespace

void RegisterLivenessVideo(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<VideoEvalOptions>();
  CLI::App* c = eval_app->add_subcommand(
      "liveness-video", "APCER, BPCER and time to decision of the active liveness challenge over video files");
  c->add_option("--live", o->live, "Folder of bona fide videos")->required()->check(CLI::ExistingDirectory);
  c->add_option("--spoof", o->spoof, "Folder of attack videos (species = the name's last -word)")
      ->required()
      ->check(CLI::ExistingDirectory);
  c->add_option("--challenge", o->challenge, "blink, turn, turn-left, turn-right or random")
      ->check(CLI::IsMember({"blink", "turn", "turn-left", "turn-right", "random"}));
  c->add_option("--time-limit-ms", o->time_limit_ms, "Per action (default 8000)")->check(CLI::PositiveNumber);
  c->add_option("--seed", o->seed,
                "Seed of the drawn actions (turn, random); video i (in listing order, live first) uses seed + i")
      ->check(CLI::NonNegativeNumber);
  c->add_flag("--strict", o->strict, "A turn that was not asked fails the challenge");
  c->add_flag("--json", o->json, "One JSON object with the figures and each video's challenge events");
  c->callback([&g, o, run] { *run = [&g, o] { return EvalVideos(g, *o); }; });

  auto s = std::make_shared<eval::LivenessVideoSetOptions>();
  s->lfw_dir = "../shared/data/lfw-view1/deepfunneled";
  auto json_out = std::make_shared<bool>(false);
  CLI::App* b = eval_app->add_subcommand(
      "liveness-video-set", "Write the synthetic live and attack videos (OUT/live-blink, live-turn, live-all, spoof)");
  b->add_option("--out", s->out_dir, "Output folder")->required();
  b->add_option("--lfw", s->lfw_dir, "LFW deep-funneled folder")->check(CLI::ExistingDirectory);
  b->add_option("--people", s->people, "How many people (default 6)")->check(CLI::Range(1, 100));
  b->add_option("--seed", s->seed, "Seed of the noise and backgrounds (default 1)");
  b->add_option("--kinds", s->kinds, "Subset of blink turn all phone tilt replay");
  b->add_flag("--json", *json_out, "Print the people and files as JSON");
  b->callback([&g, s, json_out, run] { *run = [&g, s, json_out] { return BuildSet(g, *s, *json_out); }; });
}

}  // namespace facekit::cli
