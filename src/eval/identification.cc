#include "eval/identification.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace facekit::eval {

IdentificationResult EvaluateIdentification(const std::vector<IdentityEmbedding>& gallery,
                                            const std::vector<IdentityEmbedding>& probes, double far) {
  IdentificationResult r;
  r.gallery = gallery.size();
  r.far = far;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < gallery.size(); ++i) index.emplace(gallery[i].person, i);
  struct Search {
    float mate = 0;        // similarity to the enrolled face of the same person
    float best_other = 0;  // best similarity among the other persons
    std::size_t rank = 0;  // 1-based rank of the mate
  };
  std::vector<Search> searches;
  for (const auto& p : probes) {
    auto it = index.find(p.person);
    if (it == index.end()) {
      ++r.probes_without_mate;
      continue;
    }
    Search s;
    s.mate = FaceEngine::Similarity(p.embedding, gallery[it->second].embedding);
    s.best_other = -std::numeric_limits<float>::max();
    std::size_t above = 0;
    for (std::size_t g = 0; g < gallery.size(); ++g) {
      if (g == it->second) continue;
      const float sim = FaceEngine::Similarity(p.embedding, gallery[g].embedding);
      s.best_other = std::max(s.best_other, sim);
      if (sim > s.mate) ++above;
    }
    s.rank = above + 1;
    searches.push_back(s);
  }
  r.probes = searches.size();
  if (searches.empty()) return r;
  const double n = static_cast<double>(searches.size());
  std::vector<float> others;
  for (const auto& s : searches) {
    r.rank1 += s.rank == 1 ? 1 : 0;
    r.rank5 += s.rank <= 5 ? 1 : 0;
    others.push_back(s.best_other);
  }
  r.rank1 /= n;
  r.rank5 /= n;
  // Threshold: the smallest t with at most far * n non-mated searches >= t.
  std::sort(others.begin(), others.end(), std::greater<float>());
  const auto allowed = static_cast<std::size_t>(std::floor(far * n));
  const float t =
      allowed < others.size() ? std::nextafter(others[allowed], std::numeric_limits<float>::max()) : others.back();
  r.threshold = t;
  double detected = 0;
  for (const auto& s : searches) detected += (s.rank == 1 && s.mate >= t) ? 1 : 0;
  r.dir_at_far = detected / n;
  return r;
}

}  // namespace facekit::eval
