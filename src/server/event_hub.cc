#include "server/event_hub.h"

#include <openssl/rand.h>

#include <algorithm>
#include <map>

namespace facekit::server {

std::string SseEvent(const HubEvent& e) { return "id: " + std::to_string(e.id) + "\ndata: " + e.data + "\n\n"; }

std::string SseClosed(const StreamRefusal& why) {
  const nlohmann::json data = {{"code", why.code}, {"message", why.message}};
  return "event: closed\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

// One open stream: the events queued for it and, while its connection waits
// for more, the callback that takes the next chunk.
class EventHub::Stream final : public HttpStream {
 public:
  using Ready = std::function<void(std::string chunk, bool end)>;

  Stream(std::function<bool(const std::string&)> visible, StreamGrant grant)
      : visible_(std::move(visible)), grant_(std::move(grant)) {}

  void Next(Ready ready) override {
    std::string out;
    bool end = false;
    {
      std::lock_guard lock(mu_);
      if (ended_ || cancelled_) {
        end = true;
      } else if (!queue_.empty()) {
        for (auto& chunk : queue_) out += chunk;
        queue_.clear();
      } else if (finishing_) {  // its last chunk has gone out
        end = true;
      } else {
        ready_ = std::move(ready);
        return;
      }
    }
    ready(std::move(out), end);
  }

  void Cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    ready_ = nullptr;  // drops the connection's reference: nothing more is written
  }

  bool Visible(const std::string& group_id) const { return !visible_ || visible_(group_id); }
  const StreamGrant& grant() const { return grant_; }

  // Queues `chunk` (or hands it to a waiting connection: the callback to run,
  // outside the locks, is returned). When the queue is full the stream ends.
  // *dropped tells whether this call ended it.
  Ready Offer(std::string chunk, std::size_t max_pending, bool* dropped) {
    std::lock_guard lock(mu_);
    *dropped = false;
    if (ended_ || cancelled_ || finishing_) return nullptr;
    if (ready_) {
      Ready r = std::move(ready_);
      ready_ = nullptr;
      return [r = std::move(r), chunk = std::move(chunk)](std::string, bool) mutable { r(std::move(chunk), false); };
    }
    if (queue_.size() >= max_pending) {
      ended_ = true;
      queue_.clear();
      *dropped = true;
      return nullptr;
    }
    queue_.push_back(std::move(chunk));
    return nullptr;
  }

  // A keep-alive comment for a connection that waits; nothing when it has events to write.
  Ready Heartbeat() {
    std::lock_guard lock(mu_);
    if (!ready_) return nullptr;
    Ready r = std::move(ready_);
    ready_ = nullptr;
    return [r = std::move(r)](std::string, bool) { r(": keep-alive\n\n", false); };
  }

  // Ends the stream (the hub stops): a waiting connection is told at once.
  Ready End() {
    std::lock_guard lock(mu_);
    ended_ = true;
    Ready r = std::move(ready_);
    ready_ = nullptr;
    if (!r) return nullptr;
    return [r = std::move(r)](std::string, bool) { r(std::string(), true); };
  }

  // Ends the stream after `last` (what is queued is dropped): a waiting
  // connection gets `last` at once and the end on its next call. *finished
  // tells whether this call ended it (false: it had already ended).
  Ready Finish(std::string last, bool* finished) {
    std::lock_guard lock(mu_);
    *finished = false;
    if (ended_ || cancelled_ || finishing_) return nullptr;
    finishing_ = true;
    *finished = true;
    queue_.clear();
    if (!ready_) {
      queue_.push_back(std::move(last));
      return nullptr;
    }
    Ready r = std::move(ready_);
    ready_ = nullptr;
    return [r = std::move(r), last = std::move(last)](std::string, bool) mutable { r(std::move(last), false); };
  }

  bool Open() const {
    std::lock_guard lock(mu_);
    return !ended_ && !cancelled_ && !finishing_;
  }

  void Queue(std::string chunk) {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(chunk));
  }

 private:
  const std::function<bool(const std::string&)> visible_;
  const StreamGrant grant_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;  // guarded by mu_
  Ready ready_;                    // guarded by mu_
  bool ended_ = false;             // guarded by mu_
  bool cancelled_ = false;         // guarded by mu_
  bool finishing_ = false;         // guarded by mu_: its last chunk is queued or sent
};

namespace {

std::int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EventHub::EventHub(EventHubOptions options, StreamKeyCheck check_key)
    : options_(std::move(options)), check_key_(std::move(check_key)) {
  if (!options_.now_ms) options_.now_ms = SystemMs;
  options_.max_pending = std::max<std::size_t>(1, options_.max_pending);
  heartbeat_ = std::thread([this] { Maintain(); });
}

EventHub::~EventHub() {
  std::vector<Stream::Ready> calls;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& w : streams_) {
      if (auto s = w.lock()) {
        if (auto r = s->End()) calls.push_back(std::move(r));
      }
    }
    streams_.clear();
  }
  cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  for (auto& c : calls) c(std::string(), true);
}

void EventHub::Maintain() {
  using Clock = std::chrono::steady_clock;
  const bool checks = options_.access_check.count() > 0;
  Clock::time_point next_heartbeat = Clock::now() + options_.heartbeat;
  Clock::time_point next_check = checks ? Clock::now() + options_.access_check : Clock::time_point::max();
  std::unique_lock lock(mu_);
  while (!cv_.wait_until(lock, std::min(next_heartbeat, next_check), [this] { return stopping_; })) {
    const Clock::time_point now = Clock::now();
    if (now >= next_check) {
      lock.unlock();
      CheckAccess();
      lock.lock();
      next_check = now + options_.access_check;
    }
    if (now < next_heartbeat) continue;
    next_heartbeat = now + options_.heartbeat;
    std::vector<Stream::Ready> calls;
    for (auto& w : streams_) {
      if (auto s = w.lock()) {
        if (auto r = s->Heartbeat()) calls.push_back(std::move(r));
      }
    }
    lock.unlock();
    for (auto& c : calls) c(std::string(), false);
    lock.lock();
  }
}

std::size_t EventHub::CheckAccess() {
  std::vector<std::shared_ptr<Stream>> open;
  {
    std::lock_guard lock(mu_);
    for (auto& w : streams_) {
      auto s = w.lock();
      if (s && s->Open() && (s->grant().expires_ms != 0 || !s->grant().secret_id.empty())) open.push_back(std::move(s));
    }
  }
  // Keys are checked outside the hub's lock (check_key may read the key
  // store), once per key.
  const std::int64_t now = options_.now_ms();
  std::map<std::string, std::optional<StreamRefusal>> verdicts;
  std::vector<Stream::Ready> calls;
  std::size_t ended = 0;
  for (const auto& s : open) {
    const StreamGrant& g = s->grant();
    std::optional<StreamRefusal> why;
    if (g.expires_ms != 0 && now >= g.expires_ms) {
      why = StreamRefusal{"AuthFailure.TokenFailure",
                          "the stream token expired; get a new one from POST /v1/events:token and reconnect"};
    } else if (!g.secret_id.empty() && check_key_) {
      auto it = verdicts.find(g.secret_id);
      if (it == verdicts.end()) it = verdicts.emplace(g.secret_id, check_key_(g.secret_id)).first;
      why = it->second;
    }
    if (!why) continue;
    bool finished = false;
    if (auto r = s->Finish(SseClosed(*why), &finished)) calls.push_back(std::move(r));
    if (finished) ++ended;
  }
  {
    std::lock_guard lock(mu_);
    closed_streams_ += ended;
  }
  for (auto& c : calls) c(std::string(), false);
  return ended;
}

std::uint64_t EventHub::Publish(nlohmann::json event) {
  std::vector<Stream::Ready> calls;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    event["id"] = std::to_string(id);
    event["received_ms"] = options_.now_ms();
    HubEvent e;
    e.id = id;
    if (auto it = event.find("group_id"); it != event.end() && it->is_string()) e.group_id = it->get<std::string>();
    e.data = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::string text = SseEvent(e);
    ring_.push_back(std::move(e));
    while (ring_.size() > options_.replay) ring_.pop_front();
    // Streams that ended or whose connection went are forgotten here.
    std::erase_if(streams_, [](const std::weak_ptr<Stream>& w) {
      auto s = w.lock();
      return !s || !s->Open();
    });
    for (auto& w : streams_) {
      auto s = w.lock();
      if (!s || !s->Visible(ring_.back().group_id)) continue;
      bool dropped = false;
      if (auto r = s->Offer(text, options_.max_pending, &dropped)) calls.push_back(std::move(r));
      if (dropped) ++dropped_streams_;
    }
  }
  for (auto& c : calls) c(std::string(), false);
  return id;
}

std::pair<std::string, std::int64_t> EventHub::IssueToken(const std::string& secret_id) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return {std::string(), 0};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token.push_back(kHex[b >> 4]);
    token.push_back(kHex[b & 15]);
  }
  const std::int64_t now = options_.now_ms();
  const std::int64_t expires = now + options_.token_ttl.count();
  std::lock_guard lock(mu_);
  std::erase_if(tokens_, [now](const auto& t) { return t.second.expires_ms <= now; });
  tokens_[token] = Token{secret_id, expires};
  return {token, expires};
}

std::optional<StreamGrant> EventHub::Redeem(const std::string& token) {
  const std::int64_t now = options_.now_ms();
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  if (it->second.expires_ms <= now) {
    tokens_.erase(it);
    return std::nullopt;
  }
  return StreamGrant{it->second.secret_id, it->second.expires_ms};
}

std::shared_ptr<HttpStream> EventHub::Subscribe(std::optional<std::uint64_t> last_id,
                                                std::function<bool(const std::string& group_id)> visible,
                                                StreamGrant grant) {
  auto stream = std::make_shared<Stream>(std::move(visible), std::move(grant));
  stream->Queue("retry: 2000\n\n");  // EventSource reconnects after 2 s, sending Last-Event-ID
  std::lock_guard lock(mu_);
  if (stopping_) {
    stream->End();
    return stream;
  }
  // An id this hub never gave (the server restarted since): replay everything kept.
  if (last_id && *last_id >= next_id_) last_id.reset();
  for (const auto& e : ring_) {
    if (last_id && e.id <= *last_id) continue;
    if (stream->Visible(e.group_id)) stream->Queue(SseEvent(e));
  }
  streams_.push_back(stream);
  return stream;
}

EventHub::Stats EventHub::stats() const {
  std::lock_guard lock(mu_);
  Stats s;
  s.published = next_id_ - 1;
  s.streams = static_cast<std::size_t>(
      std::count_if(streams_.begin(), streams_.end(), [](const auto& w) {
        auto p = w.lock();
        return p && p->Open();
      }));
  s.dropped_streams = dropped_streams_;
  s.closed_streams = closed_streams_;
  return s;
}

}  // namespace facekit::server
