// WebhookSender against a loopback HTTP server: retries on 500 then succeeds;
// with the endpoint failing, the bounded backlog keeps the newest events and
// counts the dropped ones; they are delivered in order once it answers again.
#include "media/webhook_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace facekit::media {
namespace {

// One request per connection; answers the scripted status codes in turn,
// then `then_status`.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::vector<int> script, int then_status = 200)
      : script_(std::move(script)), then_status_(then_status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  void set_status(int status) {
    std::lock_guard<std::mutex> lock(mu_);
    then_status_ = status;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) break;
      std::string req;
      char buf[4096];
      std::size_t need = std::string::npos;
      while (need == std::string::npos || req.size() < need) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
        const std::size_t end = req.find("\r\n\r\n");
        if (need == std::string::npos && end != std::string::npos) {
          std::size_t length = 0;
          const std::size_t cl = req.find("Content-Length: ");
          if (cl != std::string::npos) length = std::stoul(req.substr(cl + 16));
          need = end + 4 + length;
        }
      }
      int status = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        const std::size_t end = req.find("\r\n\r\n");
        bodies_.push_back(end == std::string::npos ? "" : req.substr(end + 4));
        status = next_ < script_.size() ? script_[next_++] : then_status_;
      }
      const std::string resp = "HTTP/1.1 " + std::to_string(status) +
                               " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      (void)::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<int> script_;
  std::size_t next_ = 0;
  int then_status_;
  std::vector<std::string> bodies_;
};

TEST(MediaWebhook, RetriesOn500ThenSucceeds) {
  LoopbackServer server({500, 500});
  WebhookSender sender({.url = server.url(), .authorization = {}, .timeout_ms = 5000, .max_retries = 3, .backoff_ms = 1,
                        .retry_after_ms = 60000, .backlog = 8});
  sender.Offer(R"({"n":1})", 0);
  EXPECT_EQ(sender.stats().delivered, 1u);
  EXPECT_EQ(sender.stats().attempts, 3u);
  EXPECT_EQ(sender.stats().failures, 0u);
  EXPECT_EQ(sender.backlog_size(), 0u);
  sender.Offer(R"({"n":2})", 1);
  EXPECT_EQ(sender.stats().delivered, 2u);
  EXPECT_EQ(sender.stats().attempts, 4u);
  EXPECT_EQ(server.bodies(), (std::vector<std::string>{R"({"n":1})", R"({"n":1})", R"({"n":1})", R"({"n":2})"}));
}

TEST(MediaWebhook, BoundedBacklogDropsOldestWhileTheEndpointIsDown) {
  LoopbackServer server({}, 503);
  WebhookSender sender({.url = server.url(), .authorization = {}, .timeout_ms = 5000, .max_retries = 1, .backoff_ms = 0,
                        .retry_after_ms = 60000, .backlog = 3});
  for (int i = 0; i < 10; ++i) sender.Offer("{\"n\":" + std::to_string(i) + "}", i);
  // One delivery (2 POSTs) failed, then nothing was tried within retry_after_ms.
  EXPECT_EQ(sender.stats().attempts, 2u);
  EXPECT_EQ(sender.stats().failures, 1u);
  EXPECT_EQ(sender.stats().dropped, 7u);
  EXPECT_EQ(sender.backlog_size(), 3u);
  // The endpoint recovers: the three newest events go out, in order.
  server.set_status(200);
  EXPECT_EQ(sender.Flush(), 0u);
  EXPECT_EQ(sender.stats().delivered, 3u);
  const auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 5u);
  EXPECT_EQ(bodies[2], R"({"n":7})");
  EXPECT_EQ(bodies[3], R"({"n":8})");
  EXPECT_EQ(bodies[4], R"({"n":9})");
}

TEST(MediaWebhook, ConnectionRefusedIsAFailureNotACrash) {
  int port = 0;
  {
    LoopbackServer closed({});
    port = std::stoi(closed.url().substr(17));
  }
  WebhookSender sender({.url = "http://127.0.0.1:" + std::to_string(port) + "/hook", .authorization = {}, .timeout_ms = 2000,
                        .max_retries = 2, .backoff_ms = 0, .retry_after_ms = 60000, .backlog = 2});
  sender.Offer("{}", 0);
  sender.Offer("{}", 1);
  sender.Offer("{}", 2);
  EXPECT_EQ(sender.stats().delivered, 0u);
  EXPECT_EQ(sender.stats().attempts, 3u);
  EXPECT_EQ(sender.stats().dropped, 1u);
  EXPECT_EQ(sender.Flush(), 2u);
}

}  // namespace
}  // namespace facekit::media
