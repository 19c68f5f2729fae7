#include "cli/pair_scoring.h"

#include "eval/face_picker.h"

namespace facekit::cli {

const EmbeddedImage& EmbeddingCache::GetFile(const std::string& path) {
  auto it = cache_.find(path);
  if (it != cache_.end()) return it->second;
  EmbeddedImage& e = cache_[path];
  double t0 = NowMs();
  auto image = LoadImageFile(path, limits_);
  if (!image.ok()) {
    e.error = image.status();
    e.unreadable = true;
    return e;
  }
  auto face = eval::CentralFaceOrFallback(engine_, *image, &e.detected);
  if (!face.ok()) {
    e.error = face.status();
    return e;
  }
  if (!e.detected) ++no_face_;
  for (EmbedderKind kind : kinds_) {
    EmbedOptions eo;
    eo.flip_augment = flip_;
    eo.embedder = kind;
    const double t1 = NowMs();
    auto emb = engine_.EmbedFace(*image, *face, eo);
    embed_ms_[kind] += NowMs() - t1;
    if (!emb.ok()) {
      e.error = emb.status();
      return e;
    }
    e.embeddings[kind] = std::move(*emb);
  }
  ++embedded_;
  total_ms_ += NowMs() - t0;
  return e;
}

Result<std::map<EmbedderKind, std::vector<eval::ScoredPair>>> ScorePairs(const eval::LfwPairs& pairs,
                                                                         EmbeddingCache& cache,
                                                                         const std::vector<EmbedderKind>& kinds,
                                                                         const char* label, size_t* skipped) {
  std::map<EmbedderKind, std::vector<eval::ScoredPair>> scored;
  ProgressBar progress(label, pairs.pairs.size(), "pairs");
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
    if (i % 10 == 0 || i + 1 == pairs.pairs.size()) progress.Update(i + 1);
    if (missing) {
      ++*skipped;
      continue;
    }
    for (EmbedderKind k : kinds) {
      scored[k].push_back({FaceEngine::Similarity(a.embeddings.at(k), b.embeddings.at(k)), p.same, p.fold});
    }
  }
  return scored;
}

void ChipAlignmentFlags::Register(CLI::App* command) {
  command
      ->add_option("--mobilefacenet-alignment", mobilefacenet,
                   "MobileFaceNet's chip: manifest (what the product cuts), detector5 (the detector's five points) or "
                   "mesh5 (five face-mesh points)")
      ->check(CLI::IsMember({"manifest", "detector5", "mesh5"}))
      ->capture_default_str();
  command
      ->add_option("--resnet128-alignment", resnet128,
                   "ResNet-128's chip: manifest (what the product cuts), detector5 or mesh68 (dlib's chip from the "
                   "face mesh)")
      ->check(CLI::IsMember({"manifest", "detector5", "mesh68"}))
      ->capture_default_str();
}

std::map<EmbedderKind, std::string> ChipAlignmentFlags::Overrides() const {
  std::map<EmbedderKind, std::string> a;
  if (mobilefacenet != "manifest") a[EmbedderKind::kMobileFaceNet] = mobilefacenet;
  if (resnet128 != "manifest") a[EmbedderKind::kResNet128] = resnet128;
  return a;
}

}  // namespace facekit::cli
