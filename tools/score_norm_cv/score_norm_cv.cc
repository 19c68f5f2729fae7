// score_norm_cv: adaptive score normalisation (AS-norm / S-norm) of LFW pair
// scores with a cohort of the training pairs' images, per model and fused
// with MobileFaceNet + ResNet-128 (src/eval/score_fusion.h), measured on the
// training pairs by self-fit accuracy, AUC and 10-fold cross-validation
// (folds = pair index mod 10). The test pairs are scored only for the one
// configuration named by --test (chosen on the training pairs beforehand).
//   score_norm_cv EMBEDDINGS TRAIN_PAIRS TEST_PAIRS [--test "K=N LABEL"]
// EMBEDDINGS: dump_embeddings' output. Cohort of an image = the training
// pairs' images minus those of both persons of the pair scored; K = the
// number of highest cohort scores used (100000 = all, i.e. S-norm).
// An experiment tool of docs/embedders.md ("Measured: score normalisation").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include "eval/score_fusion.h"
#include "eval/verification_metrics.h"
using namespace facekit::eval;
struct Img { std::string name; int n; std::vector<float> e[2]; };
struct Pair { int a, b; bool same; };
static std::map<std::pair<std::string,int>, int> idx;
static std::vector<Img> imgs;
static float Dot(const std::vector<float>& a, const std::vector<float>& b) { float s = 0; for (size_t i = 0; i < a.size(); ++i) s += a[i]*b[i]; return s; }
static std::vector<Pair> LoadPairs(const char* p) {
  std::vector<Pair> out; std::ifstream in(p); std::string line; std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ss(line); std::string a, b; int x = 0, y = 0; ss >> a >> x; if (!(ss >> b)) continue;
    Pair q; if (ss >> y) { q.a = idx.at({a,x}); q.b = idx.at({b,y}); q.same = false; }
    else { q.a = idx.at({a,x}); q.b = idx.at({a,std::stoi(b)}); q.same = true; }
    out.push_back(q);
  }
  return out;
}
// cohort scores of image i under model m, sorted descending, with cohort index
static std::vector<std::vector<std::pair<float,int>>> sorted_[2];
static std::vector<int> cohort;
static_assert(sizeof(float) == 4);
static std::pair<double,double> Stats(int i, int m, int K, const std::string& ex1, const std::string& ex2) {
  double s = 0, s2 = 0; int k = 0;
  for (auto& [v, c] : sorted_[m][i]) {
    const std::string& nm = imgs[c].name; if (nm == ex1 || nm == ex2) continue;
    s += v; s2 += v*v; if (++k == K) break;
  }
  double mu = s / k; double sd = std::sqrt(std::max(1e-12, s2 / k - mu*mu)); return {mu, sd};
}
static std::vector<ScoredPair> Score(const std::vector<Pair>& ps, int m, int K, bool norm) {
  std::vector<ScoredPair> out;
  for (size_t j = 0; j < ps.size(); ++j) {
    const Pair& p = ps[j]; double s = Dot(imgs[p.a].e[m], imgs[p.b].e[m]);
    if (norm) {
      auto [ma, sa] = Stats(p.a, m, K, imgs[p.a].name, imgs[p.b].name);
      auto [mb, sb] = Stats(p.b, m, K, imgs[p.a].name, imgs[p.b].name);
      s = 0.5 * ((s - ma) / sa + (s - mb) / sb);
    }
    out.push_back({(float)s, p.same, (int)(j % 10)});
  }
  return out;
}
static double Acc(const std::vector<ScoredPair>& p, float t) { auto c = ConfusionAt(p, t); return double(c.tp + c.tn) / p.size(); }
static int Errors(const std::vector<ScoredPair>& p, float t) { auto c = ConfusionAt(p, t); return c.fp + c.fn; }
// fused (or single when b empty) scores: fit on train, apply on test
static std::vector<ScoredPair> Fit(const std::vector<ScoredPair>& tra, const std::vector<ScoredPair>& trb,
    const std::vector<ScoredPair>& tea, const std::vector<ScoredPair>& teb, FusionKind fk, float* thr) {
  if (trb.empty()) { *thr = BestThreshold(tra); return tea; }
  auto f = FitScoreFusion(fk, tra, trb); auto ftr = FuseScores(*f, tra, trb); *thr = BestThreshold(ftr); return FuseScores(*f, tea, teb);
}
static int CvErrors(const std::vector<ScoredPair>& a, const std::vector<ScoredPair>& b, FusionKind fk) {
  int err = 0;
  for (int fold = 0; fold < 10; ++fold) {
    std::vector<ScoredPair> tra, trb, tea, teb;
    for (size_t i = 0; i < a.size(); ++i) {
      if ((int)(i % 10) == fold) { tea.push_back(a[i]); if (!b.empty()) teb.push_back(b[i]); }
      else { tra.push_back(a[i]); if (!b.empty()) trb.push_back(b[i]); }
    }
    float t; auto s = Fit(tra, trb, tea, teb, fk, &t); err += Errors(s, t);
  }
  return err;
}
static bool Chosen(const std::string& chosen, int K, const std::string& label) {
  return !chosen.empty() && chosen == "K=" + std::to_string(K) + " " + label;
}
int main(int argc, char** argv) {
  const std::string chosen = argc > 5 && !strcmp(argv[4], "--test") ? argv[5] : "";
  { std::ifstream in(argv[1]); std::string line;
    while (std::getline(in, line)) { std::istringstream ss(line); Img im; int det, d; ss >> im.name >> im.n >> det;
      for (int m = 0; m < 2; ++m) { ss >> d; im.e[m].resize(d); for (auto& v : im.e[m]) ss >> v; }
      idx[{im.name, im.n}] = imgs.size(); imgs.push_back(std::move(im)); } }
  auto train = LoadPairs(argv[2]); auto testp = LoadPairs(argv[3]);
  std::set<int> co; for (auto& p : train) { co.insert(p.a); co.insert(p.b); }
  cohort.assign(co.begin(), co.end());
  std::set<std::string> trnames; for (int c : cohort) trnames.insert(imgs[c].name);
  int overlap = 0; for (auto& p : testp) for (int i : {p.a, p.b}) overlap += trnames.count(imgs[i].name);
  fprintf(stderr, "images %zu cohort %zu train pairs %zu test pairs %zu; test images whose person is in the cohort: %d\n", imgs.size(), cohort.size(), train.size(), testp.size(), overlap);
  for (int m = 0; m < 2; ++m) { sorted_[m].resize(imgs.size());
    for (size_t i = 0; i < imgs.size(); ++i) { auto& v = sorted_[m][i];
      for (int c : cohort) if ((int)i != c) v.push_back({Dot(imgs[i].e[m], imgs[c].e[m]), c});
      std::sort(v.begin(), v.end(), [](auto& x, auto& y) { return x.first > y.first; }); } }
  const char* mn[2] = {"mfn", "res"};
  std::vector<int> Ks = {0, 25, 50, 100, 200, 400, 800, 100000};
  for (int K : Ks) {
    bool norm = K > 0;
    std::vector<ScoredPair> tr[2], te[2];
    for (int m = 0; m < 2; ++m) { tr[m] = Score(train, m, K, norm); te[m] = Score(testp, m, K, norm); }
    for (int m = 0; m < 2; ++m) {
      float t; auto s = Fit(tr[m], {}, te[m], {}, FusionKind::kZScore, &t);
      printf("K=%-6d %s   train self %.2f%% AUC %.5f cv errors %d", K, mn[m], 100*Acc(tr[m], t), RocAuc(tr[m]), CvErrors(tr[m], {}, FusionKind::kZScore));
      if (Chosen(chosen, K, mn[m])) printf(" | TEST %.2f%% errors %d AUC %.5f TAR@1e-3 %.3f", 100*Acc(s, t), Errors(s, t), RocAuc(s), TarAtFar(s, 1e-3));
      printf("\n");
    }
    if (norm) {
      auto r_tr = Score(train, 1, 0, false), r_te = Score(testp, 1, 0, false);
      for (FusionKind fk : {FusionKind::kZScore, FusionKind::kLogistic}) {
        float t; auto s = Fit(tr[0], r_tr, te[0], r_te, fk, &t);
        auto f = FitScoreFusion(fk, tr[0], r_tr); auto ftr = FuseScores(*f, tr[0], r_tr);
        printf("K=%-6d mfnnorm+resraw-%s train self %.2f%% AUC %.5f cv errors %d", K, FusionKindName(fk).c_str(), 100*Acc(ftr, t), RocAuc(ftr), CvErrors(tr[0], r_tr, fk));
        if (Chosen(chosen, K, "mfnnorm+resraw-" + FusionKindName(fk))) printf(" | TEST %.2f%% errors %d AUC %.5f TAR@1e-3 %.3f", 100*Acc(s, t), Errors(s, t), RocAuc(s), TarAtFar(s, 1e-3));
        printf("\n");
      }
    }
    for (FusionKind fk : {FusionKind::kZScore, FusionKind::kLogistic}) {
      float t; auto s = Fit(tr[0], tr[1], te[0], te[1], fk, &t);
      auto f = FitScoreFusion(fk, tr[0], tr[1]); auto ftr = FuseScores(*f, tr[0], tr[1]);
      printf("K=%-6d fused-%s train self %.2f%% AUC %.5f cv errors %d", K, FusionKindName(fk).c_str(), 100*Acc(ftr, t), RocAuc(ftr), CvErrors(tr[0], tr[1], fk));
      if (Chosen(chosen, K, "fused-" + FusionKindName(fk))) printf(" | TEST %.2f%% errors %d AUC %.5f TAR@1e-3 %.3f", 100*Acc(s, t), Errors(s, t), RocAuc(s), TarAtFar(s, 1e-3));
      printf("\n");
    }
  }
}
