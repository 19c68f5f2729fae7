// The searches of VectorIndex: exact, IVF, and a beam search over the HNSW
// graph with prefetching (see vector_index.h).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

#include "gallery/vector_index.h"
#include "gallery/vector_index_internal.h"
#include "gallery/vector_kernels.h"

namespace facekit::gallery {

void VectorIndex::SetNprobe(int nprobe) { options_.nprobe = nprobe; }

void VectorIndex::SetRerank(int rerank) { options_.rerank = rerank; }

void VectorIndex::SetHnswQuantised(bool quantised) { options_.hnsw_quantised = quantised; }

int AutoNprobe(std::size_t nlist) { return static_cast<int>(std::max<std::size_t>(16, nlist * 3 / 8)); }

int AutoEfSearch(std::size_t rows) {
  const double n = static_cast<double>(std::max<std::size_t>(rows, 1));
  return static_cast<int>(std::clamp(std::lround(192.0 * std::pow(n / 1e5, 0.6)), 64L, 8192L));
}

int VectorIndex::effective_ef_search() const {
  return options_.ef_search > 0 ? options_.ef_search : AutoEfSearch(rows());
}

// FAISS's own efSearch is never read: Search uses effective_ef_search().
void VectorIndex::SetEfSearch(int ef_search) { options_.ef_search = ef_search; }

namespace {

// Per-thread visited marks: one bit per row, cleared at the start of each
// search (an eighth of a byte-wide stamp array, so it stays in L2 at 1M rows).
class VisitedSet {
 public:
  void Begin(std::size_t rows) {
    const std::size_t words = (rows + 63) / 64;
    if (bits_.size() < words) bits_.resize(words + words / 4 + 16);
    std::memset(bits_.data(), 0, words * sizeof(std::uint64_t));
  }
  // True the first time a row is seen in this search.
  bool Visit(std::size_t row) {
    std::uint64_t& word = bits_[row >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (row & 63);
    if (word & bit) return false;
    word |= bit;
    return true;
  }

 private:
  std::vector<std::uint64_t> bits_;
};

// Rows scored ahead of the one being scored have their bytes requested.
constexpr std::size_t kPrefetchAhead = 4;

// Requests every cache line of [at, at + bytes).
inline void PrefetchBytes(const void* at, std::size_t bytes) {
  const auto first = reinterpret_cast<std::uintptr_t>(at) & ~std::uintptr_t{63};
  const auto last = reinterpret_cast<std::uintptr_t>(at) + bytes - 1;
  for (std::uintptr_t p = first; p <= last; p += 64) _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

struct Scored {
  float score;
  std::size_t row;
};
struct WorseFirst {  // min-heap on score: the worst kept result on top
  bool operator()(const Scored& a, const Scored& b) const { return a.score > b.score; }
};
struct BestFirst {  // max-heap on score: the most promising candidate on top
  bool operator()(const Scored& a, const Scored& b) const { return a.score < b.score; }
};

}  // namespace

// Beam search over FAISS's HNSW graph (greedy descent through the upper
// levels, then a best-first search of level 0 keeping `ef` results), written
// here rather than calling faiss::HNSW::search so that the next vectors are
// prefetched while the current one is scored; dead rows are walked through
// but never returned.
std::vector<Hit> VectorIndex::SearchIvf(const float* query, std::size_t k) const {
  const Ivf& ivf = *ivf_;
  const auto d = static_cast<std::size_t>(dim_);
  thread_local std::vector<float> scores;
  scores.resize(std::max(ivf.nlist, std::size_t{1024}));
  DotMany(query, ivf.centroids.data(), ivf.nlist, d, scores.data());
  thread_local std::vector<std::uint32_t> order;
  order.resize(ivf.nlist);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  const int nprobe = options_.nprobe > 0 ? options_.nprobe : AutoNprobe(ivf.nlist);
  const std::size_t probes = std::min<std::size_t>(ivf.nlist, static_cast<std::size_t>(nprobe));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(probes), order.end(),
                    [&](std::uint32_t a, std::uint32_t b) { return scores[a] > scores[b]; });
  thread_local std::vector<float> w;
  w.resize(d);
  const float base = ivf.sq.Weights(query, d, w.data());
  const std::size_t keep = std::max<std::size_t>(k, static_cast<std::size_t>(std::max(1, options_.rerank)));
  std::priority_queue<Scored, std::vector<Scored>, WorseFirst> best;
  for (std::size_t p = 0; p < probes; ++p) {
    const Ivf::List& l = ivf.lists[order[p]];
    const std::size_t n = l.rows.size();
    if (scores.size() < n) scores.resize(n);
    DotU8Many(w.data(), l.codes.data(), n, d, scores.data());
    for (std::size_t i = 0; i < n; ++i) {
      const float s = base + scores[i];
      if (best.size() < keep) {
        best.push({s, l.rows[i]});
      } else if (s > best.top().score) {
        best.pop();
        best.push({s, l.rows[i]});
      }
    }
  }
  // Exact scores for the survivors.
  TopK top(k);
  while (!best.empty()) {
    const std::size_t row = best.top().row;
    best.pop();
    top.Offer(keys_[row], RowDot(query, row));
  }
  return top.Take();
}

std::vector<Hit> VectorIndex::Search(const float* query, std::size_t k) const {
  if (k == 0 || size() == 0) return {};
  if (ivf_) return SearchIvf(query, k);
  if (!graph_) return SearchExact(query, k);
  const Graph& g = *graph_;
  const faiss::HNSW& h = g.hnsw.hnsw;
  if (h.entry_point < 0) return SearchExact(query, k);
  const std::size_t d = static_cast<std::size_t>(dim_);
  // The walk scores 8-bit codes (a quarter of the memory traffic of float
  // rows); the best `rerank` of the final beam are then re-scored exactly.
  const bool quantised = options_.hnsw_quantised && g.codes.size() == rows() * d;
  const std::uint8_t* codes = g.codes.data();
  const std::size_t row_bytes = RowBytes();
  thread_local std::vector<float> w;
  float base = 0;
  if (quantised) {
    w.resize(d);
    base = g.sq.Weights(query, d, w.data());
  }
  const auto score = [&](std::size_t row) {
    return quantised ? base + DotU8(w.data(), codes + row * d, d) : RowDot(query, row);
  };
  const auto prefetch = [&](std::size_t row) {
    if (quantised) {
      PrefetchBytes(codes + row * d, d);
    } else {
      PrefetchBytes(RowAddress(row), row_bytes);
    }
  };
  const auto range = [&](std::size_t row, int level, std::size_t* begin, std::size_t* end) {
    *begin = h.offsets[row] + static_cast<std::size_t>(h.cum_nneighbor_per_level[static_cast<std::size_t>(level)]);
    *end = h.offsets[row] + static_cast<std::size_t>(h.cum_nneighbor_per_level[static_cast<std::size_t>(level) + 1]);
  };
  std::size_t entry = static_cast<std::size_t>(h.entry_point);
  float entry_score = score(entry);
  for (int level = h.max_level; level >= 1; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      std::size_t begin, end;
      range(entry, level, &begin, &end);
      for (std::size_t i = begin; i < end; ++i) {
        const int nb = h.neighbors[i];
        if (nb < 0) break;
        const float s = score(static_cast<std::size_t>(nb));
        if (s > entry_score) {
          entry_score = s;
          entry = static_cast<std::size_t>(nb);
          moved = true;
        }
      }
    }
  }
  const std::size_t ef = std::max<std::size_t>(k, static_cast<std::size_t>(effective_ef_search()));
  thread_local VisitedSet visited;
  visited.Begin(rows());
  std::priority_queue<Scored, std::vector<Scored>, BestFirst> candidates;
  std::priority_queue<Scored, std::vector<Scored>, WorseFirst> results;
  visited.Visit(entry);
  candidates.push({entry_score, entry});
  if (alive_[entry]) results.push({entry_score, entry});
  thread_local std::vector<std::size_t> fresh;
  while (!candidates.empty()) {
    const Scored c = candidates.top();
    if (results.size() >= ef && c.score < results.top().score) break;
    candidates.pop();
    // The runner-up is usually expanded next: start fetching its list.
    if (!candidates.empty()) PrefetchBytes(h.neighbors.data() + h.offsets[candidates.top().row], 64);
    std::size_t begin, end;
    range(c.row, 0, &begin, &end);
    fresh.clear();
    for (std::size_t i = begin; i < end; ++i) {
      const int nb = h.neighbors[i];
      if (nb < 0) break;
      if (visited.Visit(static_cast<std::size_t>(nb))) fresh.push_back(static_cast<std::size_t>(nb));
    }
    const std::size_t n = fresh.size();
    for (std::size_t i = 0; i < std::min(n, kPrefetchAhead); ++i) prefetch(fresh[i]);
    for (std::size_t i = 0; i < n; ++i) {
      if (i + kPrefetchAhead < n) prefetch(fresh[i + kPrefetchAhead]);
      const std::size_t row = fresh[i];
      const float s = score(row);
      if (results.size() < ef || s > results.top().score) {
        candidates.push({s, row});
        if (alive_[row]) {
          results.push({s, row});
          if (results.size() > ef) results.pop();
        }
      }
    }
  }
  thread_local std::vector<Scored> beam;
  beam.clear();
  while (!results.empty()) {
    beam.push_back(results.top());
    results.pop();
  }
  std::reverse(beam.begin(), beam.end());  // best first
  std::size_t keep = beam.size();
  if (quantised && options_.rerank > 0) keep = std::min(keep, std::max(k, static_cast<std::size_t>(options_.rerank)));
  TopK top(k);
  for (std::size_t i = 0; i < keep; ++i) {
    const std::size_t row = beam[i].row;
    if (!quantised) {
      top.Offer(keys_[row], beam[i].score);
      continue;
    }
    if (i + kPrefetchAhead < keep) PrefetchBytes(RowAddress(beam[i + kPrefetchAhead].row), row_bytes);
    top.Offer(keys_[row], RowDot(query, row));
  }
  return top.Take();
}
}  // namespace facekit::gallery
