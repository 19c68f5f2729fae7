// An HTTP/1.1 server on Boost.Beast: keep-alive, pipelined requests answered
// in order, a body-size limit, read and idle timeouts, a bounded work queue and
// graceful shutdown. It knows nothing about what it serves: every request goes
// to one handler function. Optionally, HTTP/2 connections on the same port are
// recognised by their preface and handed to another server (h2_handoff).
//
// WHAT THIS REPRESENTS
//   One listening socket, `io_threads` threads doing network I/O and
//   `worker_threads` threads running the handler (face work is CPU-bound and
//   must not stall the sockets). When `max_queued` requests already wait for
//   a worker, further ones are answered at once with `overload_response` so the
//   server degrades instead of collapsing.
//
//   With `tls` set, connections that open with a TLS handshake record are
//   served over TLS (1.2 or later) with the certificate and key given; ALPN
//   picks "http/1.1" whenever the client offers it and "h2" only for clients
//   that offer h2 alone (gRPC clients do; browsers, curl and the SDKs' HTTP
//   libraries offer both), so one port serves HTTPS and gRPC over TLS. An h2
//   connection over TLS is decrypted here and bridged to h2_handoff through a
//   local socket pair. Plaintext clients get a 400 (HTTP/1.1) or are closed
//   (h2) unless `tls->allow_plaintext`.
//
// THREAD SAFETY
//   The handler runs on worker threads, concurrently; it must be thread-safe.
//   Shutdown() may be called from any thread (e.g. a signal watcher), once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "facekit/status.h"

namespace facekit::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query as received, e.g. "/v1/groups?offset=0"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in arrival order
  std::string body;
  std::string remote_address;
  bool secure = false;  // arrived over TLS
  std::chrono::steady_clock::time_point received;

  // The first header with this lower-case name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  // The target without its query string.
  std::string_view Path() const;
  // The query string without '?', or "".
  std::string_view Query() const;
};

// A response body written as it is produced (server-sent events): the
// headers go out first (no Content-Length, "Connection: close"), then every
// chunk the stream hands over, until it ends or the connection goes.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // Asks for the next chunk: `ready` is called exactly once, from any thread,
  // unless Cancel() comes first. `end` = nothing more (the connection closes).
  // Not called again before `ready` has run.
  virtual void Next(std::function<void(std::string chunk, bool end)> ready) = 0;
  // The connection is gone (client closed, a write timed out, shutdown): a
  // pending `ready` is dropped uncalled.
  virtual void Cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;  // ignored when `stream` is set
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Set: the body is streamed (see HttpStream). A client that does not take a
  // chunk within idle_timeout is disconnected.
  std::shared_ptr<HttpStream> stream;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpTlsOptions {
  std::string cert_file;  // PEM: the server certificate, then any intermediate certificates
  std::string key_file;   // PEM: its private key (unencrypted)
  bool allow_plaintext = false;  // also serve clients that do not speak TLS on the same port
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 = any free port (see HttpServer::port())
  int io_threads = 1;
  int worker_threads = 2;
  std::size_t max_queued = 256;                   // requests waiting for a worker beyond this are refused
  std::size_t max_body_bytes = 12 * 1024 * 1024;  // larger bodies get 413 before they are read
  std::size_t max_header_bytes = 32 * 1024;  // request line and headers: the cloud API's 32 KB for GET
  std::size_t max_connections = 4096;
  std::chrono::milliseconds read_timeout{30000};  // a request must arrive completely within this
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connections idle longer are closed
  // The answer to a request refused because the work queue is full.
  std::function<HttpResponse(const HttpRequest&)> overload_response;
  // Called (on an I/O thread) when a request could not be parsed or was too large: status 400, 413
  // or 431; `method` and `target` are empty when the request line itself could not be read.
  std::function<HttpResponse(int status, const std::string& reason, std::string_view method,
                             std::string_view target)>
      error_response;
  // When set, the first bytes of each new connection are peeked at (within
  // read_timeout): a connection opening with the HTTP/2 client preface
  // ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", i.e. gRPC or any h2c client with prior
  // knowledge) is released by this server and its socket handed over, with
  // the client's address, to this function, which then owns the descriptor
  // (e.g. grpc::AddInsecureChannelFromFd). Every other connection is served
  // as HTTP/1.1. Called on an I/O thread; not called once Shutdown() began.
  // Handed-over connections no longer count towards max_connections.
  // `secure` is true for an h2 connection that arrived over TLS: `fd` is then
  // one end of a local socket pair whose other end this server bridges to the
  // client's TLS connection.
  std::function<void(int fd, const std::string& remote_address, bool secure)> h2_handoff;
  // TLS on the same port; unset = plaintext only.
  std::optional<HttpTlsOptions> tls;
};

class HttpServer {
 public:
  // Binds, listens and starts serving; errors when the address cannot be
  // bound or the TLS certificate or key cannot be loaded.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // Shutdown() with the default grace, then joins the threads

  // The bound port (useful with port 0).
  std::uint16_t port() const;
  // Stops accepting, lets requests already received finish (answers carry
  // "Connection: close"), closes idle connections, and after `grace` closes
  // whatever is left. Then calls `drained` (when given; e.g. to shut down the
  // server that h2 connections were handed to, whose TLS bridges still run
  // until it closes them), waits for the TLS bridges to close until `grace`
  // has passed since the call, closes the rest, and returns once every thread
  // has stopped.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(10000),
                const std::function<void()>& drained = {});

  // Connections currently open and requests currently queued or running.
  std::size_t open_connections() const;
  std::size_t requests_in_flight() const;

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace facekit::server
