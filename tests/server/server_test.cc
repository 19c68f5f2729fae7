// The real server on port 0, spoken to over sockets.
#include "server/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <thread>

#include "cloud_test_util.h"
#include "http_test_client.h"

namespace facekit::server {
namespace {

using nlohmann::json;

// The whole answer (head, blank line, body), or "" when the connection failed.
std::string Exchange(std::uint16_t port, const std::string& raw) {
  const testing::HttpAnswer a = testing::HttpExchange(port, raw);
  return a.status == 0 ? std::string() : a.head + "\r\n\r\n" + a.body;
}

std::string Get(std::uint16_t port, const std::string& path) {
  return Exchange(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

std::string BodyOf(const std::string& response) {
  const auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

std::string Raw(const HttpRequest& r) {
  std::string out = r.method + " " + r.target + " HTTP/1.1\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n" + r.body;
  return out;
}

class ServerTest : public ::testing::Test {
 protected:
  void Start(std::size_t max_body = 12 * 1024 * 1024) {
    auto svc = service::OpenFaceService(dir_.path(), testing::SharedEngine());
    ASSERT_TRUE(svc.ok());
    service_ = std::move(svc.value());
    keys_.Add("AKIDadmin", KeyRole::kAdmin);
    ServerOptions o;
    o.http.port = 0;
    o.http.max_body_bytes = max_body;
    auto s = Server::Start(o, *service_, keys_, {});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s.value());
  }
  std::string Signed(const std::string& action, json params) {
    testing::SignedRequest r;
    r.action = action;
    r.params = std::move(params);
    r.secret_id = "AKIDadmin";
    r.secret_key = "secret-of-AKIDadmin";
    r.timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    r.host = "127.0.0.1:" + std::to_string(server_->port());
    r.service = "127";
    return Raw(r.Build());
  }

  testing::TempDir dir_;
  std::unique_ptr<service::FaceService> service_;
  testing::MemoryKeys keys_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, HealthMetricsAndCloudApiOnOnePort) {
  Start();
  EXPECT_EQ(BodyOf(Get(server_->port(), "/ping")), "pong");
  EXPECT_NE(Get(server_->port(), "/healthz").find("200 OK"), std::string::npos);
  EXPECT_NE(Get(server_->port(), "/readyz").find("200 OK"), std::string::npos);
  EXPECT_NE(Get(server_->port(), "/nowhere").find("404"), std::string::npos);

  const std::string answer = Exchange(server_->port(), Signed("CreateGroup", {{"GroupId", "g"}, {"GroupName", "G"}}));
  ASSERT_NE(answer.find("200 OK"), std::string::npos) << answer;
  json r = json::parse(BodyOf(answer))["Response"];
  EXPECT_FALSE(r.contains("Error")) << r;
  EXPECT_EQ(r["RequestId"].get<std::string>().size(), 36u);

  const std::string metrics = BodyOf(Get(server_->port(), "/metrics"));
  EXPECT_NE(metrics.find("facekit_gallery_objects{kind=\"groups\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nfacekit_gallery_index_builds_pending 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("action=\"CreateGroup\",code=\"OK\"} 1"), std::string::npos) << metrics;

  // Model stages are timed.
  const std::string detect = Exchange(server_->port(), Signed("DetectFace", {{"Image", testing::PhotoBase64("obama.jpg")}}));
  ASSERT_EQ(json::parse(BodyOf(detect))["Response"].count("Error"), 0u) << detect;
  const std::string after = BodyOf(Get(server_->port(), "/metrics"));
  EXPECT_NE(after.find("facekit_model_duration_seconds_count{stage=\"detect\"} 1"), std::string::npos) << after;
  EXPECT_NE(after.find("facekit_model_duration_seconds_count{stage=\"decode\"} 1"), std::string::npos) << after;
}

TEST_F(ServerTest, OversizedBodyIsACloudErrorNotAReset) {
  Start(4096);
  json params = {{"Image", std::string(20000, 'A')}};
  const std::string answer = Exchange(server_->port(), Signed("DetectFace", params));
  ASSERT_NE(answer.find("200 OK"), std::string::npos) << answer.substr(0, 200);
  json r = json::parse(BodyOf(answer))["Response"];
  EXPECT_EQ(r["Error"]["Code"], "RequestSizeLimitExceeded");
}

// A handler that waits until released, to hold requests in flight.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  bool open = false;
  void Enter() {
    std::unique_lock lock(mu);
    ++entered;
    cv.notify_all();
    cv.wait(lock, [this] { return open; });
  }
  void WaitEntered(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered >= n; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(HttpServerTest, FullQueueIsRefusedAtOnce) {
  Gate gate;
  HttpServerOptions o;
  o.port = 0;
  o.worker_threads = 1;
  o.max_queued = 0;
  o.overload_response = [](const HttpRequest&) {
    HttpResponse r;
    r.status = 200;
    r.body = "busy";
    return r;
  };
  auto server = HttpServer::Start(o, [&](const HttpRequest&) {
    gate.Enter();
    HttpResponse r;
    r.body = "done";
    return r;
  });
  ASSERT_TRUE(server.ok());
  const auto port = (*server)->port();
  auto first = std::async(std::launch::async, [&] { return BodyOf(Get(port, "/a")); });
  gate.WaitEntered(1);
  EXPECT_EQ(BodyOf(Get(port, "/b")), "busy");
  gate.Open();
  EXPECT_EQ(first.get(), "done");
}

TEST(HttpServerTest, ShutdownFinishesRequestsInFlight) {
  Gate gate;
  HttpServerOptions o;
  o.port = 0;
  auto server = HttpServer::Start(o, [&](const HttpRequest& req) {
    gate.Enter();
    HttpResponse r;
    r.body = "finished " + req.target;
    return r;
  });
  ASSERT_TRUE(server.ok());
  const auto port = (*server)->port();
  auto in_flight = std::async(std::launch::async, [&] { return Get(port, "/slow"); });
  gate.WaitEntered(1);
  auto stopping = std::async(std::launch::async, [&] { (*server)->Shutdown(std::chrono::seconds(30)); });
  // The listening socket closes; the request already running still completes.
  gate.Open();
  stopping.get();
  const std::string answer = in_flight.get();
  EXPECT_EQ(BodyOf(answer), "finished /slow");
  EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  EXPECT_EQ(Get(port, "/ping"), "");
}

TEST(HttpServerTest, MalformedRequestGets400) {
  HttpServerOptions o;
  o.port = 0;
  auto server = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(server.ok());
  const std::string answer = Exchange((*server)->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(answer.find(" 400 "), std::string::npos) << answer;
}

}  // namespace
}  // namespace facekit::server
