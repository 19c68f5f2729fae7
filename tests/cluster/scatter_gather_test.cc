// ScatterGather: grouping shards per node, the first answer of a shard
// winning, retries on failure, hedging of slow replicas, the deadline, the
// merge, and missing shards never passing silently. Times are explicit
// microseconds: nothing sleeps except the one RunScatterGather test.
#include "cluster/scatter_gather.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace facekit::cluster {
namespace {

ShardHit Hit(const std::string& face, float similarity) { return {face, "p-" + face, "g", similarity}; }

ShardReply Answer(const ShardRequest& r, const std::map<std::uint32_t, std::vector<ShardHit>>& hits) {
  ShardReply reply;
  reply.request_id = r.id;
  for (std::uint32_t s : r.shards) {
    auto it = hits.find(s);
    reply.shards.emplace(s, it == hits.end() ? std::vector<ShardHit>{} : it->second);
  }
  return reply;
}

ShardReply Failed(const ShardRequest& r, const std::string& why) {
  ShardReply reply;
  reply.request_id = r.id;
  reply.status = Status(StatusCode::kIoError, why);
  return reply;
}

const ShardRequest& To(const std::vector<ShardRequest>& sent, const std::string& node) {
  for (const ShardRequest& r : sent)
    if (r.node == node) return r;
  ADD_FAILURE() << "nothing sent to " << node;
  static ShardRequest none;
  return none;
}

TEST(ScatterGather, GroupsShardsPerNodeAndMergesTheGlobalTopK) {
  ScatterOptions o;
  o.top_k = 3;
  ScatterGather sg({{0, {"a", "b"}}, {1, {"b", "a"}}, {2, {"a", "c"}}, {3, {"c", "a"}}}, o);
  auto sent = sg.Start(0);
  ASSERT_EQ(sent.size(), 3u);  // a: shards 0 and 2; b: 1; c: 3
  EXPECT_EQ(To(sent, "a").shards, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(To(sent, "b").shards, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(sg.NextTimerUs(), o.hedge_after_us);
  EXPECT_TRUE(sg.OnReply(Answer(To(sent, "a"), {{0, {Hit("f1", .9f), Hit("f2", .5f)}}, {2, {Hit("f3", .7f)}}}), 10)
                  .empty());
  EXPECT_FALSE(sg.done());
  sg.OnReply(Answer(To(sent, "b"), {{1, {Hit("f4", .8f), Hit("f5", .1f)}}}), 20);
  sg.OnReply(Answer(To(sent, "c"), {{3, {Hit("f6", .7f)}}}), 30);
  ASSERT_TRUE(sg.done());
  EXPECT_EQ(sg.NextTimerUs(), -1);
  const ScatterOutcome out = sg.Finish();
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  ASSERT_EQ(out.hits.size(), 3u);
  EXPECT_EQ(out.hits[0].face_id, "f1");
  EXPECT_EQ(out.hits[1].face_id, "f4");
  EXPECT_EQ(out.hits[2].face_id, "f3");  // ties (0.7) by face id: f3 before f6
  EXPECT_EQ(out.hits[2].person_id, "p-f3");
  EXPECT_TRUE(out.missing.empty());
  EXPECT_EQ(out.requests, 3);
  EXPECT_EQ(out.hedges, 0);
}

TEST(ScatterGather, AFailedNodeMovesItsShardsToTheNextReplicaAtOnce) {
  ScatterGather sg({{0, {"a", "b"}}, {1, {"a", "c"}}}, {});
  auto sent = sg.Start(0);
  ASSERT_EQ(sent.size(), 1u);
  auto retry = sg.OnReply(Failed(sent[0], "connection refused"), 5);
  ASSERT_EQ(retry.size(), 2u);  // shard 0 to b, shard 1 to c
  EXPECT_EQ(To(retry, "b").shards, (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(To(retry, "c").shards, (std::vector<std::uint32_t>{1}));
  for (const ShardRequest& r : retry) EXPECT_FALSE(r.hedge);  // a retry is a need, not a hedge
  sg.OnReply(Answer(To(retry, "b"), {{0, {Hit("x", .5f)}}}), 8);
  sg.OnReply(Answer(To(retry, "c"), {{1, {Hit("y", .6f)}}}), 9);
  const ScatterOutcome out = sg.Finish();
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.hits.size(), 2u);
  EXPECT_EQ(out.retries, 2);
  EXPECT_EQ(out.requests, 3);
}

TEST(ScatterGather, AShardTheNodeCannotServeIsRetriedAlone) {
  ScatterGather sg({{0, {"a", "b"}}, {1, {"a", "b"}}}, {});
  auto sent = sg.Start(0);
  ShardReply r = Answer(sent[0], {{0, {Hit("x", .5f)}}});
  r.shards.erase(1);
  r.shards.emplace(1, Status(StatusCode::kFailedPrecondition, "shard 1 is still loading"));
  auto retry = sg.OnReply(r, 3);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].node, "b");
  EXPECT_EQ(retry[0].shards, (std::vector<std::uint32_t>{1}));
}

TEST(ScatterGather, ASlowReplicaIsHedgedAndTheFirstAnswerWins) {
  ScatterOptions o;
  o.hedge_after_us = 1000;
  ScatterGather sg({{0, {"slow", "fast"}}, {1, {"fast", "slow"}}}, o);
  auto sent = sg.Start(0);
  sg.OnReply(Answer(To(sent, "fast"), {{1, {Hit("b", .4f)}}}), 200);
  EXPECT_TRUE(sg.OnTimer(999).empty());  // not yet
  EXPECT_EQ(sg.NextTimerUs(), 1000);
  auto hedge = sg.OnTimer(1000);
  ASSERT_EQ(hedge.size(), 1u);
  EXPECT_EQ(hedge[0].node, "fast");
  EXPECT_EQ(hedge[0].shards, (std::vector<std::uint32_t>{0}));
  EXPECT_TRUE(hedge[0].hedge);  // told apart from a first request or a retry
  for (const ShardRequest& r : sent) EXPECT_FALSE(r.hedge);
  sg.OnReply(Answer(hedge[0], {{0, {Hit("a", .9f)}}}), 1100);  // the hedge answers first
  ASSERT_TRUE(sg.done());
  // The slow original arrives late, with a different answer: ignored.
  sg.OnReply(Answer(To(sent, "slow"), {{0, {Hit("zzz", .99f)}}}), 1500);
  const ScatterOutcome out = sg.Finish();
  ASSERT_EQ(out.hits.size(), 2u);
  EXPECT_EQ(out.hits[0].face_id, "a");
  EXPECT_EQ(out.hedges, 1);
  EXPECT_EQ(out.requests, 3);
}

TEST(ScatterGather, TheOriginalCanStillWinAfterAHedge) {
  ScatterOptions o;
  o.hedge_after_us = 100;
  ScatterGather sg({{7, {"a", "b", "c"}}}, o);
  auto sent = sg.Start(0);
  auto hedge1 = sg.OnTimer(100);
  ASSERT_EQ(hedge1.size(), 1u);
  EXPECT_EQ(hedge1[0].node, "b");
  EXPECT_EQ(sg.NextTimerUs(), 200);  // the third replica after another hedge delay
  sg.OnReply(Answer(sent[0], {{7, {Hit("orig", .3f)}}}), 150);
  ASSERT_TRUE(sg.done());
  EXPECT_TRUE(sg.OnTimer(200).empty());
  EXPECT_EQ(sg.Finish().hits[0].face_id, "orig");
}

TEST(ScatterGather, MissingShardsFailTheSearchNamingThemUnlessPartialIsAllowed) {
  for (bool partial : {false, true}) {
    SCOPED_TRACE(partial);
    ScatterOptions o;
    o.hedge_after_us = 0;  // no hedging: the deadline decides
    o.deadline_us = 5000;
    o.allow_partial = partial;
    ScatterGather sg({{0, {"a"}}, {1, {"b", "c"}}, {2, {"d"}}}, o);
    auto sent = sg.Start(0);
    ASSERT_EQ(sent.size(), 3u);
    sg.OnReply(Answer(To(sent, "a"), {{0, {Hit("x", .5f)}}}), 10);
    auto retry = sg.OnReply(Failed(To(sent, "b"), "connection refused"), 20);
    ASSERT_EQ(retry.size(), 1u);
    sg.OnReply(Failed(retry[0], "node is shutting down"), 30);  // shard 1: every replica failed
    EXPECT_FALSE(sg.done());                                   // shard 2 still has d outstanding
    EXPECT_EQ(sg.NextTimerUs(), 5000);
    EXPECT_TRUE(sg.OnTimer(5000).empty());
    ASSERT_TRUE(sg.done());
    // d answers after the deadline: too late.
    sg.OnReply(Answer(To(sent, "d"), {{2, {Hit("late", .9f)}}}), 6000);
    const ScatterOutcome out = sg.Finish();
    EXPECT_EQ(out.missing, (std::vector<std::uint32_t>{1, 2}));
    ASSERT_EQ(out.hits.size(), 1u);
    EXPECT_EQ(out.hits[0].face_id, "x");
    if (partial) {
      EXPECT_TRUE(out.status.ok());
    } else {
      EXPECT_EQ(out.status.code(), StatusCode::kUnavailable);
      const std::string& m = out.status.message();
      EXPECT_NE(m.find("2 of 3 shards"), std::string::npos) << m;
      EXPECT_NE(m.find("shard 1: b: IoError: connection refused, c: IoError: node is shutting down"),
                std::string::npos)
          << m;
      EXPECT_NE(m.find("shard 2: no answer within the deadline"), std::string::npos) << m;
    }
  }
}

TEST(ScatterGather, AShardWithoutReplicasIsMissingFromTheStart) {
  ScatterGather sg({{0, {"a"}}, {1, {}}}, {});
  auto sent = sg.Start(0);
  ASSERT_EQ(sent.size(), 1u);
  sg.OnReply(Answer(sent[0], {{0, {}}}), 1);
  ASSERT_TRUE(sg.done());
  const ScatterOutcome out = sg.Finish();
  EXPECT_EQ(out.missing, (std::vector<std::uint32_t>{1}));
  EXPECT_NE(out.status.message().find("shard 1: no replica"), std::string::npos) << out.status.ToString();
}

TEST(ScatterGather, APersonSeenOnTwoShardsCountsOnceWithItsBestFace) {
  ScatterOptions o;
  o.top_k = 10;
  ScatterGather sg({{0, {"a"}}, {1, {"b"}}}, o);
  auto sent = sg.Start(0);
  sg.OnReply(Answer(To(sent, "a"), {{0, {Hit("moved", .4f), Hit("k", .2f)}}}), 1);
  sg.OnReply(Answer(To(sent, "b"), {{1, {Hit("moved", .6f)}}}), 2);
  const ScatterOutcome out = sg.Finish();
  ASSERT_EQ(out.hits.size(), 2u);
  EXPECT_EQ(out.hits[0].face_id, "moved");
  EXPECT_FLOAT_EQ(out.hits[0].similarity, .6f);
}

TEST(ScatterGather, UnknownAndRepeatedRepliesAreIgnored) {
  ScatterGather sg({{0, {"a", "b"}}}, {});
  auto sent = sg.Start(0);
  ShardReply stranger;
  stranger.request_id = 999;
  EXPECT_TRUE(sg.OnReply(stranger, 1).empty());
  EXPECT_FALSE(sg.done());
  sg.OnReply(Answer(sent[0], {{0, {Hit("x", .5f)}}}), 2);
  EXPECT_TRUE(sg.OnReply(Failed(sent[0], "duplicate"), 3).empty());  // already settled
  EXPECT_TRUE(sg.Finish().status.ok());
}

// The driver with a real clock: replies from other threads, one replica that
// never answers (hedged away), one that answers after the call returned.
TEST(RunScatterGather, RepliesFromOtherThreadsAndAStuckReplica) {
  ScatterOptions o;
  // Long enough that the answering replicas' threads reply before it even
  // on a loaded machine (at 20 ms an ASan run beside a benchmark hedged one of them too).
  o.hedge_after_us = 250'000;
  o.deadline_us = 2'000'000;
  std::vector<std::thread> threads;
  std::vector<std::function<void(ShardReply)>> stuck;  // "hung": answered after RunScatterGather returned
  std::mutex mu;
  const ShardTransport transport = [&](const ShardRequest& r, std::function<void(ShardReply)> done) {
    std::lock_guard<std::mutex> lock(mu);
    if (r.node == "hung") {
      stuck.push_back(std::move(done));
      return;
    }
    threads.emplace_back([r, done] {
      std::map<std::uint32_t, std::vector<ShardHit>> hits;
      for (std::uint32_t s : r.shards) hits[s] = {Hit(r.node + "-" + std::to_string(s), 0.5f + 0.01f * s)};
      done(Answer(r, hits));
    });
  };
  const ScatterOutcome out = RunScatterGather({{0, {"hung", "ok"}}, {1, {"ok", "hung"}}, {2, {"ok2"}}}, o, transport);
  for (auto& t : threads) t.join();
  ASSERT_TRUE(out.status.ok()) << out.status.ToString();
  EXPECT_TRUE(out.missing.empty());
  ASSERT_EQ(out.hits.size(), 3u);
  EXPECT_EQ(out.hits[0].face_id, "ok2-2");
  EXPECT_EQ(out.hedges, 1);
  // The hung replica answers now: dropped without touching freed state (ASan would see it).
  for (auto& done : stuck) done(ShardReply{});
}

}  // namespace
}  // namespace facekit::cluster
