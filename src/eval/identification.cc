#include "eval/identification.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace facekit::eval {

IdentificationResult EvaluateIdentification(const std::vector<IdentityEmbedding>& gallery,
                                            const std::vector<IdentityEmbedding>& probes, double far) {
  std::vector<std::string> gallery_people, probe_people;
  for (const auto& g : gallery) gallery_people.push_back(g.person);
  for (const auto& p : probes) probe_people.push_back(p.person);
  return EvaluateIdentificationScored(
      gallery_people, probe_people,
      [&](std::size_t p, std::size_t g) {
        return static_cast<double>(FaceEngine::Similarity(probes[p].embedding, gallery[g].embedding));
      },
      far);
}

IdentificationResult EvaluateIdentificationScored(const std::vector<std::string>& gallery_people,
                                                  const std::vector<std::string>& probe_people,
                                                  const std::function<double(std::size_t, std::size_t)>& score,
                                                  double far) {
  IdentificationResult r;
  r.gallery = gallery_people.size();
  r.far = far;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < gallery_people.size(); ++i) index.emplace(gallery_people[i], i);
  struct Search {
    double mate = 0;        // score against the enrolled face of the same person
    double best_other = 0;  // best score among the other persons
    std::size_t rank = 0;   // 1-based rank of the mate
  };
  std::vector<Search> searches;
  for (std::size_t p = 0; p < probe_people.size(); ++p) {
    auto it = index.find(probe_people[p]);
    if (it == index.end()) {
      ++r.probes_without_mate;
      continue;
    }
    Search s;
    s.mate = score(p, it->second);
    s.best_other = -std::numeric_limits<double>::max();
    std::size_t above = 0;
    for (std::size_t g = 0; g < gallery_people.size(); ++g) {
      if (g == it->second) continue;
      const double sim = score(p, g);
      s.best_other = std::max(s.best_other, sim);
      if (sim > s.mate) ++above;
    }
    s.rank = above + 1;
    searches.push_back(s);
  }
  r.probes = searches.size();
  if (searches.empty()) return r;
  const double n = static_cast<double>(searches.size());
  std::vector<double> others;
  for (const auto& s : searches) {
    r.rank1 += s.rank == 1 ? 1 : 0;
    r.rank5 += s.rank <= 5 ? 1 : 0;
    others.push_back(s.best_other);
  }
  r.rank1 /= n;
  r.rank5 /= n;
  // Threshold: the smallest t with at most far * n non-mated searches >= t.
  std::sort(others.begin(), others.end(), std::greater<double>());
  const auto allowed = static_cast<std::size_t>(std::floor(far * n));
  const double t =
      allowed < others.size() ? std::nextafter(others[allowed], std::numeric_limits<double>::max()) : others.back();
  r.threshold = t;
  double detected = 0;
  for (const auto& s : searches) detected += (s.rank == 1 && s.mate >= t) ? 1 : 0;
  r.dir_at_far = detected / n;
  return r;
}

}  // namespace facekit::eval
