// media/webhook_sender.h - WebhookSender: POSTs JSON events to a URL with
// retries and a bounded backlog (the logic of the "WebhookSink" node).
//
// Offer(event, now_ms) appends the event to the backlog (when full, the
// oldest is dropped and counted) and then delivers from the front while the
// endpoint takes them. One delivery is up to 1 + max_retries POSTs, waiting
// backoff_ms, 2 x backoff_ms, ... between them; a 2xx answer is success.
// When a delivery fails, the event stays at the front and nothing is tried
// again before retry_after_ms has passed (the endpoint is down: events wait
// in the backlog instead of costing a timeout each). Flush() tries once more
// regardless of retry_after_ms (at the end of a run).
//
// THREAD SAFETY
//   Not thread-safe; the node's calls never overlap.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

namespace facekit::media {

struct WebhookOptions {
  std::string url;
  // Sent as the Authorization header when set, e.g. "Bearer SecretId:SecretKey"
  // for a FaceKit server's POST /v1/events.
  std::string authorization;
  int timeout_ms = 2000;
  int max_retries = 3;
  int backoff_ms = 200;
  std::int64_t retry_after_ms = 5000;
  std::size_t backlog = 256;
};

struct WebhookStats {
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;   ///< pushed out of a full backlog
  std::uint64_t attempts = 0;  ///< POSTs made
  std::uint64_t failures = 0;  ///< deliveries that failed after all retries
};

class WebhookSender {
 public:
  explicit WebhookSender(WebhookOptions options);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void Offer(std::string body, std::int64_t now_ms);
  /// Delivers what the endpoint takes now; returns the events left behind.
  std::size_t Flush();
  const WebhookStats& stats() const { return stats_; }
  std::size_t backlog_size() const { return backlog_.size(); }

 private:
  void Drain(std::int64_t now_ms, bool force);
  bool Deliver(const std::string& body);
  bool PostOnce(const std::string& body);

  WebhookOptions options_;
  WebhookStats stats_;
  std::deque<std::string> backlog_;
  std::int64_t next_try_ms_ = 0;
  void* curl_ = nullptr;
};

}  // namespace facekit::media
