// facekit eval verify - LFW-protocol verification accuracy.
#include <cstdio>
#include <iostream>
#include <map>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "eval/face_picker.h"
#include "eval/lfw_pairs.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct EmbeddedImage {
  Embedding embedding;
  bool detected = false;
  Status error;
};

class EmbeddingCache {
 public:
  EmbeddingCache(const FaceEngine& engine, std::string dir, bool flip) : engine_(engine), dir_(std::move(dir)), flip_(flip) {}

  const EmbeddedImage& Get(const std::string& name, int n) {
    std::string path = eval::LfwImagePath(dir_, name, n);
    auto it = cache_.find(path);
    if (it != cache_.end()) return it->second;
    EmbeddedImage& e = cache_[path];
    double t0 = NowMs();
    auto image = LoadImageFile(path);
    if (!image.ok()) {
      e.error = image.status();
      return e;
    }
    EmbedOptions eo;
    eo.flip_augment = flip_;
    auto emb = eval::EmbedCentralFace(engine_, *image, eo, &e.detected);
    if (!emb.ok()) {
      e.error = emb.status();
      return e;
    }
    if (!e.detected) ++no_face_;
    e.embedding = std::move(*emb);
    total_ms_ += NowMs() - t0;
    return e;
  }

  int no_face() const { return no_face_; }
  size_t images() const { return cache_.size(); }
  double total_ms() const { return total_ms_; }

 private:
  const FaceEngine& engine_;
  std::string dir_;
  bool flip_;
  std::map<std::string, EmbeddedImage> cache_;
  int no_face_ = 0;
  double total_ms_ = 0;
};

// Scores every pair. Pairs with a missing image file are skipped and
// counted in *skipped; any other unreadable image fails the run.
Result<std::vector<float>> ScorePairs(const eval::LfwPairs& pairs, EmbeddingCache& cache, std::vector<bool>* same,
                                      const char* label, size_t* skipped) {
  std::vector<float> scores;
  bool tty = isatty(2) != 0;
  for (size_t i = 0; i < pairs.pairs.size(); ++i) {
    const eval::LfwPair& p = pairs.pairs[i];
    const EmbeddedImage& a = cache.Get(p.name1, p.n1);
    const EmbeddedImage& b = cache.Get(p.name2, p.n2);
    bool missing = false;
    for (const EmbeddedImage* e : {&a, &b}) {
      if (e->error.code() == StatusCode::kNotFound) {
        missing = true;
      } else if (!e->error.ok()) {
        return e->error;
      }
    }
    if (missing) {
      ++*skipped;
      continue;
    }
    scores.push_back(FaceEngine::Similarity(a.embedding, b.embedding));
    same->push_back(p.same);
    if (tty && (i % 20 == 0 || i + 1 == pairs.pairs.size())) {
      std::fprintf(stderr, "\r%s %zu/%zu pairs", label, i + 1, pairs.pairs.size());
      if (i + 1 == pairs.pairs.size()) std::fprintf(stderr, "\n");
    }
  }
  return scores;
}

}  // namespace

void RegisterEval(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* ev = app.add_subcommand("eval", "Measure accuracy");
  ev->require_subcommand(1);
  struct Opts {
    std::string pairs, train_pairs, images;
    bool json = false, flip = false;
    float threshold = -2.f;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = ev->add_subcommand("verify", "LFW pair protocol: accuracy with a threshold chosen on --train-pairs");
  c->add_option("--pairs", o->pairs, "Pairs file to report on (LFW format)")->required()->check(CLI::ExistingFile);
  c->add_option("--train-pairs", o->train_pairs, "Pairs file to choose the threshold on (default: the manifest threshold)")->check(CLI::ExistingFile);
  c->add_option("--images", o->images, "Image folder: DIR/Name/Name_0001.jpg")->required()->check(CLI::ExistingDirectory);
  c->add_option("--threshold", o->threshold, "Use this cosine threshold instead of choosing one");
  c->add_flag("--json", o->json, "Print one JSON object");
  c->add_flag("--flip", o->flip, "Average embeddings with their mirror images'");
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto test = eval::LoadLfwPairs(o->pairs);
      if (!test.ok()) return Fail(test.status());
      EmbeddingCache cache(**engine, o->images, o->flip);
      float threshold = (*engine)->verify_threshold();
      std::string threshold_source = "manifest";
      double train_acc = -1;
      size_t train_pairs_used = 0;
      if (o->threshold > -2.f) {
        threshold = o->threshold;
        threshold_source = "--threshold";
      } else if (!o->train_pairs.empty()) {
        auto train = eval::LoadLfwPairs(o->train_pairs);
        if (!train.ok()) return Fail(train.status());
        std::vector<bool> same;
        size_t train_skipped = 0;
        auto scores = ScorePairs(*train, cache, &same, "train", &train_skipped);
        if (!scores.ok()) return Fail(scores.status());
        threshold = eval::BestThreshold(*scores, same);
        train_acc = eval::Accuracy(*scores, same, threshold);
        threshold_source = o->train_pairs;
        train_pairs_used = scores->size();
      }
      std::vector<bool> same;
      size_t skipped = 0;
      auto scores = ScorePairs(*test, cache, &same, "test", &skipped);
      if (!scores.ok()) return Fail(scores.status());
      double acc = eval::Accuracy(*scores, same, threshold);
      size_t tp = 0, fp = 0, tn = 0, fn = 0;
      for (size_t i = 0; i < scores->size(); ++i) {
        bool pred = (*scores)[i] >= threshold;
        if (pred && same[i]) ++tp;
        else if (pred) ++fp;
        else if (same[i]) ++fn;
        else ++tn;
      }
      double ms_per_image = cache.images() ? cache.total_ms() / static_cast<double>(cache.images()) : 0;
      if (o->json) {
        json out{{"accuracy", acc}, {"threshold", threshold}, {"threshold_source", threshold_source},
                 {"pairs", scores->size()}, {"skipped_pairs_missing_image", skipped}, {"images", cache.images()}, {"no_face", cache.no_face()},
                 {"no_face_policy", "centred square fallback"}, {"confusion", {{"tp", tp}, {"fp", fp}, {"tn", tn}, {"fn", fn}}},
                 {"ms_per_image", ms_per_image}, {"flip", o->flip}};
        if (train_acc >= 0) {
          out["train_accuracy"] = train_acc;
          out["train_pairs"] = train_pairs_used;
        }
        json per_pair = json::array();
        for (size_t i = 0; i < scores->size(); ++i) per_pair.push_back({(*scores)[i], same[i] ? 1 : 0});
        out["scores"] = per_pair;
        std::cout << out.dump() << "\n";
      } else {
        std::printf("pairs %zu  accuracy %.2f%%  threshold %.4f (%s)\n", scores->size(), 100 * acc,
                    static_cast<double>(threshold), threshold_source.c_str());
        if (skipped > 0) std::printf("skipped %zu pair(s) whose image file does not exist\n", skipped);
        if (train_acc >= 0) std::printf("train accuracy at that threshold %.2f%%\n", 100 * train_acc);
        std::printf("confusion tp %zu fp %zu tn %zu fn %zu\n", tp, fp, tn, fn);
        std::printf("images %zu, no face detected in %d (embedded a centred square instead), %.1f ms per image\n",
                    cache.images(), cache.no_face(), ms_per_image);
      }
      return 0;
    };
  });
}

}  // namespace facekit::cli
