// facekit eval liveness: APCER / BPCER / ACER of the liveness decision and
// of each cue, on folders of live and spoof photos or on the synthetic
// replay set (docs/liveness.md).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "cli/commands.h"
#include "cli/liveness_flags.h"
#include "eval/liveness_eval.h"
#include "eval/replay_set.h"
#include "image/image_internal.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct EvalOpts {
  std::string live, spoof, replay_half, data = "../shared/data", dump, scores;
  int pairs = 100, every = 1, offset = 0;
  std::uint64_t seed = 14;
  bool json = false, whole = false, all_faces = false, choose = false;
  double target_bpcer = 0.02;
  LivenessFlags flags;
};

struct Collected {
  std::vector<eval::LivenessSample> samples;
  std::map<std::string, int> skipped;  // reason -> count
  std::string set;
};

eval::LivenessSample SampleOf(const LivenessDecision& d, std::string name, bool attack, std::string species) {
  eval::LivenessSample s;
  s.name = std::move(name);
  s.attack = attack;
  s.species = std::move(species);
  s.cues = d.medium.cues;
  s.judged_live = d.live;
  s.passive = d.passive;
  return s;
}

// The regular files below `dir` (recursively), sorted by path; every
// `every`-th of them, starting with the `offset`-th.
std::vector<std::string> FilesBelow(const std::string& dir, int every, int offset) {
  std::vector<std::string> all;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) all.push_back(it->path().string());
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> files;
  for (std::size_t i = static_cast<std::size_t>(offset); i < all.size(); i += static_cast<std::size_t>(every)) {
    files.push_back(all[i]);
  }
  return files;
}

Status CollectFolders(const GlobalOptions& g, const EvalOpts& e, const FaceEngine& engine, const LivenessJudge& judge,
                      Collected* out) {
  out->set = "folders live=" + e.live + " spoof=" + e.spoof + (e.whole ? " (whole images)" : "");
  for (const auto& [dir, attack] : {std::pair{e.live, false}, std::pair{e.spoof, true}}) {
    if (dir.empty()) continue;
    const std::vector<std::string> files = FilesBelow(dir, e.every, e.offset);
    ProgressBar bar(attack ? "spoof" : "live", files.size(), "images");
    for (std::size_t i = 0; i < files.size(); ++i) {
      bar.Update(i + 1);
      auto image = LoadImageFile(files[i], ImageLimitsOf(g));
      std::vector<FaceBox> faces;
      if (image.ok() && e.all_faces) {
        auto found = engine.Detect(*image);
        if (!found.ok()) return found.status();
        faces = std::move(*found);
        if (faces.empty()) ++out->skipped["NoFace"];
      } else {
        auto face = image.ok() ? OnlyFace(engine, *image, e.whole) : Result<FaceBox>(image.status());
        if (!face.ok()) {
          ++out->skipped[std::string(StatusCodeName(face.status().code()))];
          continue;
        }
        faces.push_back(*face);
      }
      // One detection of media objects per photo, shared by its faces.
      std::vector<DetectedObject> media;
      const bool objects = judge.options().medium.detect_objects;
      if (objects && !faces.empty()) {
        FACEKIT_ASSIGN_OR_RETURN(media, judge.medium().DetectMedia(*image));
      }
      for (const FaceBox& face : faces) {
        FACEKIT_ASSIGN_OR_RETURN(LivenessDecision d, judge.Judge(*image, face, objects ? &media : nullptr));
        out->samples.push_back(SampleOf(d, files[i], attack, attack ? "replay" : ""));
      }
    }
  }
  return Status::Ok();
}

// The detected face nearest to where the scene put it (centre within half
// its side, size within a factor of two); -1 when none.
int FaceAt(const std::vector<FaceBox>& faces, const cv::Rect2f& placed) {
  int best = -1;
  double best_d = 0.5 * placed.width;
  const double px = placed.x + placed.width / 2.0, py = placed.y + placed.height / 2.0;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    const FaceBox& f = faces[i];
    const double d = std::hypot(f.x + f.width / 2.0 - px, f.y + f.height / 2.0 - py);
    const double ratio = f.width / placed.width;
    if (d <= best_d && ratio >= 0.5 && ratio <= 2.0) {
      best = static_cast<int>(i);
      best_d = d;
    }
  }
  return best;
}

Status CollectReplay(const EvalOpts& e, eval::ReplayHalf half, const FaceEngine& engine, const LivenessJudge& judge,
                     Collected* out) {
  eval::ReplaySetOptions ro;
  ro.data_dir = e.data;
  ro.seed = e.seed;
  ro.pairs = e.pairs;
  FACEKIT_ASSIGN_OR_RETURN(eval::ReplaySet set, eval::ReplaySet::Create(ro, half));
  out->set = "replay set " + std::string(eval::ReplayHalfName(half)) + " (seed " + std::to_string(e.seed) + ", " +
             std::to_string(e.pairs) + " pairs)";
  std::ofstream index;
  if (!e.dump.empty()) {
    std::filesystem::create_directories(e.dump);
    index.open(e.dump + "/frames.tsv");
  }
  ProgressBar bar("replay set", static_cast<std::size_t>(set.size()), "frames");
  for (int i = 0; i < set.size(); ++i) {
    bar.Update(static_cast<std::size_t>(i + 1));
    FACEKIT_ASSIGN_OR_RETURN(eval::SceneFrame frame, set.Frame(i));
    const Image image = ImageFromMat(frame.bgr);
    FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, engine.Detect(image));
    const int at = FaceAt(faces, frame.face);
    char name[64];
    std::snprintf(name, sizeof name, "%04d_%s", i, std::string(eval::SceneKindName(frame.kind)).c_str());
    std::string verdict = "skipped";
    if (at < 0) {
      ++out->skipped[frame.spoof ? "replay: face not found where placed" : "live: face not found where placed"];
    } else {
      FACEKIT_ASSIGN_OR_RETURN(LivenessDecision d, judge.Judge(image, faces[static_cast<std::size_t>(at)]));
      eval::LivenessSample s =
          SampleOf(d, name, frame.spoof, frame.spoof ? std::string(eval::SceneKindName(frame.kind)) : "");
      s.medium_in_frame = frame.medium_in_frame;
      out->samples.push_back(std::move(s));
      verdict = d.live ? "live" : "not live: " + d.reason;
    }
    if (index.is_open()) {
      cv::imwrite(e.dump + "/" + name + ".jpg", frame.bgr);
      index << name << '\t' << set.Sources(i) << '\t' << frame.description << '\t' << verdict << '\n';
    }
  }
  return Status::Ok();
}

json AucJson(const std::optional<double>& auc) { return auc ? json(*auc) : json(nullptr); }

std::string AucText(const std::optional<double>& auc) {
  if (!auc) return "n/a";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.3f", *auc);
  return buf;
}

json RatesJson(const eval::PadRates& r) {
  json species = json::object();
  for (const auto& [name, counts] : r.species) {
    species[name] = {{"accepted", counts.first}, {"attacks", counts.second}};
  }
  return {{"apcer", r.apcer},         {"apcer_pooled", r.apcer_pooled},
          {"bpcer", r.bpcer},         {"acer", r.acer},
          {"attacks", r.attacks},     {"attacks_accepted", r.attacks_accepted},
          {"bona_fide", r.bona_fide}, {"bona_fide_rejected", r.bona_fide_rejected},
          {"species", species}};
}

std::string RatesText(const eval::PadRates& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "APCER %5.1f%% (pooled %5.1f%%, %ld/%ld accepted)  BPCER %5.1f%% (%ld/%ld rejected)  ACER %5.1f%%",
                100 * r.apcer, 100 * r.apcer_pooled, r.attacks_accepted, r.attacks, 100 * r.bpcer, r.bona_fide_rejected,
                r.bona_fide, 100 * r.acer);
  std::string s = buf;
  if (r.species.size() > 1) {
    s += "\n      by species:";
    for (const auto& [name, counts] : r.species) {
      std::snprintf(buf, sizeof buf, " %s %ld/%ld", name.c_str(), counts.first, counts.second);
      s += buf;
    }
  }
  return s;
}

void WriteScores(const std::string& path, const std::vector<eval::LivenessSample>& samples) {
  std::ofstream f(path);
  f << "name,attack,species,medium_in_frame,judged_live,passive_spoof";
  if (!samples.empty()) {
    for (const SpoofCue& c : samples.front().cues) f << ',' << c.name;
  }
  f << '\n';
  for (const eval::LivenessSample& s : samples) {
    f << s.name << ',' << s.attack << ',' << s.species << ',' << s.medium_in_frame << ',' << s.judged_live << ','
      << (s.passive ? s.passive->spoof_score : -1.f);
    for (const SpoofCue& c : s.cues) {
      f << ',';
      if (c.measured) f << c.value;
    }
    f << '\n';
  }
}

int Report(const EvalOpts& e, const LivenessJudgeOptions& options, const Collected& c) {
  const auto& samples = c.samples;
  const eval::PadRates decision =
      eval::PadRatesOf(samples, [](const eval::LivenessSample& s) { return !s.judged_live; });
  auto subset = [&](bool in_frame) {  // bona fide and the replays with (or without) the device whole in the frame
    std::vector<eval::LivenessSample> part;
    for (const auto& s : samples) {
      if (!s.attack || s.medium_in_frame == in_frame) part.push_back(s);
    }
    return eval::PadRatesOf(part, [](const eval::LivenessSample& s) { return !s.judged_live; });
  };
  const eval::PadRates whole = subset(true), cut = subset(false);
  const std::vector<eval::CueReport> cues = eval::ReportCues(samples);
  std::vector<eval::ScoredPair> passive_scores;
  for (const auto& s : samples) {
    if (s.passive) passive_scores.push_back({s.passive->spoof_score, s.attack, 0});
  }
  const eval::PadRates passive = eval::PadRatesOf(
      samples, [](const eval::LivenessSample& s) { return s.passive.has_value() && !s.passive->is_live; });
  std::string decisive;
  for (const std::string& d : options.medium.decisive) decisive += (decisive.empty() ? "" : ", ") + d;
  const std::string passive_weight(PassiveWeightName(options.rule.passive));
  if (!e.scores.empty()) WriteScores(e.scores, samples);
  if (e.json) {
    json j = {{"set", c.set},
              {"samples", samples.size()},
              {"skipped", c.skipped},
              {"rule", {{"decisive", options.medium.decisive}, {"passive", passive_weight}}},
              {"decision", RatesJson(decision)},
              {"passive_model", RatesJson(passive)},
              {"passive_model_auc", AucJson(eval::AttackAuc(passive_scores))}};
    if (!c.set.starts_with("folders")) {
      j["decision_device_in_frame"] = RatesJson(whole);
      j["decision_device_cut"] = RatesJson(cut);
    }
    json cj = json::array();
    for (const eval::CueReport& r : cues) {
      json one = {{"name", r.name},           {"measured", r.measured}, {"auc", AucJson(r.auc)},
                  {"threshold", r.threshold}, {"decisive", r.decisive}, {"alone", RatesJson(r.rates)}};
      if (e.choose) one["threshold_at_target_bpcer"] = eval::ThresholdAtBpcer(samples, r.name, e.target_bpcer);
      cj.push_back(one);
    }
    j["cues"] = cj;
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("%s: %zu samples\n", c.set.c_str(), samples.size());
  for (const auto& [reason, n] : c.skipped) std::printf("  skipped %s: %d\n", reason.c_str(), n);
  std::printf("decision (decisive cues: %s; passive model %s):\n  %s\n", decisive.c_str(), passive_weight.c_str(),
              RatesText(decision).c_str());
  if (!c.set.starts_with("folders")) {
    std::printf("  replays with the whole device in the frame: %s\n", RatesText(whole).c_str());
    std::printf("  replays cut by the frame border:            %s\n", RatesText(cut).c_str());
  }
  std::printf("each cue alone (fires at value >= threshold; AUC of the value as attack score):\n");
  std::printf("  %-14s %8s %7s %10s %8s %8s %8s%s\n", "cue", "measured", "AUC", "threshold", "APCER", "BPCER", "ACER",
              e.choose ? "   at target BPCER: threshold  APCER  BPCER" : "");
  for (const eval::CueReport& r : cues) {
    std::printf("  %-14s %8ld %7s %10.4g %7.1f%% %7.1f%% %7.1f%%", r.name.c_str(), r.measured, AucText(r.auc).c_str(),
                static_cast<double>(r.threshold), 100 * r.rates.apcer, 100 * r.rates.bpcer, 100 * r.rates.acer);
    if (e.choose) {
      const float t = eval::ThresholdAtBpcer(samples, r.name, e.target_bpcer);
      const eval::PadRates at = eval::PadRatesOf(samples, [&](const eval::LivenessSample& s) {
        for (const SpoofCue& cue : s.cues) {
          if (cue.name == r.name) return cue.measured && cue.value >= t;
        }
        return false;
      });
      std::printf("   %10.4g %5.1f%% %5.1f%%", static_cast<double>(t), 100 * at.apcer, 100 * at.bpcer);
    }
    std::printf("%s\n", r.decisive ? "  decisive" : "");
  }
  std::printf("passive model alone (its own rule): %s\n  ROC AUC of its spoof score: %s\n", RatesText(passive).c_str(),
              AucText(eval::AttackAuc(passive_scores)).c_str());
  return 0;
}

}  // namespace

void RegisterEvalLiveness(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto e = std::make_shared<EvalOpts>();
  CLI::App* ev = eval_app->add_subcommand(
      "liveness", "APCER, BPCER, ACER of the liveness decision and each cue, on folders or the synthetic replay set");
  ev->add_option("--live", e->live, "Folder of live face photos")->check(CLI::ExistingDirectory);
  ev->add_option("--spoof", e->spoof, "Folder of spoof (replay, print) photos")->check(CLI::ExistingDirectory);
  ev->add_flag("--whole-image", e->whole, "Photos are face crops: judge them whole instead of detecting");
  ev->add_option("--every", e->every, "Folders (searched recursively): take every N-th file in path order")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  ev->add_option("--offset", e->offset, "With --every: start at the N-th file (0-based)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  ev->add_flag("--all-faces", e->all_faces,
               "Judge every face detected in a photo (scenes with several people) instead of requiring one");
  ev->add_option("--replay-set", e->replay_half, "Build the synthetic replay set's half and measure on it")
      ->check(CLI::IsMember({"tuning", "held-out"}));
  ev->add_option("--data", e->data, "Shared data folder for --replay-set (LFW, COCO)")->capture_default_str();
  ev->add_option("--pairs", e->pairs, "Live + replay pairs in the half")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  ev->add_option("--seed", e->seed, "Seed of the replay set")->capture_default_str();
  ev->add_option("--dump", e->dump, "Write the replay set's frames (JPEG) and frames.tsv to this folder");
  ev->add_flag("--choose-thresholds", e->choose, "Also print each cue's threshold at --target-bpcer on this set");
  ev->add_option("--target-bpcer", e->target_bpcer, "BPCER each cue may cost for --choose-thresholds")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  ev->add_option("--scores", e->scores, "Write every sample's cue values as CSV");
  ev->add_flag("--json", e->json, "Print one JSON object");
  AddLivenessFlags(ev, &e->flags);
  ev->callback([&g, e, run] {
    *run = [&g, e] {
      const bool folders = !e->live.empty() || !e->spoof.empty();
      if (folders == !e->replay_half.empty()) {
        return Fail(
            Status(StatusCode::kInvalidArgument, "give either --live DIR and/or --spoof DIR, or --replay-set HALF"));
      }
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto options = LivenessOptionsOf(g, e->flags, folders && e->whole);
      if (!options.ok()) return Fail(options.status());
      auto judge = LivenessJudge::Create(engine->get(), *options);
      if (!judge.ok()) return Fail(judge.status());
      Collected c;
      const Status s =
          folders
              ? CollectFolders(g, *e, **engine, **judge, &c)
              : CollectReplay(*e, e->replay_half == "tuning" ? eval::ReplayHalf::kTuning : eval::ReplayHalf::kHeldOut,
                              **engine, **judge, &c);
      if (!s.ok()) return Fail(s);
      return Report(*e, *options, c);
    };
  });
}

}  // namespace facekit::cli
