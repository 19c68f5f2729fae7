// The etcd client and membership against a real etcd started by the test
// (tests/cluster/etcd_test_cluster.h); skipped when etcd is not installed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cluster/etcd_client.h"
#include "cluster/etcd_test_cluster.h"
#include "cluster/membership.h"
#include "cluster/shard_map.h"

namespace facekit::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<EtcdClient> Client(const std::string& endpoints, milliseconds call_timeout = milliseconds(5000)) {
  auto c = EtcdClient::Connect(endpoints, {call_timeout});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

std::vector<std::string> Ids(const MemberList& m) {
  std::vector<std::string> out;
  for (const auto& [id, address] : m) out.push_back(id);
  return out;
}

TEST(EtcdClient, KeyValueTxnLeaseAndWatch) {
  testing::EtcdTestCluster etcd(1);
  START_ETCD_OR_SKIP(etcd);
  auto c = Client(etcd.endpoints());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Put("/t/a", "1").ok());
  ASSERT_TRUE(c->Put("/t/b", "2").ok());
  ASSERT_TRUE(c->Put("/u/c", "3").ok());
  auto got = c->Get("/t/a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "1");
  EXPECT_FALSE(c->Get("/t/none")->has_value());
  auto range = c->GetPrefix("/t/");
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[1].key, "/t/b");
  EXPECT_GT(range->revision, 0);
  // PutIfAbsent: once only.
  EXPECT_TRUE(c->PutIfAbsent("/t/once", "x").value());
  EXPECT_FALSE(c->PutIfAbsent("/t/once", "y").value());
  EXPECT_EQ(c->Get("/t/once").value()->value, "x");
  // A watch from a revision sees every later change in order.
  std::mutex mu;
  std::vector<std::string> seen;
  auto watch = c->WatchPrefix(
      "/t/", range->revision + 1,
      [&](const std::vector<EtcdEvent>& events) {
        std::lock_guard lock(mu);
        for (const auto& e : events) seen.push_back((e.type == EtcdEvent::Type::kPut ? "put " : "del ") + e.kv.key);
      },
      nullptr);
  // A key under a lease goes when the lease is revoked.
  auto lease = c->GrantLease(30);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  ASSERT_TRUE(c->Put("/t/leased", "v", *lease).ok());
  EXPECT_EQ(c->Get("/t/leased").value()->lease, *lease);
  ASSERT_TRUE(c->RevokeLease(*lease).ok());
  EXPECT_FALSE(c->Get("/t/leased")->has_value());
  EXPECT_EQ(c->DeletePrefix("/t/").value(), 3);
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (seen.size() >= 6) break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  watch.reset();
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"put /t/once", "put /t/leased", "del /t/leased", "del /t/a", "del /t/b",
                                            "del /t/once"}));
  // Errors are values.
  EXPECT_EQ(c->RevokeLease(*lease).code(), StatusCode::kNotFound);
  EXPECT_FALSE(EtcdClient::Connect("").ok());
  EXPECT_FALSE(EtcdClient::Connect("localhost:1,localhost:2").ok());
}

TEST(EtcdClient, AnUnreachableClusterIsAnErrorWithinTheCallTimeout) {
  auto c = EtcdClient::Connect("127.0.0.1:1", {milliseconds(300)});
  ASSERT_TRUE(c.ok());
  auto put = (*c)->Put("/k", "v");
  EXPECT_EQ(put.status().code(), StatusCode::kIoError);
  EXPECT_NE(put.status().message().find("etcd put"), std::string::npos) << put.status().ToString();
}

TEST(EtcdMembership, NodesRegisterLeaveAndExpire) {
  testing::EtcdTestCluster etcd(1);
  START_ETCD_OR_SKIP(etcd);
  auto c = Client(etcd.endpoints());
  ASSERT_TRUE(c);
  MembershipOptions o;
  o.ttl_s = 2;
  std::atomic<int> changes{0};
  auto observer = Membership::Observe(c.get(), o, [&](const MemberList&) { ++changes; });
  ASSERT_TRUE(observer.ok()) << observer.status().ToString();
  EXPECT_TRUE((*observer)->members().empty());
  auto a = Membership::Join(c.get(), "a", "127.0.0.1:1001", o);
  auto b = Membership::Join(c.get(), "b", "127.0.0.1:1002", o);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*observer)->WaitFor([](const MemberList& m) { return m.size() == 2; }, seconds(10)));
  EXPECT_EQ((*observer)->members().at("b"), "127.0.0.1:1002");
  ASSERT_TRUE((*a)->WaitFor([](const MemberList& m) { return m.size() == 2; }, seconds(10)));
  EXPECT_EQ(Ids((*a)->members()), (std::vector<std::string>{"a", "b"}));
  EXPECT_GT(changes.load(), 0);
  // Kept alive beyond its TTL: still there after 2 TTLs.
  EXPECT_FALSE((*observer)->WaitFor([](const MemberList& m) { return m.size() != 2; }, seconds(4)));
  // A clean leave is seen at once (lease revoked).
  a->reset();
  ASSERT_TRUE((*observer)->WaitFor([](const MemberList& m) { return m.size() == 1; }, seconds(5)));
  // A node that stops renewing (a crash) disappears when its lease expires.
  const auto stopped = std::chrono::steady_clock::now();
  (*b)->StopKeepAlive();
  ASSERT_TRUE((*observer)->WaitFor([](const MemberList& m) { return m.empty(); }, seconds(15)));
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, milliseconds(500));
  // Ids are checked.
  EXPECT_FALSE(Membership::Join(c.get(), "", "x", o).ok());
  EXPECT_FALSE(Membership::Join(c.get(), "a/b", "x", o).ok());
}

TEST(EtcdMembership, TheShardMapMovesTheShardsOfALostNode) {
  testing::EtcdTestCluster etcd(1);
  START_ETCD_OR_SKIP(etcd);
  auto c = Client(etcd.endpoints());
  ASSERT_TRUE(c);
  MembershipOptions o;
  o.ttl_s = 2;
  // The map each change brings, as a node would recompute it.
  std::mutex mu;
  std::unique_ptr<ShardMap> current;
  auto observer = Membership::Observe(c.get(), o, [&](const MemberList& m) {
    std::lock_guard lock(mu);
    current = std::make_unique<ShardMap>(Ids(m), 16, 2);
  });
  ASSERT_TRUE(observer.ok());
  std::vector<std::unique_ptr<Membership>> nodes;
  for (const char* id : {"n1", "n2", "n3"}) {
    auto m = Membership::Join(c.get(), id, std::string("addr-") + id, o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    nodes.push_back(std::move(m).value());
  }
  ASSERT_TRUE((*observer)->WaitFor([](const MemberList& m) { return m.size() == 3; }, seconds(10)));
  ShardMap before({"n1", "n2", "n3"}, 16, 2);
  {
    std::lock_guard lock(mu);
    ASSERT_TRUE(current);
    EXPECT_EQ(current->nodes(), before.nodes());
  }
  const auto n3_shards = before.ShardsOf("n3", "g");
  ASSERT_FALSE(n3_shards.empty());
  nodes[2]->StopKeepAlive();  // n3 "crashes"
  // Waits for exactly n1 and n2: on a loaded machine (the test command runs
  // tests side by side) a survivor's 2-second lease can lapse and come back,
  // and a list of two that is not {n1, n2} is not the one this test is about.
  ASSERT_TRUE((*observer)->WaitFor(
      [](const MemberList& m) { return m.size() == 2 && m.count("n1") == 1 && m.count("n2") == 1; }, seconds(30)));
  std::lock_guard lock(mu);
  ASSERT_EQ(current->nodes(), (std::vector<std::string>{"n1", "n2"}));
  for (int s = 0; s < 16; ++s) {
    const auto r = current->Replicas("g", s);
    EXPECT_EQ(r.size(), 2u);
    EXPECT_EQ(std::find(r.begin(), r.end(), "n3"), r.end());
    if (std::find(n3_shards.begin(), n3_shards.end(), s) == n3_shards.end()) {
      EXPECT_EQ(r, before.Replicas("g", s));
    }
  }
}

TEST(EtcdMembership, AThreeMemberClusterSurvivesOneMemberKilled) {
  testing::EtcdTestCluster etcd(3);
  START_ETCD_OR_SKIP(etcd);
  // Calls ride through the election that follows the kill: on a loaded
  // machine (CI ran this beside other tests) it can take more than one round.
  auto c = Client(etcd.endpoints(), milliseconds(20000));
  ASSERT_TRUE(c);
  MembershipOptions o;
  o.ttl_s = 2;
  auto observer = Membership::Observe(c.get(), o);
  auto a = Membership::Join(c.get(), "a", "addr-a", o);
  ASSERT_TRUE(observer.ok() && a.ok());
  ASSERT_TRUE((*observer)->WaitFor([](const MemberList& m) { return m.size() == 1; }, seconds(10)));
  // Member 0 (first in the endpoint list, possibly the leader) dies.
  etcd.Kill(0);
  // Writes and reads go on through the two others ...
  auto put = c->Put("/after-kill", "1");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(c->Get("/after-kill").value()->value, "1");
  // ... a node joining now is seen (the watch moved to a live member) ...
  auto b = Membership::Join(c.get(), "b", "addr-b", o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE((*observer)->WaitFor([](const MemberList& m) { return m.size() == 2; }, seconds(15)));
  // ... and node a's lease is still kept alive: a stays for several TTLs.
  EXPECT_FALSE((*observer)->WaitFor([](const MemberList& m) { return m.count("a") == 0; }, seconds(5)));
  // A client given only the killed member's address cannot work.
  auto dead = EtcdClient::Connect(etcd.client_address(0), {milliseconds(500)});
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ((*dead)->Put("/x", "1").status().code(), StatusCode::kIoError);
}

TEST(EtcdMembership, ALeaseOutlivesAHungMember) {
  testing::EtcdTestCluster etcd(3);
  START_ETCD_OR_SKIP(etcd);
  auto c = Client(etcd.endpoints());
  ASSERT_TRUE(c);
  MembershipOptions o;
  o.ttl_s = 2;
  auto a = Membership::Join(c.get(), "a", "addr-a", o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // Member 0 hangs with its connections open (its keep-alive streams get no
  // answer): renewals move to the other members within a stream's life.
  etcd.Pause(0);
  auto others = Client(etcd.client_address(1) + "," + etcd.client_address(2));
  ASSERT_TRUE(others);
  const auto until = std::chrono::steady_clock::now() + seconds(8);  // 4 TTLs
  int checks = 0;
  while (std::chrono::steady_clock::now() < until) {
    auto got = others->Get("/facekit/nodes/a");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value()) << "node a lost its registration after " << checks << " checks";
    ++checks;
    std::this_thread::sleep_for(milliseconds(200));
  }
  etcd.Resume(0);
}

}  // namespace
}  // namespace facekit::cluster
