#include "server/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

namespace facekit::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

HttpResponse DefaultError(int status, const std::string& reason) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = reason + "\n";
  return r;
}

// What an HTTP/2 client sends first (RFC 9113, section 3.4).
constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// How long to wait before peeking again at a connection that has sent only
// part of the preface so far.
constexpr std::chrono::milliseconds kPrefaceRetry{2};
// The first byte of a TLS connection (a handshake record, RFC 8446 section 5.1).
constexpr char kTlsHandshakeRecord = 0x16;

// ALPN (RFC 7301): "http/1.1" whenever the client offers it, "h2" only for a
// client that offers h2 without http/1.1 (gRPC clients), nothing otherwise.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
               unsigned int in_size, void* arg) {
  const bool h2_allowed = *static_cast<const bool*>(arg);
  const unsigned char* h2 = nullptr;
  for (unsigned int i = 0; i < in_size;) {
    const unsigned int n = in[i];
    if (i + 1 + n > in_size) break;
    const std::string_view name(reinterpret_cast<const char*>(in + i + 1), n);
    if (name == "http/1.1") {
      *out = in + i + 1;
      *out_size = static_cast<unsigned char>(n);
      return SSL_TLSEXT_ERR_OK;
    }
    if (name == "h2") h2 = in + i + 1;
    i += 1 + n;
  }
  if (h2 != nullptr && h2_allowed) {
    *out = h2;
    *out_size = 2;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

// A TLS server context with the certificate chain and key of `o`.
Result<ssl::context> MakeTlsContext(const HttpTlsOptions& o) {
  ssl::context ctx(ssl::context::tls_server);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.native_handle(), o.cert_file.c_str()) != 1) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot load the TLS certificate " + o.cert_file + " (PEM expected): " + OpenSslErrors());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.native_handle(), o.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return Status(StatusCode::kInvalidArgument,
                    "the TLS private key " + o.key_file + " does not belong to the certificate " + o.cert_file);
    }
    return Status(StatusCode::kInvalidArgument,
                  "cannot load the TLS private key " + o.key_file + " (unencrypted PEM expected): " + OpenSslErrors());
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return Status(StatusCode::kInvalidArgument,
                  "the TLS private key " + o.key_file + " does not belong to the certificate " + o.cert_file);
  }
  return ctx;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

class Session;

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  net::io_context ioc;
  // Keeps the I/O threads alive while no socket operation is pending (e.g.
  // during shutdown, when the acceptor is closed and every open connection
  // waits for its handler): without it they would exit and replies posted by
  // the workers would never be written.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{std::in_place, ioc.get_executor()};
  tcp::acceptor acceptor{ioc};
  std::optional<ssl::context> tls;  // set when options.tls is
  bool alpn_h2 = false;             // h2 may be negotiated (there is somewhere to hand it to)
  std::optional<net::thread_pool> workers;
  std::vector<std::thread> io_threads;
  std::uint16_t bound_port = 0;

  std::atomic<bool> shutting_down{false};
  std::atomic<std::size_t> in_flight{0};

  std::mutex mu;  // guards sessions, bridges and the shutdown wait
  std::condition_variable cv;
  std::list<std::weak_ptr<Session>> sessions;  // HTTP/1.1 connections (and those not yet told apart)
  std::list<std::weak_ptr<Session>> bridges;   // h2 over TLS, bridged to h2_handoff
  std::size_t connections = 0;
  std::size_t bridge_count = 0;
  bool stopped = false;

  HttpResponse ErrorResponse(int status, const std::string& reason, std::string_view method = {},
                             std::string_view target = {}) const {
    return options.error_response ? options.error_response(status, reason, method, target)
                                  : DefaultError(status, reason);
  }

  void Accept(const std::shared_ptr<Impl>& self);
};

// One connection. All its I/O runs on its own strand. It starts as plain
// TCP; a TLS handshake moves the socket into `tls_`, after which the TCP
// stream is reached only as the TLS stream's lowest layer.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : tcp_(std::move(socket)), server_(std::move(server)) {
    beast::error_code ec;
    auto ep = tcp_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  ~Session() {
    std::lock_guard lock(server_->mu);
    --(bridge_ ? server_->bridge_count : server_->connections);
    server_->cv.notify_all();
  }

  void Start(std::list<std::weak_ptr<Session>>::iterator self_entry) {
    entry_ = self_entry;
    net::dispatch(Lowest().get_executor(), [self = shared_from_this()] {
      if (self->server_->options.h2_handoff || self->server_->tls) return self->Sniff();
      self->ReadNext();
    });
  }

  // Called on shutdown: closes the connection if it is waiting for a request.
  void CloseIfIdle() {
    net::post(Lowest().get_executor(), [self = shared_from_this()] {
      if (!self->busy_ || self->stream_) self->Close();  // a stream ends at shutdown
    });
  }
  // Called when the shutdown grace has passed: closes the connection whatever it is doing.
  void ForceClose() {
    net::post(Lowest().get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : tcp_; }

  // Tells TLS, HTTP/2 and HTTP/1.1 apart by the first bytes, without consuming them.
  void Sniff() {
    sniff_timer_.expires_after(server_->options.read_timeout);
    sniff_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && !self->sniffed_) self->Close();
    });
    tcp_.socket().async_wait(tcp::socket::wait_read,
                             [self = shared_from_this()](beast::error_code ec) { self->Peek(ec); });
  }

  void Peek(beast::error_code ec) {
    if (closed_) return;
    if (ec || server_->shutting_down) return Close();
    std::array<char, kHttp2Preface.size()> head{};
    const std::size_t n = tcp_.socket().receive(net::buffer(head), tcp::socket::message_peek, ec);
    if (ec || n == 0) return Close();
    const std::string_view got(head.data(), n);
    if (server_->tls && got[0] == kTlsHandshakeRecord) {
      sniffed_ = true;
      sniff_timer_.cancel();
      return Handshake();
    }
    const bool plaintext_ok = !server_->tls || server_->options.tls->allow_plaintext;
    if (!server_->options.h2_handoff || got != kHttp2Preface.substr(0, n)) {
      sniffed_ = true;
      sniff_timer_.cancel();
      refuse_plaintext_ = !plaintext_ok;
      return ReadNext();
    }
    if (n < kHttp2Preface.size()) {  // a prefix so far: look again shortly (until read_timeout)
      retry_timer_.expires_after(kPrefaceRetry);
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->Peek({});
      });
      return;
    }
    sniffed_ = true;
    sniff_timer_.cancel();
    if (!plaintext_ok) return Close();  // h2 without TLS on a TLS-only port
    beast::error_code ignored;
    tcp_.socket().set_option(tcp::no_delay(true), ignored);
    const int fd = tcp_.socket().release(ec);
    if (ec) return Close();
    closed_ = true;
    {
      std::lock_guard lock(server_->mu);
      server_->sessions.erase(entry_);
    }
    server_->options.h2_handoff(fd, remote_, false);
  }

  // ---- TLS

  void Handshake() {
    tls_.emplace(std::move(tcp_), *server_->tls);
    secure_ = true;
    Lowest().expires_after(server_->options.read_timeout);
    tls_->async_handshake(ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_ || self->server_->shutting_down) return self->Close();
      const unsigned char* alpn = nullptr;
      unsigned int alpn_size = 0;
      SSL_get0_alpn_selected(self->tls_->native_handle(), &alpn, &alpn_size);
      if (std::string_view(reinterpret_cast<const char*>(alpn), alpn_size) == "h2") return self->StartBridge();
      self->ReadNext();
    });
  }

  // h2 over TLS: gRPC gets one end of a socket pair, this session copies
  // bytes between the other end and the TLS stream until either side ends.
  void StartBridge() {
    int pair[2];  // non-blocking, as gRPC's endpoints expect
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) return Close();
    beast::error_code ec;
    local_.emplace(Lowest().get_executor());
    local_->assign(net::local::stream_protocol(), pair[0], ec);
    if (ec) {
      ::close(pair[0]);
      ::close(pair[1]);
      return Close();
    }
    {
      std::lock_guard lock(server_->mu);
      server_->sessions.erase(entry_);
      --server_->connections;
      entry_ = server_->bridges.insert(server_->bridges.end(), weak_from_this());
      ++server_->bridge_count;
      bridge_ = true;
      server_->cv.notify_all();
    }
    beast::error_code ignored;
    Lowest().socket().set_option(tcp::no_delay(true), ignored);
    Lowest().expires_never();  // gRPC keeps its own idle and keep-alive times
    server_->options.h2_handoff(pair[1], remote_, true);
    PumpUp();
    PumpDown();
  }

  void PumpUp() {  // client -> gRPC
    tls_->async_read_some(net::buffer(up_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) {  // the client has gone: let gRPC see the end of its stream
        beast::error_code ignored;
        if (!self->closed_) self->local_->shutdown(net::socket_base::shutdown_send, ignored);
        return;
      }
      net::async_write(*self->local_, net::buffer(self->up_.data(), n),
                       [self](beast::error_code write_ec, std::size_t) {
                         if (write_ec) return self->Close();
                         self->PumpUp();
                       });
    });
  }

  void PumpDown() {  // gRPC -> client
    local_->async_read_some(net::buffer(down_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      if (ec) return self->Close();  // gRPC closed the connection
      net::async_write(*self->tls_, net::buffer(self->down_.data(), n),
                       [self](beast::error_code write_ec, std::size_t) {
                         if (write_ec) return self->Close();
                         self->PumpDown();
                       });
    });
  }

  // ---- HTTP/1.1

  void ReadNext() {
    if (server_->shutting_down) return Close();
    busy_ = false;
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
    Lowest().expires_after(server_->options.idle_timeout);
    auto on_read = [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); };
    if (tls_) {
      http::async_read(*tls_, buffer_, *parser_, std::move(on_read));
    } else {
      http::async_read(tcp_, buffer_, *parser_, std::move(on_read));
    }
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof || ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      const auto& head = parser_->get();
      return Reply(server_->ErrorResponse(
                       413, "request body larger than " + std::to_string(server_->options.max_body_bytes) + " bytes",
                       head.method_string(), head.target()),
                   false);
    }
    if (ec == http::error::header_limit) {
      return Reply(server_->ErrorResponse(431, "request headers larger than " +
                                                   std::to_string(server_->options.max_header_bytes) + " bytes"),
                   false);
    }
    if (ec) {
      // Bytes that are not HTTP: answer once if the socket is still writable, then close.
      if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return Reply(server_->ErrorResponse(400, "malformed HTTP request: " + ec.message()), false);
      }
      return Close();
    }
    busy_ = true;
    if (refuse_plaintext_) {
      const auto& head = parser_->get();
      return Reply(server_->ErrorResponse(400, "this port accepts TLS connections only: use https://",
                                          head.method_string(), head.target()),
                   false);
    }
    auto msg = parser_->release();
    auto req = std::make_shared<HttpRequest>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    for (const auto& f : msg) req->headers.emplace_back(Lower(f.name_string()), std::string(f.value()));
    req->body = std::move(msg.body());
    req->remote_address = remote_;
    req->secure = secure_;
    req->received = std::chrono::steady_clock::now();
    const bool keep_alive = msg.keep_alive();

    auto& s = *server_;
    if (s.in_flight.fetch_add(1) >= s.options.max_queued + static_cast<std::size_t>(s.options.worker_threads)) {
      s.in_flight.fetch_sub(1);
      HttpResponse r = s.options.overload_response ? s.options.overload_response(*req)
                                                   : DefaultError(503, "server overloaded, retry later");
      return Reply(std::move(r), keep_alive);
    }
    net::post(*s.workers, [self = shared_from_this(), req, keep_alive] {
      HttpResponse r = self->server_->handler(*req);
      self->server_->in_flight.fetch_sub(1);
      net::post(self->Lowest().get_executor(),
                [self, r = std::move(r), keep_alive]() mutable { self->Reply(std::move(r), keep_alive); });
    });
  }

  void Reply(HttpResponse r, bool keep_alive) {
    if (closed_) return;
    if (r.stream) return StartStream(std::move(r));
    keep_alive = keep_alive && !server_->shutting_down;
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "FaceKit");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    Lowest().expires_after(server_->options.idle_timeout);
    auto on_write = [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      if (!keep_alive) return self->LingerThenClose();
      self->ReadNext();
    };
    if (tls_) {
      http::async_write(*tls_, *res, std::move(on_write));
    } else {
      http::async_write(tcp_, *res, std::move(on_write));
    }
  }

  // A streamed answer: the head, then each chunk as the stream yields it; the
  // connection closes at the end. A read stays pending meanwhile so that a
  // client closing its end is noticed while the stream has nothing to send.
  void StartStream(HttpResponse r) {
    stream_ = std::move(r.stream);
    auto head = std::make_shared<std::string>(
        "HTTP/1.1 " + std::to_string(r.status) + " " +
        std::string(http::obsolete_reason(static_cast<http::status>(r.status))) +
        "\r\nServer: FaceKit\r\nContent-Type: " + r.content_type + "\r\n");
    for (const auto& [k, v] : r.headers) *head += k + ": " + v + "\r\n";
    *head += "Connection: close\r\n\r\n";
    WriteStream(std::move(head));
    WatchForClose();
  }
  void WriteStream(std::shared_ptr<std::string> bytes) {
    Lowest().expires_after(server_->options.idle_timeout);  // a client that stops reading is dropped
    auto on_write = [self = shared_from_this(), bytes](beast::error_code ec, std::size_t) {
      if (ec || self->closed_) return self->Close();
      self->Lowest().expires_never();
      // The stream keeps this session alive until it answers (or is cancelled by Close).
      self->stream_->Next([self](std::string chunk, bool end) {
        net::post(self->Lowest().get_executor(), [self, chunk = std::move(chunk), end]() mutable {
          if (self->closed_) return;
          if (end) return self->Close();  // the pending read ends with the socket
          self->WriteStream(std::make_shared<std::string>(std::move(chunk)));
        });
      });
    };
    if (tls_) {
      net::async_write(*tls_, net::buffer(*bytes), std::move(on_write));
    } else {
      net::async_write(tcp_, net::buffer(*bytes), std::move(on_write));
    }
  }
  void WatchForClose() {
    auto on_read = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      self->WatchForClose();  // whatever the client sends now is ignored
    };
    if (tls_) {
      tls_->async_read_some(net::buffer(up_), std::move(on_read));
    } else {
      tcp_.async_read_some(net::buffer(up_), std::move(on_read));
    }
  }

  // After the last answer: stop sending, then read and discard what the client
  // still sends (e.g. the rest of a body that was too large) for a short
  // while, so that closing does not reset the connection before the client
  // has read the answer. Over TLS: send close_notify and wait briefly for the
  // client's.
  void LingerThenClose() {
    Lowest().expires_after(std::chrono::seconds(2));
    if (tls_) {
      tls_->async_shutdown([self = shared_from_this()](beast::error_code) { self->Close(); });
      return;
    }
    beast::error_code ec;
    tcp_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    Drain();
  }
  void Drain() {
    tcp_.async_read_some(net::buffer(down_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      self->Drain();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    if (stream_) stream_->Cancel();
    sniff_timer_.cancel();
    retry_timer_.cancel();
    beast::error_code ec;
    if (local_) local_->close(ec);
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().socket().close(ec);
    std::lock_guard lock(server_->mu);
    (bridge_ ? server_->bridges : server_->sessions).erase(entry_);
  }

  beast::tcp_stream tcp_;  // moved into tls_ by the TLS handshake
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::optional<net::local::stream_protocol::socket> local_;  // the bridge's end of the socket pair
  std::shared_ptr<HttpServer::Impl> server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpStream> stream_;  // set while a streamed answer is written
  std::string remote_;
  std::array<char, 16384> up_{};
  std::array<char, 16384> down_{};  // also the drain buffer
  std::list<std::weak_ptr<Session>>::iterator entry_;
  net::steady_timer sniff_timer_{tcp_.get_executor()};
  net::steady_timer retry_timer_{tcp_.get_executor()};
  bool sniffed_ = false;
  bool busy_ = false;
  bool closed_ = false;
  bool secure_ = false;            // TLS
  bool bridge_ = false;            // h2 over TLS: counted in bridges, not connections
  bool refuse_plaintext_ = false;  // TLS-only port: answer the first request with 400
};

void HttpServer::Impl::Accept(const std::shared_ptr<Impl>& self) {
  acceptor.async_accept(net::make_strand(ioc), [self](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!ec) {
      std::unique_lock lock(self->mu);
      if (self->connections >= self->options.max_connections || self->shutting_down) {
        lock.unlock();
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        ++self->connections;
        auto session = std::make_shared<Session>(std::move(socket), self);
        auto it = self->sessions.insert(self->sessions.end(), session);
        lock.unlock();
        session->Start(it);
      }
    }
    self->Accept(self);
  });
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, HttpHandler handler) {
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  auto& o = impl->options;
  if (o.tls) {
    auto ctx = MakeTlsContext(*o.tls);
    if (!ctx.ok()) return ctx.status();
    impl->tls.emplace(std::move(ctx.value()));
    impl->alpn_h2 = static_cast<bool>(o.h2_handoff);
    SSL_CTX_set_alpn_select_cb(impl->tls->native_handle(), SelectAlpn, &impl->alpn_h2);
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(o.host, ec);
  if (ec) return Status(StatusCode::kInvalidArgument, "'" + o.host + "' is not an IP address to listen on");
  const tcp::endpoint endpoint(address, o.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kIoError,
                  "cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  }
  impl->bound_port = impl->acceptor.local_endpoint().port();
  impl->workers.emplace(static_cast<std::size_t>(std::max(1, o.worker_threads)));
  impl->Accept(impl);
  for (int i = 0; i < std::max(1, o.io_threads); ++i) {
    impl->io_threads.emplace_back([impl = impl.get()] { impl->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

std::size_t HttpServer::requests_in_flight() const { return impl_->in_flight.load(); }

void HttpServer::Shutdown(std::chrono::milliseconds grace, const std::function<void()>& drained) {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (s.stopped) return;
    s.stopped = true;
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  s.shutting_down = true;
  net::post(s.ioc, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Session>> open;
  auto collect = [&open](std::list<std::weak_ptr<Session>>& from) {
    for (auto& w : from) {
      if (auto p = w.lock()) open.push_back(std::move(p));
    }
  };
  {
    std::lock_guard lock(s.mu);
    collect(s.sessions);
  }
  for (auto& p : open) p->CloseIfIdle();
  open.clear();
  {
    std::unique_lock lock(s.mu);
    if (!s.cv.wait_until(lock, deadline, [&s] { return s.connections == 0; })) collect(s.sessions);
  }
  for (auto& p : open) p->ForceClose();
  open.clear();
  // Handlers already running finish and post their replies.
  s.workers->join();
  // TLS bridges end when the server they feed closes its side.
  if (drained) drained();
  {
    std::unique_lock lock(s.mu);
    if (!s.cv.wait_until(lock, deadline, [&s] { return s.bridge_count == 0; })) collect(s.bridges);
  }
  for (auto& p : open) p->ForceClose();
  open.clear();
  // With the acceptor and every socket closed, the I/O threads run out of work.
  s.work.reset();
  for (auto& t : s.io_threads) t.join();
}

}  // namespace facekit::server
