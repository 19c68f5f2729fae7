// Tests of UrlFetcher against a tiny HTTP/1.1 server on 127.0.0.1 (port 0), run in a thread.
// No external network is used: public addresses appear only as proxied targets (the "proxy" is
// the test server) or as addresses the fetcher must refuse before connecting.
#include "server/url_fetcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace facekit::server {
namespace {

constexpr std::size_t kTestCap = 1024;   // max_bytes in the size tests
constexpr std::size_t kOversize = 4096;  // body size of the oversize routes
constexpr char kOkBody[] = "facekit-test-body";

/// An HTTP/1.1 server answering canned routes, one connection at a time, "Connection: close".
/// Accepts absolute-form request targets too, so it doubles as an HTTP proxy.
class TestHttpServer {
 public:
  TestHttpServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(listen_fd_, 64) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || pipe(wake_) != 0) {
      ADD_FAILURE() << "test server setup failed: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }

  ~TestHttpServer() {
    if (thread_.joinable()) {
      const char byte = 'x';
      (void)!write(wake_[1], &byte, 1);  // stays readable: every poll below returns
      thread_.join();
    }
    close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
  }

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  /// Connections accepted so far.
  int connections() const { return connections_.load(); }
  /// Request lines received so far ("GET /ok HTTP/1.1").
  std::vector<std::string> request_lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return request_lines_;
  }

 private:
  // Waits until `fd` is readable; false if the server is stopping.
  bool WaitReadable(int fd) const {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    while (poll(fds, 2, -1) < 0) {
      if (errno != EINTR) {
        return false;
      }
    }
    return (fds[1].revents & POLLIN) == 0;
  }

  void Run() {
    while (WaitReadable(listen_fd_)) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        continue;
      }
      ++connections_;
      Serve(fd);
      close(fd);
    }
  }

  // Reads one request head; nullopt on EOF, error or stop.
  std::optional<std::string> ReadRequest(int fd) const {
    std::string data;
    char buffer[4096];
    while (data.find("\r\n\r\n") == std::string::npos) {
      if (!WaitReadable(fd)) {
        return std::nullopt;
      }
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        return std::nullopt;
      }
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
  }

  // The slow route: holds the connection until the client gives up (or the server stops).
  void WaitForClientClose(int fd) const {
    char buffer[256];
    while (WaitReadable(fd)) {
      if (recv(fd, buffer, sizeof(buffer), 0) <= 0) {
        return;
      }
    }
  }

  static void Send(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  static std::string Response(const std::string& status, const std::string& headers,
                              const std::string& body) {
    return "HTTP/1.1 " + status + "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + headers + "\r\n" + body;
  }
  static std::string Redirect(const std::string& location) {
    return Response("302 Found", "Location: " + location + "\r\n", "moved");
  }

  // "GET http://host:port/p?q HTTP/1.1" or "GET /p?q HTTP/1.1" -> "/p?q".
  static std::string PathOf(const std::string& request_line) {
    const std::size_t start = request_line.find(' ') + 1;
    std::string target = request_line.substr(start, request_line.rfind(' ') - start);
    if (target.rfind("http://", 0) == 0) {
      const std::size_t slash = target.find('/', 7);
      target = slash == std::string::npos ? "/" : target.substr(slash);
    }
    return target;
  }

  void Serve(int fd) {
    const std::optional<std::string> request = ReadRequest(fd);
    if (!request) {
      return;
    }
    const std::string line = request->substr(0, request->find("\r\n"));
    {
      std::lock_guard<std::mutex> lock(mu_);
      request_lines_.push_back(line);
    }
    const std::string path = PathOf(line);
    if (path == "/slow") {
      Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
      WaitForClientClose(fd);
    } else if (path == "/big-no-length") {
      Send(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
      for (std::size_t i = 0; i < kOversize / 512; ++i) {
        Send(fd, std::string(512, 'b'));
      }
    } else {
      Send(fd, CannedResponse(path));
    }
  }

  std::string CannedResponse(const std::string& path) const {
    const std::string self = "http://127.0.0.1:" + std::to_string(port_);
    if (path == "/ok") {
      return Response("200 OK", "Content-Type: image/jpeg\r\n", kOkBody);
    }
    if (path == "/redirect/1") {
      return Redirect("/ok");
    }
    if (path.rfind("/redirect/", 0) == 0) {
      return Redirect("/redirect/" + std::to_string(std::stoi(path.substr(10)) - 1));
    }
    if (path == "/to-metadata") {
      return Redirect("http://169.254.169.254/latest/meta-data");
    }
    if (path == "/to-loopback") {
      return Redirect(self + "/ok");
    }
    if (path == "/to-other-loopback") {
      return Redirect("http://127.0.0.2:" + std::to_string(port_) + "/ok");
    }
    if (path == "/to-file") {
      return Redirect("file:///etc/passwd");
    }
    if (path == "/to-userinfo") {
      return Redirect("http://user:pw@127.0.0.1:" + std::to_string(port_) + "/ok");
    }
    if (path == "/big-length") {
      return Response("200 OK", "", std::string(kOversize, 'a'));
    }
    if (path == "/exact") {
      return Response("200 OK", "", std::string(kTestCap, 'e'));
    }
    return Response("404 Not Found", "", "no such route");
  }

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> request_lines_;
};

const char* const kProxyVariables[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                       "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};

class UrlFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kProxyVariables) {
      if (const char* value = std::getenv(name)) {
        saved_env_[name] = value;
      }
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kProxyVariables) {
      unsetenv(name);
    }
    for (const auto& [name, value] : saved_env_) {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }

  static UrlFetchOptions LoopbackAllowed() {
    UrlFetchOptions options;
    options.allow_cidrs = {"127.0.0.1/32"};
    return options;
  }

  /// Fetches /ok with loopback allowed; afterwards connections() counts every earlier attempt
  /// too (the server accepts in order), so it tells how many connections a refused fetch made.
  void SyncWithServer() { ASSERT_TRUE(UrlFetcher(LoopbackAllowed()).Fetch(server_.Url("/ok")).ok()); }

  /// Fetches `url` and expects failure of `kind`, its status code, and `text` in the message.
  void ExpectFailure(const UrlFetcher& fetcher, const std::string& url, UrlErrorKind kind,
                     const std::string& text) {
    UrlErrorKind got = UrlErrorKind::kNone;
    const Result<std::vector<std::uint8_t>> result = fetcher.Fetch(url, &got);
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(got, kind) << url << ": " << UrlErrorKindName(got) << " " << result.status().ToString();
    EXPECT_EQ(result.status().code(), UrlErrorStatusCode(kind)) << url;
    EXPECT_NE(result.status().message().find(text), std::string::npos)
        << url << ": '" << result.status().message() << "' lacks '" << text << "'";
  }

  TestHttpServer server_;
  std::map<std::string, std::string> saved_env_;
};

std::string AsString(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// ---------------------------------------------------------------------------------------------
// Success paths

TEST_F(UrlFetcherTest, FetchesBodyFromAllowedAddress) {
  UrlErrorKind kind = UrlErrorKind::kTimeout;
  const auto result = UrlFetcher(LoopbackAllowed()).Fetch(server_.Url("/ok"), &kind);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(AsString(*result), kOkBody);
  EXPECT_EQ(kind, UrlErrorKind::kNone);
  EXPECT_EQ(server_.request_lines(), std::vector<std::string>{"GET /ok HTTP/1.1"});
}

TEST_F(UrlFetcherTest, FollowsThreeRedirects) {
  const auto result = UrlFetcher(LoopbackAllowed()).Fetch(server_.Url("/redirect/3"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(AsString(*result), kOkBody);
  EXPECT_EQ(server_.request_lines().size(), 4u);
}

TEST_F(UrlFetcherTest, BodyOfExactlyMaxBytesIsAccepted) {
  UrlFetchOptions options = LoopbackAllowed();
  options.max_bytes = kTestCap;
  const auto result = UrlFetcher(options).Fetch(server_.Url("/exact"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->size(), kTestCap);
}

TEST_F(UrlFetcherTest, ConcurrentFetchesAreIndependent) {
  const UrlFetcher fetcher(LoopbackAllowed());
  std::atomic<int> ok{0}, not_found{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        const bool want_ok = (i + t) % 2 == 0;
        const auto result = fetcher.Fetch(server_.Url(want_ok ? "/ok" : "/missing"));
        if (want_ok && result.ok() && AsString(*result) == kOkBody) {
          ++ok;
        }
        if (!want_ok && !result.ok() &&
            result.status().message().find("HTTP status 404") != std::string::npos) {
          ++not_found;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(not_found.load(), 12);
}

// ---------------------------------------------------------------------------------------------
// Download failures

TEST_F(UrlFetcherTest, FourRedirectsAreTooMany) {
  ExpectFailure(UrlFetcher(LoopbackAllowed()), server_.Url("/redirect/4"), UrlErrorKind::kDownloadFailed,
                "too many redirects (more than 3)");
  EXPECT_EQ(server_.request_lines().size(), 4u);  // the fourth redirect is not followed
}

TEST_F(UrlFetcherTest, MaxRedirectsZeroRefusesAnyRedirect) {
  UrlFetchOptions options = LoopbackAllowed();
  options.max_redirects = 0;
  ExpectFailure(UrlFetcher(options), server_.Url("/redirect/1"), UrlErrorKind::kDownloadFailed,
                "too many redirects (more than 0)");
}

TEST_F(UrlFetcherTest, HttpErrorStatusIsReported) {
  ExpectFailure(UrlFetcher(LoopbackAllowed()), server_.Url("/missing?token=secret"),
                UrlErrorKind::kDownloadFailed,
                "HTTP status 404 from http://127.0.0.1:" + std::to_string(server_.port()) + "/missing");
  const auto result = UrlFetcher(LoopbackAllowed()).Fetch(server_.Url("/missing?token=secret"));
  EXPECT_EQ(result.status().message().find("secret"), std::string::npos) << "query leaked into the message";
}

TEST_F(UrlFetcherTest, OversizeBodyWithContentLengthIsTooLarge) {
  UrlFetchOptions options = LoopbackAllowed();
  options.max_bytes = kTestCap;
  ExpectFailure(UrlFetcher(options), server_.Url("/big-length"), UrlErrorKind::kTooLarge,
                "response body exceeds 1024 bytes (announced by Content-Length)");
}

TEST_F(UrlFetcherTest, OversizeBodyWithoutContentLengthIsTooLarge) {
  UrlFetchOptions options = LoopbackAllowed();
  options.max_bytes = kTestCap;
  ExpectFailure(UrlFetcher(options), server_.Url("/big-no-length"), UrlErrorKind::kTooLarge,
                "response body exceeds 1024 bytes");
  // Enforced on the received bytes (the write callback), not on a header.
  EXPECT_EQ(UrlFetcher(options).Fetch(server_.Url("/big-no-length")).status().message(),
            "response body exceeds 1024 bytes");
}

TEST_F(UrlFetcherTest, SlowServerTimesOut) {
  UrlFetchOptions options = LoopbackAllowed();
  options.timeout_ms = 300;
  ExpectFailure(UrlFetcher(options), server_.Url("/slow"), UrlErrorKind::kTimeout, "timed out after 300 ms");
}

TEST_F(UrlFetcherTest, UnresolvableHostIsDnsFailure) {
  ExpectFailure(UrlFetcher(), "http://nonexistent.invalid/img.jpg", UrlErrorKind::kDownloadFailed,
                "DNS failure for host 'nonexistent.invalid'");
}

// ---------------------------------------------------------------------------------------------
// Address policy (direct connections)

TEST_F(UrlFetcherTest, DefaultOptionsRefuseLocalAddressesWithoutConnecting) {
  const UrlFetcher fetcher;
  const std::string port = std::to_string(server_.port());
  ExpectFailure(fetcher, "http://127.0.0.1:" + port + "/ok", UrlErrorKind::kForbiddenAddress,
                "refused to connect to 127.0.0.1 (host '127.0.0.1'): loopback address");
  ExpectFailure(fetcher, "http://localhost:" + port + "/ok", UrlErrorKind::kForbiddenAddress,
                "(host 'localhost')");
  ExpectFailure(fetcher, "http://[::1]:" + port + "/ok", UrlErrorKind::kForbiddenAddress,
                "refused to connect to ::1 (host '::1'): loopback address");
  ExpectFailure(fetcher, "http://0.0.0.0:" + port + "/ok", UrlErrorKind::kForbiddenAddress, "unspecified");
  ExpectFailure(fetcher, "http://[::ffff:127.0.0.1]:" + port + "/ok", UrlErrorKind::kForbiddenAddress,
                "loopback");
  ExpectFailure(fetcher, "http://2130706433:" + port + "/ok", UrlErrorKind::kForbiddenAddress, "loopback");
  ExpectFailure(fetcher, "http://169.254.169.254/latest/meta-data", UrlErrorKind::kForbiddenAddress,
                "refused to connect to 169.254.169.254 (host '169.254.169.254'): link-local address");
  ExpectFailure(fetcher, "http://10.1.2.3/", UrlErrorKind::kForbiddenAddress, "private address, 10.0.0.0/8");
  ExpectFailure(fetcher, "https://192.168.0.1/", UrlErrorKind::kForbiddenAddress, "private address");
  SyncWithServer();
  EXPECT_EQ(server_.connections(), 1) << "a refused fetch reached the server";
}

TEST_F(UrlFetcherTest, AllowListCoversOnlyItsRange) {
  UrlFetchOptions options;
  options.allow_cidrs = {"127.0.0.2/32", "10.0.0.0/8"};
  ExpectFailure(UrlFetcher(options), server_.Url("/ok"), UrlErrorKind::kForbiddenAddress, "127.0.0.1");
  options.allow_cidrs = {"127.0.0.0/8"};
  EXPECT_TRUE(UrlFetcher(options).Fetch(server_.Url("/ok")).ok());
}

TEST_F(UrlFetcherTest, RedirectToMetadataServiceIsRefused) {
  ExpectFailure(UrlFetcher(LoopbackAllowed()), server_.Url("/to-metadata"), UrlErrorKind::kForbiddenAddress,
                "refused to connect to 169.254.169.254 (host '169.254.169.254'): link-local");
}

TEST_F(UrlFetcherTest, EveryRedirectHopIsCheckedAgainstTheAllowList) {
  const UrlFetcher fetcher(LoopbackAllowed());
  EXPECT_TRUE(fetcher.Fetch(server_.Url("/to-loopback")).ok());  // 127.0.0.1 -> 127.0.0.1
  ExpectFailure(fetcher, server_.Url("/to-other-loopback"), UrlErrorKind::kForbiddenAddress,
                "refused to connect to 127.0.0.2 (host '127.0.0.2'): loopback address");
}

TEST_F(UrlFetcherTest, RedirectToFileSchemeIsIllegal) {
  ExpectFailure(UrlFetcher(LoopbackAllowed()), server_.Url("/to-file"), UrlErrorKind::kIllegalUrl,
                "unsupported scheme");
}

TEST_F(UrlFetcherTest, RedirectWithCredentialsIsIllegal) {
  ExpectFailure(UrlFetcher(LoopbackAllowed()), server_.Url("/to-userinfo"), UrlErrorKind::kIllegalUrl,
                "redirect refused: URL must not contain credentials");
  EXPECT_EQ(server_.request_lines().size(), 1u) << "the credential-bearing request was sent";
}

// ---------------------------------------------------------------------------------------------
// Illegal URLs

TEST_F(UrlFetcherTest, IllegalUrlsAreRefusedBeforeAnyNetworkAccess) {
  const UrlFetcher fetcher(LoopbackAllowed());
  const std::string port = std::to_string(server_.port());
  ExpectFailure(fetcher, "file:///etc/passwd", UrlErrorKind::kIllegalUrl, "scheme 'file' is not supported");
  ExpectFailure(fetcher, "ftp://127.0.0.1:" + port + "/x", UrlErrorKind::kIllegalUrl, "scheme 'ftp'");
  ExpectFailure(fetcher, "gopher://127.0.0.1:" + port + "/_x", UrlErrorKind::kIllegalUrl, "scheme 'gopher'");
  ExpectFailure(fetcher, "dict://127.0.0.1:" + port + "/x", UrlErrorKind::kIllegalUrl, "scheme 'dict'");
  ExpectFailure(fetcher, "not a url", UrlErrorKind::kIllegalUrl, "URL is malformed");
  ExpectFailure(fetcher, "", UrlErrorKind::kIllegalUrl, "URL is empty");
  ExpectFailure(fetcher, "http://user:pw@127.0.0.1:" + port + "/ok", UrlErrorKind::kIllegalUrl,
                "credentials");
  ExpectFailure(fetcher, "http://user@127.0.0.1:" + port + "/ok", UrlErrorKind::kIllegalUrl, "credentials");
  ExpectFailure(fetcher, "http://", UrlErrorKind::kIllegalUrl, "URL is malformed");
  ExpectFailure(fetcher, "http://" + std::string(9000, 'a') + ".com/", UrlErrorKind::kIllegalUrl,
                "longer than");
  ExpectFailure(fetcher, std::string("http://127.0.0.1/\0x", 19), UrlErrorKind::kIllegalUrl, "NUL");
  SyncWithServer();
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(UrlFetcherTest, InvalidOptionsFailEveryFetch) {
  UrlFetchOptions options;
  options.allow_cidrs = {"10.0.0.0/33"};
  EXPECT_EQ(UrlFetcher::ValidateOptions(options).code(), StatusCode::kInvalidArgument);
  ExpectFailure(UrlFetcher(options), server_.Url("/ok"), UrlErrorKind::kInvalidOptions, "'10.0.0.0/33'");
  for (const char* bad : {"not-a-cidr", "10.0.0.0/", "10.0.0.0/x", "::1/129", "1.2.3/8"}) {
    options.allow_cidrs = {bad};
    EXPECT_FALSE(UrlFetcher::ValidateOptions(options).ok()) << bad;
  }
  options.allow_cidrs = {"127.0.0.1", "::1/128", "0.0.0.0/0"};
  EXPECT_TRUE(UrlFetcher::ValidateOptions(options).ok());
  options = {};
  options.timeout_ms = 0;
  EXPECT_FALSE(UrlFetcher::ValidateOptions(options).ok());
  options = {};
  options.max_redirects = -1;
  EXPECT_FALSE(UrlFetcher::ValidateOptions(options).ok());
}

// ---------------------------------------------------------------------------------------------
// Proxies (the test server plays the proxy; targets are vetted by local resolution)

TEST_F(UrlFetcherTest, ProxiedFetchVetsTargetNotProxy) {
  setenv("http_proxy", server_.Url("").c_str(), 1);
  const auto result = UrlFetcher().Fetch("http://8.8.8.8/ok");  // proxy on loopback, not allow-listed
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(AsString(*result), kOkBody);
  EXPECT_EQ(server_.request_lines(), std::vector<std::string>{"GET http://8.8.8.8/ok HTTP/1.1"});
}

TEST_F(UrlFetcherTest, ProxiedForbiddenTargetIsRefusedBeforeContactingProxy) {
  setenv("http_proxy", server_.Url("").c_str(), 1);
  const UrlFetcher fetcher;
  ExpectFailure(fetcher, "http://169.254.169.254/latest/meta-data", UrlErrorKind::kForbiddenAddress,
                "refused host '169.254.169.254': it resolves to 169.254.169.254 (link-local address");
  ExpectFailure(fetcher, "http://localhost/", UrlErrorKind::kForbiddenAddress,
                "refused host 'localhost': it resolves to 127.0.0.1 (loopback address");
  SyncWithServer();
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(UrlFetcherTest, ProxiedRedirectHopsAreVetted) {
  setenv("http_proxy", server_.Url("").c_str(), 1);
  const UrlFetcher fetcher;
  ExpectFailure(fetcher, "http://8.8.8.8/to-metadata", UrlErrorKind::kForbiddenAddress,
                "refused host '169.254.169.254'");
  ExpectFailure(fetcher, "http://8.8.8.8/to-loopback", UrlErrorKind::kForbiddenAddress,
                "refused host '127.0.0.1'");
  EXPECT_EQ(server_.request_lines(), (std::vector<std::string>{"GET http://8.8.8.8/to-metadata HTTP/1.1",
                                                               "GET http://8.8.8.8/to-loopback HTTP/1.1"}));
  const auto result = fetcher.Fetch("http://8.8.8.8/redirect/2");
  EXPECT_TRUE(result.ok()) << result.status().ToString();
}

TEST_F(UrlFetcherTest, ProxiedUnresolvableTargetIsDnsFailure) {
  setenv("http_proxy", server_.Url("").c_str(), 1);
  ExpectFailure(UrlFetcher(), "http://nonexistent.invalid/", UrlErrorKind::kDownloadFailed,
                "DNS failure for host 'nonexistent.invalid'");
}

TEST_F(UrlFetcherTest, NoProxyAndDisabledProxyConnectDirectly) {
  setenv("http_proxy", "http://127.0.0.1:1", 1);  // nothing listens there
  setenv("no_proxy", "example.com, 127.0.0.0/8", 1);
  EXPECT_TRUE(UrlFetcher(LoopbackAllowed()).Fetch(server_.Url("/ok")).ok());
  unsetenv("no_proxy");
  UrlFetchOptions options = LoopbackAllowed();
  options.use_env_proxy = false;
  EXPECT_TRUE(UrlFetcher(options).Fetch(server_.Url("/ok")).ok());
  EXPECT_EQ(server_.request_lines(), (std::vector<std::string>{"GET /ok HTTP/1.1", "GET /ok HTTP/1.1"}));
}

TEST_F(UrlFetcherTest, UppercaseHttpProxyIsIgnoredLikeLibcurl) {
  setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  EXPECT_TRUE(UrlFetcher(LoopbackAllowed()).Fetch(server_.Url("/ok")).ok());
  setenv("ALL_PROXY", server_.Url("").c_str(), 1);  // ...but all_proxy applies
  EXPECT_TRUE(UrlFetcher().Fetch("http://8.8.8.8/ok").ok());
  EXPECT_EQ(server_.request_lines(),
            (std::vector<std::string>{"GET /ok HTTP/1.1", "GET http://8.8.8.8/ok HTTP/1.1"}));
}

// ---------------------------------------------------------------------------------------------
// Address classification

std::optional<std::string_view> ReasonFor(const std::string& literal) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, literal.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
  } else if (inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
  } else {
    ADD_FAILURE() << "bad literal " << literal;
  }
  const auto* addr = reinterpret_cast<const sockaddr*>(&storage);
  EXPECT_EQ(IsForbiddenAddress(addr), ForbiddenAddressReason(addr).has_value());
  return ForbiddenAddressReason(addr);
}

TEST(IsForbiddenAddressTest, ClassifiesAddresses) {
  const std::map<std::string, std::string> forbidden = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "unspecified"},
      {"10.1.2.3", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"100.64.0.1", "carrier-grade NAT"},
      {"100.127.255.255", "carrier-grade NAT"},
      {"169.254.169.254", "link-local"},
      {"169.254.0.1", "link-local"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"255.255.255.255", "broadcast"},
      {"240.0.0.1", "reserved"},
      {"192.0.2.1", "documentation"},
      {"198.18.0.1", "benchmarking"},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fec0::1", "site-local"},
      {"fc00::1", "unique-local"},
      {"fd12:3456::1", "unique-local"},
      {"ff02::1", "multicast"},
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:10.0.0.1", "private"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::ffff:0.0.0.0", "unspecified"},
      {"64:ff9b::a9fe:a9fe", "link-local"},
      {"::127.0.0.1", "IPv4-compatible"},
      {"2001:db8::1", "documentation"},
      {"100::1", "discard-only"},
  };
  for (const auto& [literal, reason] : forbidden) {
    const std::optional<std::string_view> why = ReasonFor(literal);
    ASSERT_TRUE(why.has_value()) << literal << " should be forbidden";
    EXPECT_NE(why->find(reason), std::string_view::npos) << literal << ": " << *why;
  }
  for (const std::string literal :
       {"8.8.8.8", "1.1.1.1", "11.0.0.0", "9.255.255.255", "172.15.255.255", "172.32.0.0", "100.63.255.255",
        "100.128.0.0", "169.253.255.255", "169.255.0.0", "192.167.255.255", "192.169.0.0", "223.255.255.255",
        "2001:4860:4860::8888", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "fbff::1"}) {
    const std::optional<std::string_view> why = ReasonFor(literal);
    EXPECT_FALSE(why.has_value()) << literal << " should be allowed, got " << why.value_or("");
  }
}

TEST(IsForbiddenAddressTest, NonIpFamiliesAndNullAreForbidden) {
  EXPECT_TRUE(IsForbiddenAddress(nullptr));
  sockaddr_un unix_addr{};
  unix_addr.sun_family = AF_UNIX;
  EXPECT_TRUE(IsForbiddenAddress(reinterpret_cast<const sockaddr*>(&unix_addr)));
}

TEST(UrlErrorKindTest, StatusCodeMappingIsUnambiguousPerCloudError) {
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kNone), StatusCode::kOk);
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kIllegalUrl), StatusCode::kInvalidArgument);
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kForbiddenAddress), StatusCode::kInvalidArgument);
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kDownloadFailed), StatusCode::kIoError);
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kTimeout), StatusCode::kIoError);
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kTooLarge), StatusCode::kImageSizeExceeded);
  EXPECT_EQ(UrlErrorStatusCode(UrlErrorKind::kInvalidOptions), StatusCode::kFailedPrecondition);
  EXPECT_EQ(UrlErrorKindName(UrlErrorKind::kForbiddenAddress), "ForbiddenAddress");
}

}  // namespace
}  // namespace facekit::server
