// The facekit.cluster.v1.Shard/ShardSearch method on the real server's port:
// a call that waits for a change-log position (min_seq) must not hold one of
// gRPC's callback threads, or a few such calls would stall every other shard
// search of the node.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "facekit/cluster/v1/shard.grpc.pb.h"
#include "one_port_test_util.h"
#include "server/grpc_shard_method.h"
#include "server/tc3_signature.h"

namespace facekit::server {
namespace {

namespace cv1 = ::facekit::cluster::v1;

// Answers at once, except that a query with a min_seq waits until its
// wait_until, as a node behind the change log does (Gallery::WaitForPosition),
// then refuses its shards.
class WaitingShards final : public service::ShardSearchHandler {
 public:
  Result<std::vector<service::ShardAnswer>> SearchShards(const service::ShardQuery& q) const override {
    if (q.hedge) ++hedges;
    std::vector<service::ShardAnswer> out;
    for (const auto& shard : q.shards) {
      service::ShardAnswer a;
      a.shard = shard;
      out.push_back(a);
    }
    if (q.min_seq > 0) {
      ++waiting;
      std::this_thread::sleep_until(q.wait_until);
      --waiting;
      for (auto& a : out) a.refused = "behind: position not reached";
    }
    return out;
  }
  mutable std::atomic<int> waiting{0};
  mutable std::atomic<int> hedges{0};  // queries that came as hedges
};

class ShardMethodTest : public testing::OnePortServerTest {
 protected:
  void Configure(service::DataDirOptions*, server::ServerOptions* o) override { o->grpc.shard_search = &shards_; }

  // One ShardSearch call as a coordinator makes it (signed with the admin key).
  grpc::Status Search(std::int64_t min_seq, std::chrono::milliseconds deadline, cv1::ShardSearchResponse* out,
                      bool hedge = false) {
    cv1::ShardSearchRequest request;
    request.set_hedge(hedge);
    const std::vector<float> query(8, 0.5f);
    request.set_query(std::string(reinterpret_cast<const char*>(query.data()), query.size() * sizeof(float)));
    request.set_k(5);
    request.set_min_seq(min_seq);
    auto* shard = request.add_shards();
    shard->set_group_id("g");
    shard->set_shard(3);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    server::Tc3SignInput in;
    in.method = "POST";
    in.canonical_uri = kShardSearchPath;
    in.content_type = "application/grpc";
    in.host = authority_;
    in.payload_hash = server::Sha256Hex(request.SerializeAsString());
    in.timestamp = testing::NowSeconds();
    in.service = "facekit";
    ctx.AddMetadata("authorization", server::Tc3Authorization("AKIDadmin", "secret-of-AKIDadmin", in));
    ctx.AddMetadata("x-tc-timestamp", std::to_string(in.timestamp));
    return shard_stub_->ShardSearch(&ctx, request, out);
  }

  WaitingShards shards_;
  std::unique_ptr<cv1::Shard::Stub> shard_stub_;
};

TEST_F(ShardMethodTest, CallsWaitingForAPositionDoNotHoldUpTheOthers) {
  shard_stub_ = cv1::Shard::NewStub(channel_);
  cv1::ShardSearchResponse plain;
  ASSERT_TRUE(Search(0, std::chrono::seconds(5), &plain).ok());
  ASSERT_EQ(plain.results_size(), 1);
  EXPECT_TRUE(plain.results(0).refused().empty());
  // A hedge reaches the node's handler as one (a lingering owner does not
  // count it as a need for a lost shard).
  EXPECT_EQ(shards_.hedges.load(), 0);
  ASSERT_TRUE(Search(0, std::chrono::seconds(5), &plain, /*hedge=*/true).ok());
  EXPECT_EQ(shards_.hedges.load(), 1);

  // Many calls waiting for a position the node never reaches (each waits half
  // its 6 s deadline), more than gRPC has callback threads on this machine.
  constexpr int kWaiting = 24;
  std::vector<std::future<bool>> waiting;
  for (int i = 0; i < kWaiting; ++i) {
    waiting.push_back(std::async(std::launch::async, [this] {
      cv1::ShardSearchResponse r;
      return Search(1000, std::chrono::seconds(6), &r).ok() && r.results_size() == 1 && !r.results(0).refused().empty();
    }));
  }
  for (int i = 0; i < 200 && shards_.waiting.load() < kWaiting; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // A plain search meanwhile answers at once, not after the waits.
  const auto t0 = std::chrono::steady_clock::now();
  const grpc::Status quick = Search(0, std::chrono::seconds(10), &plain);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(quick.ok()) << quick.error_message();
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "waited behind the min_seq calls";
  EXPECT_EQ(shards_.waiting.load(), kWaiting) << "the waiting calls were not all running at once";
  for (auto& w : waiting) EXPECT_TRUE(w.get());
}

}  // namespace
}  // namespace facekit::server
