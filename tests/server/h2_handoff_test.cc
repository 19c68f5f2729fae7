// HttpServer's per-connection protocol detection: connections opening with the
// HTTP/2 preface are handed over (as a file descriptor), all others are HTTP/1.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <string>

#include "server/http_server.h"

namespace facekit::server {
namespace {

int Connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

void Send(int fd, std::string_view data) {
  EXPECT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
}

// Everything until the peer closes.
std::string ReadAll(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return in;
    in.append(buf, static_cast<std::size_t>(n));
  }
}

class GrpcHandoffTest : public ::testing::Test {
 protected:
  void Start(std::chrono::milliseconds read_timeout = std::chrono::milliseconds(30000)) {
    HttpServerOptions o;
    o.port = 0;
    o.read_timeout = read_timeout;
    o.h2_handoff = [this](int fd, const std::string& remote, bool) {
      {
        std::lock_guard lock(mu_);
        remotes_.push_back(remote);
      }
      // The preface is still unread: the new owner sees the connection from its first byte.
      char head[24];
      const ssize_t n = ::recv(fd, head, sizeof(head), MSG_WAITALL);
      const std::string answer = "handed over after " + std::string(head, n > 0 ? static_cast<std::size_t>(n) : 0);
      EXPECT_EQ(::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL), static_cast<ssize_t>(answer.size()));
      ::close(fd);
    };
    auto s = HttpServer::Start(o, [](const HttpRequest& req) {
      HttpResponse r;
      r.body = "http " + req.method + " " + req.target;
      return r;
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s.value());
  }

  std::mutex mu_;
  std::vector<std::string> remotes_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(GrpcHandoffTest, PrefaceInPiecesIsHandedOverUnread) {
  Start();
  const int fd = Connect(server_->port());
  Send(fd, "PRI * HTTP/2.0\r\n");  // part of the preface: the server waits for the rest
  Send(fd, "\r\nSM\r\n\r\n");
  const std::string answer = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(answer, "handed over after PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  std::lock_guard lock(mu_);
  EXPECT_EQ(remotes_, std::vector<std::string>{"127.0.0.1"});
}

TEST_F(GrpcHandoffTest, RequestsThatOnlyStartLikeThePrefaceStayHttp) {
  Start();
  const int fd = Connect(server_->port());
  Send(fd, "PRI /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  const std::string answer = ReadAll(fd);
  ::close(fd);
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  EXPECT_NE(answer.find("http PRI /x"), std::string::npos) << answer;
  std::lock_guard lock(mu_);
  EXPECT_TRUE(remotes_.empty());
}

TEST_F(GrpcHandoffTest, SilentConnectionIsClosedAfterTheReadTimeout) {
  Start(std::chrono::milliseconds(50));
  const int fd = Connect(server_->port());
  EXPECT_EQ(ReadAll(fd), "");  // closed by the server, nothing sent
  ::close(fd);
}

}  // namespace
}  // namespace facekit::server
