// `facekit serve --store ... --etcd ...` through the real binary: nodes
// register in etcd under a lease, `facekit cluster status` lists them and
// places a group's shards on them, a node killed with -9 leaves the list when
// its lease expires and one stopped with SIGTERM leaves at once. Skipped when
// PostgreSQL 15 or etcd is not installed.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cluster/etcd_test_cluster.h"
#include "serve_process.h"
#include "store/pg_test_cluster.h"
#include "test_util.h"

namespace facekit {
namespace {

using testing::RunCommand;

std::string Cli() { return ::facekit::testing::CliPath() + " --models " + testing::ModelsDir(); }

// `cluster status --json` until `done(status)` or 30 s; the last status.
nlohmann::json StatusUntil(const std::string& etcd, const std::function<bool(const nlohmann::json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  nlohmann::json j;
  while (true) {
    const auto [rc, out] = RunCommand(Cli() + " cluster status --etcd " + etcd + " --group g --shards 16 --json");
    j = nlohmann::json::parse(out, nullptr, false);
    if ((rc == 0 && done(j)) || std::chrono::steady_clock::now() > deadline) return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::size_t Members(const nlohmann::json& status) {
  return status.is_object() && status.contains("members") ? status["members"].size() : 0;
}

TEST(ServeCluster, NodesRegisterInEtcdAndLeaveOnCrashOrStop) {
  if (testing::EtcdTestCluster::Binary().empty()) GTEST_SKIP() << "etcd not installed (apt-get install etcd-server)";
  testing::PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  testing::EtcdTestCluster etcd(1);
  START_ETCD_OR_SKIP(etcd);
  testing::TempDir dir;
  const std::vector<std::string> common = {"--store", pg.uri(), "--etcd", etcd.endpoints(), "--lease-ttl", "2"};
  auto args = [&](const char* id) {
    auto a = common;
    a.insert(a.end(), {"--node-id", id});
    return a;
  };
  testing::ServeProcess a(dir.file("a"), args("node-a"));
  testing::ServeProcess b(dir.file("b"), args("node-b"));
  ASSERT_FALSE(a.port().empty());
  ASSERT_FALSE(b.port().empty());

  auto both = StatusUntil(etcd.endpoints(), [](const nlohmann::json& s) { return Members(s) == 2; });
  ASSERT_EQ(Members(both), 2u) << both.dump();
  EXPECT_EQ(both["members"][0]["node_id"], "node-a");
  EXPECT_EQ(both["members"][0]["address"], a.url());
  EXPECT_EQ(both["members"][1]["address"], b.url());
  // 16 shards x 2 replicas over two nodes: each serves every shard.
  EXPECT_EQ(both["shards_per_node"]["node-a"].size(), 16u) << both.dump();
  EXPECT_EQ(both["shards_per_node"]["node-b"].size(), 16u) << both.dump();

  // kill -9: the lease is not revoked; the node goes when it expires.
  b.Stop(SIGKILL);
  auto one = StatusUntil(etcd.endpoints(), [](const nlohmann::json& s) { return Members(s) == 1; });
  ASSERT_EQ(Members(one), 1u) << one.dump();
  EXPECT_EQ(one["members"][0]["node_id"], "node-a");

  // SIGTERM: the node revokes its lease before it stops.
  const auto stopped = std::chrono::steady_clock::now();
  a.Stop(SIGTERM);
  const auto [rc, out] = RunCommand(Cli() + " cluster status --etcd " + etcd.endpoints() + " --json");
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(Members(nlohmann::json::parse(out, nullptr, false)), 0u) << out;
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(15));

  // etcd unreachable at start: the node refuses to start, saying why.
  const auto [src, refused] = RunCommand(Cli() + " serve --data " + dir.file("c") + " --listen 127.0.0.1:0 --store '" +
                                         pg.uri() + "' --etcd 127.0.0.1:1 2>&1");
  EXPECT_EQ(src, 1) << refused;
  EXPECT_NE(refused.find("etcd"), std::string::npos) << refused;

  // A sharded node refuses a database split into another number of shards
  // than its own (facekit_settings 'shards', fixed when the database was made).
  const auto [prc, pout] = RunCommand("psql '" + pg.conninfo() +
                                      "' -c \"UPDATE facekit_settings SET value='16' WHERE name='shards'\" 2>&1");
  ASSERT_EQ(prc, 0) << pout;
  {
    std::ofstream key(dir.file("cluster.key"));
    key << "AKIDexample:secret\n";
  }
  const auto [mrc, mismatch] =
      RunCommand(Cli() + " serve --data " + dir.file("d") + " --listen 127.0.0.1:0 --store '" + pg.uri() +
                 "' --etcd " + etcd.endpoints() + " --cluster-key-file " + dir.file("cluster.key") + " 2>&1");
  EXPECT_EQ(mrc, 1) << mismatch;
  EXPECT_NE(mismatch.find("split into 16 shards"), std::string::npos) << mismatch;
}

}  // namespace
}  // namespace facekit
