// vector_index_internal.h - what the parts of VectorIndex share (vector_index.cc:
// rows, building and compaction; vector_index_search.cc: the searches;
// vector_index_snapshot.cc: snapshot files): the scalar quantiser, the row
// storage FAISS builds its graph over, the IVF lists, the top-k heap.
// Internal to src/gallery; not part of the public API.
#pragma once

#include <faiss/Clustering.h>
#include <faiss/Index.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/HNSW.h>
#include <fcntl.h>
#include <immintrin.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <queue>

#include "gallery/vector_index.h"
#include "gallery/vector_kernels.h"

namespace facekit::gallery {

namespace index_detail {


using faiss_idx = faiss::Index::idx_t;

// A graph's quantiser trained on fewer rows uses the full range [-1, 1].
constexpr std::size_t kMinQuantiserRows = 1000;

// Cache-line aligned storage, so that a 192-byte code row spans 3 lines, not 4.
template <typename T>
struct LineAligned {
  using value_type = T;
  LineAligned() = default;
  template <typename U>
  LineAligned(const LineAligned<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  bool operator==(const LineAligned&) const { return true; }
};

// Per-dimension 8-bit scalar quantiser: code c stands for min + (c + 0.5) step.
// A query's score against a code row is base + sum_j w_j c_j (see Weights).
struct ScalarQuantiser {
  std::vector<float> min, step;  // per dimension

  // Range per dimension from the rows, with a little margin; with fewer than
  // `min_rows` rows the full range of a unit vector's component, [-1, 1].
  void Train(const float* rows, std::size_t n, std::size_t d, std::size_t min_rows = 1) {
    std::vector<float> hi;
    StartRange(d, &hi);
    WidenRange(rows, n, d, &hi);
    FinishRange(n, d, min_rows, hi);
  }
  // The same over rows seen a chunk at a time: StartRange, WidenRange per
  // chunk, FinishRange with the number of rows seen.
  void StartRange(std::size_t d, std::vector<float>* hi) {
    min.assign(d, std::numeric_limits<float>::max());
    hi->assign(d, -std::numeric_limits<float>::max());
  }
  void WidenRange(const float* rows, std::size_t n, std::size_t d, std::vector<float>* hi) {
    for (std::size_t r = 0; r < n; ++r) {
      const float* v = rows + r * d;
      for (std::size_t j = 0; j < d; ++j) {
        min[j] = std::min(min[j], v[j]);
        (*hi)[j] = std::max((*hi)[j], v[j]);
      }
    }
  }
  void FinishRange(std::size_t n, std::size_t d, std::size_t min_rows, std::vector<float> hi) {
    step.resize(d);
    for (std::size_t j = 0; j < d; ++j) {
      if (n < min_rows || n == 0) {
        min[j] = -1.0f;
        hi[j] = 1.0f;
      }
      const float margin = 0.02f * (hi[j] - min[j]) + 1e-6f;
      min[j] -= margin;
      step[j] = (hi[j] + margin - min[j]) / 256.0f;
    }
  }
  bool Valid(std::size_t d) const {
    if (min.size() != d || step.size() != d) return false;
    for (std::size_t j = 0; j < d; ++j) {
      if (!(step[j] > 0) || !std::isfinite(step[j]) || !std::isfinite(min[j])) return false;
    }
    return true;
  }
  // Clamped before the conversion, so truncation is floor (and the loop
  // vectorises: no floor call per value in a baseline x86-64 build).
  void Encode(const float* v, std::size_t d, std::uint8_t* out) const {
    for (std::size_t j = 0; j < d; ++j) {
      const float c = std::clamp((v[j] - min[j]) / step[j], 0.0f, 255.0f);
      out[j] = static_cast<std::uint8_t>(static_cast<int>(c));
    }
  }
  void Decode(const std::uint8_t* code, std::size_t d, float* out) const {
    for (std::size_t j = 0; j < d; ++j) out[j] = min[j] + (static_cast<float>(code[j]) + 0.5f) * step[j];
  }
  // w (d values) and the constant term of a query's quantised scores.
  float Weights(const float* query, std::size_t d, float* w) const {
    float base = 0;
    for (std::size_t j = 0; j < d; ++j) {
      w[j] = query[j] * step[j];
      base += query[j] * (min[j] + 0.5f * step[j]);
    }
    return base;
  }
};

// FAISS storage that owns no vectors: the rows live in VectorIndex::data_
// (fp32) or half_ (fp16), appended before the graph's add() is called.
// When `codes` is set, the graph is built over the 8-bit codes (as it is
// searched) rather than over the float rows.
class RowStorage final : public faiss::Index {
 public:
  RowStorage(int dim, const std::vector<float>* rows, const std::vector<std::uint16_t>* halves,
             const ScalarQuantiser* sq = nullptr,
             const std::vector<std::uint8_t, LineAligned<std::uint8_t>>* codes = nullptr)
      : faiss::Index(dim, faiss::METRIC_INNER_PRODUCT), rows_(rows), halves_(halves), sq_(sq), codes_(codes) {}
  void add(faiss_idx n, const float*) override { ntotal += n; }
  void search(faiss_idx, const float*, faiss_idx, float*, faiss_idx*, const faiss::SearchParameters*) const override {
    FAISS_THROW_MSG("RowStorage is searched through VectorIndex");
  }
  void reset() override { ntotal = 0; }
  void reconstruct(faiss_idx key, float* out) const override {
    if (halves_ && !halves_->empty()) {
      HalvesToFloats(halves_->data() + static_cast<std::size_t>(key) * static_cast<std::size_t>(d),
                     static_cast<std::size_t>(d), out);
      return;
    }
    std::memcpy(out, rows_->data() + static_cast<std::size_t>(key) * static_cast<std::size_t>(d),
                sizeof(float) * static_cast<std::size_t>(d));
  }
  // HNSW's add wraps this in its own negation for METRIC_INNER_PRODUCT.
  // (VectorIndex always gives codes; the float computer reads fp32 rows.)
  faiss::DistanceComputer* get_distance_computer() const override {
    if (codes_) return new QuantisedInnerProduct(sq_, codes_->data(), static_cast<std::size_t>(d));
    return new PositiveInnerProduct(rows_->data(), static_cast<std::size_t>(d));
  }

 private:
  class PositiveInnerProduct final : public faiss::DistanceComputer {
   public:
    PositiveInnerProduct(const float* rows, std::size_t dim) : rows_(rows), dim_(dim) {}
    void set_query(const float* x) override { query_ = x; }
    float operator()(faiss_idx i) override { return Dot(query_, rows_ + static_cast<std::size_t>(i) * dim_, dim_); }
    float symmetric_dis(faiss_idx i, faiss_idx j) override {
      return Dot(rows_ + static_cast<std::size_t>(i) * dim_, rows_ + static_cast<std::size_t>(j) * dim_, dim_);
    }

   private:
    const float* rows_;
    std::size_t dim_;
    const float* query_ = nullptr;
  };
  class QuantisedInnerProduct final : public faiss::DistanceComputer {
   public:
    QuantisedInnerProduct(const ScalarQuantiser* sq, const std::uint8_t* codes, std::size_t dim)
        : sq_(sq), codes_(codes), dim_(dim), w_(dim), a_(dim), b_(dim) {}
    void set_query(const float* x) override { base_ = sq_->Weights(x, dim_, w_.data()); }
    float operator()(faiss_idx i) override { return base_ + DotU8(w_.data(), Code(i), dim_); }
    float symmetric_dis(faiss_idx i, faiss_idx j) override {
      sq_->Decode(Code(i), dim_, a_.data());
      sq_->Decode(Code(j), dim_, b_.data());
      return Dot(a_.data(), b_.data(), dim_);
    }

   private:
    const std::uint8_t* Code(faiss_idx i) const { return codes_ + static_cast<std::size_t>(i) * dim_; }
    const ScalarQuantiser* sq_;
    const std::uint8_t* codes_;
    std::size_t dim_;
    std::vector<float> w_, a_, b_;
    float base_ = 0;
  };
  const std::vector<float>* rows_;
  const std::vector<std::uint16_t>* halves_;
  const ScalarQuantiser* sq_;
  const std::vector<std::uint8_t, LineAligned<std::uint8_t>>* codes_;
};

// Asks for transparent huge pages on a large array (fewer TLB misses when a
// search jumps between rows of a gigabyte of vectors). Best effort: pages
// touched before the call are left as they are.
template <typename Vector>
void AdviseHugePages(const Vector& v) {
  constexpr std::uintptr_t kHuge = 2u << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  const std::uintptr_t end = begin + v.capacity() * sizeof(typename Vector::value_type);
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  if (end > first + kHuge) ::madvise(reinterpret_cast<void*>(first), (end - first) & ~(kHuge - 1), MADV_HUGEPAGE);
}

// Exact inner-product search over a few thousand centroids with our
// kernels: the assignment step FAISS's k-means calls (Debian's BLAS-backed
// IndexFlatIP would do it with reference BLAS).
class CentroidIndex final : public faiss::Index {
 public:
  explicit CentroidIndex(int dim) : faiss::Index(dim, faiss::METRIC_INNER_PRODUCT) {}
  void add(faiss_idx n, const float* x) override {
    data_.insert(data_.end(), x, x + n * d);
    ntotal += n;
  }
  void reset() override {
    data_.clear();
    ntotal = 0;
  }
  void search(faiss_idx n, const float* x, faiss_idx k, float* distances, faiss_idx* labels,
              const faiss::SearchParameters*) const override {
    const auto dim = static_cast<std::size_t>(d);
    const auto count = static_cast<std::size_t>(ntotal);
#pragma omp parallel
    {
      std::vector<float> scores(count);
#pragma omp for schedule(static)
      for (faiss_idx i = 0; i < n; ++i) {
        DotMany(x + static_cast<std::size_t>(i) * dim, data_.data(), count, dim, scores.data());
        std::vector<std::size_t> order(count);
        for (std::size_t j = 0; j < count; ++j) order[j] = j;
        const auto kk = std::min<std::size_t>(static_cast<std::size_t>(k), count);
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kk), order.end(),
                          [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
        for (std::size_t j = 0; j < static_cast<std::size_t>(k); ++j) {
          const std::size_t out = static_cast<std::size_t>(i) * static_cast<std::size_t>(k) + j;
          labels[out] = j < kk ? static_cast<faiss_idx>(order[j]) : -1;
          distances[out] = j < kk ? scores[order[j]] : -std::numeric_limits<float>::max();
        }
      }
    }
  }

 private:
  std::vector<float> data_;
};

// IVF k-means trains on at most this many rows a list (a sample spread over
// the rows): FAISS's k-means would subsample to it anyway.
constexpr std::size_t kIvfTrainRowsPerList = 64;

inline std::size_t AutoNlist(std::size_t n) {
  const double target = 4.0 * std::sqrt(static_cast<double>(std::max<std::size_t>(n, 1)));
  std::size_t nlist = 16;
  while (nlist * 2 <= static_cast<std::size_t>(target) && nlist < 65536) nlist *= 2;
  return nlist;
}

// Keeps the k best (highest score) hits seen.
class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) {}
  void Offer(std::int64_t key, float score) {
    if (k_ == 0) return;
    if (heap_.size() < k_) {
      heap_.push_back({key, score});
      std::push_heap(heap_.begin(), heap_.end(), Worse);
    } else if (score > heap_.front().score || (score == heap_.front().score && key < heap_.front().key)) {
      std::pop_heap(heap_.begin(), heap_.end(), Worse);
      heap_.back() = {key, score};
      std::push_heap(heap_.begin(), heap_.end(), Worse);
    }
  }
  std::vector<Hit> Take() {
    std::sort(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }
  static bool Better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.key < b.key); }

 private:
  // Heap ordered so that front() is the worst kept hit.
  static bool Worse(const Hit& a, const Hit& b) { return Better(a, b); }
  std::size_t k_;
  std::vector<Hit> heap_;
};

}  // namespace index_detail

using namespace index_detail;  // NOLINT(google-build-using-namespace): the parts of the index share these

struct VectorIndex::Graph {
  Graph(int dim, const std::vector<float>* rows, const std::vector<std::uint16_t>* halves, int m)
      : storage(dim, rows, halves, &sq, &codes), hnsw(&storage, m) {
    hnsw.own_fields = false;
  }
  ~Graph() {
    for (omp_lock_t& l : locks) omp_destroy_lock(&l);
  }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  // Inserts `n` new rows (their codes encoded, their float vectors `x`) on
  // this thread, with a lock a node and a visited table kept across calls.
  // FAISS's own add (IndexHNSW::add, 1.7.3) makes an omp_lock_t for every
  // node of the graph and a visited table of its size on each call: on a
  // large graph most of a small batch's time (a write, a grow slice).
  void InsertFew(const float* x, std::size_t n);
  // Codes for the index's rows [codes.size() / d, rows); the quantiser is
  // trained on the rows present when the first are encoded.
  void EncodeRows(const VectorIndex& index) {
    const std::size_t d = static_cast<std::size_t>(index.dim_);
    const std::size_t first = codes.size() / d, n = index.rows();
    if (sq.min.empty()) index.TrainQuantiser(&sq, kMinQuantiserRows);
    if (codes.capacity() < n * d) {
      codes.reserve(std::max(codes.capacity() * 2, n * d));
      AdviseHugePages(codes);
    }
    codes.resize(n * d);
    index.ForEachRowChunk(first, n, [&](std::size_t at, std::size_t count, const float* rows) {
#pragma omp parallel for schedule(static) if (count > 10000)
      for (std::size_t r = 0; r < count; ++r) sq.Encode(rows + r * d, d, codes.data() + (at + r) * d);
    });
  }
  ScalarQuantiser sq;               // trained when the graph is built
  std::vector<std::uint8_t, LineAligned<std::uint8_t>> codes;  // rows x dim: what the graph is built and walked over
  RowStorage storage;
  faiss::IndexHNSW hnsw;
  std::vector<omp_lock_t> locks;                 // InsertFew's, initialised, at least one a node
  std::unique_ptr<faiss::VisitedTable> visited;  // InsertFew's, at least the graph's size
};

struct VectorIndex::Ivf {
  std::size_t nlist = 0;
  std::vector<float> centroids;        // nlist x dim
  ScalarQuantiser sq;
  struct List {
    std::vector<std::uint8_t> codes;  // rows x dim
    std::vector<std::uint32_t> rows;
  };
  std::vector<List> lists;
  std::vector<std::uint32_t> row_list, row_pos;  // per row
  std::size_t trained_size = 0;

  std::uint32_t Nearest(const float* v, std::size_t dim) const {
    thread_local std::vector<float> scores;
    scores.resize(nlist);
    DotMany(v, centroids.data(), nlist, dim, scores.data());
    return static_cast<std::uint32_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
  }
  void Append(std::uint32_t list, std::size_t row, const float* v, std::size_t dim) {
    List& l = lists[list];
    const std::size_t at = l.codes.size();
    l.codes.resize(at + dim);
    sq.Encode(v, dim, l.codes.data() + at);
    row_list[row] = list;
    row_pos[row] = static_cast<std::uint32_t>(l.rows.size());
    l.rows.push_back(static_cast<std::uint32_t>(row));
  }
};

}  // namespace facekit::gallery
