// facekit bench search - build, latency, throughput, memory and recall of the
// gallery's vector index on a synthetic gallery.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "eval/synthetic_gallery.h"
#include "gallery/vector_index.h"
#include "gallery/vector_kernels.h"

namespace facekit::cli {

namespace {

struct SearchBenchOptions {
  std::size_t faces = 100000;
  int dim = 192;
  std::string index = "auto";
  std::string rows = "fp32";
  std::vector<int> threads{1};
  std::size_t queries = 1000;
  std::size_t recall_queries = 300;
  std::vector<int> ef_search;
  int ef_construction = 0;
  int hnsw_m = 0;
  std::vector<int> nprobe;
  std::vector<int> rerank;
  std::vector<std::string> traversal;
  std::size_t k = 10;
  std::string snapshot;  // when set: save, reload and time both
  bool json = false;
  std::uint64_t seed = 42;
};

double RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// CPU time of the calling thread: unlike wall time it leaves out the time
// the thread was preempted (the machine may run other work).
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

int RunSearchBench(const SearchBenchOptions& o) {
  auto kind = gallery::ParseIndexKind(o.index);
  if (!kind.ok()) return Fail(kind.status());
  auto rows = gallery::ParseRowFormat(o.rows);
  if (!rows.ok()) return Fail(rows.status());
  eval::SyntheticOptions so;
  so.dim = o.dim;
  so.seed = o.seed;
  eval::SyntheticGallery synth(so);
  const auto stats = synth.Measure(2000);
  const std::size_t identities = (o.faces + so.faces_per_identity - 1) / so.faces_per_identity;

  std::vector<float> vectors = synth.Faces(o.faces);
  std::vector<std::int64_t> keys(o.faces);
  for (std::size_t i = 0; i < o.faces; ++i) keys[i] = static_cast<std::int64_t>(i) + 1;
  std::vector<std::vector<float>> probes;
  for (std::size_t q = 0; q < std::max(o.queries, o.recall_queries); ++q) {
    probes.push_back(synth.Probe((q * 7919) % identities));
  }

  gallery::IndexOptions io;
  io.kind = *kind;
  io.rows = *rows;
  if (!o.ef_search.empty()) io.ef_search = o.ef_search.front();
  if (o.ef_construction > 0) io.ef_construction = o.ef_construction;
  if (o.hnsw_m > 0) io.hnsw_m = o.hnsw_m;
  if (!o.nprobe.empty()) io.nprobe = o.nprobe.front();
  if (!o.rerank.empty()) io.rerank = o.rerank.front();
  std::error_code ec;
  const bool reuse = !o.snapshot.empty() && std::filesystem::exists(o.snapshot, ec);
  const double rss_before = RssMb();
  std::unique_ptr<gallery::VectorIndex> index;
  double build_s = -1, save_s = -1, load_s = -1, rss_after = 0;
  if (!reuse) {
    index = std::make_unique<gallery::VectorIndex>(o.dim, io);
    const double t0 = NowMs();
    if (auto s = index->AddBatch(keys, vectors); !s.ok()) return Fail(s);
    build_s = (NowMs() - t0) / 1000.0;
    rss_after = RssMb();
  }
  // Exact answers once, for recall: from the vectors as generated (fp32),
  // whatever the index keeps, so fp16 rows are measured against the truth.
  const std::size_t rq = std::min(o.recall_queries, probes.size());
  std::vector<std::vector<gallery::Hit>> exact(rq);
  {
    std::vector<float> scores(o.faces);
    std::vector<std::size_t> order(o.faces);
    for (std::size_t q = 0; q < rq; ++q) {
      gallery::DotMany(probes[q].data(), vectors.data(), o.faces, static_cast<std::size_t>(o.dim), scores.data());
      for (std::size_t i = 0; i < o.faces; ++i) order[i] = i;
      const std::size_t kk = std::min(o.k, o.faces);
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kk), order.end(),
                        [&](std::size_t a, std::size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
      for (std::size_t i = 0; i < kk; ++i) exact[q].push_back({keys[order[i]], scores[order[i]]});
    }
  }
  vectors.clear();
  vectors.shrink_to_fit();
  if (!o.snapshot.empty()) {
    if (!reuse) {
      const double ts = NowMs();
      if (auto s = index->Save(o.snapshot, 1); !s.ok()) return Fail(s);
      save_s = (NowMs() - ts) / 1000.0;
      index.reset();
    }
    // Loading is what a restart does.
    const double rss_load = RssMb();
    const double tl = NowMs();
    auto loaded = gallery::VectorIndex::Load(o.snapshot, io);
    if (!loaded.ok()) return Fail(loaded.status());
    load_s = (NowMs() - tl) / 1000.0;
    index = std::move(loaded->index);
    if (reuse) rss_after = RssMb() - rss_load + rss_before;
  }

  // Search effort: HNSW's candidate list or IVF's probed lists.
  const bool ivf = index->kind() == gallery::IndexKind::kIvf;
  std::vector<int> efforts = ivf ? o.nprobe : o.ef_search;
  if (efforts.empty()) efforts.push_back(0);
  // Every combination of effort, rerank and (HNSW) traversal, in that nesting.
  struct Config {
    int effort, rerank;
    std::string traversal;
  };
  std::vector<Config> configs;
  const std::vector<int> reranks = o.rerank.empty() ? std::vector<int>{index->options().rerank} : o.rerank;
  const std::vector<std::string> traversals =
      o.traversal.empty() ? std::vector<std::string>{index->options().hnsw_quantised ? "u8" : "fp32"} : o.traversal;
  for (int effort : efforts) {
    for (int rerank : reranks) {
      for (const auto& traversal : traversals) configs.push_back({effort, rerank, traversal});
    }
  }
  nlohmann::json runs = nlohmann::json::array();
  for (const Config& config : configs) {
    const int effort = config.effort;
    if (effort > 0) {
      if (ivf) {
        index->SetNprobe(effort);
      } else {
        index->SetEfSearch(effort);
      }
    }
    index->SetRerank(config.rerank);
    index->SetHnswQuantised(config.traversal == "u8");
    double recall1 = 0, recall10 = 0;
    for (std::size_t q = 0; q < rq; ++q) {
      const auto approx = index->Search(probes[q].data(), o.k);
      if (!approx.empty() && !exact[q].empty() && approx[0].key == exact[q][0].key) recall1 += 1;
      std::size_t found = 0;
      for (const auto& e : exact[q]) {
        for (const auto& a : approx) found += a.key == e.key ? 1 : 0;
      }
      recall10 += exact[q].empty() ? 1.0 : static_cast<double>(found) / static_cast<double>(exact[q].size());
    }
    recall1 /= static_cast<double>(std::max<std::size_t>(rq, 1));
    recall10 /= static_cast<double>(std::max<std::size_t>(rq, 1));
    for (int threads : o.threads) {
      // `threads` clients, each issuing single queries.
      std::vector<std::vector<double>> per_thread(static_cast<std::size_t>(threads));
      std::vector<std::vector<double>> cpu_per_thread(static_cast<std::size_t>(threads));
      std::atomic<std::size_t> next{0};
      const double tq = NowMs();
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          auto& lat = per_thread[static_cast<std::size_t>(t)];
          auto& cpu = cpu_per_thread[static_cast<std::size_t>(t)];
          for (std::size_t q; (q = next.fetch_add(1)) < o.queries;) {
            const double c = ThreadCpuMs();
            const double s = NowMs();
            auto hits = index->Search(probes[q].data(), o.k);
            lat.push_back(NowMs() - s);
            cpu.push_back(ThreadCpuMs() - c);
            if (hits.empty() && index->size() > 0) std::abort();
          }
        });
      }
      for (auto& w : workers) w.join();
      const double wall_s = (NowMs() - tq) / 1000.0;
      std::vector<double> latencies;
      for (auto& v : per_thread) latencies.insert(latencies.end(), v.begin(), v.end());
      std::vector<double> cpu_latencies;
      for (auto& v : cpu_per_thread) cpu_latencies.insert(cpu_latencies.end(), v.begin(), v.end());
      nlohmann::json r;
      r["threads"] = threads;
      r["ef_search"] = index->kind() == gallery::IndexKind::kHnsw ? index->effective_ef_search() : 0;
      r["nprobe"] = ivf ? index->options().nprobe : 0;
      r["rerank"] = index->kind() == gallery::IndexKind::kFlat ? 0 : index->options().rerank;
      if (index->kind() == gallery::IndexKind::kHnsw) r["traversal"] = config.traversal;
      r["queries"] = latencies.size();
      r["p50_ms"] = Percentile(latencies, 0.50);
      r["p99_ms"] = Percentile(latencies, 0.99);
      r["cpu_p50_ms"] = Percentile(cpu_latencies, 0.50);
      r["cpu_p99_ms"] = Percentile(cpu_latencies, 0.99);
      r["qps"] = wall_s > 0 ? static_cast<double>(latencies.size()) / wall_s : 0.0;
      r["recall_at_1"] = recall1;
      r["recall_at_10"] = recall10;
      runs.push_back(r);
    }
  }

  nlohmann::json j;
  j["faces"] = o.faces;
  j["dim"] = o.dim;
  j["index"] = gallery::IndexKindName(index->kind());
  j["rows"] = gallery::RowFormatName(index->options().rows);
  j["kernel"] = gallery::KernelName();
  j["build_s"] = build_s;
  j["ef_construction"] = index->options().ef_construction;
  j["hnsw_m"] = index->options().hnsw_m;
  j["memory_mb"] = static_cast<double>(index->MemoryBytes()) / (1024.0 * 1024.0);
  j["rss_growth_mb"] = rss_after - rss_before;
  // The first configuration's figures at top level; every one under "runs".
  for (const char* key :
       {"threads", "ef_search", "nprobe", "rerank", "queries", "p50_ms", "p99_ms", "qps", "recall_at_1", "recall_at_10"}) {
    j[key] = runs[0][key];
  }
  j["runs"] = runs;
  j["recall_queries"] = rq;
  if (!o.snapshot.empty()) {
    j["snapshot_reused"] = reuse;
    if (save_s >= 0) j["snapshot_save_s"] = save_s;
    j["snapshot_load_s"] = load_s;
    j["snapshot_mb"] = static_cast<double>(std::filesystem::file_size(o.snapshot, ec)) / (1024.0 * 1024.0);
  }
  nlohmann::json data;
  data["impostor_cos_mean"] = stats.impostor_mean;
  data["impostor_cos_std"] = stats.impostor_std;
  data["genuine_cos_mean"] = stats.genuine_mean;
  j["synthetic"] = data;
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

void RegisterBench(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks that print figures (not tests)");
  bench->require_subcommand(1);
  auto o = std::make_shared<SearchBenchOptions>();
  CLI::App* search = bench->add_subcommand(
      "search", "1:N search on a synthetic gallery: build time, memory, p50/p99 latency, QPS, recall");
  search->add_option("--faces", o->faces, "Gallery size")->required()->check(CLI::Range(1, 100000000));
  search->add_option("--dim", o->dim, "Vector dimension")->default_val(192)->check(CLI::Range(8, 4096));
  search->add_option("--index", o->index, "auto, flat, hnsw or ivf")->default_val("auto");
  search->add_option("--rows", o->rows, "How the index keeps its rows: fp32 or fp16")->default_val("fp32");
  search->add_option("--threads", o->threads, "Concurrent client threads (several values: one run each)")
      ->check(CLI::Range(1, 64));
  search->add_option("--queries", o->queries, "Timed single queries")->default_val(1000);
  search->add_option("--recall-queries", o->recall_queries, "Queries checked against exact search")->default_val(300);
  search->add_option("--ef-search", o->ef_search, "HNSW candidate list length (several values: one run each)")
      ->check(CLI::Range(1, 100000));
  search->add_option("--ef-construction", o->ef_construction, "HNSW build candidate list length (0 = default)")
      ->default_val(0);
  search->add_option("--hnsw-m", o->hnsw_m, "HNSW links per node (0 = default)")->default_val(0);
  search->add_option("--nprobe", o->nprobe, "IVF lists scanned per query (several values: one run each)")
      ->check(CLI::Range(1, 65536));
  search->add_option("--rerank", o->rerank,
                     "IVF / quantised HNSW candidates re-scored exactly (HNSW: 0 = the whole candidate list; several "
                     "values: one run each)");
  search->add_option("--traversal", o->traversal, "HNSW walk over u8 codes or fp32 rows (several values: one run each)")
      ->check(CLI::IsMember({"u8", "fp32"}));
  search->add_option("--k", o->k, "Results per query")->default_val(10)->check(CLI::Range(1, 1000));
  search->add_option("--snapshot", o->snapshot,
                     "Snapshot file: if it exists, load the index from it instead of building; otherwise build, "
                     "save it there and reload it (times both; the file is kept)");
  search->add_option("--seed", o->seed, "Generator seed")->default_val(42);
  search->add_flag("--json", o->json, "One JSON object on stdout");
  search->callback([o, run] { *run = [o] { return RunSearchBench(*o); }; });
  RegisterBenchRestart(bench, run);
  RegisterBenchSoak(bench, g, run);
  RegisterBenchLoad(bench, g, run);
  RegisterBenchSharedStore(bench, g, run);
  RegisterBenchCluster(bench, g, run);
}

}  // namespace facekit::cli
