// media/webhook_sink.h - "WebhookSink": POSTs each Event as JSON (WebhookSender).
//
// Input "events": Event. Options: url (required), authorization (the
// Authorization header, e.g. "Bearer SecretId:SecretKey" for a FaceKit
// server's POST /v1/events; default none), timeout_ms (2000),
// max_retries (3), backoff_ms (200, doubled per retry), retry_after_ms (5000),
// backlog (256 events; when full the oldest is dropped, counted as the
// node's drops in the profile). At Close, what is left is tried once more;
// events still undelivered are reported on stderr, not as an error.
#pragma once

#include <memory>

#include "media/frame.h"
#include "media/webhook_sender.h"
#include "pipeline/node.h"

namespace facekit::media {

class WebhookSink final : public pipeline::Node {
 public:
  static pipeline::Contract GetContract() { return pipeline::Contract().Input<Event>("events"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;
  Status Close(pipeline::NodeContext& ctx) override;
  const WebhookSender* sender() const { return sender_.get(); }

 private:
  std::unique_ptr<WebhookSender> sender_;
  std::uint64_t dropped_reported_ = 0;
};

}  // namespace facekit::media
