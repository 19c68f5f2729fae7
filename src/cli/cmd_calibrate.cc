// facekit calibrate - 1:1 score calibration on impostor pairs of a labelled
// set, the 1:N search thresholds, and a direct open-set 1:N measurement.
#include <algorithm>
#include <array>
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
Result<eval::LabelledSet> EmbedPeople(const FaceEngine& engine, const std::string& dir, const std::string& people_file,
                                      const ImageLimits& limits) {
  std::ifstream in(people_file);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + people_file);
  std::string line;
  std::getline(in, line);  // header: number of people
  eval::LabelledSet set;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string name;
    if (!(l >> name)) continue;
    fs::path folder = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) continue;
    const int person = static_cast<int>(set.names.size());
    set.names.push_back(name);
    for (const std::string& f : SortedFiles(folder.string())) {
      auto image = LoadImageFile(f, limits);
      if (!image.ok()) return image.status();
      bool detected = false;
      eval::FacePick pick;
      auto emb = eval::EmbedCentralFace(engine, *image, {}, &detected, &pick);
      if (!emb.ok()) return Status(emb.status().code(), f + ": " + emb.status().message());
      set.Add(std::move(*emb), person, name + "/" + fs::path(f).filename().string(), detected, pick.faces,
              pick.covers_centre);
    }
  }
  if (set.embeddings.size() < 2) {
    return Status(StatusCode::kInvalidArgument, "fewer than two images found for " + people_file);
  }
  return set;
}

int NoFace(const eval::LabelledSet& s) {
  return static_cast<int>(std::count(s.detected.begin(), s.detected.end(), false));
}

// Images with several detected faces, and those whose embedded face does not
// cover the centre (LFW centres the labelled person): where a wrong face
// could have been chosen.
int SeveralFaces(const eval::LabelledSet& s) {
  return static_cast<int>(std::count_if(s.faces.begin(), s.faces.end(), [](int n) { return n > 1; }));
}
int OffCentre(const eval::LabelledSet& s) {
  int n = 0;
  for (size_t i = 0; i < s.files.size(); ++i) n += s.detected[i] && !s.central[i];
  return n;
}

// A pair for the dump: files, similarity, whether each face was detected.
json PairJson(const eval::ScoredPair& p, const eval::LabelledSet& x, const eval::LabelledSet& y) {
  json j{{"a", x.files[p.i]}, {"b", y.files[p.j]}, {"similarity", p.similarity},
         {"a_detected", static_cast<bool>(x.detected[p.i])}, {"b_detected", static_cast<bool>(y.detected[p.j])},
         {"a_faces", x.faces[p.i]}, {"b_faces", y.faces[p.j]},
         {"a_central", static_cast<bool>(x.central[p.i])}, {"b_central", static_cast<bool>(y.central[p.j])}};
  if (p.exclusion >= 0) j["exclusion"] = p.exclusion;
  return j;
}

}  // namespace

void RegisterCalibrate(CLI::App& app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string images, people, validate, exclusions;
    size_t dump_top = 0;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand(
      "calibrate",
      "Calibrate the 1:1 score (40/50/60 = false accept rate 1e-3/1e-4/1e-5) on impostor pairs, and the 1:N search "
      "score (70/80/90 = 1:N false alarm rate 1e-2/1e-3/1e-4 on a 10,000-face gallery)");
  c->add_option("--images", o->images, "Image folder: DIR/Name/*.jpg")->required()->check(CLI::ExistingDirectory);
  c->add_option("--people", o->people, "People to calibrate on (LFW people file)")->required()->check(CLI::ExistingFile);
  c->add_option("--validate-people", o->validate,
                "Disjoint people to measure the calibrated rates on; also the probes of the direct 1:N measurement")
      ->check(CLI::ExistingFile);
  c->add_option("--exclusions", o->exclusions,
                "Reviewed label errors to leave out: lines `same-person|same-photo A B REASON` (A, B = Name or "
                "Name/file.jpg), e.g. tools/lfw-view1-exclusions.txt")
      ->check(CLI::ExistingFile);
  c->add_option("--dump-top", o->dump_top, "List the N most similar impostor pairs and 1:N false alarms (JSON: top)");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      eval::ExclusionList exclusions;
      if (!o->exclusions.empty()) {
        auto l = eval::ExclusionList::Load(o->exclusions);
        if (!l.ok()) return Fail(l.status());
        exclusions = std::move(*l);
      }
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto cal_set = EmbedPeople(**engine, o->images, o->people, ImageLimitsOf(g));
      if (!cal_set.ok()) return Fail(cal_set.status());
      eval::LabelledSet val_set;
      if (!o->validate.empty()) {
        auto v = EmbedPeople(**engine, o->images, o->validate, ImageLimitsOf(g));
        if (!v.ok()) return Fail(v.status());
        val_set = std::move(*v);
      }
      const eval::PairExcluder cal_ex(exclusions, *cal_set, *cal_set);
      const eval::PairExcluder val_ex(exclusions, val_set, val_set);
      const eval::PairExcluder cross_ex(exclusions, val_set, *cal_set);  // probe (validation) x gallery (calibration)
      auto cal = eval::SimilarityDistribution::Build(cal_set->embeddings, cal_set->identity, &cal_ex, o->dump_top);
      eval::SimilarityDistribution val;
      if (!val_set.embeddings.empty()) {
        val = eval::SimilarityDistribution::Build(val_set.embeddings, val_set.identity, &val_ex, o->dump_top);
      }
      const int no_face = NoFace(*cal_set) + NoFace(val_set);

      const std::vector<double> fars = {1e-2, 1e-3, 1e-4, 1e-5};
      std::vector<float> thresholds;
      for (double f : fars) thresholds.push_back(eval::ThresholdAtFar(cal.impostor, f));
      json points = json::array();
      for (const auto& p : eval::ScorePoints(thresholds[1], thresholds[2], thresholds[3])) points.push_back({p[0], p[1]});
      json rows = json::array();
      for (size_t i = 0; i < fars.size(); ++i) {
        // With n impostor pairs, rates below 1/n cannot be resolved.
        const bool resolved = fars[i] * static_cast<double>(cal.impostor.size()) >= 1.0;
        json row{{"target_far", fars[i]}, {"threshold", thresholds[i]}, {"resolved", resolved},
                 {"calibration_far", eval::FarAt(cal.impostor, thresholds[i])},
                 {"calibration_tar", eval::TarAt(cal.genuine, thresholds[i])}};
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
      eval::TailModel tail = eval::FitTail(cal.impostor, fit_fars);

      // Direct 1:N: every validation image searched against all calibration
      // images (different people), no tail model involved.
      eval::OpenSetSearch open_set;
      if (!val_set.embeddings.empty()) open_set = eval::OpenSetSearch::Run(val_set.embeddings, cal_set->embeddings, &cross_ex);
      const double probes = static_cast<double>(open_set.best.size());
      const double g_measured = static_cast<double>(open_set.gallery);

      json search_rows = json::array();
      std::vector<float> search_t;
      for (double rate : {1e-2, 1e-3, 1e-4}) {
        const double per_pair = eval::PerPairFar(rate, gallery);
        const float t = tail.ThresholdAt(per_pair);
        search_t.push_back(t);
        json row{{"rate_1n", rate}, {"gallery", gallery}, {"per_pair_far", per_pair}, {"threshold", t},
                 {"calibration_far", eval::FarAt(cal.impostor, t)}, {"calibration_tar", eval::TarAt(cal.genuine, t)}};
        if (!val.impostor.empty()) {
          row["validation_far"] = eval::FarAt(val.impostor, t);
          row["validation_tar"] = eval::TarAt(val.genuine, t);
        }
        if (probes > 0) {
          // The target rate carried to the measured gallery size; it is
          // resolved when at least one false alarm is expected among the probes.
          const double target_here = eval::ExtrapolateFalseAlarm(rate, gallery, g_measured);
          const double measured = open_set.FalseAlarmAt(t);
          const size_t alarms = static_cast<size_t>(measured * probes + 0.5);
          const auto ci = eval::PoissonInterval(alarms);  // 95 % on the count
          auto to_10k = [&](double count) {
            return eval::ExtrapolateFalseAlarm(std::min(1.0, count / probes), g_measured, gallery);
          };
          row["direct"] = {{"probes", open_set.best.size()},
                           {"gallery", open_set.gallery},
                           {"target_rate_at_gallery", target_here},
                           {"expected_false_alarms", target_here * probes},
                           {"resolved", target_here * probes >= 1.0},
                           {"false_alarms", alarms},
                           {"false_alarm_rate", measured},
                           {"false_alarm_rate_10k", to_10k(static_cast<double>(alarms))},
                           {"false_alarm_rate_10k_95", {to_10k(ci[0]), to_10k(ci[1])}}};
        }
        search_rows.push_back(row);
      }
      json search_points = json::array();
      for (const auto& p : eval::SearchScorePoints(thresholds[1], thresholds[2], thresholds[3], search_t[0], search_t[1],
                                                   search_t[2])) {
        search_points.push_back({p[0], p[1]});
      }
      json tail_check = json::array();  // the fitted tail against measured rates at the 1:1 thresholds
      for (size_t i = 0; i < fars.size(); ++i) {
        json row{{"threshold", thresholds[i]}, {"model_far", tail.FarAt(thresholds[i])},
                 {"calibration_far", eval::FarAt(cal.impostor, thresholds[i])}};
        if (!val.impostor.empty()) row["validation_far"] = eval::FarAt(val.impostor, thresholds[i]);
        tail_check.push_back(row);
      }

      // What the exclusion list removed, per entry and in total.
      json excl = json::array();
      std::vector<size_t> used(exclusions.entries.size(), 0);
      std::vector<float> max_sim(exclusions.entries.size(), -1.f);
      size_t excluded_impostor = 0, excluded_genuine = 0, same_person_pairs = 0, same_photo_pairs = 0;
      for (size_t e = 0; e < exclusions.entries.size(); ++e) {
        const eval::Exclusion& x = exclusions.entries[e];
        float max_similarity = -1.f;
        // Pairs of `pairs` this entry removed: {impostor, genuine}.
        auto tally = [&](const std::vector<eval::ScoredPair>& pairs) {
          std::array<size_t, 2> n{0, 0};
          for (const auto& p : pairs) {
            if (p.exclusion != static_cast<int>(e)) continue;
            ++n[p.genuine ? 1 : 0];
            max_similarity = std::max(max_similarity, p.similarity);
          }
          return n;
        };
        const auto [cal_imp, cal_gen] = tally(cal.excluded);
        const auto [val_imp, val_gen] = tally(val.excluded);
        const size_t open = tally(open_set.excluded)[0];
        used[e] = cal_imp + cal_gen + val_imp + val_gen + open;
        max_sim[e] = max_similarity;
        excluded_impostor += cal_imp + val_imp;
        excluded_genuine += cal_gen + val_gen;
        (x.kind == "same-person" ? same_person_pairs : same_photo_pairs) += used[e];
        excl.push_back({{"line", x.line}, {"kind", x.kind}, {"a", x.a}, {"b", x.b}, {"reason", x.reason},
                        {"calibration_impostor_pairs", cal_imp}, {"calibration_genuine_pairs", cal_gen},
                        {"validation_impostor_pairs", val_imp}, {"validation_genuine_pairs", val_gen},
                        {"open_set_pairs", open}, {"max_similarity", used[e] > 0 ? json(max_similarity) : json()}});
      }
      json exclusion_summary{{"file", o->exclusions},
                             {"entries", exclusions.entries.size()},
                             {"impostor_pairs", excluded_impostor},
                             {"genuine_pairs", excluded_genuine},
                             {"same_person_pairs", same_person_pairs},
                             {"same_photo_pairs", same_photo_pairs},
                             {"open_set_pairs", open_set.excluded.size()},
                             {"list", excl}};

      float vt = (*engine)->verify_threshold();
      json out{{"calibration", {{"people", cal.people}, {"images", cal.images}, {"impostor_pairs", cal.impostor.size()},
                                {"genuine_pairs", cal.genuine.size()}, {"no_face", NoFace(*cal_set)},
                                {"several_faces", SeveralFaces(*cal_set)}, {"off_centre", OffCentre(*cal_set)}}},
               {"rows", rows}, {"score_points", points}, {"no_face", no_face}, {"exclusions", exclusion_summary},
               {"search", {{"rows", search_rows}, {"score_points", search_points}, {"tail_slope", tail.slope},
                           {"tail_intercept", tail.intercept}, {"tail_check", tail_check}}},
               {"verify_threshold", {{"threshold", vt}, {"calibration_far", eval::FarAt(cal.impostor, vt)},
                                     {"calibration_tar", eval::TarAt(cal.genuine, vt)}}}};
      if (!val.impostor.empty()) {
        out["validation"] = {{"people", val.people}, {"images", val.images}, {"impostor_pairs", val.impostor.size()},
                             {"genuine_pairs", val.genuine.size()}, {"no_face", NoFace(val_set)},
                             {"several_faces", SeveralFaces(val_set)}, {"off_centre", OffCentre(val_set)}};
        out["verify_threshold"]["validation_far"] = eval::FarAt(val.impostor, vt);
        out["verify_threshold"]["validation_tar"] = eval::TarAt(val.genuine, vt);
      }
      if (probes > 0) {
        out["search"]["direct"] = {{"probes", open_set.best.size()}, {"gallery", open_set.gallery},
                                   {"excluded_pairs", open_set.excluded.size()}};
      }
      if (o->dump_top > 0) {
        json top{{"calibration", json::array()}, {"validation", json::array()}, {"open_set", json::array()}};
        for (const auto& p : cal.top_impostors) top["calibration"].push_back(PairJson(p, *cal_set, *cal_set));
        for (const auto& p : val.top_impostors) top["validation"].push_back(PairJson(p, val_set, val_set));
        for (size_t k = 0; k < open_set.best.size() && k < o->dump_top; ++k) {
          top["open_set"].push_back(PairJson(open_set.best[k], val_set, *cal_set));
        }
        out["top"] = top;
      }
      if (o->json) {
        std::cout << out.dump() << "\n";
        return 0;
      }
      std::printf("calibration set: %zu people, %zu images, %zu impostor and %zu genuine pairs\n", cal.people,
                  cal.images, cal.impostor.size(), cal.genuine.size());
      if (!val.impostor.empty()) {
        std::printf("validation set:  %zu people, %zu images, %zu impostor and %zu genuine pairs\n", val.people,
                    val.images, val.impostor.size(), val.genuine.size());
      }
      if (o->exclusions.empty()) {
        std::printf("exclusions: none (--exclusions not given)\n");
      } else {
        std::printf("exclusions (%s, %zu entries): left out %zu impostor and %zu genuine pairs of the two sets and %zu "
                    "probe-gallery pairs of the 1:N search; %zu of them as same-person, %zu as same-photo\n",
                    o->exclusions.c_str(), exclusions.entries.size(), excluded_impostor, excluded_genuine,
                    open_set.excluded.size(), same_person_pairs, same_photo_pairs);
        for (size_t e = 0; e < exclusions.entries.size(); ++e) {
          const eval::Exclusion& x = exclusions.entries[e];
          std::printf("  line %d %s %s %s: %zu pairs", x.line, x.kind.c_str(), x.a.c_str(), x.b.c_str(), used[e]);
          if (used[e] > 0) {
            std::printf(" (most similar %.4f)", max_sim[e]);
          } else {
            std::printf(" [matched nothing in these sets]");
          }
          std::printf(": %s\n", x.reason.c_str());
        }
      }
      std::printf("%10s %10s %14s %14s %14s %14s\n", "target FAR", "threshold", "FAR (calib.)", "TAR (calib.)",
                  "FAR (valid.)", "TAR (valid.)");
      for (const auto& r : rows) {
        std::printf("%10g %10.4f %14.3g %14.4f", r["target_far"].get<double>(), r["threshold"].get<double>(),
                    r["calibration_far"].get<double>(), r["calibration_tar"].get<double>());
        if (r.contains("validation_far")) {
          std::printf(" %14.3g %14.4f", r["validation_far"].get<double>(), r["validation_tar"].get<double>());
        }
        if (!r["resolved"].get<bool>()) std::printf("  (below the resolution of %zu impostor pairs)", cal.impostor.size());
        std::printf("\n");
      }
      std::printf("images without a detected face (centred square used): %d; with several faces: %d; embedded face "
                  "not covering the centre (largest face used): %d\n",
                  no_face, SeveralFaces(*cal_set) + SeveralFaces(val_set), OffCentre(*cal_set) + OffCentre(val_set));
      std::printf("manifest verification.score_points: %s\n", points.dump().c_str());
      std::printf("\n1:N search against a %.0f-face gallery (impostor tail log10 FAR = %.3f t %+.3f):\n", gallery,
                  tail.slope, tail.intercept);
      std::printf("%10s %12s %10s %14s %14s", "1:N rate", "per pair", "threshold", "FAR (valid.)", "TAR (valid.)");
      if (probes > 0) std::printf(" %18s %10s %19s", "direct 1:N (g)", "-> 10k", "95 % interval");
      std::printf("\n");
      for (const auto& r : search_rows) {
        std::printf("%10g %12.3g %10.4f %14.3g %14.4f", r["rate_1n"].get<double>(), r["per_pair_far"].get<double>(),
                    r["threshold"].get<double>(), r.value("validation_far", 0.0), r.value("validation_tar", 0.0));
        if (r.contains("direct")) {
          const json& d = r["direct"];
          std::printf(" %5zu/%-5zu=%6.2g %10.3g   [%7.2g, %7.2g]%s", d["false_alarms"].get<size_t>(),
                      d["probes"].get<size_t>(), d["false_alarm_rate"].get<double>(),
                      d["false_alarm_rate_10k"].get<double>(), d["false_alarm_rate_10k_95"][0].get<double>(),
                      d["false_alarm_rate_10k_95"][1].get<double>(),
                      d["resolved"].get<bool>() ? "" : "  (not resolved: under one false alarm expected)");
        }
        std::printf("\n");
      }
      if (probes > 0) {
        std::printf("direct 1:N: %zu validation probes against a gallery of %zu calibration images (%zu pairs excluded)\n",
                    open_set.best.size(), open_set.gallery, open_set.excluded.size());
      }
      std::printf("tail model vs measured at the 1:1 thresholds:");
      for (const auto& r : tail_check) {
        std::printf("  t=%.4f model %.3g measured %.3g", r["threshold"].get<double>(), r["model_far"].get<double>(),
                    r["calibration_far"].get<double>());
      }
      std::printf("\nmanifest search.score_points: %s\n", search_points.dump().c_str());
      if (o->dump_top > 0) {
        for (const char* part : {"calibration", "validation", "open_set"}) {
          std::printf("\nmost similar %s impostor pairs (* = no face detected, centred square; + = off-centre face; "
                      "[n] = faces detected):\n", part);
          auto mark = [](const json& p, const char* side) {
            const std::string s(side);
            std::string m = p[s + "_detected"].get<bool>() ? "" : "*";
            if (p[s + "_detected"].get<bool>() && !p[s + "_central"].get<bool>()) m += "+";
            if (p[s + "_faces"].get<int>() > 1) m += "[" + std::to_string(p[s + "_faces"].get<int>()) + "]";
            return m;
          };
          for (const auto& p : out["top"][part]) {
            std::printf("  %.4f  %s%s  %s%s\n", p["similarity"].get<double>(), p["a"].get<std::string>().c_str(),
                        mark(p, "a").c_str(), p["b"].get<std::string>().c_str(), mark(p, "b").c_str());
          }
        }
      }
      return 0;
    };
  });
}

}  // namespace facekit::cli
