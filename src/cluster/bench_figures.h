// bench_figures.h - the pure arithmetic of `facekit bench cluster`
// (docs/scale-out.md, "Measured: bench cluster"): recall of a sharded answer
// against an exact one, the exact person-level top k, a process's memory from
// /proc, and the memory estimate the bench checks before it starts a cluster.
//
// THREAD SAFETY
//   Pure functions (ReadProcMemory / MemAvailableMb read /proc).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::cluster {

/// Share of `exact` (the true top ids) present in `got`; 1 when `exact` is empty.
double RecallAtK(const std::vector<std::int64_t>& exact, const std::vector<std::int64_t>& got);

/// The exact top `k` persons for `query` by their best face (cosine = dot
/// product of unit vectors), best first, ties by lower person: what a sharded
/// SearchFaces merges to (each person's best face, the top persons).
/// `vectors`: `person_of.size()` rows of `dim` floats.
std::vector<std::int64_t> ExactTopPersons(const float* vectors, int dim, const std::vector<std::int64_t>& person_of,
                                          const float* query, std::size_t k);

/// ExactTopPersons over faces seen a chunk at a time, for many queries at
/// once, without keeping the faces: what lets `bench cluster` load 10M
/// synthetic faces without an 8 GB copy of them. Each query keeps its best
/// k x `max_faces_per_person` faces (best first, ties by lower person): a
/// person of the true top k has at most k - 1 persons ahead of it, each with
/// at most that many faces, so its best face is always kept and Top() equals
/// ExactTopPersons over every face added.
class ExactTopPersonsStream {
 public:
  ExactTopPersonsStream(std::vector<std::vector<float>> queries, int dim, std::size_t k,
                        std::size_t max_faces_per_person);
  /// `count` faces (rows of `dim` floats) and their persons.
  void Add(const float* vectors, const std::int64_t* person_of, std::size_t count);
  /// The exact top k persons of query `q`, best first.
  std::vector<std::int64_t> Top(std::size_t q) const;
  std::size_t queries() const { return queries_.size(); }

 private:
  struct Kept {
    float score;
    std::int64_t person;
  };
  std::vector<std::vector<float>> queries_;
  std::size_t dim_, k_, keep_;
  std::vector<std::vector<Kept>> kept_;  // per query: a heap whose front is the worst kept face
};

struct ProcMemory {
  double rss_mb = 0;  ///< VmRSS
  double hwm_mb = 0;  ///< VmHWM (peak resident)
};
/// VmRSS and VmHWM of a /proc/PID/status text (kB -> MB); 0 when absent.
ProcMemory ParseProcStatus(const std::string& text);
/// Of a running process; kNotFound when it is gone.
Result<ProcMemory> ReadProcMemory(pid_t pid);
/// MemAvailable of a /proc/meminfo text in MB (0 when absent), and of this machine.
double ParseMemAvailableMb(const std::string& meminfo);
double MemAvailableMb();

/// Resets the process's VmHWM to its current RSS (`echo 5 > /proc/PID/clear_refs`),
/// so that a later ReadProcMemory's hwm_mb is the peak since this call.
Status ResetPeakMemory(pid_t pid);

/// Per-face and per-process constants of the estimate (MB and bytes).
// From `facekit bench cluster` and `bench search` (docs/scale-out.md,
// "Measured: bench cluster"). The index costs ~1.29 KB per entry (a face, or
// a person's fused feature: same dimension and structure) in its shard's
// share. The catalog is measured alone by `bench restart --catalog-only`:
// 241.9 B per face at 300,000 faces (3 per person, 19-digit face ids as the
// API makes them; 2026-12-07: face records in 72 bytes, ids found through
// id tables, memberships in flat maps); 255 B adds ~5 % allocator slack (it
// was 420 B: 371 B measured with short ids + the 32 B heap block of a
// 19-digit id + slack). Since the gallery returns
// freed heap pages (common/heap.h), the 4 nodes of a 300,000-face run once
// settled measured -18..+43 MB off node_base + their index share (shards held
// / 64 of the 400,000 entries) + this catalog (before, 1,670 B per face of
// "rest of the growth" was needed to cover what the heap kept).
struct SizingConstants {
  double index_bytes_per_face = 1290;    ///< HNSW M=32 + u8 codes + fp32 rows (docs/gallery.md: 1M = 1,230 MB); also per person
  /// IVF lists of u8 codes + fp32 rows (index_bytes_per_face with --index-structure ivf)
  double ivf_index_bytes_per_face = 1120;
  // The catalog (measured above: a face ~137 B, a person ~315 B, +5 %
  // slack). Persons' records are whole on every node; a face's record only
  // on the nodes holding its shard (the catalog split by shard for faces,
  // 2026-12-07), the other nodes keep its place (Catalog::face_places_: a
  // 16-byte slot at 3/8 to 3/4 load).
  double catalog_bytes_per_person = 330;  ///< every person's record, on every node
  double face_record_bytes = 144;         ///< a face's record, on the nodes holding its shard
  double face_place_bytes = 32;           ///< a face's place, on the other nodes
  double node_base_mb = 160;             ///< a serve process with a tiny gallery (models, threads)
  double postgres_mb = 400;              ///< the private PostgreSQL (shared_buffers and backends)
  /// What a re-index holds besides the indexes: one chunk of gained vectors
  /// read from the store and one batch being added (GalleryOptions::
  /// index_filter_batch, 65,536). Start peaks measured 131-182 MB over the
  /// settled RSS at 300,000 faces (fp16 rows, 2026-12-06).
  double reindex_transient_mb = 200;
};

struct ClusterMemoryEstimate {
  double node_steady_mb = 0;  ///< a node serving its shards: its R/N of the face and person indexes + its catalog
  /// A node while it starts: it holds nothing until its first map (nodes
  /// started together wait for the member list to settle), then reads and
  /// indexes its share a chunk at a time: steady + the re-index's transient.
  double node_start_peak_mb = 0;
  /// A survivor of a node's failure while it takes over the lost shards:
  /// its HNSW indexes grow in place (GalleryOptions::grow_in_place) to its
  /// new share (min(R, N-1)/(N-1)), + the catalog and the transient. (Before
  /// 2026-12-06 they were copied: old share + new share at once.) 0 with one node.
  double node_failover_peak_mb = 0;
  double node_peak_mb = 0;            ///< the larger of the two
  double total_start_peak_mb = 0;     ///< every node at its start peak at once + PostgreSQL
  double total_failover_peak_mb = 0;  ///< the N-1 survivors at their failover peak at once + PostgreSQL
  double total_peak_mb = 0;           ///< the larger of the two (the bench keeps no copy of the faces)
};
/// `faces` faces of `persons` persons on `nodes` nodes with `replicas` copies of every shard.
ClusterMemoryEstimate EstimateClusterMemory(std::size_t faces, std::size_t persons, int nodes, int replicas,
                                            const SizingConstants& c = {});

}  // namespace facekit::cluster
