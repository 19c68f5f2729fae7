// The arithmetic of `facekit bench cluster` (src/cluster/bench_figures.h).
#include "cluster/bench_figures.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace facekit::cluster {
namespace {

TEST(BenchFigures, RecallCountsTheExactIdsFound) {
  EXPECT_DOUBLE_EQ(RecallAtK({1, 2, 3, 4}, {4, 9, 1, 7}), 0.5);
  EXPECT_DOUBLE_EQ(RecallAtK({1, 2}, {2, 1}), 1.0);  // order does not matter
  EXPECT_DOUBLE_EQ(RecallAtK({1, 2}, {}), 0.0);
  EXPECT_DOUBLE_EQ(RecallAtK({}, {5}), 1.0);
}

TEST(BenchFigures, ExactTopPersonsRanksPersonsByTheirBestFace) {
  // 2-D unit vectors; query (1, 0). Person 7 has the best face (1, 0) and a
  // poor one; person 3 two middling ones; person 5 one poor face.
  const float s = std::sqrt(0.5f);
  const std::vector<float> v = {0, 1, 1, 0, s, s, 0.8f, 0.6f, -1, 0};
  const std::vector<std::int64_t> person = {7, 7, 3, 3, 5};
  const float q[2] = {1, 0};
  EXPECT_EQ(ExactTopPersons(v.data(), 2, person, q, 10), (std::vector<std::int64_t>{7, 3, 5}));
  EXPECT_EQ(ExactTopPersons(v.data(), 2, person, q, 2), (std::vector<std::int64_t>{7, 3}));
  // Ties: the lower person first.
  const std::vector<float> tie = {1, 0, 1, 0};
  EXPECT_EQ(ExactTopPersons(tie.data(), 2, {9, 4}, q, 2), (std::vector<std::int64_t>{4, 9}));
}

// The stream keeps k x 3 faces per query and must still give every query's
// exact answer: faces of 3 per person (some persons' faces near-identical,
// some exact ties) added in chunks of every size.
TEST(BenchFigures, ExactTopPersonsStreamEqualsTheWholeRanking) {
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0, 1);
  const int dim = 16;
  const std::size_t persons = 400, per = 3, faces = persons * per;
  std::vector<float> v(faces * dim);
  std::vector<std::int64_t> person(faces);
  for (std::size_t p = 0; p < persons; ++p) {
    std::vector<float> centre(dim);
    for (auto& x : centre) x = n(rng);
    for (std::size_t f = 0; f < per; ++f) {
      const std::size_t i = p * per + f;
      person[i] = static_cast<std::int64_t>((p * 7919) % persons);  // not in face order
      // Persons 0-9: three copies of one face (their best faces tie with themselves).
      for (int j = 0; j < dim; ++j) v[i * dim + j] = centre[j] + (p < 10 ? 0.0f : 0.3f * n(rng));
    }
  }
  // Two persons with the very same faces: an exact tie between persons.
  std::copy(v.begin() + 20 * per * dim, v.begin() + 21 * per * dim, v.begin() + 30 * per * dim);
  std::vector<std::vector<float>> queries;
  for (int q = 0; q < 25; ++q) {
    std::vector<float> query(dim);
    const std::size_t near = rng() % faces;
    for (int j = 0; j < dim; ++j) query[j] = v[near * dim + j] + 0.2f * n(rng);
    queries.push_back(query);
  }
  for (std::size_t k : {1, 5, 10}) {
    ExactTopPersonsStream stream(queries, dim, k, per);
    for (std::size_t at = 0, chunk = 1; at < faces; at += chunk, chunk = chunk * 2 % 97 + 1) {
      const std::size_t count = std::min(chunk, faces - at);
      stream.Add(v.data() + at * dim, person.data() + at, count);
    }
    for (std::size_t q = 0; q < queries.size(); ++q) {
      EXPECT_EQ(stream.Top(q), ExactTopPersons(v.data(), dim, person, queries[q].data(), k)) << "k " << k << " q " << q;
    }
  }
  // Keeping fewer faces than k x faces-per-person would lose persons: the bound matters.
  ExactTopPersonsStream narrow(queries, dim, 10, 1);
  narrow.Add(v.data(), person.data(), faces);
  std::size_t differ = 0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    differ += narrow.Top(q) != ExactTopPersons(v.data(), dim, person, queries[q].data(), 10) ? 1 : 0;
  }
  EXPECT_GT(differ, 0u);
}

TEST(BenchFigures, ExactTopPersonsAgreesWithAPlainReference) {
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 1);
  const int dim = 8;
  const std::size_t faces = 300;
  std::vector<float> v(faces * dim);
  for (auto& x : v) x = n(rng);
  std::vector<std::int64_t> person(faces);
  for (std::size_t i = 0; i < faces; ++i) person[i] = static_cast<std::int64_t>(rng() % 50);
  std::vector<float> q(dim);
  for (auto& x : q) x = n(rng);
  // Reference: best score per person, sorted.
  std::vector<float> best(50, -1e30f);
  for (std::size_t i = 0; i < faces; ++i) {
    float d = 0;
    for (int j = 0; j < dim; ++j) d += v[i * dim + j] * q[static_cast<std::size_t>(j)];
    best[static_cast<std::size_t>(person[i])] = std::max(best[static_cast<std::size_t>(person[i])], d);
  }
  std::vector<std::int64_t> want;
  for (std::int64_t p = 0; p < 50; ++p) {
    if (best[static_cast<std::size_t>(p)] > -1e29f) want.push_back(p);
  }
  std::stable_sort(want.begin(), want.end(), [&](std::int64_t a, std::int64_t b) {
    return best[static_cast<std::size_t>(a)] > best[static_cast<std::size_t>(b)];
  });
  want.resize(10);
  EXPECT_EQ(ExactTopPersons(v.data(), dim, person, q.data(), 10), want);
}

TEST(BenchFigures, ParsesProcStatusAndMeminfo) {
  const ProcMemory m = ParseProcStatus("Name:\tfacekit\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads: 9\n");
  EXPECT_DOUBLE_EQ(m.rss_mb, 100.0);
  EXPECT_DOUBLE_EQ(m.hwm_mb, 200.0);
  EXPECT_DOUBLE_EQ(ParseProcStatus("Name: x\n").rss_mb, 0.0);
  EXPECT_DOUBLE_EQ(ParseMemAvailableMb("MemTotal: 2048 kB\nMemAvailable:    1048576 kB\n"), 1024.0);
  EXPECT_DOUBLE_EQ(ParseMemAvailableMb(""), 0.0);
  auto self = ReadProcMemory(::getpid());
  ASSERT_TRUE(self.ok());
  EXPECT_GT(self->rss_mb, 0.0);
  EXPECT_GE(self->hwm_mb, self->rss_mb);
  // The peak reset: a large block touched then freed raises VmHWM; after the
  // reset it is back near the RSS.
  {
    const std::size_t size = 256u << 20;  // mapped, not malloc'ed: no allocator keeps it
    void* big = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(big, MAP_FAILED);
    for (std::size_t i = 0; i < size; i += 4096) static_cast<volatile char*>(big)[i] = 1;
    ASSERT_EQ(::munmap(big, size), 0);
  }
  auto before = ReadProcMemory(::getpid());
  ASSERT_TRUE(before.ok());
  ASSERT_GT(before->hwm_mb, before->rss_mb + 200);
  ASSERT_TRUE(ResetPeakMemory(::getpid()).ok());
  auto after = ReadProcMemory(::getpid());
  ASSERT_TRUE(after.ok());
  EXPECT_LT(after->hwm_mb, before->hwm_mb - 200);
  EXPECT_GE(after->hwm_mb, after->rss_mb);
  EXPECT_FALSE(ResetPeakMemory(0x7ffffff0).ok());
}

TEST(BenchFigures, TheEstimateScalesWithFacesNodesAndReplicas) {
  SizingConstants c;
  c.index_bytes_per_face = 1000;
  c.catalog_bytes_per_person = 300;
  c.face_record_bytes = 100;
  c.face_place_bytes = 20;
  c.node_base_mb = 100;
  c.postgres_mb = 50;
  const double mb = 1024.0 * 1024.0;
  const auto e = EstimateClusterMemory(4 * 1048576, 1048576, 4, 2, c);
  // Steady: base + every person's record + the face records of half the
  // faces and the others' places + half of the face and person indexes
  // (2 of 4 nodes hold each shard).
  const double persons = 1048576.0 * 300 / mb, faces = 4.0 * 1048576;
  auto catalog_at = [&](double held) { return persons + faces * (held * 100 + (1 - held) * 20) / mb; };
  EXPECT_NEAR(e.node_steady_mb, 100 + catalog_at(0.5) + 0.5 * 5.0 * 1048576 * 1000 / mb, 1e-6);
  const double index = 5.0 * 1048576 * 1000 / mb;
  // Start: steady + one chunk and batch of the re-index.
  EXPECT_NEAR(e.node_start_peak_mb, e.node_steady_mb + c.reindex_transient_mb, 1e-6);
  EXPECT_NEAR(e.total_start_peak_mb, 4 * e.node_start_peak_mb + 50, 1e-6);
  // Failover: each of the 3 survivors grows its indexes in place from 2/4 to 2/3.
  EXPECT_NEAR(e.node_failover_peak_mb, 100 + catalog_at(2.0 / 3.0) + 2.0 / 3.0 * index + c.reindex_transient_mb, 1e-6);
  EXPECT_NEAR(e.total_failover_peak_mb, 3 * e.node_failover_peak_mb + 50, 1e-6);
  EXPECT_GT(e.node_failover_peak_mb, e.node_start_peak_mb);
  EXPECT_DOUBLE_EQ(e.node_peak_mb, e.node_failover_peak_mb);
  EXPECT_DOUBLE_EQ(e.total_peak_mb, std::max(e.total_start_peak_mb, e.total_failover_peak_mb));
  // Two nodes, two replicas: the survivor holds everything (2/2 to 1/1).
  const auto two = EstimateClusterMemory(4 * 1048576, 1048576, 2, 2, c);
  EXPECT_NEAR(two.node_failover_peak_mb, 100 + catalog_at(1) + index + c.reindex_transient_mb, 1e-6);
  // One replica: the survivors go from 1/4 to 1/3.
  const auto one = EstimateClusterMemory(4 * 1048576, 1048576, 4, 1, c);
  EXPECT_NEAR(one.node_failover_peak_mb, 100 + catalog_at(1.0 / 3.0) + 1.0 / 3.0 * index + c.reindex_transient_mb,
              1e-6);
  // One node: no failover.
  const auto single = EstimateClusterMemory(1048576, 1000, 1, 2, c);
  EXPECT_DOUBLE_EQ(single.node_failover_peak_mb, 0.0);
  EXPECT_DOUBLE_EQ(single.total_peak_mb, single.total_start_peak_mb);
  // More replicas than nodes: every node holds everything, before and after.
  const auto all = EstimateClusterMemory(1048576, 1000, 2, 3, c);
  EXPECT_NEAR(all.node_steady_mb, 100 + (1000.0 * 300 + 1048576.0 * 100) / mb + 1049576.0 * 1000 / mb, 1e-6);
  EXPECT_NEAR(all.node_failover_peak_mb, all.node_steady_mb + c.reindex_transient_mb, 1e-6);
  // The 10M faces on 4 nodes do not fit 23 GB with the default constants.
  EXPECT_GT(EstimateClusterMemory(10000000, 3333334, 4, 2).total_peak_mb, 23.0 * 1024);
}

}  // namespace
}  // namespace facekit::cluster
