#include "cluster/bench_figures.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "gallery/vector_kernels.h"

namespace facekit::cluster {

double RecallAtK(const std::vector<std::int64_t>& exact, const std::vector<std::int64_t>& got) {
  if (exact.empty()) return 1.0;
  const std::unordered_set<std::int64_t> found(got.begin(), got.end());
  std::size_t hits = 0;
  for (std::int64_t id : exact) hits += found.count(id);
  return static_cast<double>(hits) / static_cast<double>(exact.size());
}

namespace {

// Persons ranked by their best score (higher first, ties by lower person); the first k.
std::vector<std::int64_t> RankPersons(const std::unordered_map<std::int64_t, float>& best, std::size_t k) {
  std::vector<std::pair<float, std::int64_t>> ranked;
  ranked.reserve(best.size());
  for (const auto& [person, score] : best) ranked.emplace_back(score, person);
  const std::size_t n = std::min(k, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(),
                    [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::vector<std::int64_t> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(ranked[i].second);
  return out;
}

}  // namespace

std::vector<std::int64_t> ExactTopPersons(const float* vectors, int dim, const std::vector<std::int64_t>& person_of,
                                          const float* query, std::size_t k) {
  std::unordered_map<std::int64_t, float> best;
  const auto d = static_cast<std::size_t>(dim);
  for (std::size_t i = 0; i < person_of.size(); ++i) {
    const float dot = gallery::Dot(vectors + i * d, query, d);
    auto [it, inserted] = best.try_emplace(person_of[i], dot);
    if (!inserted && dot > it->second) it->second = dot;
  }
  return RankPersons(best, k);
}

ExactTopPersonsStream::ExactTopPersonsStream(std::vector<std::vector<float>> queries, int dim, std::size_t k,
                                             std::size_t max_faces_per_person)
    : queries_(std::move(queries)),
      dim_(static_cast<std::size_t>(dim)),
      k_(k),
      keep_(k * std::max<std::size_t>(max_faces_per_person, 1)),
      kept_(queries_.size()) {}

void ExactTopPersonsStream::Add(const float* vectors, const std::int64_t* person_of, std::size_t count) {
  // The heap's front is the worst kept face: the lowest score, of the higher person on a tie.
  const auto worse_on_top = [](const Kept& a, const Kept& b) {
    return a.score != b.score ? a.score > b.score : a.person < b.person;
  };
  for (std::size_t q = 0; q < queries_.size(); ++q) {
    std::vector<Kept>& heap = kept_[q];
    const float* query = queries_[q].data();
    for (std::size_t i = 0; i < count; ++i) {
      const Kept face{gallery::Dot(vectors + i * dim_, query, dim_), person_of[i]};
      if (heap.size() < keep_) {
        heap.push_back(face);
        std::push_heap(heap.begin(), heap.end(), worse_on_top);
      } else if (!heap.empty() && worse_on_top(face, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), worse_on_top);
        heap.back() = face;
        std::push_heap(heap.begin(), heap.end(), worse_on_top);
      }
    }
  }
}

std::vector<std::int64_t> ExactTopPersonsStream::Top(std::size_t q) const {
  std::unordered_map<std::int64_t, float> best;
  for (const Kept& face : kept_.at(q)) {
    auto [it, inserted] = best.try_emplace(face.person, face.score);
    if (!inserted && face.score > it->second) it->second = face.score;
  }
  return RankPersons(best, k_);
}

namespace {

double FieldMb(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0) continue;
    std::istringstream value(line.substr(name.size()));
    double kb = 0;
    value >> kb;
    return kb / 1024.0;
  }
  return 0;
}

std::string ReadAll(const std::string& path, bool* ok) {
  std::ifstream in(path);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ProcMemory ParseProcStatus(const std::string& text) { return {FieldMb(text, "VmRSS:"), FieldMb(text, "VmHWM:")}; }

Result<ProcMemory> ReadProcMemory(pid_t pid) {
  bool ok = false;
  const std::string text = ReadAll("/proc/" + std::to_string(pid) + "/status", &ok);
  if (!ok) return Status(StatusCode::kNotFound, "no process " + std::to_string(pid));
  return ParseProcStatus(text);
}

double ParseMemAvailableMb(const std::string& meminfo) { return FieldMb(meminfo, "MemAvailable:"); }

double MemAvailableMb() {
  bool ok = false;
  return ParseMemAvailableMb(ReadAll("/proc/meminfo", &ok));
}

Status ResetPeakMemory(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/clear_refs";
  std::ofstream out(path);
  out << "5";
  out.flush();
  if (!out) return Status(StatusCode::kUnavailable, "cannot reset the peak memory of process " + std::to_string(pid));
  return Status::Ok();
}

ClusterMemoryEstimate EstimateClusterMemory(std::size_t faces, std::size_t persons, int nodes, int replicas,
                                            const SizingConstants& c) {
  constexpr double kMb = 1024.0 * 1024.0;
  const double f = static_cast<double>(faces);
  const double index_mb = (f + static_cast<double>(persons)) * c.index_bytes_per_face / kMb;  // faces and persons
  const int n = std::max(nodes, 1);
  const int r = std::max(replicas, 1);
  const double share = static_cast<double>(std::min(r, n)) / static_cast<double>(n);
  // The catalog: every person, and the faces' records of the shards held (the others' places).
  const auto catalog_mb = [&](double held) {
    return (static_cast<double>(persons) * c.catalog_bytes_per_person +
            f * (held * c.face_record_bytes + (1 - held) * c.face_place_bytes)) /
           kMb;
  };
  ClusterMemoryEstimate e;
  e.node_steady_mb = c.node_base_mb + catalog_mb(share) + share * index_mb;
  e.node_start_peak_mb = e.node_steady_mb + c.reindex_transient_mb;
  e.total_start_peak_mb = static_cast<double>(n) * e.node_start_peak_mb + c.postgres_mb;
  if (n > 1) {
    const double share_after = static_cast<double>(std::min(r, n - 1)) / static_cast<double>(n - 1);
    e.node_failover_peak_mb =
        c.node_base_mb + catalog_mb(share_after) + share_after * index_mb + c.reindex_transient_mb;
    e.total_failover_peak_mb = static_cast<double>(n - 1) * e.node_failover_peak_mb + c.postgres_mb;
  }
  e.node_peak_mb = std::max(e.node_start_peak_mb, e.node_failover_peak_mb);
  e.total_peak_mb = std::max(e.total_start_peak_mb, e.total_failover_peak_mb);
  return e;
}

}  // namespace facekit::cluster
