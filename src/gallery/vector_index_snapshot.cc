// VectorIndex snapshot files: Save and Load, a checksummed format whose
// arrays are bounded by the file size before anything is allocated.
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "common/durable_file.h"
#include "gallery/vector_index.h"
#include "gallery/snapshot_checksum.h"
#include "gallery/vector_index_internal.h"

namespace facekit::gallery {

namespace {

using Checksum = index_detail::SnapshotChecksum;

constexpr char kMagic[4] = {'F', 'K', 'V', 'I'};
// 2: the HNSW graph's quantiser follows the graph (its codes are re-made on
// load). Version 1 files still load; their quantiser is trained on load.
// 3: a byte saying how the rows are stored (0 fp32, 1 fp16) precedes them.
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
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    // The fuzz build (tests/fuzz/snapshot_fuzz.cc) cannot forge checksums;
    // it checks that what follows is safe for any bytes.
    (void)computed;
    return true;
#else
    return stored == computed;
#endif
  }
  std::uint64_t remaining() const { return remaining_; }

 private:
  std::FILE* file_;
  std::uint64_t remaining_;
  Checksum checksum_;
  bool ok_ = true;
};

}  // namespace

Status VectorIndex::Save(const std::string& path, std::uint64_t stamp, std::uint32_t format_version) const {
  if (format_version < kOldestReadableVersion || format_version > kFormatVersion) {
    return Status(StatusCode::kInvalidArgument, "cannot write snapshot format " + std::to_string(format_version));
  }
  if (format_version < 3 && half_rows()) {
    return Status(StatusCode::kInvalidArgument,
                  "snapshot format " + std::to_string(format_version) + " cannot hold fp16 rows");
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
  if (format_version >= 3) w.Value<std::uint8_t>(half_rows() ? 1 : 0);
  if (half_rows()) {
    w.Array(half_);
  } else {
    w.Array(data_);
  }
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
  SyncParentFolder(path);
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
  std::uint8_t stored_format = 0;
  if (!r.Array(index->tags_, n) || !r.Array(index->alive_, n) || (version >= 3 && !r.Value(stored_format))) {
    return bad("truncated rows");
  }
  if (stored_format > 1) return bad("unknown row format");
  const std::uint64_t values = n * static_cast<std::uint64_t>(dim);
  if (stored_format == 1 ? !r.Array(index->half_, values) : !r.Array(index->data_, values)) {
    return bad("truncated rows");
  }
  // Add() takes finite values only; a NaN or infinity would reach the
  // quantisers' float-to-int conversions (snapshot_fuzz found it).
  for (float v : index->data_) {
    if (!std::isfinite(v)) return bad("non-finite vector value");
  }
  for (std::uint16_t h : index->half_) {
    if ((h & 0x7c00u) == 0x7c00u) return bad("non-finite vector value");
  }
  // Rows in the format the options ask for (a node switched between formats
  // keeps its snapshots).
  const bool want_half = options.rows == RowFormat::kF16;
  if (want_half && stored_format == 0) {
    index->half_.resize(index->data_.size());
    AdviseHugePages(index->half_);
    FloatsToHalves(index->data_.data(), index->data_.size(), index->half_.data());
    std::vector<float>().swap(index->data_);
  } else if (!want_half && stored_format == 1) {
    index->data_.resize(index->half_.size());
    AdviseHugePages(index->data_);
    HalvesToFloats(index->half_.data(), index->half_.size(), index->data_.data());
    std::vector<std::uint16_t>().swap(index->half_);
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
    std::vector<float> scratch;
    for (std::size_t row = 0; row < n; ++row) {
      ivf->Append(lists[row], row, index->FloatRows(row, 1, &scratch), static_cast<std::size_t>(dim));
    }
    index->ivf_ = std::move(ivf);
  }
  if (has_graph == 1) {
    auto graph = std::make_unique<Graph>(dim, &index->data_, &index->half_, m);
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
    // Each node's neighbour lists are laid out as faiss lays them out:
    // cumulative per-level counts from 0, a node of `levels[i]` levels owning
    // exactly cum[levels[i]] slots, and a neighbour at layer l having that
    // layer itself; the entry point is a node of the top level. Otherwise a
    // search or an insertion reads another node's slots or past the array.
    const auto& cum = h.cum_nneighbor_per_level;
    if (cum.empty() || cum.front() != 0) return bad("graph level sizes");
    // A new node's level is drawn from assign_probas (one per level): more
    // of them than levels would give it slots past cum (snapshot_fuzz).
    if (h.assign_probas.size() + 1 != cum.size()) return bad("graph level probabilities");
    // Every level has slots: faiss reads a list's last slot to see if it is full.
    // And exactly faiss's sizes for this M (2M at layer 0, M above): a huge
    // count would make the next insertion allocate gigabytes (snapshot_fuzz).
    for (std::size_t l = 0; l + 1 < cum.size(); ++l) {
      const std::int64_t expected = l == 0 ? 2 * static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
      if (m < 1 || static_cast<std::int64_t>(cum[l + 1]) - cum[l] != expected) return bad("graph level sizes");
    }
    for (std::size_t i = 0; i < n; ++i) {
      const auto own = static_cast<std::uint64_t>(cum[static_cast<std::size_t>(h.levels[i])]);
      if (h.offsets[i + 1] - h.offsets[i] != own) return bad("graph offsets do not match the node levels");
      for (int l = 0; l < h.levels[i]; ++l) {
        const std::size_t begin = h.offsets[i] + static_cast<std::size_t>(cum[static_cast<std::size_t>(l)]);
        const std::size_t end = h.offsets[i] + static_cast<std::size_t>(cum[static_cast<std::size_t>(l) + 1]);
        // -1 only as trailing padding: faiss takes a list whose last slot is
        // used as full and measures every slot of it (snapshot_fuzz).
        bool padding = false;
        for (std::size_t k = begin; k < end; ++k) {
          const auto v = h.neighbors[k];
          if (v < 0) {
            padding = true;
            continue;
          }
          if (padding) return bad("graph neighbour list with a gap");
          if (h.levels[static_cast<std::size_t>(v)] <= l) return bad("graph neighbour above its level");
        }
      }
    }
    // An empty graph's entry point must be -1 too: faiss's insertion takes any
    // other value as a node to start from (snapshot_fuzz).
    if (max_level < -1 || max_level >= levels_count || (n == 0 && (max_level != -1 || entry != -1)) ||
        (n > 0 && (entry < 0 || static_cast<std::uint64_t>(entry) >= n ||
                   max_level != h.levels[static_cast<std::size_t>(entry)] - 1))) {
      return bad("graph entry point");
    }
    h.entry_point = entry;
    h.max_level = max_level;
    h.efConstruction = ef_construction;
    index->options_.ef_construction = ef_construction;
    graph->storage.ntotal = static_cast<faiss_idx>(n);
    graph->hnsw.ntotal = static_cast<faiss_idx>(n);
    // Version 1 files have no quantiser: EncodeRows trains one on the rows.
    graph->EncodeRows(*index);
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
