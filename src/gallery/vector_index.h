// One group's vectors and the structure that searches them.
//
// Entries are (key, tag, vector): the key is the store's integer key of a face
// (or person), the tag a caller-defined fingerprint used to tell whether a
// snapshot's entry is still current. Scores are inner products; vectors are
// expected L2-normalised so scores are cosine similarities.
//
// Two structures, chosen automatically by size (IndexKind::kAuto):
//  - flat: exact search over densely packed rows with the SIMD kernels;
//    removal moves the last row into the hole, so nothing is left behind.
//  - IVF (selectable; HNSW is the default approximate structure, chosen by
//    measurement, see docs/gallery.md): FAISS k-means splits the rows into lists; each list
//    holds 8-bit scalar-quantised codes, scanned with our kernels for the
//    `nprobe` lists nearest the query; the best `rerank` candidates are then
//    re-scored exactly. Removal takes the row out of its list at once.
//  - HNSW (FAISS's graph, built over 8-bit scalar-quantised codes of the rows
//    with our distance computer, searched over the same codes by our own
//    prefetching beam search, the best candidates re-scored exactly): removal
//    marks the row dead at once and searches skip it; dead rows are dropped
//    when the graph is rebuilt.
//
// Not synchronised: the owner serialises writers against readers. Search and
// SearchExact are const and may run concurrently with each other.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "facekit/status.h"

namespace facekit::gallery {

enum class IndexKind { kAuto, kFlat, kHnsw, kIvf };

const char* IndexKindName(IndexKind kind);
Result<IndexKind> ParseIndexKind(const std::string& name);

// How an index keeps its rows (the vectors exact scores are computed from:
// flat search, the re-scoring of quantised candidates, Vector()).
//  - kF32: 4 bytes a value, the vectors as given.
//  - kF16: IEEE half precision, 2 bytes a value: half the rows' memory (384
//    instead of 768 bytes a 192-D entry); a unit vector's values keep 11
//    significant bits, so a score moves by about 1e-4 (docs/gallery.md).
enum class RowFormat { kF32, kF16 };

const char* RowFormatName(RowFormat format);
Result<RowFormat> ParseRowFormat(const std::string& name);  // "fp32" or "fp16"

struct IndexOptions {
  IndexKind kind = IndexKind::kAuto;
  // kAuto: at or above this many live entries the group uses approx_kind;
  // it goes back to flat when a compaction finds fewer than half as many.
  std::size_t approx_threshold = 50000;
  IndexKind approx_kind = IndexKind::kHnsw;
  // IVF: lists (0 = about 4 sqrt(n), a power of two) and lists scanned per
  // query (0 = by the lists' count, AutoNprobe). IVF and quantised HNSW: quantised candidates re-scored exactly
  // (HNSW: the best of the final candidate list; 0 = all of it).
  std::size_t ivf_nlist = 0;
  int nprobe = 64;
  int rerank = 100;
  int hnsw_m = 32;
  int ef_construction = 80;
  // Candidate list length at search time (raised to k when k is larger).
  // 0 = by size (AutoEfSearch): about recall@10 0.99 on face-like data.
  int ef_search = 0;
  // HNSW: walk the graph over 8-bit codes of the rows (false: over the float
  // rows; results are exact scores either way).
  bool hnsw_quantised = true;
  RowFormat rows = RowFormat::kF32;
  // Rebuild the HNSW graph when dead rows exceed this share of all rows;
  // retrain IVF when the group has grown this many times since training.
  double ivf_regrow = 4.0;
  double compaction_ratio = 0.2;  // (HNSW dead-row share, see above)
};

// The HNSW candidate list length for `rows` rows when IndexOptions::ef_search
// is 0: 192 at 100,000 rows, growing as rows^0.6 (768 at 1,000,000), the
// lengths that give recall@10 of about 0.99 on the synthetic face galleries
// (docs/gallery.md); at least 64.
int AutoEfSearch(std::size_t rows);

// The IVF lists a search scans when IndexOptions::nprobe is 0: 3/8 of the
// `nlist` lists (at least 16): recall@10 about 0.99 on the synthetic 192-D
// face galleries at 1M (a quarter 0.978, a half 0.997; docs/gallery.md).
int AutoNprobe(std::size_t nlist);

struct Hit {
  std::int64_t key = 0;
  float score = 0;
};

struct IndexEntry {
  std::int64_t key = 0;
  std::uint64_t tag = 0;
};

namespace index_detail {
struct ScalarQuantiser;  // vector_index_internal.h
}  // namespace index_detail

class VectorIndex {
 public:
  VectorIndex(int dim, IndexOptions options);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  int dim() const { return dim_; }
  const IndexOptions& options() const { return options_; }
  std::size_t size() const { return key_to_row_.size(); }
  IndexKind kind() const;  // kFlat, kHnsw or kIvf: the structure in use now
  bool Contains(std::int64_t key) const { return key_to_row_.count(key) != 0; }

  // Adds an entry, replacing one with the same key. The vector must have dim()
  // finite values.
  Status Add(std::int64_t key, std::span<const float> vector, std::uint64_t tag = 0);
  // Adds many at once (one parallel graph build when it makes the index large).
  Status AddBatch(std::span<const std::int64_t> keys, std::span<const float> vectors,
                  std::span<const std::uint64_t> tags = {});
  // Room for `entries` entries (rows, key map, lists) so that adding up to
  // that many copies nothing (growth otherwise doubles, holding the old and
  // the new rows while it copies). Never shrinks.
  void Reserve(std::size_t entries);
  // Removes an entry; false when the key is not present. Takes effect at once.
  bool Remove(std::int64_t key);

  // Top-k live entries by score, best first.
  std::vector<Hit> Search(const float* query, std::size_t k) const;
  // Changes the HNSW candidate list length (0 = by size) / IVF lists scanned (writer operations).
  void SetEfSearch(int ef_search);
  // The candidate list length a search uses now.
  int effective_ef_search() const;
  void SetNprobe(int nprobe);
  void SetRerank(int rerank);
  void SetHnswQuantised(bool quantised);
  // Brute force over the live entries whatever the structure (ground truth).
  std::vector<Hit> SearchExact(const float* query, std::size_t k) const;

  // The stored vector of a key (empty when absent).
  std::vector<float> Vector(std::int64_t key) const;
  // Every live entry, in key order.
  std::vector<IndexEntry> Entries() const;

  // The live entries' keys, tags and vectors (row-major), in row order: what
  // a rebuild of the index starts from.
  void CopyLive(std::vector<std::int64_t>* keys, std::vector<std::uint64_t>* tags,
                std::vector<float>* vectors) const;

  // Journal: while on, every entry added (with its vector and tag) and every
  // key removed is also recorded, so that a copy of the index built elsewhere
  // from CopyLive() can catch up (background compaction).
  struct JournalOp {
    bool add = false;
    std::int64_t key = 0;
    std::uint64_t tag = 0;
    std::vector<float> vector;  // add only
  };
  // `vectors` false: adds are recorded by key and tag only (an empty
  // vector), for a journal read only for which keys changed (Replay refuses it).
  void StartJournal(bool vectors = true);
  bool journaling() const { return journal_.has_value(); }
  // The changes since StartJournal(), in order; journaling stops.
  std::vector<JournalOp> TakeJournal();
  // Applies another index's journal to this one, in order: adds (only those
  // `keep` accepts, when given; the others remove the key) and removals.
  // Stops at the first add that fails.
  Status Replay(const std::vector<JournalOp>& journal, const std::function<bool(std::int64_t key)>& keep = nullptr);

  // A deep copy of the live structure (rows, graph or lists, key map; not the
  // journal): what a change built beside a serving index starts from
  // (Gallery::SetIndexFilter). Costs the index's memory again while both live.
  std::unique_ptr<VectorIndex> Clone() const;

  // While on, the index stays flat whatever its size (no synchronous graph
  // or IVF build on Add/AddBatch); NeedsCompaction() then says so, and the
  // gallery's background compaction builds the structure into a new index
  // (Gallery: a sharded node's persons, GalleryOptions::defer_person_structures).
  void DeferStructure(bool on) { defer_structure_ = on; }
  bool NeedsCompaction() const;
  // Rebuilds the structure from the live rows (drops dead rows; may switch
  // between flat and HNSW in kAuto mode; retrains IVF). In place: rows are
  // only moved (and their arrays trimmed) when some are dead.
  Status Compact();

  // Bytes held by vectors, graph and key maps.
  std::size_t MemoryBytes() const;

  // Snapshot to a file, written to a temporary name, synced and renamed into
  // place. `stamp` is stored alongside and returned by Load.
  // `format_version` below the current one writes an older format (tests of
  // loading old snapshots; 1: no graph quantiser; 2: fp32 rows only, so an
  // fp16 index cannot write it). The rows are stored in the index's format
  // and converted on load when the options ask for the other one.
  static constexpr std::uint32_t kSnapshotVersion = 3;
  Status Save(const std::string& path, std::uint64_t stamp, std::uint32_t format_version = kSnapshotVersion) const;
  struct Loaded {
    std::unique_ptr<VectorIndex> index;
    std::uint64_t stamp = 0;
  };
  // Loads a snapshot of format version 1, 2 or 3; a damaged or foreign file, or
  // one of another version, is an error (callers rebuild).
  static Result<Loaded> Load(const std::string& path, IndexOptions options);

 private:
  struct Graph;
  struct Ivf;

  Status CheckVector(std::span<const float> vector) const;
  void AppendRow(std::int64_t key, const float* vector, std::uint64_t tag);
  Status BuildGraph();  // (re)creates the HNSW graph over all current rows
  Status BuildIvf();    // trains and fills the IVF lists from all current rows
  Status Build(IndexKind kind);
  IndexKind Target(std::size_t live) const;
  void IvfInsert(std::size_t row);
  void IvfDetach(std::size_t row);
  std::vector<Hit> SearchIvf(const float* query, std::size_t k) const;
  bool half_rows() const { return options_.rows == RowFormat::kF16; }
  // Rows [first, first + n) as floats: the fp32 rows themselves, or the fp16
  // rows decoded into *scratch.
  const float* FloatRows(std::size_t first, std::size_t n, std::vector<float>* scratch) const;
  // <query, row> from the stored row, and the row's bytes (for prefetching).
  float RowDot(const float* query, std::size_t row) const;
  const void* RowAddress(std::size_t row) const;
  std::size_t RowBytes() const;
  // Calls fn(at, count, floats) over rows [first, end): fp32 rows once, in
  // place; fp16 rows 65,536 at a time, decoded into one scratch buffer (a
  // whole group's floats would be the memory the format saves).
  void ForEachRowChunk(std::size_t first, std::size_t end,
                       const std::function<void(std::size_t at, std::size_t count, const float* rows)>& fn) const;
  // Room for `rows` rows in the row format in use (on huge pages), and the
  // row values cut or grown to `rows` rows.
  void ReserveRows(std::size_t rows);
  void ReserveRowValues(std::size_t values);  // exactly this many values (on huge pages)
  // A quantiser's range over every row, read a chunk at a time
  // (ScalarQuantiser::FinishRange's `min_rows`).
  void TrainQuantiser(index_detail::ScalarQuantiser* sq, std::size_t min_rows) const;
  void ResizeRows(std::size_t rows);
  // Row `from`'s values, key and tag copied over row `to` (to != from).
  void MoveRow(std::size_t to, std::size_t from);
  // Adds rows [first, rows()) to the graph (whose codes are already made);
  // `vectors`: their floats when the caller has them.
  void AddRowsToGraph(std::size_t first, const float* vectors);
  std::size_t rows() const { return keys_.size(); }

  int dim_;
  IndexOptions options_;
  std::vector<float> data_;          // rows x dim (RowFormat::kF32)
  std::vector<std::uint16_t> half_;  // rows x dim (RowFormat::kF16)
  std::vector<std::int64_t> keys_;   // per row
  std::vector<std::uint64_t> tags_;  // per row
  std::vector<std::uint8_t> alive_;  // per row (HNSW mode; all 1 in flat mode)
  std::size_t dead_ = 0;
  bool defer_structure_ = false;  // see DeferStructure
  std::optional<std::vector<JournalOp>> journal_;  // on while set
  bool journal_vectors_ = true;
  std::unordered_map<std::int64_t, std::size_t> key_to_row_;
  std::unique_ptr<Graph> graph_;  // HNSW mode only
  std::unique_ptr<Ivf> ivf_;      // IVF mode only
};

}  // namespace facekit::gallery
