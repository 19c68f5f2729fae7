#include "server/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

namespace facekit::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

std::string_view HttpRequest::Path() const {
  const std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::Query() const {
  const std::string_view t = target;
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

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
  std::optional<net::thread_pool> workers;
  std::vector<std::thread> io_threads;
  std::uint16_t bound_port = 0;

  std::atomic<bool> shutting_down{false};
  std::atomic<std::size_t> in_flight{0};

  std::mutex mu;  // guards sessions and the shutdown wait
  std::condition_variable cv;
  std::list<std::weak_ptr<Session>> sessions;
  std::size_t connections = 0;
  bool stopped = false;

  HttpResponse ErrorResponse(int status, const std::string& reason, std::string_view method = {},
                             std::string_view target = {}) const {
    return options.error_response ? options.error_response(status, reason, method, target)
                                  : DefaultError(status, reason);
  }

  void Accept(const std::shared_ptr<Impl>& self);
};

// One connection. All its I/O runs on its own strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  ~Session() {
    std::lock_guard lock(server_->mu);
    --server_->connections;
    server_->cv.notify_all();
  }

  void Start(std::list<std::weak_ptr<Session>>::iterator self_entry) {
    entry_ = self_entry;
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->server_->options.h2_handoff) return self->Sniff();
      self->ReadNext();
    });
  }

  // Called on shutdown: closes the connection if it is waiting for a request.
  void CloseIfIdle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }
  // Called when the shutdown grace has passed: closes the connection whatever it is doing.
  void ForceClose() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  // Tells HTTP/2 from HTTP/1.1 by the first bytes, without consuming them.
  void Sniff() {
    sniff_timer_.expires_after(server_->options.read_timeout);
    sniff_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && !self->sniffed_) self->Close();
    });
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this()](beast::error_code ec) { self->Peek(ec); });
  }

  void Peek(beast::error_code ec) {
    if (closed_) return;
    if (ec || server_->shutting_down) return Close();
    std::array<char, kHttp2Preface.size()> head{};
    const std::size_t n = stream_.socket().receive(net::buffer(head), tcp::socket::message_peek, ec);
    if (ec || n == 0) return Close();
    const std::string_view got(head.data(), n);
    if (got != kHttp2Preface.substr(0, n)) {
      sniffed_ = true;
      sniff_timer_.cancel();
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
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    const int fd = stream_.socket().release(ec);
    if (ec) return Close();
    closed_ = true;
    {
      std::lock_guard lock(server_->mu);
      server_->sessions.erase(entry_);
    }
    server_->options.h2_handoff(fd, remote_);
  }

  void ReadNext() {
    if (server_->shutting_down) return Close();
    busy_ = false;
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
    stream_.expires_after(server_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
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
    auto msg = parser_->release();
    auto req = std::make_shared<HttpRequest>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    for (const auto& f : msg) req->headers.emplace_back(Lower(f.name_string()), std::string(f.value()));
    req->body = std::move(msg.body());
    req->remote_address = remote_;
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
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r), keep_alive]() mutable { self->Reply(std::move(r), keep_alive); });
    });
  }

  void Reply(HttpResponse r, bool keep_alive) {
    keep_alive = keep_alive && !server_->shutting_down;
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "FaceKit");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(server_->options.idle_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      if (!keep_alive) return self->LingerThenClose();
      self->ReadNext();
    });
  }

  // After the last answer: stop sending, then read and discard what the client
  // still sends (e.g. the rest of a body that was too large) for a short
  // while, so that closing does not reset the connection before the client
  // has read the answer.
  void LingerThenClose() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }
  void Drain() {
    stream_.async_read_some(net::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->Close();
      self->Drain();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    sniff_timer_.cancel();
    retry_timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
    std::lock_guard lock(server_->mu);
    server_->sessions.erase(entry_);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::Impl> server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  std::array<char, 16384> drain_{};
  std::list<std::weak_ptr<Session>>::iterator entry_;
  net::steady_timer sniff_timer_{stream_.get_executor()};
  net::steady_timer retry_timer_{stream_.get_executor()};
  bool sniffed_ = false;
  bool busy_ = false;
  bool closed_ = false;
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

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (s.stopped) return;
    s.stopped = true;
  }
  s.shutting_down = true;
  net::post(s.ioc, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(s.mu);
    for (auto& w : s.sessions) {
      if (auto p = w.lock()) open.push_back(std::move(p));
    }
  }
  for (auto& p : open) p->CloseIfIdle();
  open.clear();
  {
    std::unique_lock lock(s.mu);
    if (!s.cv.wait_for(lock, grace, [&s] { return s.connections == 0; })) {
      for (auto& w : s.sessions) {
        if (auto p = w.lock()) open.push_back(std::move(p));
      }
    }
  }
  for (auto& p : open) p->ForceClose();
  open.clear();
  // Handlers already running finish and post their replies; then, with the
  // acceptor and every socket closed, the I/O threads run out of work.
  s.workers->join();
  s.work.reset();
  for (auto& t : s.io_threads) t.join();
}

}  // namespace facekit::server
