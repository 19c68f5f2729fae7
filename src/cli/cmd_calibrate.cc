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
    for (const std::string& f : SortedFiles(folder.string())) {
      auto image = LoadImageFile(f);
      if (!image.ok()) return image.status();
      bool detected = false;
      auto emb = eval::EmbedCentralFace(engine, *image, {}, &detected);
      if (!emb.ok()) return Status(emb.status().code(), f + ": " + emb.status().message());
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
      // 1:N search scores: 70 / 80 / 90 at 1:N false alarm rates 1e-2 / 1e-3 /
      // 1e-4 against a 10,000-face gallery, i.e. per-comparison rates of about
      // 1e-6 / 1e-7 / 1e-8, mostly below the impostor set's resolution: an
      // exponential tail fitted between 1e-4 and 1e-6 reaches them.
      const double gallery = 10000;
      const std::vector<double> fit_fars = {1e-4, 3e-5, 1e-5, 3e-6, 1e-6};
      eval::TailModel tail = eval::FitTail(cal->impostor, fit_fars);
      json search_rows = json::array();
      std::vector<float> search_t;
      for (double rate : {1e-2, 1e-3, 1e-4}) {
        const double per_pair = eval::PerPairFar(rate, gallery);
        const float t = tail.ThresholdAt(per_pair);
        search_t.push_back(t);
        json row{{"rate_1n", rate}, {"gallery", gallery}, {"per_pair_far", per_pair}, {"threshold", t},
                 {"calibration_far", eval::FarAt(cal->impostor, t)}, {"calibration_tar", eval::TarAt(cal->genuine, t)}};
        if (!val.impostor.empty()) {
          row["validation_far"] = eval::FarAt(val.impostor, t);
          row["validation_tar"] = eval::TarAt(val.genuine, t);
        }
        search_rows.push_back(row);
      }
      json search_points = json::array();
      for (const auto& p : eval::SearchScorePoints(search_t[0], search_t[1], search_t[2])) search_points.push_back({p[0], p[1]});
      json tail_check = json::array();  // the fitted tail against measured rates at the 1:1 thresholds
      for (size_t i = 0; i < fars.size(); ++i) {
        json row{{"threshold", thresholds[i]}, {"model_far", tail.FarAt(thresholds[i])},
                 {"calibration_far", eval::FarAt(cal->impostor, thresholds[i])}};
        if (!val.impostor.empty()) row["validation_far"] = eval::FarAt(val.impostor, thresholds[i]);
        tail_check.push_back(row);
      }
      float vt = (*engine)->verify_threshold();
      json out{{"calibration", {{"people", cal->people}, {"images", cal->images}, {"impostor_pairs", cal->impostor.size()},
                                {"genuine_pairs", cal->genuine.size()}}},
               {"rows", rows}, {"score_points", points}, {"no_face", no_face},
               {"search", {{"rows", search_rows}, {"score_points", search_points}, {"tail_slope", tail.slope},
                           {"tail_intercept", tail.intercept}, {"tail_check", tail_check}}},
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
      std::printf("\n1:N search against a %.0f-face gallery (impostor tail log10 FAR = %.3f t %+.3f):\n", gallery,
                  tail.slope, tail.intercept);
      std::printf("%10s %12s %10s %14s %14s\n", "1:N rate", "per pair", "threshold", "FAR (valid.)", "TAR (valid.)");
      for (const auto& r : search_rows) {
        std::printf("%10g %12.3g %10.4f %14.3g %14.4f\n", r["rate_1n"].get<double>(), r["per_pair_far"].get<double>(),
                    r["threshold"].get<double>(), r.value("validation_far", 0.0), r.value("validation_tar", 0.0));
      }
      std::printf("tail model vs measured at the 1:1 thresholds:");
      for (const auto& r : tail_check) {
        std::printf("  t=%.4f model %.3g measured %.3g", r["threshold"].get<double>(), r["model_far"].get<double>(),
                    r["calibration_far"].get<double>());
      }
      std::printf("\nmanifest search.score_points: %s\n", search_points.dump().c_str());
      return 0;
    };
  });
}

}  // namespace facekit::cli
