#include "gallery/vector_index.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "gallery/vector_index_internal.h"
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

const char* RowFormatName(RowFormat format) { return format == RowFormat::kF16 ? "fp16" : "fp32"; }

Result<RowFormat> ParseRowFormat(const std::string& name) {
  if (name == "fp32") return RowFormat::kF32;
  if (name == "fp16") return RowFormat::kF16;
  return Status(StatusCode::kInvalidArgument, "unknown row format '" + name + "' (fp32 or fp16)");
}

Result<IndexKind> ParseIndexKind(const std::string& name) {
  if (name == "auto") return IndexKind::kAuto;
  if (name == "flat") return IndexKind::kFlat;
  if (name == "hnsw") return IndexKind::kHnsw;
  if (name == "ivf") return IndexKind::kIvf;
  return Status(StatusCode::kInvalidArgument, "unknown index kind '" + name + "' (auto, flat, hnsw or ivf)");
}


VectorIndex::VectorIndex(int dim, IndexOptions options) : dim_(dim), options_(options) {
  if (options_.kind == IndexKind::kHnsw) graph_ = std::make_unique<Graph>(dim_, &data_, &half_, options_.hnsw_m);
  if (graph_) graph_->hnsw.hnsw.efConstruction = options_.ef_construction;
}

VectorIndex::~VectorIndex() = default;

IndexKind VectorIndex::kind() const {
  if (graph_) return IndexKind::kHnsw;
  if (ivf_) return IndexKind::kIvf;
  return IndexKind::kFlat;
}

const float* VectorIndex::FloatRows(std::size_t first, std::size_t n, std::vector<float>* scratch) const {
  const auto d = static_cast<std::size_t>(dim_);
  if (!half_rows()) return data_.data() + first * d;
  scratch->resize(n * d);
  HalvesToFloats(half_.data() + first * d, n * d, scratch->data());
  return scratch->data();
}

float VectorIndex::RowDot(const float* query, std::size_t row) const {
  const auto d = static_cast<std::size_t>(dim_);
  return half_rows() ? DotF16(query, half_.data() + row * d, d) : Dot(query, data_.data() + row * d, d);
}

const void* VectorIndex::RowAddress(std::size_t row) const {
  const auto d = static_cast<std::size_t>(dim_);
  return half_rows() ? static_cast<const void*>(half_.data() + row * d) : static_cast<const void*>(data_.data() + row * d);
}

std::size_t VectorIndex::RowBytes() const {
  return static_cast<std::size_t>(dim_) * (half_rows() ? sizeof(std::uint16_t) : sizeof(float));
}

void VectorIndex::ForEachRowChunk(
    std::size_t first, std::size_t end,
    const std::function<void(std::size_t at, std::size_t count, const float* rows)>& fn) const {
  if (first >= end) return;
  if (!half_rows()) {
    fn(first, end - first, data_.data() + first * static_cast<std::size_t>(dim_));
    return;
  }
  constexpr std::size_t kChunk = 1 << 16;
  std::vector<float> scratch;
  for (std::size_t at = first; at < end; at += kChunk) {
    const std::size_t count = std::min(kChunk, end - at);
    fn(at, count, FloatRows(at, count, &scratch));
  }
}

void VectorIndex::ReserveRows(std::size_t rows) {
  // Grown geometrically: room for exactly what a small batch needs (a write,
  // a grow slice) made each one copy every row into a new array.
  const auto d = static_cast<std::size_t>(dim_);
  const std::size_t capacity = (half_rows() ? half_.capacity() : data_.capacity()) / d;
  if (rows <= capacity) return;
  ReserveRowValues(std::max(rows, capacity * 2) * d);
}

void VectorIndex::ReserveRowValues(std::size_t values) {
  if (half_rows()) {
    half_.reserve(values);
    AdviseHugePages(half_);
  } else {
    data_.reserve(values);
    AdviseHugePages(data_);
  }
}

void VectorIndex::TrainQuantiser(index_detail::ScalarQuantiser* sq, std::size_t min_rows) const {
  const auto d = static_cast<std::size_t>(dim_);
  std::vector<float> hi;
  sq->StartRange(d, &hi);
  ForEachRowChunk(0, rows(),
                  [&](std::size_t, std::size_t count, const float* rows) { sq->WidenRange(rows, count, d, &hi); });
  sq->FinishRange(rows(), d, min_rows, std::move(hi));
}

void VectorIndex::Reserve(std::size_t entries) {
  const auto d = static_cast<std::size_t>(dim_);
  const std::size_t capacity = (half_rows() ? half_.capacity() : data_.capacity()) / d;
  if (entries > capacity) ReserveRowValues(entries * d);
  keys_.reserve(entries);
  tags_.reserve(entries);
  alive_.reserve(entries);
  key_to_row_.reserve(entries);
  if (ivf_) {
    ivf_->row_list.reserve(entries);
    ivf_->row_pos.reserve(entries);
  }
}

void VectorIndex::ResizeRows(std::size_t rows) {
  const auto values = rows * static_cast<std::size_t>(dim_);
  half_.resize(half_rows() ? values : 0);
  data_.resize(half_rows() ? 0 : values);
}

void VectorIndex::MoveRow(std::size_t to, std::size_t from) {
  const auto d = static_cast<std::size_t>(dim_);
  if (half_rows()) {
    std::memcpy(half_.data() + to * d, half_.data() + from * d, d * sizeof(std::uint16_t));
  } else {
    std::memcpy(data_.data() + to * d, data_.data() + from * d, d * sizeof(float));
  }
  keys_[to] = keys_[from];
  tags_[to] = tags_[from];
}

namespace {

// HNSW minimises a distance: inner products negated, as FAISS's own add does.
class Negated final : public faiss::DistanceComputer {
 public:
  explicit Negated(faiss::DistanceComputer* base) : base_(base) {}
  void set_query(const float* x) override { base_->set_query(x); }
  float operator()(faiss_idx i) override { return -(*base_)(i); }
  float symmetric_dis(faiss_idx i, faiss_idx j) override { return -base_->symmetric_dis(i, j); }

 private:
  std::unique_ptr<faiss::DistanceComputer> base_;
};

// Up to this many rows an insert goes through Graph::InsertFew (one thread,
// no per-call cost in the graph's size); more, through FAISS's parallel add.
constexpr std::size_t kFewRows = 256;

}  // namespace

void VectorIndex::Graph::InsertFew(const float* x, std::size_t n) {
  const auto n0 = static_cast<std::size_t>(hnsw.ntotal);
  hnsw.storage->add(static_cast<faiss_idx>(n), x);
  hnsw.ntotal = hnsw.storage->ntotal;
  faiss::HNSW& h = hnsw.hnsw;
  h.prepare_level_tab(n, /*preset_levels=*/false);
  const std::size_t total = n0 + n;
  if (locks.size() < total) {
    // Made anew at twice the size (locks are not moved once initialised).
    for (omp_lock_t& l : locks) omp_destroy_lock(&l);
    locks = std::vector<omp_lock_t>(std::max(total, locks.size() * 2));
    for (omp_lock_t& l : locks) omp_init_lock(&l);
  }
  if (!visited || visited->visited.size() < total) {
    const std::size_t size = std::max(total, visited ? visited->visited.size() * 2 : total);
    visited = std::make_unique<faiss::VisitedTable>(static_cast<int>(size));
  }
  Negated dis(storage.get_distance_computer());
  // Highest level first, as FAISS adds a batch.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = n0 + i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return h.levels[a] > h.levels[b]; });
  const auto d = static_cast<std::size_t>(hnsw.d);
  for (const std::size_t pt : order) {
    dis.set_query(x + (pt - n0) * d);
    h.add_with_locks(dis, h.levels[pt] - 1, static_cast<int>(pt), locks, *visited);
  }
}

void VectorIndex::AddRowsToGraph(std::size_t first, const float* vectors) {
  if (first >= rows()) return;
  const auto insert = [&](std::size_t n, const float* x) {
    if (n <= kFewRows) {
      graph_->InsertFew(x, n);
    } else {
      graph_->hnsw.add(static_cast<faiss_idx>(n), x);
    }
  };
  if (vectors) {
    insert(rows() - first, vectors);
    return;
  }
  // The graph's insertion reads each new row as a float query.
  ForEachRowChunk(first, rows(), [&](std::size_t, std::size_t n, const float* floats) { insert(n, floats); });
}

Status VectorIndex::CheckVector(std::span<const float> vector) const {
  if (vector.size() != static_cast<std::size_t>(dim_)) {
    return Status(StatusCode::kInvalidArgument,
                  "vector has " + std::to_string(vector.size()) + " values, the index holds " + std::to_string(dim_));
  }
  for (float v : vector) {
    if (!std::isfinite(v)) return Status(StatusCode::kInvalidArgument, "vector has a non-finite value");
    // The largest half float: beyond it an fp16 row would hold an infinity.
    if (half_rows() && std::abs(v) > 65504.0f) {
      return Status(StatusCode::kInvalidArgument, "vector value " + std::to_string(v) + " is beyond fp16 rows' range");
    }
  }
  return Status::Ok();
}

void VectorIndex::AppendRow(std::int64_t key, const float* vector, std::uint64_t tag) {
  const auto d = static_cast<std::size_t>(dim_);
  ReserveRows(rows() + 1);
  if (half_rows()) {
    half_.resize(half_.size() + d);
    FloatsToHalves(vector, d, half_.data() + half_.size() - d);
  } else {
    data_.insert(data_.end(), vector, vector + dim_);
  }
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
  // No whole decoded copy of the rows (fp16 rows would need twice their own
  // memory for it, ~1.9 GB at 2.5M rows): k-means trains on a sample of
  // kIvfTrainRowsPerList rows a list (what FAISS's k-means would keep of all
  // of them anyway), spread evenly over the rows; the quantiser's range and
  // the assignment read the rows a chunk at a time.
  if (n > 0) {
    const std::size_t sample_n = std::min(n, kIvfTrainRowsPerList * ivf->nlist);
    std::vector<float> sample(sample_n * d), scratch;
    for (std::size_t i = 0; i < sample_n; ++i) {
      const float* row = FloatRows(i * n / sample_n, 1, &scratch);
      std::copy(row, row + d, sample.begin() + static_cast<std::ptrdiff_t>(i * d));
    }
    try {
      faiss::ClusteringParameters cp;
      cp.niter = 12;
      cp.spherical = true;
      cp.max_points_per_centroid = static_cast<int>(kIvfTrainRowsPerList);
      cp.min_points_per_centroid = 1;
      cp.seed = 1234;
      faiss::Clustering km(dim_, static_cast<int>(ivf->nlist), cp);
      CentroidIndex assign(dim_);
      km.train(static_cast<faiss_idx>(sample_n), sample.data(), assign);
      ivf->centroids = std::move(km.centroids);
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("IVF training failed: ") + e.what());
    }
  } else {
    ivf->centroids.assign(d, 0.0f);
    ivf->nlist = 1;
  }
  TrainQuantiser(&ivf->sq, /*min_rows=*/1);
  ivf->lists.assign(ivf->nlist, {});
  ivf->row_list.assign(n, 0);
  ivf->row_pos.assign(n, 0);
  std::vector<std::uint32_t> assignment;
  ForEachRowChunk(0, n, [&](std::size_t at, std::size_t count, const float* rows) {
    assignment.resize(count);
#pragma omp parallel for schedule(static)
    for (std::size_t r = 0; r < count; ++r) assignment[r] = ivf->Nearest(rows + r * d, d);
    for (std::size_t r = 0; r < count; ++r) ivf->Append(assignment[r], at + r, rows + r * d, d);
  });
  ivf_ = std::move(ivf);
  return Status::Ok();
}

void VectorIndex::IvfInsert(std::size_t row) {
  const auto d = static_cast<std::size_t>(dim_);
  ivf_->row_list.resize(rows());
  ivf_->row_pos.resize(rows());
  std::vector<float> scratch;
  const float* v = FloatRows(row, 1, &scratch);
  ivf_->Append(ivf_->Nearest(v, d), row, v, d);
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
    graph_ = std::make_unique<Graph>(dim_, &data_, &half_, options_.hnsw_m);
    graph_->hnsw.hnsw.efConstruction = options_.ef_construction;
    graph_->EncodeRows(*this);
    AddRowsToGraph(0, nullptr);
  } catch (const std::exception& e) {
    graph_.reset();
    return Status(StatusCode::kInternal, std::string("building the HNSW graph failed: ") + e.what());
  }
  return Status::Ok();
}

std::unique_ptr<VectorIndex> VectorIndex::Clone() const {
  auto out = std::make_unique<VectorIndex>(dim_, options_);
  out->graph_.reset();
  out->data_.reserve(data_.capacity());
  AdviseHugePages(out->data_);
  out->data_ = data_;
  out->half_.reserve(half_.capacity());
  AdviseHugePages(out->half_);
  out->half_ = half_;
  out->keys_ = keys_;
  out->tags_ = tags_;
  out->alive_ = alive_;
  out->dead_ = dead_;
  out->key_to_row_ = key_to_row_;
  if (graph_) {
    // The graph's storage points at the copy's rows and codes, not ours.
    auto graph = std::make_unique<Graph>(dim_, &out->data_, &out->half_, options_.hnsw_m);
    graph->sq = graph_->sq;
    graph->codes.reserve(graph_->codes.capacity());
    AdviseHugePages(graph->codes);
    graph->codes.assign(graph_->codes.begin(), graph_->codes.end());
    graph->hnsw.hnsw = graph_->hnsw.hnsw;
    graph->storage.ntotal = graph_->storage.ntotal;
    graph->hnsw.ntotal = graph_->hnsw.ntotal;
    out->graph_ = std::move(graph);
  }
  if (ivf_) out->ivf_ = std::make_unique<Ivf>(*ivf_);
  return out;
}

void VectorIndex::StartJournal(bool vectors) {
  journal_.emplace();
  journal_vectors_ = vectors;
}

Status VectorIndex::Replay(const std::vector<JournalOp>& journal, const std::function<bool(std::int64_t key)>& keep) {
  for (const JournalOp& op : journal) {
    if (op.add && (!keep || keep(op.key))) {
      FACEKIT_RETURN_IF_ERROR(Add(op.key, op.vector, op.tag));
    } else {
      Remove(op.key);
    }
  }
  return Status::Ok();
}

std::vector<VectorIndex::JournalOp> VectorIndex::TakeJournal() {
  std::vector<JournalOp> out = journal_ ? std::move(*journal_) : std::vector<JournalOp>{};
  journal_.reset();
  return out;
}

Status VectorIndex::Add(std::int64_t key, std::span<const float> vector, std::uint64_t tag) {
  FACEKIT_RETURN_IF_ERROR(CheckVector(vector));
  Remove(key);
  if (journal_) {
    journal_->push_back({true, key, tag, journal_vectors_ ? std::vector<float>(vector.begin(), vector.end())
                                                          : std::vector<float>{}});
  }
  AppendRow(key, vector.data(), tag);
  if (graph_) {
    try {
      graph_->EncodeRows(*this);
      AddRowsToGraph(rows() - 1, vector.data());
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("adding to the HNSW graph failed: ") + e.what());
    }
    return Status::Ok();
  }
  if (ivf_) {
    IvfInsert(rows() - 1);
    return Status::Ok();
  }
  if (Target(size()) != IndexKind::kFlat && !defer_structure_) return Build(Target(size()));
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
      std::vector<float> v;
      if (journal_vectors_) {
        v.assign(vectors.begin() + static_cast<std::ptrdiff_t>(i * d),
                 vectors.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
      }
      journal_->push_back({true, keys[i], tags.empty() ? 0 : tags[i], std::move(v)});
    }
  }
  const std::size_t first = rows();
  ReserveRows(rows() + keys.size());
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
      graph_->EncodeRows(*this);
      // Rows [first, rows()) are the batch's vectors in order.
      AddRowsToGraph(first, vectors.data());
    } catch (const std::exception& e) {
      return Status(StatusCode::kInternal, std::string("adding to the HNSW graph failed: ") + e.what());
    }
  } else if (ivf_) {
    for (std::size_t row = first; row < rows(); ++row) IvfInsert(row);
    if (dead_ > 0) return Compact();
  } else if (Target(size()) != IndexKind::kFlat && !defer_structure_) {
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
    MoveRow(row, last);
    alive_[row] = alive_[last];
    key_to_row_[keys_[row]] = row;
  }
  ResizeRows(last);
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
    if (half_rows()) {
      DotF16Many(query, half_.data() + start * d, n, d, scores);
    } else {
      DotMany(query, data_.data() + start * d, n, d, scores);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (alive_[start + i]) top.Offer(keys_[start + i], scores[i]);
    }
  }
  return top.Take();
}

std::vector<float> VectorIndex::Vector(std::int64_t key) const {
  auto it = key_to_row_.find(key);
  if (it == key_to_row_.end()) return {};
  std::vector<float> out;
  const float* row = FloatRows(it->second, 1, &out);  // fp16: decoded into `out`
  if (row != out.data()) out.assign(row, row + dim_);
  return out;
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
  std::vector<float> scratch;
  for (std::size_t row = 0; row < rows(); ++row) {
    if (!alive_[row]) continue;
    const float* v = FloatRows(row, 1, &scratch);
    vectors->insert(vectors->end(), v, v + d);
    keys->push_back(keys_[row]);
    tags->push_back(tags_[row]);
  }
}

Status VectorIndex::Compact() {
  // Nothing dead: only the structure is rebuilt over the rows as they are
  // (an IVF retraining, a switch of structure), without a copy of them and
  // keeping their room (Reserve).
  if (dead_ == 0) return Build(defer_structure_ ? IndexKind::kFlat : Target(size()));
  // The live rows moved down in place, in their own format.
  std::size_t out = 0;
  for (std::size_t row = 0; row < rows(); ++row) {
    if (!alive_[row]) continue;
    if (out != row) MoveRow(out, row);
    ++out;
  }
  // Trimmed to the live rows (a compaction after many removals gives the memory back).
  ResizeRows(out);
  keys_.resize(out);
  tags_.resize(out);
  half_.shrink_to_fit();
  data_.shrink_to_fit();
  keys_.shrink_to_fit();
  tags_.shrink_to_fit();
  alive_.assign(keys_.size(), 1);
  dead_ = 0;
  key_to_row_.clear();
  key_to_row_.reserve(keys_.size());
  for (std::size_t row = 0; row < keys_.size(); ++row) key_to_row_[keys_[row]] = row;
  return Build(defer_structure_ ? IndexKind::kFlat : Target(size()));
}

std::size_t VectorIndex::MemoryBytes() const {
  std::size_t bytes = data_.capacity() * sizeof(float) + half_.capacity() * sizeof(std::uint16_t) + keys_.capacity() * sizeof(std::int64_t) +
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
}  // namespace facekit::gallery
