#include "gallery/vector_index.h"

#include <faiss/Index.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <fcntl.h>
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
  }
  return "?";
}

Result<IndexKind> ParseIndexKind(const std::string& name) {
  if (name == "auto") return IndexKind::kAuto;
  if (name == "flat") return IndexKind::kFlat;
  if (name == "hnsw") return IndexKind::kHnsw;
  return Status(StatusCode::kInvalidArgument, "unknown index kind '" + name + "' (auto, flat or hnsw)");
}

namespace {

using faiss_idx = faiss::Index::idx_t;

// Distance for FAISS's HNSW, which keeps the smallest: the negated inner
// product, computed by our kernels straight from VectorIndex's rows.
class NegativeInnerProduct final : public faiss::DistanceComputer {
 public:
  NegativeInnerProduct(const float* rows, std::size_t dim) : rows_(rows), dim_(dim) {}
  void set_query(const float* x) override { query_ = x; }
  float operator()(faiss_idx i) override { return -Dot(query_, rows_ + static_cast<std::size_t>(i) * dim_, dim_); }
  float symmetric_dis(faiss_idx i, faiss_idx j) override {
    return -Dot(rows_ + static_cast<std::size_t>(i) * dim_, rows_ + static_cast<std::size_t>(j) * dim_, dim_);
  }

 private:
  const float* rows_;
  std::size_t dim_;
  const float* query_ = nullptr;
};

// FAISS storage that owns no vectors: the rows live in VectorIndex::data_,
// which is appended before the graph's add() is called.
class RowStorage final : public faiss::Index {
 public:
  RowStorage(int dim, const std::vector<float>* rows) : faiss::Index(dim, faiss::METRIC_INNER_PRODUCT), rows_(rows) {}
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
  const std::vector<float>* rows_;
};

class AliveSelector final : public faiss::IDSelector {
 public:
  explicit AliveSelector(const std::vector<std::uint8_t>* alive) : alive_(alive) {}
  bool is_member(faiss_idx id) const override { return (*alive_)[static_cast<std::size_t>(id)] != 0; }

 private:
  const std::vector<std::uint8_t>* alive_;
};

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
constexpr std::uint32_t kFormatVersion = 1;

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
  Graph(int dim, const std::vector<float>* rows, int m) : storage(dim, rows), hnsw(&storage, m) {
    hnsw.own_fields = false;
  }
  RowStorage storage;
  faiss::IndexHNSW hnsw;
};

VectorIndex::VectorIndex(int dim, IndexOptions options) : dim_(dim), options_(options) {
  if (options_.kind == IndexKind::kHnsw) graph_ = std::make_unique<Graph>(dim_, &data_, options_.hnsw_m);
  if (graph_) {
    graph_->hnsw.hnsw.efConstruction = options_.ef_construction;
    graph_->hnsw.hnsw.efSearch = options_.ef_search;
  }
}

VectorIndex::~VectorIndex() = default;

IndexKind VectorIndex::kind() const { return graph_ ? IndexKind::kHnsw : IndexKind::kFlat; }

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
  data_.insert(data_.end(), vector, vector + dim_);
  keys_.push_back(key);
  tags_.push_back(tag);
  alive_.push_back(1);
  key_to_row_[key] = keys_.size() - 1;
}

bool VectorIndex::WantGraph(std::size_t live) const {
  switch (options_.kind) {
    case IndexKind::kFlat:
      return false;
    case IndexKind::kHnsw:
      return true;
    case IndexKind::kAuto:
      if (graph_) return live * 2 >= options_.hnsw_threshold;
      return live >= options_.hnsw_threshold;
  }
  return false;
}

Status VectorIndex::BuildGraph() {
  try {
    graph_ = std::make_unique<Graph>(dim_, &data_, options_.hnsw_m);
    graph_->hnsw.hnsw.efConstruction = options_.ef_construction;
    graph_->hnsw.hnsw.efSearch = options_.ef_search;
    if (rows() > 0) graph_->hnsw.add(static_cast<faiss_idx>(rows()), data_.data());
  } catch (const std::exception& e) {
    graph_.reset();
    return Status(StatusCode::kInternal, std::string("building the HNSW graph failed: ") + e.what());
  }
  return Status::Ok();
}

Status VectorIndex::Add(std::int64_t key, std::span<const float> vector, std::uint64_t tag) {
  FACEKIT_RETURN_IF_ERROR(CheckVector(vector));
  Remove(key);
  AppendRow(key, vector.data(), tag);
  if (graph_) {
    try {
      graph_->hnsw.add(1, Row(rows() - 1));
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("adding to the HNSW graph failed: ") + e.what());
    }
    return Status::Ok();
  }
  if (WantGraph(size())) return BuildGraph();
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
  const std::size_t first = rows();
  data_.reserve(data_.size() + vectors.size());
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
      graph_->hnsw.add(static_cast<faiss_idx>(rows() - first), Row(first));
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("adding to the HNSW graph failed: ") + e.what());
    }
  } else if (WantGraph(size())) {
    if (dead_ > 0) return Compact();
    return BuildGraph();
  } else if (dead_ > 0) {
    return Compact();  // flat rows stay dense
  }
  return Status::Ok();
}

bool VectorIndex::Remove(std::int64_t key) {
  auto it = key_to_row_.find(key);
  if (it == key_to_row_.end()) return false;
  const std::size_t row = it->second;
  key_to_row_.erase(it);
  if (graph_) {
    alive_[row] = 0;
    ++dead_;
    return true;
  }
  // Flat: move the last row into the hole.
  const std::size_t last = rows() - 1;
  const std::size_t d = static_cast<std::size_t>(dim_);
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

void VectorIndex::SetEfSearch(int ef_search) {
  options_.ef_search = ef_search;
  if (graph_) graph_->hnsw.hnsw.efSearch = ef_search;
}

std::vector<Hit> VectorIndex::Search(const float* query, std::size_t k) const {
  if (!graph_ || k == 0 || size() == 0) return SearchExact(query, k);
  // One visited table per thread, reused across searches (advance() clears it
  // lazily); resized when the graph has grown.
  thread_local std::unique_ptr<faiss::VisitedTable> visited;
  if (!visited || visited->visited.size() < rows()) {
    visited = std::make_unique<faiss::VisitedTable>(static_cast<int>(rows() + rows() / 4 + 1024));
  } else {
    visited->advance();
  }
  const std::size_t want = std::min(k, size());
  // FAISS 1.7.3 takes the candidate list length from the graph, not from
  // the parameters (it uses max(efSearch, k)); SetEfSearch sets it.
  faiss::SearchParametersHNSW params;
  params.efSearch = graph_->hnsw.hnsw.efSearch;
  AliveSelector selector(&alive_);
  if (dead_ > 0) params.sel = &selector;
  std::vector<faiss_idx> ids(want, -1);
  std::vector<float> distances(want, std::numeric_limits<float>::max());
  NegativeInnerProduct distance(data_.data(), static_cast<std::size_t>(dim_));
  distance.set_query(query);
  try {
    graph_->hnsw.hnsw.search(distance, static_cast<int>(want), ids.data(), distances.data(), *visited, &params);
  } catch (const std::exception&) {
    return SearchExact(query, k);
  }
  std::vector<Hit> hits;
  hits.reserve(want);
  for (std::size_t i = 0; i < want; ++i) {
    if (ids[i] < 0) continue;
    const auto row = static_cast<std::size_t>(ids[i]);
    if (row >= rows() || !alive_[row]) continue;
    hits.push_back({keys_[row], -distances[i]});
  }
  std::sort(hits.begin(), hits.end(), TopK::Better);
  return hits;
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
  if (!graph_) return false;
  if (dead_ > 0 && static_cast<double>(dead_) > options_.compaction_ratio * static_cast<double>(rows())) {
    return true;
  }
  return options_.kind == IndexKind::kAuto && !WantGraph(size());
}

Status VectorIndex::Compact() {
  const std::size_t d = static_cast<std::size_t>(dim_);
  std::vector<float> data;
  std::vector<std::int64_t> keys;
  std::vector<std::uint64_t> tags;
  data.reserve(size() * d);
  keys.reserve(size());
  tags.reserve(size());
  for (std::size_t row = 0; row < rows(); ++row) {
    if (!alive_[row]) continue;
    data.insert(data.end(), Row(row), Row(row) + d);
    keys.push_back(keys_[row]);
    tags.push_back(tags_[row]);
  }
  data_ = std::move(data);
  keys_ = std::move(keys);
  tags_ = std::move(tags);
  alive_.assign(keys_.size(), 1);
  dead_ = 0;
  key_to_row_.clear();
  key_to_row_.reserve(keys_.size());
  for (std::size_t row = 0; row < keys_.size(); ++row) key_to_row_[keys_[row]] = row;
  const bool want = WantGraph(size());
  graph_.reset();
  if (want) return BuildGraph();
  return Status::Ok();
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
             h.offsets.capacity() * sizeof(std::size_t);
  }
  return bytes;
}

Status VectorIndex::Save(const std::string& path, std::uint64_t stamp) const {
  const std::string tmp = path + ".tmp";
  std::FILE* file = std::fopen(tmp.c_str(), "wb");
  if (!file) return Status(StatusCode::kIoError, "cannot write " + tmp + ": " + std::strerror(errno));
  SnapshotWriter w(file);
  w.Raw(kMagic, sizeof(kMagic));
  w.Value(kFormatVersion);
  w.Value<std::int32_t>(dim_);
  w.Value<std::int32_t>(graph_ ? 1 : 0);
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
  if (!r.Value(version) || version != kFormatVersion) return bad("unsupported format version");
  if (!r.Value(dim) || dim <= 0 || dim > 4096 || !r.Value(has_graph) || !r.Value(stamp) || !r.Value(m) || m < 2 ||
      m > 512) {
    return bad("bad header");
  }
  if (has_graph) options.hnsw_m = m;
  auto index = std::make_unique<VectorIndex>(dim, options);
  index->graph_.reset();
  if (!r.Array(index->keys_)) return bad("truncated keys");
  const std::uint64_t n = index->keys_.size();
  if (!r.Array(index->tags_, n) || !r.Array(index->alive_, n) ||
      !r.Array(index->data_, n * static_cast<std::uint64_t>(dim))) {
    return bad("truncated rows");
  }
  if (has_graph) {
    auto graph = std::make_unique<Graph>(dim, &index->data_, m);
    faiss::HNSW& h = graph->hnsw.hnsw;
    std::int32_t entry = 0, max_level = 0, ef_construction = 0;
    if (!r.Array(h.assign_probas) || !r.Array(h.cum_nneighbor_per_level) || !r.Array(h.levels, n) ||
        !r.Array(h.offsets, n + 1) || !r.Array(h.neighbors) || !r.Value(entry) || !r.Value(max_level) ||
        !r.Value(ef_construction)) {
      return bad("truncated graph");
    }
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
    h.efSearch = options.ef_search;
    graph->storage.ntotal = static_cast<faiss_idx>(n);
    graph->hnsw.ntotal = static_cast<faiss_idx>(n);
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
