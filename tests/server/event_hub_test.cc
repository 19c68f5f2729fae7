// The live event hub (event_hub.h) on its own, then on the real server:
// PublishEvent over REST, GET /v1/events/stream as server-sent events with a
// token, replay with Last-Event-ID, group scopes, a client too slow to keep
// up dropped without holding the publisher, open streams ended when their
// key is revoked or their token expires, and the pipeline's webhook sender
// posting to it.
#include "server/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "common/base64.h"
#include "media/webhook_sender.h"
#include "one_port_test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;

// What a connection's stream hands over, collected synchronously.
struct Taken {
  std::string text;
  bool end = false;
  bool called = false;
};

Taken TakeNow(HttpStream& s) {
  Taken t;
  s.Next([&t](std::string chunk, bool end) {
    t.text = std::move(chunk);
    t.end = end;
    t.called = true;
  });
  return t;
}

TEST(EventHubTest, ReplaysTheRingAndResumesAfterLastEventId) {
  EventHubOptions o;
  o.replay = 2;
  o.now_ms = [] { return std::int64_t{1000}; };
  EventHub hub(o);
  EXPECT_EQ(hub.Publish({{"type", "checkin"}, {"person_id", "p1"}}), 1u);
  EXPECT_EQ(hub.Publish({{"type", "checkin"}, {"person_id", "p2"}}), 2u);
  EXPECT_EQ(hub.Publish({{"type", "checkin"}, {"person_id", "p3"}}), 3u);

  auto all = hub.Subscribe(std::nullopt, {});
  Taken t = TakeNow(*all);
  ASSERT_TRUE(t.called);
  EXPECT_FALSE(t.end);
  EXPECT_TRUE(t.text.starts_with("retry: 2000\n\n")) << t.text;
  EXPECT_EQ(t.text.find("p1"), std::string::npos) << "older than the ring";
  EXPECT_NE(t.text.find("id: 2\ndata: {"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("\"person_id\":\"p3\""), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("\"received_ms\":1000"), std::string::npos) << t.text;

  auto resumed = hub.Subscribe(2, {});
  t = TakeNow(*resumed);
  EXPECT_EQ(t.text.find("p2"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("id: 3\n"), std::string::npos) << t.text;

  // An id from before a restart (never given by this hub): everything kept is replayed.
  auto after_restart = hub.Subscribe(57, {});
  t = TakeNow(*after_restart);
  EXPECT_NE(t.text.find("id: 2\n"), std::string::npos) << t.text;
}

TEST(EventHubTest, LiveEventsReachAWaitingStreamWithinItsGroups) {
  EventHub hub;
  auto scoped = hub.Subscribe(std::nullopt, [](const std::string& g) { return g == "a"; });
  ASSERT_TRUE(TakeNow(*scoped).called);  // the retry line
  Taken t;
  scoped->Next([&t](std::string chunk, bool end) {
    t.text = std::move(chunk);
    t.end = end;
    t.called = true;
  });
  EXPECT_FALSE(t.called);
  hub.Publish({{"type", "checkin"}, {"group_id", "b"}});
  hub.Publish({{"type", "challenge"}});  // no group: unrestricted keys only
  EXPECT_FALSE(t.called);
  hub.Publish({{"type", "checkin"}, {"group_id", "a"}, {"person_id", "ann"}});
  ASSERT_TRUE(t.called);  // delivered on the publisher's thread
  EXPECT_NE(t.text.find("id: 3\n"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("ann"), std::string::npos);
  EXPECT_EQ(hub.stats().published, 3u);
  EXPECT_EQ(hub.stats().streams, 1u);
}

TEST(EventHubTest, AStreamThatFallsBehindIsEndedWithoutBlockingThePublisher) {
  EventHubOptions o;
  o.max_pending = 3;
  EventHub hub(o);
  auto slow = hub.Subscribe(std::nullopt, {});
  auto fast = hub.Subscribe(std::nullopt, {});
  ASSERT_TRUE(TakeNow(*slow).called);
  // `slow` never asks for more; `fast` takes each event.
  for (int i = 0; i < 10; ++i) {
    hub.Publish({{"type", "checkin"}, {"n", i}});
    Taken t = TakeNow(*fast);
    ASSERT_TRUE(t.called);
    EXPECT_FALSE(t.end);
  }
  EXPECT_EQ(hub.stats().dropped_streams, 1u);
  EXPECT_EQ(hub.stats().streams, 1u);
  Taken end = TakeNow(*slow);
  EXPECT_TRUE(end.called);
  EXPECT_TRUE(end.end);
}

TEST(EventHubTest, CancelledStreamsAreNotCalledAndTokensExpire) {
  std::atomic<std::int64_t> now{5000};
  EventHubOptions o;
  o.token_ttl = std::chrono::milliseconds(1000);
  o.now_ms = [&now] { return now.load(); };
  EventHub hub(o);
  auto s = hub.Subscribe(std::nullopt, {});
  ASSERT_TRUE(TakeNow(*s).called);
  bool called = false;
  s->Next([&called](std::string, bool) { called = true; });
  s->Cancel();
  hub.Publish({{"type", "checkin"}});
  EXPECT_FALSE(called);
  EXPECT_EQ(hub.stats().streams, 0u);

  auto [token, expires] = hub.IssueToken("AKIDx");
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(expires, 6000);
  auto grant = hub.Redeem(token);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->secret_id, "AKIDx");
  EXPECT_EQ(grant->expires_ms, 6000);
  EXPECT_FALSE(hub.Redeem("0123").has_value());
  now = 6000;
  EXPECT_FALSE(hub.Redeem(token).has_value());
}

TEST(EventHubTest, OpenStreamsEndWhenTheirTokenExpiresOrTheirKeyIsRefused) {
  std::atomic<std::int64_t> now{1000};
  std::mutex mu;
  std::set<std::string> revoked;
  int checks = 0;
  EventHubOptions o;
  o.access_check = std::chrono::milliseconds(0);  // only when the test calls CheckAccess
  o.now_ms = [&now] { return now.load(); };
  EventHub hub(o, [&](const std::string& id) {
    std::lock_guard lock(mu);
    ++checks;
    std::optional<StreamRefusal> why;
    if (revoked.count(id)) why = StreamRefusal{"AuthFailure.SecretIdNotFound", "revoked"};
    return why;
  });
  auto expiring = hub.Subscribe(std::nullopt, {}, StreamGrant{"AKIDa", 2000});
  auto revokee = hub.Subscribe(std::nullopt, {}, StreamGrant{"AKIDb", 10000});
  auto revokee2 = hub.Subscribe(std::nullopt, {}, StreamGrant{"AKIDb", 10000});
  auto unchecked = hub.Subscribe(std::nullopt, {});
  for (auto* s : {&expiring, &revokee, &revokee2, &unchecked}) ASSERT_TRUE(TakeNow(**s).called);
  EXPECT_EQ(hub.CheckAccess(), 0u);
  EXPECT_EQ(checks, 2);  // once per key

  hub.Publish({{"type", "checkin"}, {"person_id", "queued"}});  // queued for revokee2, dropped when it ends
  EXPECT_NE(TakeNow(*revokee).text.find("queued"), std::string::npos);
  // A waiting connection gets the "closed" event at once, then the end.
  Taken waiting;
  revokee->Next([&waiting](std::string chunk, bool end) {
    waiting.text = std::move(chunk);
    waiting.end = end;
    waiting.called = true;
  });
  {
    std::lock_guard lock(mu);
    revoked.insert("AKIDb");
  }
  EXPECT_EQ(hub.CheckAccess(), 2u);
  ASSERT_TRUE(waiting.called);
  EXPECT_FALSE(waiting.end);
  EXPECT_EQ(waiting.text,
            "event: closed\ndata: {\"code\":\"AuthFailure.SecretIdNotFound\",\"message\":\"revoked\"}\n\n");
  EXPECT_TRUE(TakeNow(*revokee).end);
  Taken last = TakeNow(*revokee2);
  EXPECT_NE(last.text.find("event: closed\n"), std::string::npos) << last.text;
  EXPECT_EQ(last.text.find("queued"), std::string::npos) << last.text;
  EXPECT_TRUE(TakeNow(*revokee2).end);
  EXPECT_EQ(hub.stats().streams, 2u);

  // The token's expiry ends the other; a stream without a grant goes on.
  now = 1999;
  EXPECT_EQ(hub.CheckAccess(), 0u);
  now = 2000;
  EXPECT_EQ(hub.CheckAccess(), 1u);
  EXPECT_EQ(hub.CheckAccess(), 0u);  // counted once
  Taken expired = TakeNow(*expiring);
  EXPECT_NE(expired.text.find("\"code\":\"AuthFailure.TokenFailure\""), std::string::npos) << expired.text;
  EXPECT_TRUE(TakeNow(*expiring).end);
  hub.Publish({{"type", "checkin"}, {"person_id", "later"}});
  EXPECT_NE(TakeNow(*unchecked).text.find("later"), std::string::npos);
  EXPECT_EQ(hub.stats().streams, 1u);
  EXPECT_EQ(hub.stats().closed_streams, 3u);
}

TEST(EventHubTest, TheHubsThreadChecksAccessByItself) {
  std::atomic<bool> revoked{false};
  EventHubOptions o;
  o.access_check = std::chrono::milliseconds(5);
  EventHub hub(o, [&revoked](const std::string&) {
    std::optional<StreamRefusal> why;
    if (revoked) why = StreamRefusal{"AuthFailure.SecretIdNotFound", "revoked"};
    return why;
  });
  auto s = hub.Subscribe(std::nullopt, {}, StreamGrant{"AKIDa", 0});
  ASSERT_TRUE(TakeNow(*s).called);
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  bool called = false;
  s->Next([&](std::string chunk, bool) {
    std::lock_guard lock(mu);
    text = std::move(chunk);
    called = true;
    cv.notify_all();
  });
  revoked = true;
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return called; }));
  EXPECT_TRUE(text.starts_with("event: closed\n")) << text;
}

// ---------------------------------------------------------------- on the server

// A raw connection reading a server-sent event stream.
class SseClient {
 public:
  SseClient(std::uint16_t port, const std::string& target, const std::string& extra_headers = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
    const std::string raw = "GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" +
                            extra_headers + "\r\n";
    (void)!::send(fd_, raw.data(), raw.size(), MSG_NOSIGNAL);
  }
  ~SseClient() { ::close(fd_); }
  // Reads until `needle` has arrived (true) or the connection ends / times out (false).
  bool ReadUntil(const std::string& needle) {
    while (received_.find(needle) == std::string::npos) {
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads until the server closes the connection (true) or the read times out (false).
  bool ReadToEnd() {
    for (;;) {
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) return true;
      if (n < 0) return false;
      received_.append(buf, static_cast<std::size_t>(n));
    }
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

class EventStreamTest : public testing::OnePortServerTest {
 protected:
  void Configure(service::DataDirOptions*, ServerOptions* o) override {
    o->events.max_pending = 4;
    o->events.access_check = std::chrono::milliseconds(20);
    o->events.now_ms = [this] { return now_ms_.load(); };  // the hub's clock: token expiry
  }
  void TearDown() override { server_.reset(); }  // its hub's thread reads now_ms_

  std::atomic<std::int64_t> now_ms_{1'700'000'000'000};

  std::string Token(const std::string& key) {
    auto a = Http(RestBearer("POST", "/v1/events:token", json::object(), key));
    EXPECT_EQ(a.status, 200) << a.body;
    json j = a.Json();
    EXPECT_EQ(j.value("url", ""), "/v1/events/stream?token=" + j.value("token", "")) << j;
    return j.value("token", "");
  }
};

TEST_F(EventStreamTest, PublishedCheckInsStreamWithFaceAndLivenessEvidence) {
  const std::string face = testing::PhotoBase64("obama_small.jpg");  // a 33 KB JPEG
  SseClient reader(server_->port(), "/v1/events/stream?token=" + Token("AKIDreader"));
  ASSERT_TRUE(reader.ReadUntil("retry: 2000\n\n")) << reader.received();
  EXPECT_NE(reader.received().find("HTTP/1.1 200"), std::string::npos) << reader.received();
  EXPECT_NE(reader.received().find("Content-Type: text/event-stream"), std::string::npos);

  const json checkin = {{"type", "checkin"},  {"person_id", "obama"},    {"person_name", "Barack"},
                        {"group_id", "a"},    {"score", 91.5},           {"track_id", 3},
                        {"live", true},       {"face_jpeg", face},
                        {"liveness", {{"score", 0.93}, {"cues", {"moire"}}, {"challenge", "blink"}}}};
  auto posted = Http(RestBearer("POST", "/v1/events", checkin, "AKIDadmin"));
  ASSERT_EQ(posted.status, 200) << posted.body;
  EXPECT_EQ(posted.Json()["id"], "1");
  ASSERT_TRUE(reader.ReadUntil("id: 1\ndata: ")) << reader.received();
  ASSERT_TRUE(reader.ReadUntil("}\n\n"));
  const std::string& text = reader.received();
  const auto start = text.find("id: 1\ndata: ") + 12;
  json got = json::parse(text.substr(start, text.find("\n\n", start) - start), nullptr, false);
  ASSERT_TRUE(got.is_object()) << text;
  EXPECT_EQ(got["person_name"], "Barack");
  EXPECT_EQ(got["score"], 91.5);
  EXPECT_EQ(got["face_jpeg"], face);
  EXPECT_EQ(got["liveness"]["cues"], json::array({"moire"}));
  EXPECT_EQ(got["publisher"], "AKIDadmin");

  // A scoped key's stream replays and follows only its group; Last-Event-ID resumes after an event.
  Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"group_id", "b"}, {"person_id", "other"}}));
  Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"group_id", "a"}, {"person_id", "third"}}));
  SseClient scoped(server_->port(), "/v1/events/stream?token=" + Token("AKIDscoped"), "Last-Event-ID: 1\r\n");
  ASSERT_TRUE(scoped.ReadUntil("id: 3\n")) << scoped.received();
  EXPECT_EQ(scoped.received().find("id: 1\n"), std::string::npos);
  EXPECT_EQ(scoped.received().find("other"), std::string::npos);
  ASSERT_TRUE(reader.ReadUntil("id: 3\n"));  // the unrestricted reader got both
  EXPECT_NE(reader.received().find("other"), std::string::npos);
}

TEST_F(EventStreamTest, StreamsAndPublishingNeedTheRightKey) {
  auto code = [](const testing::HttpAnswer& a) { return a.Json().value("code", ""); };
  EXPECT_EQ(code(Http("GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
            "AuthFailure.InvalidAuthorization");
  EXPECT_EQ(code(Http("GET /v1/events/stream?token=feed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
            "AuthFailure.TokenFailure");
  // A revoked key's token opens nothing.
  keys_.Add("AKIDgone", KeyRole::kReadOnly);
  const std::string token = Token("AKIDgone");
  keys_.Add("AKIDgone", KeyRole::kReadOnly).revoked_ms = 1;
  auto refused = Http("GET /v1/events/stream?token=" + token + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(code(refused), "AuthFailure.SecretIdNotFound");
  EXPECT_EQ(code(Http("GET /v1/events/stream?token=" + Token("AKIDreader") +
                      "&last_event_id=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
            "InvalidParameterValue.LastEventIdIllegal");

  // Publishing is a write; a scoped key publishes only within its groups; events need a type.
  EXPECT_EQ(code(Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}}, "AKIDreader"))),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(code(Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"group_id", "b"}}, "AKIDscoped"))),
            "AuthFailure.UnauthorizedOperation");
  EXPECT_EQ(Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"group_id", "a"}}, "AKIDscoped")).status,
            200);
  EXPECT_EQ(code(Http(RestBearer("POST", "/v1/events", {{"person_id", "p"}}))), "InvalidParameterValue.EventIllegal");
  EXPECT_EQ(code(Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"face_jpeg", "aGVsbG8="}}))),
            "InvalidParameterValue.FaceJpegIllegal");
}

TEST_F(EventStreamTest, AClientThatStopsReadingIsDroppedWhileOthersKeepUp) {
  // The slow client opens a stream and never reads; each event is ~48 KB, so
  // its socket buffers fill, its writes stall and its queue (max_pending 4) overflows.
  SseClient slow(server_->port(), "/v1/events/stream?token=" + Token("AKIDreader"));
  SseClient fast(server_->port(), "/v1/events/stream?token=" + Token("AKIDreader"));
  ASSERT_TRUE(fast.ReadUntil("retry: 2000\n\n"));
  const std::string padding(48 * 1024, 'x');
  EventHub* hub = server_->events();
  ASSERT_NE(hub, nullptr);
  for (int i = 1; i <= 2000 && hub->stats().dropped_streams == 0; ++i) {
    hub->Publish({{"type", "checkin"}, {"padding", padding}});
    ASSERT_TRUE(fast.ReadUntil("id: " + std::to_string(i) + "\n")) << i;
  }
  EXPECT_EQ(hub->stats().dropped_streams, 1u);
  // The fast client still follows.
  const std::uint64_t next = hub->Publish({{"type", "checkin"}, {"person_id", "after"}});
  EXPECT_TRUE(fast.ReadUntil("id: " + std::to_string(next) + "\n"));
}

TEST_F(EventStreamTest, RevokingAKeyCutsItsOpenStreams) {
  keys_.Add("AKIDkiosk", KeyRole::kReadOnly);
  SseClient kiosk(server_->port(), "/v1/events/stream?token=" + Token("AKIDkiosk"));
  SseClient other(server_->port(), "/v1/events/stream?token=" + Token("AKIDreader"));
  ASSERT_TRUE(kiosk.ReadUntil("retry: 2000\n\n")) << kiosk.received();
  ASSERT_TRUE(other.ReadUntil("retry: 2000\n\n")) << other.received();
  Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"person_id", "before"}}));
  ASSERT_TRUE(kiosk.ReadUntil("before"));
  keys_.Revoke("AKIDkiosk");
  // The hub checks every 20 ms here (1 s by default): the stream gets a last
  // "closed" event saying why, then the server closes the connection.
  ASSERT_TRUE(kiosk.ReadToEnd()) << "still open: " << kiosk.received();
  EXPECT_NE(kiosk.received().find("event: closed\ndata: {\"code\":\"AuthFailure.SecretIdNotFound\""),
            std::string::npos)
      << kiosk.received();
  EXPECT_EQ(server_->events()->stats().closed_streams, 1u);
  // The other key's stream goes on; the revoked key gets no new token.
  Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"person_id", "after"}}));
  ASSERT_TRUE(other.ReadUntil("after"));
  EXPECT_EQ(other.received().find("event: closed"), std::string::npos);
  EXPECT_EQ(Http(RestBearer("POST", "/v1/events:token", json::object(), "AKIDkiosk")).Json().value("code", ""),
            "AuthFailure.SecretIdNotFound");
}

TEST_F(EventStreamTest, AStreamEndsWhenItsTokenExpires) {
  SseClient reader(server_->port(), "/v1/events/stream?token=" + Token("AKIDreader"));
  ASSERT_TRUE(reader.ReadUntil("retry: 2000\n\n")) << reader.received();
  now_ms_ += 600000 - 1;  // the token's last millisecond: still open
  Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"person_id", "in-time"}}));
  ASSERT_TRUE(reader.ReadUntil("in-time")) << reader.received();
  now_ms_ += 1;
  ASSERT_TRUE(reader.ReadToEnd()) << "still open: " << reader.received();
  EXPECT_NE(reader.received().find("event: closed\ndata: {\"code\":\"AuthFailure.TokenFailure\""),
            std::string::npos)
      << reader.received();
  // A new token opens a new stream, resuming after the last event seen.
  SseClient again(server_->port(), "/v1/events/stream?token=" + Token("AKIDreader") + "&last_event_id=1");
  Http(RestBearer("POST", "/v1/events", {{"type", "checkin"}, {"person_id", "resumed"}}));
  ASSERT_TRUE(again.ReadUntil("resumed")) << again.received();
  EXPECT_EQ(again.received().find("in-time"), std::string::npos);
}

TEST_F(EventStreamTest, ThePipelineWebhookSenderPostsToServe) {
  SseClient reader(server_->port(), "/v1/events/stream?token=" + Token("AKIDadmin"));
  ASSERT_TRUE(reader.ReadUntil("retry: 2000\n\n"));
  media::WebhookOptions o;
  o.url = "http://" + authority_ + "/v1/events";
  o.authorization = "Bearer AKIDadmin:secret-of-AKIDadmin";
  o.max_retries = 0;
  media::WebhookSender sender(o);
  sender.Offer(R"({"type":"checkin","person_id":"p7","person_name":"Ann","group_id":"staff","score":88.1,)"
               R"("pts_ms":1200,"track_id":3,"live":true})",
               0);
  EXPECT_EQ(sender.stats().delivered, 1u);
  ASSERT_TRUE(reader.ReadUntil("\"person_name\":\"Ann\"")) << reader.received();

  media::WebhookOptions bad = o;
  bad.authorization = "Bearer AKIDadmin:wrong";
  media::WebhookSender refused(bad);
  refused.Offer(R"({"type":"checkin"})", 0);
  EXPECT_EQ(refused.stats().delivered, 0u);
  EXPECT_EQ(refused.stats().failures, 1u);
}

}  // namespace
}  // namespace facekit::server
