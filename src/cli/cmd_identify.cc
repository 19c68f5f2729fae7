// facekit eval identify - 1:N identification on a dataset of person folders
// (LFW layout: DIR/<person>/<person>_NNNN.jpg).
//
// Protocol: for every person with two or more images the first image (in
// name order) is enrolled and the others are probes; persons with a single
// image are enrolled as distractors. Metrics: see eval/identification.h.
// --embedder fused embeds every image with both embedders (one detection)
// and ranks by the score fusion fitted on --train-pairs (docs/embedders.md).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/pair_scoring.h"
#include "eval/face_picker.h"
#include "eval/identification.h"
#include "eval/score_fusion.h"

namespace facekit::cli {

namespace {

struct IdentifyOptions {
  std::string images;
  std::vector<std::string> people;
  std::size_t max_people = 0;
  bool json = false;
  std::string embedder = "mobilefacenet";
  std::string train_pairs;        // fused: LFW pairs the fusion is fitted on (images from --images)
  std::string fusion = "logistic";  // fused: zscore or logistic
  ChipAlignmentFlags alignment;  // --mobilefacenet-alignment, --resnet128-alignment
};

// Names from LFW people files: a count line, then "name count" lines.
Result<std::vector<std::string>> ReadPeople(const std::vector<std::string>& files) {
  std::vector<std::string> names;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) return Status(StatusCode::kNotFound, "cannot read " + f);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ss(line);
      std::string name;
      int count = 0;
      if ((ss >> name >> count) && count > 0) names.push_back(name);
    }
  }
  return names;
}

int RunIdentify(const GlobalOptions& g, const IdentifyOptions& o) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  if (!o.people.empty()) {
    auto read = ReadPeople(o.people);
    if (!read.ok()) return Fail(read.status());
    names = std::move(*read);
  } else {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(o.images, ec)) {
      if (e.is_directory()) names.push_back(e.path().filename().string());
    }
    if (ec) return Fail(Status(StatusCode::kNotFound, "cannot list " + o.images));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (o.max_people > 0 && names.size() > o.max_people) names.resize(o.max_people);
  const bool fused = o.embedder == "fused";
  std::vector<EmbedderKind> kinds;
  if (fused) {
    if (o.train_pairs.empty()) {
      return Fail(Status(StatusCode::kInvalidArgument, "--embedder fused fits its fusion on --train-pairs: give one"));
    }
    kinds = {EmbedderKind::kMobileFaceNet, EmbedderKind::kResNet128};
  } else {
    auto kind = ParseEmbedderKind(o.embedder);
    if (!kind.ok()) return Fail(kind.status());
    kinds = {*kind};
  }
  auto fusion_kind = eval::ParseFusionKind(o.fusion);
  if (!fusion_kind.ok()) return Fail(fusion_kind.status());
  auto engine = MakeEngine(g, kinds, o.alignment.Overrides());
  if (!engine.ok()) return Fail(engine.status());
  EmbeddingCache cache(**engine, o.images, /*flip=*/false, ImageLimitsOf(g), kinds);

  eval::ScoreFusion fusion;
  if (fused) {
    auto pairs = eval::LoadLfwPairs(o.train_pairs);
    if (!pairs.ok()) return Fail(pairs.status());
    size_t skipped = 0;
    auto scored = ScorePairs(*pairs, cache, kinds, "train", &skipped);
    if (!scored.ok()) return Fail(scored.status());
    auto f = eval::FitScoreFusion(*fusion_kind, (*scored)[EmbedderKind::kMobileFaceNet],
                                  (*scored)[EmbedderKind::kResNet128]);
    if (!f.ok()) return Fail(f.status());
    fusion = *f;
  }

  std::vector<std::pair<std::string, std::vector<std::string>>> people;
  std::size_t total = 0;
  for (const auto& name : names) {
    auto files = SortedFiles((fs::path(o.images) / name).string());
    if (files.empty()) continue;
    total += files.size();
    people.emplace_back(name, std::move(files));
  }
  // Per kind: gallery and probe vectors in the same order.
  std::map<EmbedderKind, std::vector<eval::IdentityEmbedding>> gallery, probes;
  std::size_t no_face = 0, done = 0, unreadable = 0;
  ProgressBar progress("embed", total, "images");
  const double t0 = NowMs();
  for (const auto& [name, files] : people) {
    for (std::size_t i = 0; i < files.size(); ++i) {
      ++done;
      const EmbeddedImage& e = cache.GetFile(files[i]);
      if (e.unreadable) {
        ++unreadable;
        continue;
      }
      if (!e.error.ok()) return Fail(e.error);
      no_face += e.detected ? 0 : 1;
      for (EmbedderKind k : kinds) (i == 0 ? gallery : probes)[k].push_back({name, e.embeddings.at(k)});
      if (done % 20 == 0 || done == total) progress.Update(done);
    }
  }
  const double embed_ms = NowMs() - t0;
  eval::IdentificationResult r;
  if (fused) {
    const auto& gm = gallery[EmbedderKind::kMobileFaceNet];
    const auto& gr = gallery[EmbedderKind::kResNet128];
    const auto& pm = probes[EmbedderKind::kMobileFaceNet];
    const auto& pr = probes[EmbedderKind::kResNet128];
    std::vector<std::string> gallery_people, probe_people;
    for (const auto& x : gm) gallery_people.push_back(x.person);
    for (const auto& x : pm) probe_people.push_back(x.person);
    r = eval::EvaluateIdentificationScored(
        gallery_people, probe_people,
        [&](std::size_t p, std::size_t q) {
          return fusion.Apply(FaceEngine::Similarity(pm[p].embedding, gm[q].embedding),
                              FaceEngine::Similarity(pr[p].embedding, gr[q].embedding));
        },
        0.01);
  } else {
    r = eval::EvaluateIdentification(gallery[kinds[0]], probes[kinds[0]], 0.01);
  }
  nlohmann::json j{{"embedder", o.embedder},
                   {"rank1", r.rank1},
                   {"rank5", r.rank5},
                   {"dir_at_far_1pct", r.dir_at_far},
                   {"threshold_at_far_1pct", r.threshold},
                   {"probes", r.probes},
                   {"gallery", r.gallery},
                   {"people", people.size()},
                   {"images", total},
                   {"no_face", no_face},
                   {"unreadable", unreadable},
                   {"ms_per_image", total ? embed_ms / static_cast<double>(total) : 0.0}};
  if (fused) {
    j["fusion"] = {{"kind", eval::FusionKindName(fusion.kind)}, {"train_pairs", o.train_pairs},
                   {"w_mobilefacenet", fusion.w_a}, {"w_resnet128", fusion.w_b}, {"bias", fusion.bias}};
    j["threshold_note"] = "fused score, not a cosine";
  }
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::printf("gallery %zu persons (one image each), %zu probes\n", r.gallery, r.probes);
    std::printf("rank-1 %.2f%%  rank-5 %.2f%%\n", 100 * r.rank1, 100 * r.rank5);
    std::printf("open set: DIR %.2f%% at 1%% false alarms (similarity threshold %.3f", 100 * r.dir_at_far, r.threshold);
    // The 0-100 search score is calibrated for MobileFaceNet's cosines only.
    if (!fused && kinds[0] == EmbedderKind::kMobileFaceNet) {
      std::printf(", score %.1f", (*engine)->SearchScore(static_cast<float>(r.threshold)));
    }
    std::printf(")\n");
    std::printf("%zu images without a detected face (centred fallback used)\n", no_face);
  }
  return 0;
}

}  // namespace

void RegisterIdentify(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<IdentifyOptions>();
  CLI::App* c = eval_app->add_subcommand(
      "identify", "1:N identification: first image of each person enrolled, the rest probed; rank-1 and open-set DIR");
  c->add_option("--images", o->images, "Folder of person folders (LFW layout)")->required();
  c->add_option("--people", o->people, "LFW people file(s) naming who to use (default: every sub-folder)")
      ->allow_extra_args(false);
  c->add_option("--max-people", o->max_people, "Use only the first N persons (by name)");
  c->add_flag("--json", o->json, "One JSON object");
  c->add_option("--embedder", o->embedder,
                 "mobilefacenet, resnet128, or fused (both; fusion fitted on --train-pairs; docs/embedders.md)")
      ->check(CLI::IsMember({"mobilefacenet", "resnet128", "fused"}));
  c->add_option("--train-pairs", o->train_pairs,
                "With --embedder fused: LFW pairs (images from --images) the score fusion is fitted on")
      ->check(CLI::ExistingFile);
  o->alignment.Register(c);
  c->add_option("--fusion", o->fusion, "With --embedder fused: zscore or logistic")
      ->check(CLI::IsMember({"zscore", "logistic"}))
      ->capture_default_str();
  c->callback([o, &g, run] { *run = [o, &g] { return RunIdentify(g, *o); }; });
}

}  // namespace facekit::cli
