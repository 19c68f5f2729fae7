#include "gallery/vector_index.h"

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
#include <queue>

#include "gallery/vector_kernels.h"

namespace facekit::gallery {

const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kAuto:
      return "auto";
    case IndexKind::kFlat:
      return "flat";
    case IndexKind::kHnsw:
      return "hnsw";
    case IndexKind::kIvf:
      return "ivf";
  }
  return "?";
}

Result<IndexKind> ParseIndexKind(const std::string& name) {
  if (name == "auto") return IndexKind::kAuto;
  if (name == "flat") return IndexKind::kFlat;
  if (name == "hnsw") return IndexKind::kHnsw;
  if (name == "ivf") return IndexKind::kIvf;
  return Status(StatusCode::kInvalidArgument, "unknown index kind '" + name + "' (auto, flat, hnsw or ivf)");
}

namespace {

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
    min.assign(d, std::numeric_limits<float>::max());
    std::vector<float> hi(d, -std::numeric_limits<float>::max());
    for (std::size_t r = 0; r < n; ++r) {
      const float* v = rows + r * d;
      for (std::size_t j = 0; j < d; ++j) {
        min[j] = std::min(min[j], v[j]);
        hi[j] = std::max(hi[j], v[j]);
      }
    }
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

// FAISS storage that owns no vectors: the rows live in VectorIndex::data_,
// which is appended before the graph's add() is called.
// When `codes` is set, the graph is built over the 8-bit codes (as it is
// searched) rather than over the float rows.
class RowStorage final : public faiss::Index {
 public:
  RowStorage(int dim, const std::vector<float>* rows, const ScalarQuantiser* sq = nullptr,
             const std::vector<std::uint8_t, LineAligned<std::uint8_t>>* codes = nullptr)
      : faiss::Index(dim, faiss::METRIC_INNER_PRODUCT), rows_(rows), sq_(sq), codes_(codes) {}
  void add(faiss_idx n, const float*) override { ntotal += n; }
  void search(faiss_idx, const float*, faiss_idx, float*, faiss_idx*, const faiss::SearchParameters*) const override {
    FAISS_THROW_MSG("RowStorage is searched through VectorIndex");
  }
  void reset() override { ntotal = 0; }
  void reconstruct(faiss_idx key, float* out) const override {
    std::memcpy(out, rows_->data() + static_cast<std::size_t>(key) * static_cast<std::size_t>(d),
                sizeof(float) * static_cast<std::size_t>(d));
  }
  // HNSW's add wraps this in its own negation for METRIC_INNER_PRODUCT.
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

std::size_t AutoNlist(std::size_t n) {
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

// Streaming 64-bit checksum; the writer and reader feed the same field
// sequence, so chunk boundaries agree.
class Checksum {
 public:
  void Update(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ size;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 29;
    }
    for (; i < size; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
    value_ = (value_ ^ h) * 0xC4CEB9FE1A85EC53ull + 0x165667B19E3779F9ull;
  }
  std::uint64_t value() const { return value_; }

 private:
  std::uint64_t value_ = 0xCBF29CE484222325ull;
};

constexpr char kMagic[4] = {'F', 'K', 'V', 'I'};
// 2: the HNSW graph's quantiser follows the graph (its codes are re-made on
// load). Version 1 files still load; their quantiser is trained on load.
constexpr std::uint32_t kFormatVersion = VectorIndex::kSnapshotVersion;
constexpr std::uint32_t kOldestReadableVersion = 1;


class SnapshotWriter {
 public:
  explicit SnapshotWriter(std::FILE* file) : file_(file) {}
  void Raw(const void* data, std::size_t size) {
    if (!ok_ || size == 0) return;
    checksum_.Update(data, size);
    ok_ = std::fwrite(data, 1, size, file_) == size;
  }
  template <typename T>
  void Value(const T& v) {
    Raw(&v, sizeof(T));
  }
  template <typename T>
  void Array(const std::vector<T>& v) {
    Value<std::uint64_t>(v.size());
    Raw(v.data(), v.size() * sizeof(T));
  }
  bool Finish() {
    const std::uint64_t sum = checksum_.value();
    if (ok_) ok_ = std::fwrite(&sum, 1, sizeof(sum), file_) == sizeof(sum);
    return ok_;
  }

 private:
  std::FILE* file_;
  Checksum checksum_;
  bool ok_ = true;
};

class SnapshotReader {
 public:
  SnapshotReader(std::FILE* file, std::uint64_t file_size) : file_(file), remaining_(file_size) {}
  bool Raw(void* data, std::size_t size) {
    if (!ok_) return false;
    if (size == 0) return true;
    if (size > remaining_ || std::fread(data, 1, size, file_) != size) return ok_ = false;
    remaining_ -= size;
    checksum_.Update(data, size);
    return true;
  }
  template <typename T>
  bool Value(T& v) {
    return Raw(&v, sizeof(T));
  }
  // Arrays larger than what is left of the file are refused before allocating.
  template <typename T>
  bool Array(std::vector<T>& v, std::uint64_t expected = std::numeric_limits<std::uint64_t>::max()) {
    std::uint64_t n = 0;
    if (!Value(n)) return false;
    if (expected != std::numeric_limits<std::uint64_t>::max() && n != expected) return ok_ = false;
    if (n > remaining_ / sizeof(T)) return ok_ = false;
    v.reserve(static_cast<std::size_t>(n));
    AdviseHugePages(v);
    v.resize(static_cast<std::size_t>(n));
    return Raw(v.data(), v.size() * sizeof(T));
  }
  bool Finish() {
    std::uint64_t stored = 0;
    const std::uint64_t computed = checksum_.value();
    if (!ok_ || remaining_ != sizeof(stored)) return false;
    if (std::fread(&stored, 1, sizeof(stored), file_) != sizeof(stored)) return false;
    return stored == computed;
  }
  std::uint64_t remaining() const { return remaining_; }

 private:
  std::FILE* file_;
  std::uint64_t remaining_;
  Checksum checksum_;
  bool ok_ = true;
};

}  // namespace

struct VectorIndex::Graph {
  Graph(int dim, const std::vector<float>* rows, int m) : storage(dim, rows, &sq, &codes), hnsw(&storage, m) {
    hnsw.own_fields = false;
  }
  // Codes for rows [codes.size() / d, n) of `data`; the quantiser is trained
  // on the rows present when the first are encoded.
  void EncodeRows(const std::vector<float>& data, std::size_t d) {
    const std::size_t first = codes.size() / d, n = data.size() / d;
    if (sq.min.empty()) sq.Train(data.data(), n, d, kMinQuantiserRows);
    if (codes.capacity() < n * d) {
      codes.reserve(std::max(codes.capacity() * 2, n * d));
      AdviseHugePages(codes);
    }
    codes.resize(n * d);
#pragma omp parallel for schedule(static) if (n - first > 10000)
    for (std::size_t r = first; r < n; ++r) sq.Encode(data.data() + r * d, d, codes.data() + r * d);
  }
  ScalarQuantiser sq;               // trained when the graph is built
  std::vector<std::uint8_t, LineAligned<std::uint8_t>> codes;  // rows x dim: what the graph is built and walked over
  RowStorage storage;
  faiss::IndexHNSW hnsw;
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

VectorIndex::VectorIndex(int dim, IndexOptions options) : dim_(dim), options_(options) {
  if (options_.kind == IndexKind::kHnsw) graph_ = std::make_unique<Graph>(dim_, &data_, options_.hnsw_m);
  if (graph_) graph_->hnsw.hnsw.efConstruction = options_.ef_construction;
}

VectorIndex::~VectorIndex() = default;

IndexKind VectorIndex::kind() const {
  if (graph_) return IndexKind::kHnsw;
  if (ivf_) return IndexKind::kIvf;
  return IndexKind::kFlat;
}

const float* VectorIndex::Row(std::size_t row) const { return data_.data() + row * static_cast<std::size_t>(dim_); }

Status VectorIndex::CheckVector(std::span<const float> vector) const {
  if (vector.size() != static_cast<std::size_t>(dim_)) {
    return Status(StatusCode::kInvalidArgument,
                  "vector has " + std::to_string(vector.size()) + " values, the index holds " + std::to_string(dim_));
  }
  for (float v : vector) {
    if (!std::isfinite(v)) return Status(StatusCode::kInvalidArgument, "vector has a non-finite value");
  }
  return Status::Ok();
}

void VectorIndex::AppendRow(std::int64_t key, const float* vector, std::uint64_t tag) {
  if (data_.size() + static_cast<std::size_t>(dim_) > data_.capacity()) {
    data_.reserve(std::max(data_.capacity() * 2, data_.size() + static_cast<std::size_t>(dim_)));
    AdviseHugePages(data_);
  }
  data_.insert(data_.end(), vector, vector + dim_);
  keys_.push_back(key);
  tags_.push_back(tag);
  alive_.push_back(1);
  key_to_row_[key] = keys_.size() - 1;
}

IndexKind VectorIndex::Target(std::size_t live) const {
  switch (options_.kind) {
    case IndexKind::kFlat:
    case IndexKind::kHnsw:
    case IndexKind::kIvf:
      return options_.kind;
    case IndexKind::kAuto: {
      const bool approx =
          kind() != IndexKind::kFlat ? live * 2 >= options_.approx_threshold : live >= options_.approx_threshold;
      return approx ? options_.approx_kind : IndexKind::kFlat;
    }
  }
  return IndexKind::kFlat;
}

Status VectorIndex::Build(IndexKind target) {
  graph_.reset();
  ivf_.reset();
  if (target == IndexKind::kHnsw) return BuildGraph();
  if (target == IndexKind::kIvf) return BuildIvf();
  return Status::Ok();
}

Status VectorIndex::BuildIvf() {
  const auto d = static_cast<std::size_t>(dim_);
  auto ivf = std::make_unique<Ivf>();
  const std::size_t n = rows();
  ivf->nlist = options_.ivf_nlist > 0 ? options_.ivf_nlist : AutoNlist(n);
  ivf->nlist = std::max<std::size_t>(1, std::min(ivf->nlist, std::max<std::size_t>(n, 1)));
  ivf->trained_size = n;
  if (n > 0) {
    try {
      faiss::ClusteringParameters cp;
      cp.niter = 12;
      cp.spherical = true;
      cp.max_points_per_centroid = 64;
      cp.min_points_per_centroid = 1;
      cp.seed = 1234;
      faiss::Clustering km(dim_, static_cast<int>(ivf->nlist), cp);
      CentroidIndex assign(dim_);
      km.train(static_cast<faiss_idx>(n), data_.data(), assign);
      ivf->centroids = std::move(km.centroids);
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("IVF training failed: ") + e.what());
    }
  } else {
    ivf->centroids.assign(d, 0.0f);
    ivf->nlist = 1;
  }
  ivf->sq.Train(data_.data(), n, d);
  ivf->lists.assign(ivf->nlist, {});
  ivf->row_list.assign(n, 0);
  ivf->row_pos.assign(n, 0);
  std::vector<std::uint32_t> assignment(n);
#pragma omp parallel for schedule(static)
  for (std::size_t r = 0; r < n; ++r) assignment[r] = ivf->Nearest(Row(r), d);
  for (std::size_t r = 0; r < n; ++r) ivf->Append(assignment[r], r, Row(r), d);
  ivf_ = std::move(ivf);
  return Status::Ok();
}

void VectorIndex::IvfInsert(std::size_t row) {
  const auto d = static_cast<std::size_t>(dim_);
  ivf_->row_list.resize(rows());
  ivf_->row_pos.resize(rows());
  ivf_->Append(ivf_->Nearest(Row(row), d), row, Row(row), d);
}

void VectorIndex::IvfDetach(std::size_t row) {
  const auto d = static_cast<std::size_t>(dim_);
  Ivf::List& l = ivf_->lists[ivf_->row_list[row]];
  const std::size_t pos = ivf_->row_pos[row];
  const std::size_t last = l.rows.size() - 1;
  if (pos != last) {
    std::memcpy(l.codes.data() + pos * d, l.codes.data() + last * d, d);
    l.rows[pos] = l.rows[last];
    ivf_->row_pos[l.rows[pos]] = static_cast<std::uint32_t>(pos);
  }
  l.rows.pop_back();
  l.codes.resize(last * d);
}

Status VectorIndex::BuildGraph() {
  try {
    graph_ = std::make_unique<Graph>(dim_, &data_, options_.hnsw_m);
    graph_->hnsw.hnsw.efConstruction = options_.ef_construction;
    graph_->EncodeRows(data_, static_cast<std::size_t>(dim_));
    if (rows() > 0) graph_->hnsw.add(static_cast<faiss_idx>(rows()), data_.data());
  } catch (const std::exception& e) {
    graph_.reset();
    return Status(StatusCode::kInternal, std::string("building the HNSW graph failed: ") + e.what());
  }
  return Status::Ok();
}

void VectorIndex::StartJournal() { journal_.emplace(); }

std::vector<VectorIndex::JournalOp> VectorIndex::TakeJournal() {
  std::vector<JournalOp> out = journal_ ? std::move(*journal_) : std::vector<JournalOp>{};
  journal_.reset();
  return out;
}

Status VectorIndex::Add(std::int64_t key, std::span<const float> vector, std::uint64_t tag) {
  FACEKIT_RETURN_IF_ERROR(CheckVector(vector));
  Remove(key);
  if (journal_) journal_->push_back({true, key, tag, std::vector<float>(vector.begin(), vector.end())});
  AppendRow(key, vector.data(), tag);
  if (graph_) {
    try {
      graph_->EncodeRows(data_, static_cast<std::size_t>(dim_));
      graph_->hnsw.add(1, Row(rows() - 1));
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("adding to the HNSW graph failed: ") + e.what());
    }
    return Status::Ok();
  }
  if (ivf_) {
    IvfInsert(rows() - 1);
    return Status::Ok();
  }
  if (Target(size()) != IndexKind::kFlat) return Build(Target(size()));
  return Status::Ok();
}

Status VectorIndex::AddBatch(std::span<const std::int64_t> keys, std::span<const float> vectors,
                             std::span<const std::uint64_t> tags) {
  const std::size_t d = static_cast<std::size_t>(dim_);
  if (vectors.size() != keys.size() * d || (!tags.empty() && tags.size() != keys.size())) {
    return Status(StatusCode::kInvalidArgument, "AddBatch: keys, vectors and tags disagree in count");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    FACEKIT_RETURN_IF_ERROR(CheckVector(vectors.subspan(i * d, d)));
  }
  for (std::int64_t key : keys) Remove(key);
  if (journal_) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      journal_->push_back({true, keys[i], tags.empty() ? 0 : tags[i],
                           std::vector<float>(vectors.begin() + static_cast<std::ptrdiff_t>(i * d),
                                              vectors.begin() + static_cast<std::ptrdiff_t>((i + 1) * d))});
    }
  }
  const std::size_t first = rows();
  data_.reserve(data_.size() + vectors.size());
  AdviseHugePages(data_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    // A key repeated inside the batch: the last one wins.
    if (auto it = key_to_row_.find(keys[i]); it != key_to_row_.end()) {
      alive_[it->second] = 0;
      ++dead_;
      key_to_row_.erase(it);
    }
    AppendRow(keys[i], vectors.data() + i * d, tags.empty() ? 0 : tags[i]);
  }
  if (graph_) {
    try {
      graph_->EncodeRows(data_, static_cast<std::size_t>(dim_));
      graph_->hnsw.add(static_cast<faiss_idx>(rows() - first), Row(first));
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("adding to the HNSW graph failed: ") + e.what());
    }
  } else if (ivf_) {
    for (std::size_t row = first; row < rows(); ++row) IvfInsert(row);
    if (dead_ > 0) return Compact();
  } else if (Target(size()) != IndexKind::kFlat) {
    if (dead_ > 0) return Compact();
    return Build(Target(size()));
  } else if (dead_ > 0) {
    return Compact();  // flat rows stay dense
  }
  return Status::Ok();
}

bool VectorIndex::Remove(std::int64_t key) {
  auto it = key_to_row_.find(key);
  if (it == key_to_row_.end()) return false;
  if (journal_) journal_->push_back({false, key, 0, {}});
  const std::size_t row = it->second;
  key_to_row_.erase(it);
  if (graph_) {
    alive_[row] = 0;
    ++dead_;
    return true;
  }
  // Flat and IVF: move the last row into the hole.
  const std::size_t last = rows() - 1;
  const std::size_t d = static_cast<std::size_t>(dim_);
  if (ivf_) {
    IvfDetach(row);
    if (row != last) {
      const std::uint32_t list = ivf_->row_list[last], pos = ivf_->row_pos[last];
      ivf_->lists[list].rows[pos] = static_cast<std::uint32_t>(row);
      ivf_->row_list[row] = list;
      ivf_->row_pos[row] = pos;
    }
    ivf_->row_list.pop_back();
    ivf_->row_pos.pop_back();
  }
  if (row != last) {
    std::memcpy(data_.data() + row * d, data_.data() + last * d, d * sizeof(float));
    keys_[row] = keys_[last];
    tags_[row] = tags_[last];
    alive_[row] = alive_[last];
    key_to_row_[keys_[row]] = row;
  }
  data_.resize(last * d);
  keys_.pop_back();
  tags_.pop_back();
  alive_.pop_back();
  return true;
}

std::vector<Hit> VectorIndex::SearchExact(const float* query, std::size_t k) const {
  TopK top(k);
  const std::size_t d = static_cast<std::size_t>(dim_);
  constexpr std::size_t kBlock = 1024;
  float scores[kBlock];
  for (std::size_t start = 0; start < rows(); start += kBlock) {
    const std::size_t n = std::min(kBlock, rows() - start);
    DotMany(query, data_.data() + start * d, n, d, scores);
    for (std::size_t i = 0; i < n; ++i) {
      if (alive_[start + i]) top.Offer(keys_[start + i], scores[i]);
    }
  }
  return top.Take();
}

void VectorIndex::SetNprobe(int nprobe) { options_.nprobe = nprobe; }

void VectorIndex::SetRerank(int rerank) { options_.rerank = rerank; }

void VectorIndex::SetHnswQuantised(bool quantised) { options_.hnsw_quantised = quantised; }

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
  const std::size_t probes = std::min<std::size_t>(ivf.nlist, static_cast<std::size_t>(std::max(1, options_.nprobe)));
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
    top.Offer(keys_[row], Dot(query, Row(row), d));
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
  const float* floats = data_.data();
  thread_local std::vector<float> w;
  float base = 0;
  if (quantised) {
    w.resize(d);
    base = g.sq.Weights(query, d, w.data());
  }
  const auto score = [&](std::size_t row) {
    return quantised ? base + DotU8(w.data(), codes + row * d, d) : Dot(query, floats + row * d, d);
  };
  const auto prefetch = [&](std::size_t row) {
    if (quantised) {
      PrefetchBytes(codes + row * d, d);
    } else {
      PrefetchBytes(floats + row * d, d * sizeof(float));
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
    if (i + kPrefetchAhead < keep) PrefetchBytes(floats + beam[i + kPrefetchAhead].row * d, d * sizeof(float));
    top.Offer(keys_[row], Dot(query, floats + row * d, d));
  }
  return top.Take();
}

std::vector<float> VectorIndex::Vector(std::int64_t key) const {
  auto it = key_to_row_.find(key);
  if (it == key_to_row_.end()) return {};
  const float* row = Row(it->second);
  return std::vector<float>(row, row + dim_);
}

std::vector<IndexEntry> VectorIndex::Entries() const {
  std::vector<IndexEntry> entries;
  entries.reserve(size());
  for (const auto& [key, row] : key_to_row_) entries.push_back({key, tags_[row]});
  std::sort(entries.begin(), entries.end(), [](const IndexEntry& a, const IndexEntry& b) { return a.key < b.key; });
  return entries;
}

bool VectorIndex::NeedsCompaction() const {
  if (Target(size()) != kind()) return true;
  if (graph_) {
    return dead_ > 0 && static_cast<double>(dead_) > options_.compaction_ratio * static_cast<double>(rows());
  }
  if (ivf_) {
    return static_cast<double>(size()) >
           options_.ivf_regrow * static_cast<double>(std::max<std::size_t>(ivf_->trained_size, 1000));
  }
  return false;
}

void VectorIndex::CopyLive(std::vector<std::int64_t>* keys, std::vector<std::uint64_t>* tags,
                           std::vector<float>* vectors) const {
  const std::size_t d = static_cast<std::size_t>(dim_);
  keys->clear();
  tags->clear();
  vectors->clear();
  vectors->reserve(size() * d);
  keys->reserve(size());
  tags->reserve(size());
  for (std::size_t row = 0; row < rows(); ++row) {
    if (!alive_[row]) continue;
    vectors->insert(vectors->end(), Row(row), Row(row) + d);
    keys->push_back(keys_[row]);
    tags->push_back(tags_[row]);
  }
}

Status VectorIndex::Compact() {
  std::vector<float> data;
  std::vector<std::int64_t> keys;
  std::vector<std::uint64_t> tags;
  CopyLive(&keys, &tags, &data);
  data_ = std::move(data);
  keys_ = std::move(keys);
  tags_ = std::move(tags);
  alive_.assign(keys_.size(), 1);
  dead_ = 0;
  key_to_row_.clear();
  key_to_row_.reserve(keys_.size());
  for (std::size_t row = 0; row < keys_.size(); ++row) key_to_row_[keys_[row]] = row;
  return Build(Target(size()));
}

std::size_t VectorIndex::MemoryBytes() const {
  std::size_t bytes = data_.capacity() * sizeof(float) + keys_.capacity() * sizeof(std::int64_t) +
                      tags_.capacity() * sizeof(std::uint64_t) + alive_.capacity();
  // unordered_map: a node (key, value, next pointer, cached hash) plus a bucket pointer.
  bytes += key_to_row_.size() * (sizeof(std::int64_t) + sizeof(std::size_t) + 2 * sizeof(void*)) +
           key_to_row_.bucket_count() * sizeof(void*);
  if (graph_) {
    const faiss::HNSW& h = graph_->hnsw.hnsw;
    bytes += h.neighbors.capacity() * sizeof(h.neighbors[0]) + h.levels.capacity() * sizeof(int) +
             h.offsets.capacity() * sizeof(std::size_t) + graph_->codes.capacity() +
             (graph_->sq.min.capacity() + graph_->sq.step.capacity()) * sizeof(float);
  }
  if (ivf_) {
    bytes += (ivf_->centroids.capacity() + ivf_->sq.min.capacity() + ivf_->sq.step.capacity()) * sizeof(float) +
             (ivf_->row_list.capacity() + ivf_->row_pos.capacity()) * sizeof(std::uint32_t);
    for (const auto& l : ivf_->lists) bytes += l.codes.capacity() + l.rows.capacity() * sizeof(std::uint32_t);
  }
  return bytes;
}

Status VectorIndex::Save(const std::string& path, std::uint64_t stamp, std::uint32_t format_version) const {
  if (format_version < kOldestReadableVersion || format_version > kFormatVersion) {
    return Status(StatusCode::kInvalidArgument, "cannot write snapshot format " + std::to_string(format_version));
  }
  const std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (!file) return Status(StatusCode::kIoError, "cannot write " + tmp + ": " + std::strerror(errno));
  SnapshotWriter w(file);
  w.Raw(kMagic, sizeof(kMagic));
  w.Value(format_version);
  w.Value<std::int32_t>(dim_);
  w.Value<std::int32_t>(graph_ ? 1 : ivf_ ? 2 : 0);
  w.Value(stamp);
  w.Value<std::int32_t>(options_.hnsw_m);
  w.Array(keys_);
  w.Array(tags_);
  w.Array(alive_);
  w.Array(data_);
  if (graph_) {
    const faiss::HNSW& h = graph_->hnsw.hnsw;
    w.Array(h.assign_probas);
    w.Array(h.cum_nneighbor_per_level);
    w.Array(h.levels);
    w.Array(h.offsets);
    w.Array(h.neighbors);
    w.Value<std::int32_t>(h.entry_point);
    w.Value<std::int32_t>(h.max_level);
    w.Value<std::int32_t>(h.efConstruction);
    if (format_version >= 2) {
      w.Array(graph_->sq.min);
      w.Array(graph_->sq.step);
    }
  }
  if (ivf_) {
    w.Value<std::uint64_t>(ivf_->nlist);
    w.Array(ivf_->centroids);
    w.Array(ivf_->sq.min);
    w.Array(ivf_->sq.step);
    w.Array(ivf_->row_list);
    w.Value<std::uint64_t>(ivf_->trained_size);
  }
  bool ok = w.Finish() && std::fflush(file) == 0 && ::fsync(fileno(file)) == 0;
  ok = std::fclose(file) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    return Status(StatusCode::kIoError, "writing " + tmp + " failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status(StatusCode::kIoError, "renaming " + tmp + ": " + ec.message());
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status::Ok();
}

Result<VectorIndex::Loaded> VectorIndex::Load(const std::string& path, IndexOptions options) {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) return Status(StatusCode::kNotFound, "no snapshot at " + path);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return Status(StatusCode::kIoError, "cannot read " + path);
  const auto bad = [&](const std::string& why) {
    std::fclose(file);
    return Status(StatusCode::kDataCorrupt, "snapshot " + path + ": " + why);
  };
  SnapshotReader r(file, file_size);
  char magic[4];
  std::uint32_t version = 0;
  std::int32_t dim = 0, has_graph = 0, m = 0;
  std::uint64_t stamp = 0;
  if (!r.Raw(magic, 4) || std::memcmp(magic, kMagic, 4) != 0) return bad("not a FaceKit index snapshot");
  if (!r.Value(version)) return bad("truncated header");
  if (version < kOldestReadableVersion || version > kFormatVersion) {
    return bad("format version " + std::to_string(version) + " is not supported (this build reads versions " +
               std::to_string(kOldestReadableVersion) + " to " + std::to_string(kFormatVersion) + ")");
  }
  if (!r.Value(dim) || dim <= 0 || dim > 4096 || !r.Value(has_graph) || !r.Value(stamp) || !r.Value(m) || m < 2 ||
      m > 512) {
    return bad("bad header");
  }
  if (has_graph < 0 || has_graph > 2) return bad("unknown structure");
  if (has_graph == 1) options.hnsw_m = m;
  auto index = std::make_unique<VectorIndex>(dim, options);
  index->graph_.reset();
  if (!r.Array(index->keys_)) return bad("truncated keys");
  const std::uint64_t n = index->keys_.size();
  if (!r.Array(index->tags_, n) || !r.Array(index->alive_, n) ||
      !r.Array(index->data_, n * static_cast<std::uint64_t>(dim))) {
    return bad("truncated rows");
  }
  if (has_graph == 2) {
    auto ivf = std::make_unique<Ivf>();
    const auto d = static_cast<std::uint64_t>(dim);
    std::uint64_t nlist = 0, trained = 0;
    if (!r.Value(nlist) || nlist == 0 || nlist > (1u << 20) || !r.Array(ivf->centroids, nlist * d) ||
        !r.Array(ivf->sq.min, d) || !r.Array(ivf->sq.step, d) || !r.Array(ivf->row_list, n) || !r.Value(trained)) {
      return bad("truncated IVF lists");
    }
    for (std::uint32_t l : ivf->row_list) {
      if (l >= nlist) return bad("IVF list out of range");
    }
    if (!ivf->sq.Valid(static_cast<std::size_t>(d))) return bad("IVF quantiser");
    ivf->nlist = static_cast<std::size_t>(nlist);
    ivf->trained_size = static_cast<std::size_t>(trained);
    ivf->lists.assign(ivf->nlist, {});
    ivf->row_pos.assign(static_cast<std::size_t>(n), 0);
    std::vector<std::uint32_t> lists = std::move(ivf->row_list);
    ivf->row_list.assign(static_cast<std::size_t>(n), 0);
    for (std::size_t row = 0; row < n; ++row) {
      ivf->Append(lists[row], row, index->data_.data() + row * static_cast<std::size_t>(dim),
                  static_cast<std::size_t>(dim));
    }
    index->ivf_ = std::move(ivf);
  }
  if (has_graph == 1) {
    auto graph = std::make_unique<Graph>(dim, &index->data_, m);
    faiss::HNSW& h = graph->hnsw.hnsw;
    std::int32_t entry = 0, max_level = 0, ef_construction = 0;
    if (!r.Array(h.assign_probas) || !r.Array(h.cum_nneighbor_per_level) || !r.Array(h.levels, n) ||
        !r.Array(h.offsets, n + 1) || !r.Array(h.neighbors) || !r.Value(entry) || !r.Value(max_level) ||
        !r.Value(ef_construction)) {
      return bad("truncated graph");
    }
    if (version >= 2 && (!r.Array(graph->sq.min, static_cast<std::uint64_t>(dim)) ||
                         !r.Array(graph->sq.step, static_cast<std::uint64_t>(dim)))) {
      return bad("truncated graph quantiser");
    }
    if (version >= 2 && !graph->sq.Valid(static_cast<std::size_t>(dim))) return bad("graph quantiser");
    // Structural checks, so a damaged file can never index out of bounds.
    if (h.offsets.front() != 0 || h.offsets.back() != h.neighbors.size()) return bad("graph offsets");
    for (std::size_t i = 0; i + 1 < h.offsets.size(); ++i) {
      if (h.offsets[i] > h.offsets[i + 1]) return bad("graph offsets");
    }
    for (auto v : h.neighbors) {
      if (v < -1 || (v >= 0 && static_cast<std::uint64_t>(v) >= n)) return bad("graph neighbour out of range");
    }
    const int levels_count = static_cast<int>(h.cum_nneighbor_per_level.size());
    for (int level : h.levels) {
      if (level < 1 || level >= levels_count) return bad("graph level out of range");
    }
    if (max_level < -1 || max_level >= levels_count ||
        (n > 0 && (entry < 0 || static_cast<std::uint64_t>(entry) >= n))) {
      return bad("graph entry point");
    }
    h.entry_point = entry;
    h.max_level = max_level;
    h.efConstruction = ef_construction;
    index->options_.ef_construction = ef_construction;
    graph->storage.ntotal = static_cast<faiss_idx>(n);
    graph->hnsw.ntotal = static_cast<faiss_idx>(n);
    // Version 1 files have no quantiser: EncodeRows trains one on the rows.
    graph->EncodeRows(index->data_, static_cast<std::size_t>(dim));
    index->graph_ = std::move(graph);
  }
  if (!r.Finish()) return bad("checksum mismatch or trailing bytes");
  std::fclose(file);
  index->key_to_row_.reserve(static_cast<std::size_t>(n));
  for (std::size_t row = 0; row < n; ++row) {
    if (!index->alive_[row]) {
      ++index->dead_;
      continue;
    }
    if (!index->key_to_row_.emplace(index->keys_[row], row).second) {
      return Status(StatusCode::kDataCorrupt, "snapshot " + path + ": key repeated");
    }
  }
  if (!index->graph_ && index->dead_ > 0) {
    return Status(StatusCode::kDataCorrupt, "snapshot " + path + ": dead rows in a flat index");
  }
  return Loaded{std::move(index), stamp};
}

}  // namespace facekit::gallery
