// facekit eval mask: what the shipped embedder does with masked faces. LFW
// pairs with a mask drawn over the lower face of one or both photos
// (eval/mask_synthesis.h), scored with the product's decision rule
// (docs/masked-faces.md).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/face_picker.h"
#include "eval/lfw_pairs.h"
#include "eval/mask_synthesis.h"
#include "eval/verification_metrics.h"
#include "facekit/face_mesh.h"
#include "facekit/image.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct Opts {
  std::string pairs, train_pairs, images, dump;
  int dump_count = 8;
  unsigned seed = 20261205;
  bool json = false;
};

// One photo, plain and masked.
struct Photo {
  Embedding plain, masked;
  bool plain_detected = false, masked_detected = false;
  Status error;
};

// A stable per-image seed (FNV-1a of the path, mixed with --seed), so that
// an image gets the same mask whatever order it is first seen in.
unsigned ImageSeed(const std::string& path, unsigned seed) {
  std::uint32_t h = 2166136261u ^ seed;
  for (unsigned char c : path) h = (h ^ c) * 16777619u;
  return h;
}

class MaskedCache {
 public:
  MaskedCache(const FaceEngine& engine, const FaceMesh& mesh, const Opts& o, ImageLimits limits)
      : engine_(engine), mesh_(mesh), o_(o), limits_(limits) {}

  const Photo& Get(const std::string& name, int n) {
    const std::string path = eval::LfwImagePath(o_.images, name, n);
    auto it = cache_.find(path);
    if (it != cache_.end()) return it->second;
    Photo& p = cache_[path];
    auto image = LoadImageFile(path, limits_);
    if (!image.ok()) {
      p.error = image.status();
      return p;
    }
    auto plain = eval::EmbedCentralFace(engine_, *image, {}, &p.plain_detected);
    if (!plain.ok()) {
      p.error = plain.status();
      return p;
    }
    p.plain = std::move(*plain);
    // The mask follows the face the protocol embeds: the central face, else the centred square.
    auto faces = engine_.Detect(*image);
    if (!faces.ok()) {
      p.error = faces.status();
      return p;
    }
    const int central = CentralFace(*faces, image->original_width(), image->original_height());
    const FaceBox face = central >= 0 ? (*faces)[static_cast<std::size_t>(central)]
                                      : eval::CentredFallbackFace(image->original_width(), image->original_height(),
                                                                  eval::kFallbackFaceFraction,
                                                                  engine_.alignment_template());
    auto mesh = mesh_.Run(*image, face);
    if (!mesh.ok()) {
      p.error = mesh.status();
      return p;
    }
    std::mt19937 rng(ImageSeed(path, o_.seed));
    Image masked = *image;
    if (Status st = eval::DrawSyntheticMask(masked, *mesh, rng); !st.ok()) {
      p.error = st;
      return p;
    }
    if (!o_.dump.empty() && dumped_ < o_.dump_count) {
      ++dumped_;
      (void)SaveImageFile(masked, (std::filesystem::path(o_.dump) / (name + "_" + std::to_string(n) + ".png")).string());
    }
    auto emb = eval::EmbedCentralFace(engine_, masked, {}, &p.masked_detected);
    if (!emb.ok()) {
      p.error = emb.status();
      return p;
    }
    p.masked = std::move(*emb);
    if (!p.masked_detected) ++masked_no_face_;
    return p;
  }
  int masked_no_face() const { return masked_no_face_; }
  std::size_t images() const { return cache_.size(); }

 private:
  const FaceEngine& engine_;
  const FaceMesh& mesh_;
  const Opts& o_;
  ImageLimits limits_;
  std::map<std::string, Photo> cache_;
  int masked_no_face_ = 0;
  int dumped_ = 0;
};

enum Condition { kPlain, kProbeMasked, kBothMasked, kConditions };
constexpr const char* kConditionNames[kConditions] = {"plain", "probe_masked", "both_masked"};

// Scored pairs (cosine similarity) of each condition. Pairs with a missing
// image file (original-150 lacks one LFW image) are skipped and counted.
Result<std::array<std::vector<eval::ScoredPair>, kConditions>> Score(const eval::LfwPairs& pairs, MaskedCache& cache,
                                                                     int* skipped) {
  std::array<std::vector<eval::ScoredPair>, kConditions> out;
  for (const eval::LfwPair& pair : pairs.pairs) {
    const Photo& a = cache.Get(pair.name1, pair.n1);
    const Photo& b = cache.Get(pair.name2, pair.n2);
    if (a.error.code() == StatusCode::kNotFound || b.error.code() == StatusCode::kNotFound) {
      ++*skipped;
      continue;
    }
    for (const Photo* p : {&a, &b}) {
      if (!p->error.ok()) return p->error;
    }
    out[kPlain].push_back({FaceEngine::Similarity(a.plain, b.plain), pair.same, pair.fold});
    out[kProbeMasked].push_back({FaceEngine::Similarity(a.plain, b.masked), pair.same, pair.fold});
    out[kBothMasked].push_back({FaceEngine::Similarity(a.masked, b.masked), pair.same, pair.fold});
  }
  return out;
}

json RatesAt(const std::vector<eval::ScoredPair>& pairs, float similarity) {
  const eval::Confusion c = eval::ConfusionAt(pairs, similarity);
  const double tar = c.tp + c.fn ? static_cast<double>(c.tp) / static_cast<double>(c.tp + c.fn) : 0;
  const double far = c.fp + c.tn ? static_cast<double>(c.fp) / static_cast<double>(c.fp + c.tn) : 0;
  return {{"tar", tar}, {"far", far}, {"accepted_genuine", c.tp}, {"genuine", c.tp + c.fn},
          {"accepted_impostor", c.fp}, {"impostor", c.fp + c.tn}};
}

int Run(const GlobalOptions& g, const Opts& o) {
  auto engine = MakeEngine(g);
  if (!engine.ok()) return Fail(engine.status());
  FaceMeshOptions mo;
  mo.models_dir = ResolveModelsDir(g);
  mo.num_threads = g.threads;
  auto mesh = FaceMesh::Create(mo);
  if (!mesh.ok()) return Fail(mesh.status());
  if (!o.dump.empty()) std::filesystem::create_directories(o.dump);
  MaskedCache cache(**engine, **mesh, o, ImageLimitsOf(g));
  auto test = eval::LoadLfwPairs(o.pairs);
  if (!test.ok()) return Fail(test.status());
  int skipped = 0;
  auto scored = Score(*test, cache, &skipped);
  if (!scored.ok()) return Fail(scored.status());
  const MatchRule rule = (*engine)->match_rule();
  json out{{"pairs", (*scored)[kPlain].size()},
           {"skipped_pairs_missing_image", skipped},
           {"seed", o.seed},
           {"match_score", rule.score},
           {"match_similarity", rule.similarity},
           {"images", cache.images()},
           {"masked_images_without_detection", cache.masked_no_face()}};
  json conditions = json::object();
  for (int c = 0; c < kConditions; ++c) {
    json at = json::object();
    for (float score : {40.f, 50.f, rule.score}) {
      at[std::to_string(static_cast<int>(score))] = RatesAt((*scored)[c], (*engine)->SimilarityAtScore(score));
    }
    double genuine = 0;
    int n = 0;
    for (const auto& p : (*scored)[c]) {
      if (p.same) genuine += p.score, ++n;
    }
    conditions[kConditionNames[c]] = {{"at_score", at}, {"mean_genuine_similarity", n ? genuine / n : 0}};
  }
  out["conditions"] = conditions;
  if (!o.train_pairs.empty()) {
    // A mask threshold chosen on the training pairs only: the accuracy-maximising one.
    auto train = eval::LoadLfwPairs(o.train_pairs);
    if (!train.ok()) return Fail(train.status());
    int train_skipped = 0;
    auto train_scored = Score(*train, cache, &train_skipped);
    if (!train_scored.ok()) return Fail(train_scored.status());
    json chosen = json::object();
    for (int c : {kProbeMasked, kBothMasked}) {
      const float t = eval::BestThreshold((*train_scored)[c]);
      chosen[kConditionNames[c]] = {{"similarity", t},
                                    {"train", RatesAt((*train_scored)[c], t)},
                                    {"test", RatesAt((*scored)[c], t)}};
    }
    out["accuracy_threshold_from_train"] = chosen;
    out["train_pairs"] = (*train_scored)[kPlain].size();
    out["train_skipped_pairs_missing_image"] = train_skipped;
  }
  if (o.json) {
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::printf("%zu pairs (%d skipped: image missing), %zu images, %d masked images without a detected face (seed %u)\n",
              (*scored)[kPlain].size(), skipped, cache.images(), cache.masked_no_face(), o.seed);
  const std::string key = std::to_string(static_cast<int>(rule.score));
  for (int c = 0; c < kConditions; ++c) {
    const json& r = out["conditions"][kConditionNames[c]]["at_score"][key];
    std::printf("  %-13s TAR %.2f%% (%d/%d)  FAR %.4f (%d/%d) at score %s\n", kConditionNames[c],
                100 * r["tar"].get<double>(), r["accepted_genuine"].get<int>(), r["genuine"].get<int>(),
                r["far"].get<double>(), r["accepted_impostor"].get<int>(), r["impostor"].get<int>(), key.c_str());
  }
  return 0;
}

}  // namespace

void RegisterEvalMask(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto o = std::make_shared<Opts>();
  CLI::App* c = eval_app->add_subcommand(
      "mask", "LFW pairs with a mask drawn over the lower face: TAR and FAR at the decision rule, plain vs masked");
  c->add_option("--pairs", o->pairs, "Pairs file to report on (LFW format)")->required()->check(CLI::ExistingFile);
  c->add_option("--train-pairs", o->train_pairs,
                "Also choose a masked-pair threshold on these pairs (accuracy-maximising) and report it on --pairs")
      ->check(CLI::ExistingFile);
  c->add_option("--images", o->images, "Image folder: DIR/Name/Name_0001.jpg")->required()->check(CLI::ExistingDirectory);
  c->add_option("--seed", o->seed, "Seed of the mask colours and shading");
  c->add_option("--dump", o->dump, "Write the first masked images (PNG) to this folder");
  c->add_option("--dump-count", o->dump_count, "How many masked images --dump writes");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->callback([&g, o, run] { *run = [&g, o] { return Run(g, *o); }; });
}

}  // namespace facekit::cli
