// facekit calibrate - 1:1 score calibration on impostor pairs of a labelled set.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/calibration.h"
#include "eval/face_picker.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Embeds every image of the people listed in an LFW people file (`name count`
// lines after a header) that exists under DIR/name/.
Result<eval::SimilarityDistribution> EmbedPeople(const FaceEngine& engine, const std::string& dir,
                                                 const std::string& people_file, int* no_face) {
  std::ifstream in(people_file);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + people_file);
  std::string line;
  std::getline(in, line);  // header: number of people
  std::vector<Embedding> embeddings;
  std::vector<int> identity;
  int person = 0;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string name;
    if (!(l >> name)) continue;
    fs::path folder = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(folder)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      auto image = LoadImageFile(f.string());
      if (!image.ok()) return image.status();
      bool detected = false;
      auto emb = eval::EmbedCentralFace(engine, *image, {}, &detected);
      if (!emb.ok()) return Status(emb.status().code(), f.string() + ": " + emb.status().message());
      if (!detected) ++*no_face;
      embeddings.push_back(std::move(*emb));
      identity.push_back(person);
    }
    ++person;
  }
  if (embeddings.size() < 2) return Status(StatusCode::kInvalidArgument, "fewer than two images found for " + people_file);
  return eval::SimilarityDistribution::Build(embeddings, identity);
}

}  // namespace

void RegisterCalibrate(CLI::App& app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string images, people, validate;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand("calibrate",
                                   "Calibrate the 1:1 score (40/50/60 = false accept rate 1e-3/1e-4/1e-5) on impostor pairs");
  c->add_option("--images", o->images, "Image folder: DIR/Name/*.jpg")->required()->check(CLI::ExistingDirectory);
  c->add_option("--people", o->people, "People to calibrate on (LFW people file)")->required()->check(CLI::ExistingFile);
  c->add_option("--validate-people", o->validate, "Disjoint people to measure the calibrated rates on")->check(CLI::ExistingFile);
  c->add_flag("--json", o->json, "Print one JSON object");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      int no_face = 0;
      auto cal = EmbedPeople(**engine, o->images, o->people, &no_face);
      if (!cal.ok()) return Fail(cal.status());
      const std::vector<double> fars = {1e-2, 1e-3, 1e-4, 1e-5};
      std::vector<float> thresholds;
      for (double f : fars) thresholds.push_back(eval::ThresholdAtFar(cal->impostor, f));
      json points = json::array();
      for (const auto& p : eval::ScorePoints(thresholds[1], thresholds[2], thresholds[3])) points.push_back({p[0], p[1]});
      eval::SimilarityDistribution val;
      if (!o->validate.empty()) {
        auto v = EmbedPeople(**engine, o->images, o->validate, &no_face);
        if (!v.ok()) return Fail(v.status());
        val = std::move(*v);
      }
      json rows = json::array();
      for (size_t i = 0; i < fars.size(); ++i) {
        // With n impostor pairs, rates below 1/n cannot be resolved.
        const bool resolved = fars[i] * static_cast<double>(cal->impostor.size()) >= 1.0;
        json row{{"target_far", fars[i]}, {"threshold", thresholds[i]}, {"resolved", resolved},
                 {"calibration_far", eval::FarAt(cal->impostor, thresholds[i])},
                 {"calibration_tar", eval::TarAt(cal->genuine, thresholds[i])}};
        if (!val.impostor.empty()) {
          row["validation_far"] = eval::FarAt(val.impostor, thresholds[i]);
          row["validation_tar"] = eval::TarAt(val.genuine, thresholds[i]);
        }
        rows.push_back(row);
      }
      float vt = (*engine)->verify_threshold();
      json out{{"calibration", {{"people", cal->people}, {"images", cal->images}, {"impostor_pairs", cal->impostor.size()},
                                {"genuine_pairs", cal->genuine.size()}}},
               {"rows", rows}, {"score_points", points}, {"no_face", no_face},
               {"verify_threshold", {{"threshold", vt}, {"calibration_far", eval::FarAt(cal->impostor, vt)},
                                     {"calibration_tar", eval::TarAt(cal->genuine, vt)}}}};
      if (!val.impostor.empty()) {
        out["validation"] = {{"people", val.people}, {"images", val.images}, {"impostor_pairs", val.impostor.size()},
                             {"genuine_pairs", val.genuine.size()}};
        out["verify_threshold"]["validation_far"] = eval::FarAt(val.impostor, vt);
        out["verify_threshold"]["validation_tar"] = eval::TarAt(val.genuine, vt);
      }
      if (o->json) {
        std::cout << out.dump() << "\n";
        return 0;
      }
      std::printf("calibration set: %zu people, %zu images, %zu impostor and %zu genuine pairs\n", cal->people,
                  cal->images, cal->impostor.size(), cal->genuine.size());
      if (!val.impostor.empty()) {
        std::printf("validation set:  %zu people, %zu images, %zu impostor and %zu genuine pairs\n", val.people,
                    val.images, val.impostor.size(), val.genuine.size());
      }
      std::printf("%10s %10s %14s %14s %14s %14s\n", "target FAR", "threshold", "FAR (calib.)", "TAR (calib.)",
                  "FAR (valid.)", "TAR (valid.)");
      for (const auto& r : rows) {
        std::printf("%10g %10.4f %14.3g %14.4f", r["target_far"].get<double>(), r["threshold"].get<double>(),
                    r["calibration_far"].get<double>(), r["calibration_tar"].get<double>());
        if (r.contains("validation_far")) {
          std::printf(" %14.3g %14.4f", r["validation_far"].get<double>(), r["validation_tar"].get<double>());
        }
        if (!r["resolved"].get<bool>()) std::printf("  (below the resolution of %zu impostor pairs)", cal->impostor.size());
        std::printf("\n");
      }
      std::printf("images without a detected face (centred square used): %d\n", no_face);
      std::printf("manifest verification.score_points: %s\n", points.dump().c_str());
      return 0;
    };
  });
}

}  // namespace facekit::cli
