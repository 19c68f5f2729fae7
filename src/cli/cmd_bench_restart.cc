// facekit bench restart - how long a data folder with a large group takes to
// be ready to search again: the store's catalog and embeddings loaded, the
// index snapshots loaded and reconciled with the store, one search answered.
// Also the catalog's own memory: the heap an open that indexes nothing (a
// cluster node holding no shard) keeps, per face.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cluster/bench_figures.h"
#include "common/heap.h"
#include "eval/synthetic_gallery.h"
#include "gallery/gallery.h"
#include "store/data_folder_lock.h"
#include "store/sqlite_store.h"

namespace facekit::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kGroupId = "bench-restart";

struct RestartBenchOptions {
  std::string data;
  std::size_t faces = 1000000;
  std::size_t faces_per_person = 3;
  int rounds = 3;
  bool json = false;
  bool catalog_only = false;
  std::uint64_t seed = 42;
};

double SecondsSince(double start_ms) { return (NowMs() - start_ms) / 1000.0; }

// Drops the folder's files from the page cache (as after a reboot), so the
// restart reads them from the disk.
void EvictFromPageCache(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

std::uintmax_t FolderBytes(const fs::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

gallery::GalleryOptions Options(const fs::path& dir) {
  gallery::GalleryOptions go;
  go.dim = 192;
  go.snapshot_dir = (dir / "index").string();
  return go;
}

// The bench group's face count, or -1 when the folder has no bench group.
Result<std::int64_t> ExistingFaces(store::GalleryStore& store) {
  FACEKIT_ASSIGN_OR_RETURN(store::StoreContents c, store.Load(/*with_embeddings=*/false));
  for (const auto& g : c.groups) {
    if (g.id == kGroupId) return static_cast<std::int64_t>(c.faces.size());
  }
  if (!c.groups.empty()) {
    return Status(StatusCode::kInvalidArgument, "the data folder holds other groups; give an empty folder");
  }
  return -1;
}

// Writes `faces` synthetic faces (persons of `per` faces) into one group, in
// large transactions straight into the store, as an import would.
Status Populate(store::GalleryStore& store, const RestartBenchOptions& o) {
  eval::SyntheticOptions so;
  so.seed = o.seed;
  so.faces_per_identity = o.faces_per_person;
  eval::SyntheticGallery synth(so);
  const std::vector<float> vectors = synth.Faces(o.faces);
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  store::GroupRecord group;
  group.id = kGroupId;
  group.name = kGroupId;
  group.face_model_version = "3.0";
  group.created_ms = now;
  FACEKIT_ASSIGN_OR_RETURN(auto group_keys, store.Apply({store::mutation::InsertGroup{group}}));
  const std::int64_t gkey = group_keys.at(0);
  const std::size_t persons = (o.faces + o.faces_per_person - 1) / o.faces_per_person;
  constexpr std::size_t kPersonsPerBatch = 5000;
  for (std::size_t first = 0; first < persons; first += kPersonsPerBatch) {
    store::Batch b;
    for (std::size_t p = first; p < std::min(persons, first + kPersonsPerBatch); ++p) {
      const std::int64_t person = store::Placeholder(b.size());
      b.push_back(store::mutation::InsertPerson{{0, "p" + std::to_string(p), "p" + std::to_string(p), 0, now}});
      b.push_back(store::mutation::InsertMembership{{gkey, person, {}, now}});
      for (std::size_t f = p * o.faces_per_person; f < std::min(o.faces, (p + 1) * o.faces_per_person); ++f) {
        store::FaceRecord face;
        face.id = eval::SyntheticFaceId(o.seed, f);
        face.person_key = person;
        face.model_version = "3.0";
        face.embedding.assign(vectors.begin() + static_cast<std::ptrdiff_t>(f * 192),
                              vectors.begin() + static_cast<std::ptrdiff_t>((f + 1) * 192));
        face.created_ms = now;
        b.push_back(store::mutation::InsertFace{std::move(face)});
      }
    }
    FACEKIT_RETURN_IF_ERROR(store.Apply(b).status());
    std::fprintf(stderr, "\rpopulating: %zu / %zu persons", std::min(persons, first + kPersonsPerBatch), persons);
  }
  std::fprintf(stderr, "\n");
  return Status::Ok();
}

int RunRestartBench(const RestartBenchOptions& o) {
  const fs::path dir(o.data);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Status(StatusCode::kIoError, "cannot create " + o.data + ": " + ec.message()));
  const std::string db = (dir / "gallery.db").string();
  auto lock = store::DataFolderLock::Acquire(o.data, {0, "facekit bench restart", "", 0});
  if (!lock.ok()) return Fail(lock.status());
  nlohmann::json out{{"faces", o.faces}, {"faces_per_person", o.faces_per_person}};

  // 1. The data folder: populated once, reused by later runs.
  {
    auto store = store::OpenSqliteStore(db);
    if (!store.ok()) return Fail(store.status());
    auto existing = ExistingFaces(**store);
    if (!existing.ok()) return Fail(existing.status());
    if (*existing >= 0 && static_cast<std::size_t>(*existing) != o.faces) {
      return Fail(Status(StatusCode::kInvalidArgument, o.data + " holds a bench gallery of " +
                                                           std::to_string(*existing) +
                                                           " faces; give --faces that number or an empty folder"));
    }
    if (*existing < 0) {
      const double t = NowMs();
      if (Status s = Populate(**store, o); !s.ok()) return Fail(s);
      out["populate_s"] = SecondsSince(t);
    }
  }
  // 2. The first open builds the indexes; a checkpoint writes their snapshots.
  if (!o.catalog_only && (!fs::exists(dir / "index", ec) || fs::is_empty(dir / "index", ec))) {
    auto store = store::OpenSqliteStore(db);
    if (!store.ok()) return Fail(store.status());
    const double t = NowMs();
    auto g = gallery::Gallery::Open(std::move(store.value()), Options(dir));
    if (!g.ok()) return Fail(g.status());
    out["build_s"] = SecondsSince(t);
    const double tc = NowMs();
    if (Status s = (*g)->Checkpoint(); !s.ok()) return Fail(s);
    out["checkpoint_s"] = SecondsSince(tc);
  }
  out["store_bytes"] = fs::file_size(db, ec);
  if (!o.catalog_only) out["snapshot_bytes"] = FolderBytes(dir / "index");

  // 3. Restarts, each from a cold page cache: open, then one search.
  eval::SyntheticOptions so;
  so.seed = o.seed;
  so.faces_per_identity = o.faces_per_person;
  eval::SyntheticGallery synth(so);
  const std::vector<float> probe = synth.Probe(o.faces / o.faces_per_person / 2);
  std::vector<double> restarts;
  for (int r = 0; r < (o.catalog_only ? 0 : o.rounds); ++r) {
    EvictFromPageCache(dir);
    const double t = NowMs();
    auto store = store::OpenSqliteStore(db);
    if (!store.ok()) return Fail(store.status());
    auto g = gallery::Gallery::Open(std::move(store.value()), Options(dir));
    if (!g.ok()) return Fail(g.status());
    const std::int64_t gkey = (*g)->Read([](const gallery::Catalog& c) {
      const gallery::GroupState* group = c.GroupById(kGroupId);
      return group == nullptr ? std::int64_t{0} : group->record.key;
    });
    const auto hits = (*g)->SearchFaces({gkey}, probe.data(), 10);
    restarts.push_back(SecondsSince(t));
    if (hits.empty()) return Fail(Status(StatusCode::kInternal, "the search after the restart found nothing"));
    const std::size_t faces = (*g)->Read([gkey](const gallery::Catalog& c) { return c.GroupByKey(gkey)->faces->size(); });
    if (faces != o.faces) {
      return Fail(Status(StatusCode::kInternal, "the restarted gallery holds " + std::to_string(faces) + " faces"));
    }
  }
  // 4. The catalog alone: an open whose index filter holds no shard, so only
  // the catalog (groups, persons, memberships, faces) stays on the heap.
  {
    auto store = store::OpenSqliteStore(db);
    if (!store.ok()) return Fail(store.status());
    gallery::GalleryOptions go = Options(dir);
    go.snapshot_dir.clear();
    go.index_filter = {64, [](const std::string&, int) { return false; }};
    ReturnFreeHeap();
    const std::size_t before = ReadHeapFigures().in_use_bytes;
    const double t = NowMs();
    auto g = gallery::Gallery::Open(std::move(store.value()), go);
    if (!g.ok()) return Fail(g.status());
    out["catalog_open_s"] = SecondsSince(t);
    const std::size_t after = ReadHeapFigures().in_use_bytes;
    const double held = after > before ? static_cast<double>(after - before) : 0.0;
    out["catalog_heap_mb"] = held / (1024.0 * 1024.0);
    out["catalog_heap_bytes_per_face"] = held / static_cast<double>(o.faces);
    // What the open's transient rows left free in the allocator (Open gives
    // those pages back to the kernel: common/heap.h), and the process's RSS.
    out["catalog_heap_free_mb"] = static_cast<double>(ReadHeapFigures().free_bytes) / (1024.0 * 1024.0);
    if (auto mem = cluster::ReadProcMemory(::getpid()); mem.ok()) {
      out["catalog_rss_mb"] = mem->rss_mb;
      out["catalog_peak_rss_mb"] = mem->hwm_mb;
    }
  }
  if (!restarts.empty()) {
    std::vector<double> sorted = restarts;
    std::sort(sorted.begin(), sorted.end());
    out["restart_s"] = restarts;
    out["restart_median_s"] = sorted[sorted.size() / 2];
    out["cold_page_cache"] = true;
  }
  if (o.json) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << out.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

void RegisterBenchRestart(CLI::App* bench, Action* run) {
  auto o = std::make_shared<RestartBenchOptions>();
  CLI::App* cmd = bench->add_subcommand(
      "restart", "Time from opening a data folder with one large group to its first search answer (cold page cache)");
  cmd->add_option("--data", o->data, "Data folder: populated with a synthetic group on the first run, reused after")
      ->required();
  cmd->add_option("--faces", o->faces, "Faces in the group")->default_val(o->faces)->check(CLI::Range(1, 100000000));
  cmd->add_option("--faces-per-person", o->faces_per_person, "Faces per person")
      ->default_val(o->faces_per_person)
      ->check(CLI::Range(1, 5));
  cmd->add_option("--rounds", o->rounds, "Timed restarts")->default_val(o->rounds)->check(CLI::Range(1, 100));
  cmd->add_option("--seed", o->seed, "Generator seed")->default_val(o->seed);
  cmd->add_flag("--catalog-only", o->catalog_only,
                "Only the catalog's memory (no index is built nor restarted): heap per face of an open that indexes nothing");
  cmd->add_flag("--json", o->json, "One JSON object on stdout");
  cmd->callback([o, run] { *run = [o] { return RunRestartBench(*o); }; });
}

}  // namespace facekit::cli
