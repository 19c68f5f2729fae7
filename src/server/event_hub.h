// The server's live check-in events: pipelines publish them (PublishEvent,
// `POST /v1/events`), consoles follow them as server-sent events
// (`GET /v1/events/stream`, opened with a short-lived token from
// CreateEventStreamToken, `POST /v1/events:token`).
//
// WHAT THIS REPRESENTS
//   A ring of the last `replay` events (each numbered by the hub: its SSE id)
//   and the streams following them. Publish never waits for a reader: each
//   stream has its own queue of at most `max_pending` events; a stream whose
//   client reads too slowly to keep its queue below that is ended (counted
//   in dropped_streams) and its client reconnects with Last-Event-ID. A new
//   stream first gets the buffered events after the id it names (all of the
//   ring when that id is older than the ring), or the whole ring when it
//   names none or one this hub never gave (the server restarted). Every
//   `heartbeat` a waiting stream gets an SSE comment, so a client that went
//   away is noticed by the failing write.
//
//   Tokens: EventSource cannot send an Authorization header, so a key asks
//   for a token (random, 128 bits, valid `token_ttl` for opening streams) and
//   the console opens `/v1/events/stream?token=...`. A token names its key,
//   which is looked up again (active, allowed) whenever a stream opens.
//   An open stream keeps the grant it was opened with (the key and the
//   token's expiry): every `access_check` the hub ends the streams whose
//   token has expired or whose key `check_key` refuses (revoked), after a
//   last SSE event "closed" saying why (see CheckAccess).
//
// THREAD SAFETY
//   Every method may be called concurrently. Streams call back on the hub's
//   threads or the publisher's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/http_server.h"

namespace facekit::server {

// Where the server streams live events (server.cc; tokens from CreateEventStreamToken).
inline constexpr std::string_view kEventStreamPath = "/v1/events/stream";

struct EventHubOptions {
  std::size_t replay = 100;      // events kept for replay
  std::size_t max_pending = 64;  // events queued for one stream beyond which it is ended
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds token_ttl{600000};
  // How often open streams' grants are checked (CheckAccess); 0 = only when
  // CheckAccess is called.
  std::chrono::milliseconds access_check{1000};
  std::function<std::int64_t()> now_ms;  // wall clock (injectable); default the system clock
};

// Why a stream may not go on: the API error code and message its "closed" event carries.
struct StreamRefusal {
  std::string code;
  std::string message;
};

// What a stream was opened with: the token's key and when the token expires.
struct StreamGrant {
  std::string secret_id;        // "" = not checked against keys
  std::int64_t expires_ms = 0;  // unix ms; 0 = never
};

// Whether streams opened as this key may go on: nullopt = yes.
using StreamKeyCheck = std::function<std::optional<StreamRefusal>(const std::string& secret_id)>;

struct HubEvent {
  std::uint64_t id = 0;
  std::string group_id;  // "" = not about a group: seen by unrestricted keys only
  std::string data;      // the JSON object as sent (with "id" and "received_ms")
};

class EventHub {
 public:
  // `check_key` (may be empty: keys are not checked) is called from the
  // hub's thread, or CheckAccess's caller, without the hub's lock held.
  explicit EventHub(EventHubOptions options = {}, StreamKeyCheck check_key = {});
  ~EventHub();  // ends every stream

  // Numbers the event (adds "id" and "received_ms" to it), keeps it for
  // replay and queues it for every stream that may see it; returns its id.
  std::uint64_t Publish(nlohmann::json event);

  // A token for opening streams as the key `secret_id`, and when it expires (unix ms).
  std::pair<std::string, std::int64_t> IssueToken(const std::string& secret_id);
  // The key a live token was issued to and the token's expiry (what
  // Subscribe checks while the stream is open); nullopt for unknown or expired tokens.
  std::optional<StreamGrant> Redeem(const std::string& token);

  // A stream (text/event-stream body) of the events after `last_id` (nullopt
  // = replay the whole ring) that `visible(group_id)` allows.
  // `grant`: what CheckAccess checks while the stream is open.
  std::shared_ptr<HttpStream> Subscribe(std::optional<std::uint64_t> last_id,
                                        std::function<bool(const std::string& group_id)> visible,
                                        StreamGrant grant = {});

  // Ends each open stream whose token has expired (now_ms >= expires_ms:
  // AuthFailure.TokenFailure) or whose key check_key refuses, after a last
  // event "event: closed" / "data: {"code":..,"message":..}" (EventSource
  // reconnects by itself unless the page closes it; the console gets a new
  // token). Events not yet written to such a stream are dropped. Returns how
  // many streams it ended. Runs every access_check on the hub's thread, so a
  // revoked key's streams end within about that time.
  std::size_t CheckAccess();

  struct Stats {
    std::uint64_t published = 0;
    std::size_t streams = 0;             // open now
    std::uint64_t dropped_streams = 0;   // ended because their client fell behind
    std::uint64_t closed_streams = 0;    // ended by CheckAccess (token expired, key refused)
  };
  Stats stats() const;

  class Stream;

 private:
  void Maintain();  // the hub's thread: heartbeats and access checks

  EventHubOptions options_;
  StreamKeyCheck check_key_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                          // guarded by mu_
  std::uint64_t next_id_ = 1;                      // guarded by mu_
  std::deque<HubEvent> ring_;                      // guarded by mu_
  std::vector<std::weak_ptr<Stream>> streams_;     // guarded by mu_
  std::uint64_t dropped_streams_ = 0;              // guarded by mu_
  std::uint64_t closed_streams_ = 0;               // guarded by mu_
  struct Token {
    std::string secret_id;
    std::int64_t expires_ms = 0;
  };
  std::unordered_map<std::string, Token> tokens_;  // guarded by mu_
  std::thread heartbeat_;
};

// The SSE text of one event: "id: N\ndata: {...}\n\n".
std::string SseEvent(const HubEvent& e);
// The last SSE event of a stream CheckAccess ends: "event: closed\ndata: {"code":..,"message":..}\n\n".
std::string SseClosed(const StreamRefusal& why);

}  // namespace facekit::server
