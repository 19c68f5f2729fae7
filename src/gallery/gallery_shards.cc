// Gallery: sharded indexing (docs/scale-out.md) - which faces a node's
// indexes hold, and reading only those shards' vectors from the store.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/durable_file.h"
#include "common/heap.h"
#include "gallery/gallery.h"
#include "store/face_shard.h"

namespace facekit::gallery {

namespace {

// Whether filter `f` keeps a face of `shard` (-1: no such face) of `group`
// (an empty filter keeps every face).
bool HoldsShard(const ShardFilter& f, const std::string& group, int shard) {
  return !f || (shard >= 0 && f.holds(group, shard));
}

// Whether filter `f` keeps person `person_id`'s entry in `group`'s person index.
bool HoldsPerson(const ShardFilter& f, const std::string& group, const std::string& person_id) {
  return !f || f.holds(group, store::ShardOfPerson(person_id, f.shards));
}

}  // namespace

bool Gallery::PersonIndexedHere(const GroupState& group, const PersonState& person) const {
  return HoldsPerson(index_filter_, group.record.id, person.record.id);
}

bool Gallery::IndexedHere(const GroupState& group, std::int64_t face_key) const {
  if (!index_filter_) return true;
  return HoldsShard(index_filter_, group.record.id, catalog_.FaceShard(face_key, index_filter_.shards));
}

namespace {

// Every face either filter holds (what the serving indexes take while a
// change is built beside them). An empty filter holds everything.
ShardFilter UnionOf(const ShardFilter& a, const ShardFilter& b) {
  if (!a || !b || a.shards != b.shards) return {};
  ShardFilter u;
  u.shards = b.shards;
  u.holds = [a, b](const std::string& group, int shard) { return a.holds(group, shard) || b.holds(group, shard); };
  return u;
}

// Whether the two filters hold the same shards of `group`.
bool SameHoldings(const ShardFilter& a, const ShardFilter& b, const std::string& group) {
  if (!a || !b) return !a && !b;
  if (a.shards != b.shards) return false;
  for (int s = 0; s < a.shards; ++s) {
    if (a.holds(group, s) != b.holds(group, s)) return false;
  }
  return true;
}

}  // namespace

struct Gallery::ReindexHoldings {
  ShardFilter before;
  std::set<std::pair<std::string, int>> grown;  // (group id, shard)
  bool Holds(const std::string& group, int shard) const {
    return (before && before.holds(group, shard)) || grown.count({group, shard}) != 0;
  }
};

// Built beside the serving indexes (the compaction's journal scheme), so a
// re-index never holds searches up:
//  1. under the writer lock (this node's writes wait, searches go on): plan
//     each group whose holdings change (face entries to drop and faces to
//     add, person entries to drop and persons to add), read the added faces'
//     vectors and the added persons' fused features from the store, copy the
//     group's two indexes and start their journals; the serving indexes take
//     the faces and persons of both filters from now on, so a write applied
//     meanwhile reaches the journal whichever filter keeps it;
//  2. with no lock: drop and add on the copies (the HNSW inserts: the long part);
//  3. under the exclusive lock, briefly: replay each journal onto its copy,
//     keeping only what the new filter holds, and swap.
// An index that only loses entries (its shards handed back, nothing gained)
// is not copied: its entries are removed at step 3, in place, with those the
// writes meanwhile added for shards the new filter does not hold, and a
// compaction rebuilds it in the background once its dead rows pass the ratio.
// An HNSW index that gains (and drops fewer than its compaction ratio), an
// IVF index that gains (removals leave no dead rows: an entry leaves its list
// at once; inserts go to their nearest list; a retraining past ivf_regrow is
// the compactor's, or in place during a first fill), and an empty face index
// of a node that indexes nothing yet, are not copied
// either (GalleryOptions::grow_in_place): at step 2 the gained entries
// go into the serving index a slice at a time, each slice under the writer
// and exclusive locks (searches wait for one slice, about grow_slice_ms), and
// step 3 removes what it drops as for an index that only loses entries. Its
// journal then records keys only (no vectors).
Result<std::int64_t> Gallery::SetIndexFilter(ShardFilter filter) {
  std::lock_guard serial(reindex_mu_);
  // Last out, once the locks below are released and the jobs' rows and the
  // replaced indexes freed: their pages go back to the kernel.
  struct ReturnHeapAtExit {
    ~ReturnHeapAtExit() { ReturnFreeHeap(); }
  } return_heap;
  // Checkpoints name index_filter_'s shards again once this returns (the
  // locks below released first).
  struct ClearReindexHoldings {
    Gallery* g;
    ~ClearReindexHoldings() {
      std::lock_guard writer(g->writer_mu_);
      g->reindex_holdings_.reset();
    }
  } clear_holdings{this};
  struct Job {
    std::int64_t group = 0;
    bool people = false;                   // the person index (else the face index)
    const VectorIndex* serving = nullptr;  // journaling until the swap
    std::unique_ptr<VectorIndex> fresh;
    std::vector<std::int64_t> drop, add;
    // `add` in the chunks it is read from the store in (faces: whole shards,
    // about index_filter_batch keys a chunk), so that only one chunk's
    // vectors are held at a time; the first is read while planning.
    std::vector<std::vector<std::int64_t>> add_chunks;
    std::vector<std::pair<std::int64_t, std::vector<float>>> vectors;  // of the chunk read (persons: fused features)
    std::vector<std::uint64_t> add_tags;   // persons: FaceSetTag of each of `vectors`
    int dim = 0;
    IndexOptions options;  // of the serving index
    bool rebuild = false;  // many rows dropped: a new index from the rows kept
    // No copy: dropped rows are removed from the serving index at the swap;
    // with `grow`, the added entries are inserted into it while building.
    bool in_place = false;
    bool grow = false;
    bool first_fill = false;         // grown in place while nothing is served (kFirstFillSliceMs slices)
    bool reserved = false;           // grow: room made for the whole gain
    std::vector<std::int64_t> keys;  // rebuild: the serving index's live rows
    std::vector<std::uint64_t> tags;
    std::vector<float> rows;
  };
  auto slot_of = [](GroupState& g, const Job& job) -> std::unique_ptr<VectorIndex>& {
    return job.people ? g.people : g.faces;
  };
  const std::size_t batch = std::max<std::size_t>(options_.index_filter_batch, 1);
  // A job's `add` in chunks (under the writer lock): faces by shard, whole
  // shards of about `batch` keys (a shard is read from the store as a
  // whole), persons `batch` at a time.
  auto chunks_of = [&](const Job& job) {
    std::vector<std::vector<std::int64_t>> chunks;
    if (job.add.empty()) return chunks;
    if (job.people) {
      for (std::size_t at = 0; at < job.add.size(); at += batch) {
        chunks.emplace_back(job.add.begin() + static_cast<std::ptrdiff_t>(at),
                            job.add.begin() + static_cast<std::ptrdiff_t>(std::min(at + batch, job.add.size())));
      }
      return chunks;
    }
    std::map<int, std::vector<std::int64_t>> by_shard;
    for (std::int64_t key : job.add)
      by_shard[filter.shards > 0 ? catalog_.FaceShard(key, filter.shards) : -1].push_back(key);
    for (auto& [shard, keys] : by_shard) {
      if (chunks.empty() || chunks.back().size() + keys.size() > batch) chunks.emplace_back();
      chunks.back().insert(chunks.back().end(), keys.begin(), keys.end());
    }
    return chunks;
  };
  // Reads chunk `chunk` of a job's `add` into job.vectors (under the writer
  // lock); entries gone from the group meanwhile are skipped.
  auto read_chunk = [&](const GroupState& g, Job& job, std::size_t chunk) -> Status {
    const std::string& version = g.record.face_model_version;
    const int dim = DimOf(version);
    job.vectors.clear();
    job.add_tags.clear();
    std::vector<std::int64_t> keys;
    for (std::int64_t key : job.add_chunks[chunk]) {
      if (job.people ? g.persons.count(key) != 0 : catalog_.FaceKnown(key)) keys.push_back(key);
    }
    if (keys.empty()) return Status::Ok();
    auto loaded = job.people ? FusedFeaturesOf(g, keys, &job.add_tags) : LoadGroupVectors(g, keys, version);
    if (!loaded.ok()) return loaded.status();
    job.vectors = std::move(*loaded);
    for (const auto& [key, v] : job.vectors) {
      if (static_cast<int>(v.size()) == dim) continue;
      const PersonState* p = job.people ? catalog_.PersonByKey(key) : nullptr;
      const FaceState* f = job.people ? nullptr : catalog_.FaceByKey(key);
      const std::string what = job.people ? "person " + (p ? p->record.id : std::to_string(key)) + "'s fused feature"
                                          : "face " + (f ? f->id.str() : std::to_string(key)) + "'s vector";
      return Status(StatusCode::kFailedPrecondition,
                    what + " has " + std::to_string(v.size()) + " dimensions (version " + version +
                        "); this engine makes " + std::to_string(dim) +
                        "-D ones (the gallery was enrolled with another model)");
    }
    return Status::Ok();
  };
  // Whether the new filter keeps an entry of a job's index.
  auto kept = [&](const GroupState& g, const Job& job, std::int64_t key) {
    if (job.people) {
      const PersonState* p = catalog_.PersonByKey(key);
      return p != nullptr && HoldsPerson(filter, g.record.id, p->record.id);
    }
    return catalog_.FaceKnown(key) && HoldsShard(filter, g.record.id, catalog_.FaceShard(key, filter.shards));
  };
  // Whether an entry planned to be added still belongs to the group (a write
  // meanwhile may have deleted its face or person, or taken the person out).
  auto in_group = [&](const GroupState& g, const Job& job, std::int64_t key) {
    if (job.people) return g.persons.count(key) != 0;
    const std::int64_t person = catalog_.FacePersonKey(key);
    return person != 0 && g.persons.count(person) != 0;
  };
  std::vector<Job> jobs;
  std::set<std::int64_t> planned;  // every group present at planning
  const bool first_persons = person_structures_wait_.load();  // their structures wait for the compactor
  while (true) {
    std::unique_lock writer(writer_mu_);
    bool compacting = false;
    for (auto& [gkey, g] : catalog_.groups_) compacting = compacting || g.faces->journaling() || g.people->journaling();
    if (compacting) {  // a background compaction owns a journal: let it finish first
      writer.unlock();
      (void)WaitForCompactions();
      continue;
    }
    // Nothing indexed yet (a node's first map): no search is served from
    // these indexes, so an empty face index grows in place too (below).
    bool nothing_indexed = true;
    for (auto& [gkey, g] : catalog_.groups_) {
      nothing_indexed = nothing_indexed && g.faces->size() == 0 && g.people->size() == 0;
    }
    for (auto& [gkey, g] : catalog_.groups_) {
      planned.insert(gkey);
      if (SameHoldings(index_filter_, filter, g.record.id)) continue;
      Job job;
      job.group = gkey;
      std::unordered_set<std::int64_t> desired, desired_persons;
      for (std::int64_t pkey : g.persons) {
        const PersonState& p = catalog_.persons_.at(pkey);
        if (HoldsPerson(filter, g.record.id, p.record.id)) desired_persons.insert(pkey);
        for (std::int64_t fk : p.faces) {
          if (HoldsShard(filter, g.record.id, catalog_.FaceShard(fk, filter.shards))) desired.insert(fk);
        }
      }
      for (const IndexEntry& e : g.faces->Entries()) {
        if (!desired.count(e.key)) job.drop.push_back(e.key);
      }
      for (std::int64_t fk : desired) {
        if (!g.faces->Contains(fk)) job.add.push_back(fk);
      }
      std::sort(job.add.begin(), job.add.end());
      jobs.push_back(std::move(job));
      Job persons;
      persons.group = gkey;
      persons.people = true;
      for (const IndexEntry& e : g.people->Entries()) {
        if (!desired_persons.count(e.key)) persons.drop.push_back(e.key);
      }
      for (std::int64_t pkey : desired_persons) {
        if (!g.people->Contains(pkey)) persons.add.push_back(pkey);
      }
      std::sort(persons.add.begin(), persons.add.end());
      if (!persons.drop.empty() || !persons.add.empty()) jobs.push_back(std::move(persons));
    }
    // Split face records: the faces to be indexed have their records here
    // before any of them is (a search answer names its face id).
    {
      std::vector<std::int64_t> gained;
      for (const Job& job : jobs) {
        if (!job.people) gained.insert(gained.end(), job.add.begin(), job.add.end());
      }
      if (Status fetched = FetchFaceRecords(gained); !fetched.ok()) return fetched;
    }
    // The store is read under the writer lock (writers use it too).
    ShardFilter previous;
    auto set_filter = [&](ShardFilter f) {
      std::unique_lock lock(state_mu_);
      index_filter_ = std::move(f);
    };
    {
      std::unique_lock lock(state_mu_);
      previous = std::move(index_filter_);
      index_filter_ = filter;  // LoadGroupVectors reads by the new filter's shards
    }
    for (Job& job : jobs) {
      GroupState& g = catalog_.groups_.at(job.group);
      job.add_chunks = chunks_of(job);
      if (!job.add_chunks.empty()) {
        // The first chunk now: a gallery of another model's vectors is refused before anything changes.
        Status read = read_chunk(g, job, 0);
        if (!read.ok()) {
          set_filter(std::move(previous));
          return read;
        }
      }
      // Searches only read the serving index, and no writer runs. Dropping
      // more than the compaction ratio of an HNSW index: rebuilt from the
      // rows kept (what a compaction would do next), else copied.
      const VectorIndex& index = *slot_of(g, job);
      job.serving = &index;
      job.dim = index.dim();
      job.options = index.options();
      // Only drops (shards handed back): no copy; removed at the swap, the
      // dead rows left to a background compaction past its ratio. A graph
      // that gains (and keeps most of its rows), or IVF lists that gain,
      // grow in place, no copy either.
      const auto live = static_cast<double>(index.size());
      job.rebuild = index.kind() == IndexKind::kHnsw &&
                    static_cast<double>(job.drop.size()) > index.options().compaction_ratio * live;
      // So does an empty face index while the node indexes nothing (its first
      // map): its graph, built once it passes the flat threshold, holds up
      // only this node's writes, and the periodic checkpoints keep what it
      // has indexed so far, so that a node killed while indexing its first
      // map resumes from its snapshots (reconciled by key on open) instead
      // of indexing its share again from nothing.
      const bool first_fill = nothing_indexed && !job.people && index.size() == 0;
      const bool approx = index.kind() == IndexKind::kHnsw || index.kind() == IndexKind::kIvf;
      job.grow = !job.add.empty() && !job.rebuild && (approx || first_fill) && options_.grow_in_place;
      job.first_fill = job.grow && first_fill;
      job.in_place = job.add.empty() || job.grow;
      if (job.in_place) continue;
      if (job.rebuild) {
        index.CopyLive(&job.keys, &job.tags, &job.rows);
      } else {
        job.fresh = index.Clone();
      }
    }
    std::unique_lock lock(state_mu_);
    index_filter_ = UnionOf(previous, filter);
    // A checkpoint meanwhile names what the snapshots hold whole: the
    // previous shards (dropped ones leave at the swap), and gained shards
    // once grown in place (below); not index_filter_'s union, whose gained
    // shards are in copies or half grown.
    reindex_holdings_ = std::make_shared<ReindexHoldings>(ReindexHoldings{previous, {}});
    // In place: the journal is read for its keys only (writes for shards the new filter drops).
    for (Job& job : jobs) slot_of(catalog_.groups_.at(job.group), job)->StartJournal(/*vectors=*/!job.in_place);
    break;
  }

  if (options_.on_index_filter_building) options_.on_index_filter_building();
  Status built = Status::Ok();
  // A growing job's chunk (job.vectors) inserted into the serving index a
  // slice at a time, each under the writer and exclusive locks (the index is
  // read by searches and by writes' planning), the slice sized to take about
  // grow_slice_ms. Entries a write indexed meanwhile, or that left the group,
  // are skipped. False when the group or its index was replaced meanwhile
  // (the swap then reconciles).
  std::size_t slice = std::min<std::size_t>(16, batch);
  // A first fill's slices are longer: no search waits for them (only this
  // node's writes), and fewer, larger slices spend less on each slice's
  // locks, the 1 ms pause between slices and, past VectorIndex's 256-row
  // InsertFew, FAISS's add (whose per-call cost grows with the index).
  constexpr int kFirstFillSliceMs = 1000;
  auto slice_time_of = [&](const Job& job) {
    return std::chrono::milliseconds(std::max(job.first_fill ? kFirstFillSliceMs : options_.grow_slice_ms, 1));
  };
  auto grow = [&](Job& job) {
    std::vector<std::int64_t> keys;
    std::vector<std::uint64_t> tags;
    std::vector<float> data;
    for (std::size_t at = 0; at < job.vectors.size();) {
      if (at > 0) {
        // The searches that waited for the last slice take the shared lock
        // before the next one does (glibc's rwlock would let this thread,
        // already running, take it again first).
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (options_.on_grow_slice) options_.on_grow_slice();
      std::lock_guard writer(writer_mu_);
      std::unique_lock lock(state_mu_);
      auto it = catalog_.groups_.find(job.group);
      if (it == catalog_.groups_.end()) return false;
      GroupState& g = it->second;
      std::unique_ptr<VectorIndex>& slot = slot_of(g, job);
      if (slot.get() != job.serving) return false;
      if (!job.reserved) {
        // Room for the whole gain at once: growing by doubling would copy
        // the rows at each step, old and new arrays both held meanwhile
        // (at a 2.5M-entry share, 0.8 GB more than the index at the last).
        slot->Reserve(slot->size() + job.add.size());
        job.reserved = true;
      }
      const auto started = std::chrono::steady_clock::now();
      const std::size_t end = std::min(job.vectors.size(), at + slice);
      for (std::size_t i = at; i < end; ++i) {
        const std::int64_t key = job.vectors[i].first;
        if (in_group(g, job, key) && !slot->Contains(key)) {
          keys.push_back(key);
          tags.push_back(job.people ? job.add_tags[i] : 0);
          data.insert(data.end(), job.vectors[i].second.begin(), job.vectors[i].second.end());
        }
        std::vector<float>().swap(job.vectors[i].second);
      }
      if (!keys.empty()) {
        if (Status s = slot->AddBatch(keys, data, tags); !s.ok()) {
          if (built.ok()) built = s;
          return false;
        }
        // IVF lists that outgrew their training (IndexOptions::ivf_regrow)
        // during a first fill retrain here, in place: no search waits for
        // it on this node yet, and the background compaction would copy
        // the whole index (its rows and a new index beside it).
        if (job.first_fill && slot->kind() == IndexKind::kIvf && slot->NeedsCompaction()) {
          if (Status s = slot->Compact(); !s.ok()) {
            if (built.ok()) built = s;
            return false;
          }
        }
        g.dirty = true;
        keys.clear();
        tags.clear();
        data.clear();
      }
      const std::size_t done = end - at;
      at = end;
      const auto took = std::chrono::steady_clock::now() - started;
      if (done == slice) {  // a full slice: size the next to take about its slice time
        const double ratio =
            static_cast<double>(slice_time_of(job).count()) /
            std::max(1.0, static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
        slice = std::clamp<std::size_t>(static_cast<std::size_t>(static_cast<double>(slice) * std::min(ratio, 2.0)),
                                        std::min<std::size_t>(4, batch), batch);
      }
    }
    return true;
  };
  for (Job& job : jobs) {
    if (job.in_place && !job.grow) continue;
    std::vector<std::int64_t> keys;
    std::vector<std::uint64_t> tags;
    std::vector<float> data;
    // A copy's entries go into the new index `batch` at a time (the first
    // batch large enough builds the graph; later ones are inserted into it).
    const auto add_pending = [&](bool last) {
      if (keys.empty() || (!last && keys.size() < batch)) return;
      if (Status s = job.fresh->AddBatch(keys, data, tags); !s.ok() && built.ok()) built = s;
      keys.clear();
      tags.clear();
      data.clear();
    };
    // (job.serving is not touched here, only compared with by `grow`: the
    // group may be deleted meanwhile.)
    const auto dim = static_cast<std::size_t>(job.dim);
    if (job.rebuild) {
      job.fresh = std::make_unique<VectorIndex>(job.dim, job.options);
    } else if (!job.grow) {
      for (std::int64_t key : job.drop) job.fresh->Remove(key);
    }
    // The first filter's persons: kept flat (exact) until the compactor
    // builds their structure, so that the first shards serve sooner.
    if (job.people && first_persons && job.fresh) job.fresh->DeferStructure(true);
    if (job.rebuild) {
      const std::unordered_set<std::int64_t> drop(job.drop.begin(), job.drop.end());
      for (std::size_t i = 0; i < job.keys.size(); ++i) {
        if (drop.count(job.keys[i])) continue;
        keys.push_back(job.keys[i]);
        tags.push_back(job.tags[i]);
        data.insert(data.end(), job.rows.begin() + static_cast<std::ptrdiff_t>(i * dim),
                    job.rows.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
        add_pending(false);
      }
      job.keys = {};
      job.tags = {};
      job.rows = {};
    }
    // The gained entries, a chunk read from the store at a time (the first
    // was read while planning): each under the writer lock, as the store is
    // used by writers too. Writes meanwhile are in the serving index's
    // journal (a copy replays it below) or already in the serving index
    // (`grow` skips those), so a chunk read after them agrees with them.
    for (std::size_t chunk = 0; chunk < job.add_chunks.size() && built.ok(); ++chunk) {
      if (chunk > 0) {
        std::lock_guard writer(writer_mu_);
        auto it = catalog_.groups_.find(job.group);
        if (it == catalog_.groups_.end()) break;  // deleted meanwhile: the swap skips it
        if (Status read = read_chunk(it->second, job, chunk); !read.ok()) {
          built = read;
          break;
        }
      }
      if (job.grow) {
        if (!grow(job)) break;
        if (!job.people) {
          // The chunk's shards are whole in the serving index now (a face
          // chunk is whole shards; writes meanwhile went in as they came).
          std::lock_guard writer(writer_mu_);
          auto it = catalog_.groups_.find(job.group);
          if (it != catalog_.groups_.end() && reindex_holdings_) {
            for (std::int64_t key : job.add_chunks[chunk]) {
              if (const int shard = catalog_.FaceShard(key, filter.shards); shard >= 0) {
                reindex_holdings_->grown.insert({it->second.record.id, shard});
              }
            }
          }
        }
      } else {
        for (std::size_t i = 0; i < job.vectors.size(); ++i) {
          keys.push_back(job.vectors[i].first);
          tags.push_back(job.people ? job.add_tags[i] : 0);
          data.insert(data.end(), job.vectors[i].second.begin(), job.vectors[i].second.end());
          std::vector<float>().swap(job.vectors[i].second);  // in `data` now
          add_pending(false);
        }
      }
      job.vectors = {};
      job.add_tags = {};
    }
    if (!job.grow) add_pending(true);
    job.vectors = {};
    job.add_tags = {};
    job.add_chunks = {};
    // A copy whose structure is due once filled (IVF lists that outgrew
    // their training, a flat copy past the threshold; the first map's
    // persons unless their structure is a graph, whose build is slow enough
    // to be left to the compactor once the node serves) is rebuilt here, in
    // place and with no lock, as it serves no search yet: the compactor
    // would copy it again (its rows and a new index beside them).
    if (job.fresh && built.ok()) {
      const IndexKind structure = job.options.kind == IndexKind::kAuto ? job.options.approx_kind : job.options.kind;
      if (!(job.people && first_persons && structure == IndexKind::kHnsw)) {
        job.fresh->DeferStructure(false);
        if (job.fresh->NeedsCompaction()) built = job.fresh->Compact();
      }
    }
  }

  std::lock_guard writer(writer_mu_);
  std::unique_lock lock(state_mu_);
  bool reconcile = !built.ok();  // the slow way, under the lock: only when something went wrong
  for (Job& job : jobs) {
    auto it = catalog_.groups_.find(job.group);
    if (it == catalog_.groups_.end()) continue;  // deleted meanwhile
    GroupState& g = it->second;
    std::unique_ptr<VectorIndex>& slot = slot_of(g, job);
    // Replaced meanwhile (a rebuild) or never journaled: the slow way below.
    if (slot.get() != job.serving || !slot->journaling()) {
      reconcile = true;
      continue;
    }
    const std::vector<VectorIndex::JournalOp> journal = slot->TakeJournal();
    if (job.in_place) {
      // The dropped rows, and those the writes meanwhile added for shards
      // the new filter does not hold (indexed under both filters).
      for (std::int64_t key : job.drop) slot->Remove(key);
      for (const VectorIndex::JournalOp& op : journal) {
        if (op.add && !kept(g, job, op.key)) slot->Remove(op.key);
      }
      g.dirty = true;
      if (slot->NeedsCompaction()) RequestCompaction();  // the dead rows, rebuilt on the compactor thread
      continue;
    }
    if (!built.ok()) continue;  // keep the serving index; reconciled below
    const Status replayed = job.fresh->Replay(journal, [&](std::int64_t key) { return kept(g, job, key); });
    if (!replayed.ok()) {  // keep the serving index; reconciled below
      reconcile = true;
      continue;
    }
    // Added entries that left the group meanwhile without a journal entry
    // (the serving index never held them): deleted, or their person left.
    for (std::int64_t key : job.add) {
      if (!in_group(g, job, key)) job.fresh->Remove(key);
    }
    slot = std::move(job.fresh);
    g.dirty = true;
    if (slot->NeedsCompaction()) RequestCompaction();  // dropped rows of a copy, on the compactor thread
  }
  index_filter_ = std::move(filter);
  reindex_holdings_.reset();
  // Groups created meanwhile were indexed with both filters: keep the new one's faces and persons.
  for (auto& [gkey, g] : catalog_.groups_) {
    if (planned.count(gkey)) continue;
    for (const IndexEntry& e : g.faces->Entries()) {
      if (!IndexedHere(g, e.key)) {
        g.faces->Remove(e.key);
        g.dirty = true;
      }
    }
    for (const IndexEntry& e : g.people->Entries()) {
      const PersonState* p = catalog_.PersonByKey(e.key);
      if (p == nullptr || !PersonIndexedHere(g, *p)) {
        g.people->Remove(e.key);
        g.dirty = true;
      }
    }
  }
  if (reconcile) FACEKIT_RETURN_IF_ERROR(ReconcileIndexes(/*use_snapshots=*/false, /*keep_loaded=*/true));
  if (person_structures_wait_.exchange(false)) RequestCompaction();  // the deferred persons' structures, now
  const std::int64_t seq = applied_seq_;
  lock.unlock();
  // Split face records: those of shards no longer held become places, a
  // slice at a time (searches wait for one slice; at 10M faces the whole
  // drop in one hold made searches miss their 2 s shard deadline).
  DropUnwantedFaceRecords();
  return seq;
}

// The shard holdings file: a header line, the shard count, then one line per
// group whose face snapshot was written: "group KEY SHARDS ID", SHARDS being
// comma-separated shard numbers or "-" for none, ID the rest of the line.
namespace {
constexpr const char* kHoldingsHeader = "facekit-shard-holdings 1";
}  // namespace

Status Gallery::WriteShardHoldings() const {
  if (options_.snapshot_dir.empty() || options_.read_only) return Status::Ok();
  namespace fs = std::filesystem;
  const fs::path path = fs::path(options_.snapshot_dir) / "shard-holdings";
  std::error_code ec;
  if (!index_filter_) {
    fs::remove(path, ec);
    return Status::Ok();
  }
  // During a re-index, only what the snapshots hold whole (ReindexHoldings).
  ShardFilter holds = index_filter_;
  if (reindex_holdings_) {
    holds.holds = [h = reindex_holdings_](const std::string& group, int shard) { return h->Holds(group, shard); };
  }
  std::string text = std::string(kHoldingsHeader) + "\nshards " + std::to_string(holds.shards) + "\n";
  for (const auto& [gkey, g] : catalog_.groups_) {
    if (g.record.face_model_version != options_.primary_version || !fs::exists(SnapshotPath(gkey, "faces"), ec)) continue;
    std::string shards;
    for (int s = 0; s < holds.shards; ++s) {
      if (holds.holds(g.record.id, s)) shards += (shards.empty() ? "" : ",") + std::to_string(s);
    }
    text += "group " + std::to_string(gkey) + " " + (shards.empty() ? "-" : shards) + " " + g.record.id + "\n";
  }
  // Durable like the snapshots it describes (a holdings file lost in a power
  // cut would make the restarted node re-index every shard).
  return WriteFileDurably(path.string(), text);
}

void Gallery::ResumeShardHoldings() {
  if (!index_filter_ || options_.snapshot_dir.empty()) return;
  namespace fs = std::filesystem;
  std::ifstream in(fs::path(options_.snapshot_dir) / "shard-holdings");
  std::string line;
  if (!in || !std::getline(in, line) || line != kHoldingsHeader) return;
  if (!std::getline(in, line) || line.rfind("shards ", 0) != 0) return;
  const int shards = std::atoi(line.c_str() + 7);
  if (shards <= 0 || shards != index_filter_.shards) return;  // another shard count: start from the filter given
  std::map<std::string, std::set<int>> held;
  std::size_t count = 0;
  while (std::getline(in, line)) {
    // "group KEY SHARDS ID"; anything malformed: the whole file is ignored.
    if (line.rfind("group ", 0) != 0) return;
    const auto key_end = line.find(' ', 6);
    if (key_end == std::string::npos) return;
    const auto list_end = line.find(' ', key_end + 1);
    if (list_end == std::string::npos || list_end + 1 >= line.size()) return;
    char* end = nullptr;
    const long long key = std::strtoll(line.c_str() + 6, &end, 10);
    if (end != line.c_str() + key_end) return;
    const std::string list = line.substr(key_end + 1, list_end - key_end - 1);
    const std::string id = line.substr(list_end + 1);
    std::set<int> set;
    if (list != "-") {
      for (std::size_t at = 0; at <= list.size();) {
        const auto comma = std::min(list.find(',', at), list.size());
        const std::string item = list.substr(at, comma - at);
        const long s = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || end != item.c_str() + item.size() || s < 0 || s >= shards) return;
        set.insert(static_cast<int>(s));
        at = comma + 1;
      }
    }
    // Only a group that still has this key (not deleted and created again
    // under the same id) and whose face snapshot is there.
    auto it = catalog_.group_ids_.find(id);
    std::error_code ec;
    if (it == catalog_.group_ids_.end() || it->second != key || !fs::exists(SnapshotPath(key, "faces"), ec)) continue;
    count += set.size();
    held[id] = std::move(set);
  }
  if (held.empty()) return;
  ShardFilter resumed;
  resumed.shards = shards;
  resumed.holds = [held = std::move(held), given = index_filter_](const std::string& group, int shard) {
    auto it = held.find(group);
    return it != held.end() ? it->second.count(shard) != 0 : given.holds(group, shard);
  };
  index_filter_ = std::move(resumed);
  resumed_shards_ = count;
}

bool Gallery::LoadsByShard() const {
  const int stored = store_->face_shards();
  return index_filter_ && stored > 0 && stored == index_filter_.shards;
}

bool Gallery::StoredFusedFeatures() const { return LoadsByShard() && store_->keeps_person_features(); }

Result<std::unordered_map<std::int64_t, std::vector<float>>> Gallery::StoredFused(
    const GroupState& g, const std::vector<std::int64_t>& person_keys) const {
  const std::string& version = g.record.face_model_version;
  FACEKIT_ASSIGN_OR_RETURN(
      auto rows, store_->LoadPersonFeatures(version == options_.primary_version ? "" : version, person_keys));
  std::unordered_map<std::int64_t, std::vector<float>> out;
  for (auto& [pkey, fused] : rows) out.emplace(pkey, std::move(fused));
  return out;
}

Result<std::vector<std::pair<std::int64_t, std::vector<float>>>> Gallery::LoadGroupVectors(
    const GroupState& g, const std::vector<std::int64_t>& keys, const std::string& version) const {
  const bool primary = version == options_.primary_version;
  if (!LoadsByShard()) return primary ? store_->LoadEmbeddings(keys) : store_->LoadFaceVectors(version, keys);
  std::set<int> shards;
  for (std::int64_t k : keys) {
    if (const int shard = catalog_.FaceShard(k, index_filter_.shards); shard >= 0) shards.insert(shard);
  }
  std::vector<std::pair<std::int64_t, std::vector<float>>> out;
  if (shards.empty()) return out;
  // A few faces of many shards (a restart from snapshots catching up with
  // the writes since): by key, rather than every face of those shards.
  std::size_t group_faces = 0;
  for (std::int64_t pkey : g.persons) group_faces += catalog_.persons_.at(pkey).faces.size();
  const double per_shard = static_cast<double>(group_faces) / static_cast<double>(index_filter_.shards);
  if (static_cast<double>(keys.size()) * 2 < per_shard * static_cast<double>(shards.size())) {
    return primary ? store_->LoadEmbeddings(keys) : store_->LoadFaceVectors(version, keys);
  }
  store::ShardVectorQuery query;
  query.group_key = g.record.key;
  query.shards.assign(shards.begin(), shards.end());
  if (!primary) query.model_version = version;
  FACEKIT_ASSIGN_OR_RETURN(auto rows, store_->LoadShardVectors(query));
  // The shards may hold faces the catalog has not applied yet (the change
  // log brings them with their vectors) or does not ask for: only `keys`.
  const std::unordered_set<std::int64_t> wanted(keys.begin(), keys.end());
  for (auto& row : rows) {
    if (wanted.count(row.first)) out.push_back(std::move(row));
  }
  return out;
}

}  // namespace facekit::gallery
