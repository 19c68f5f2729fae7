#include "media/webhook_sink.h"

#include <iostream>

#include "pipeline/node_options.h"

namespace facekit::media {

Status WebhookSink::Open(pipeline::NodeContext& ctx) {
  WebhookOptions o;
  FACEKIT_ASSIGN_OR_RETURN(o.url, pipeline::OptionString(ctx, "url", ""));
  if (o.url.empty()) return Status(StatusCode::kInvalidArgument, "node \"" + ctx.name() + "\" option \"url\": required");
  FACEKIT_ASSIGN_OR_RETURN(o.authorization, pipeline::OptionString(ctx, "authorization", ""));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t timeout, pipeline::OptionInt(ctx, "timeout_ms", 2000, 1, 600000));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t retries, pipeline::OptionInt(ctx, "max_retries", 3, 0, 100));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t backoff, pipeline::OptionInt(ctx, "backoff_ms", 200, 0, 600000));
  FACEKIT_ASSIGN_OR_RETURN(o.retry_after_ms, pipeline::OptionInt(ctx, "retry_after_ms", 5000, 0));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t backlog, pipeline::OptionInt(ctx, "backlog", 256, 0, 1000000));
  o.timeout_ms = static_cast<int>(timeout);
  o.max_retries = static_cast<int>(retries);
  o.backoff_ms = static_cast<int>(backoff);
  o.backlog = static_cast<std::size_t>(backlog);
  sender_ = std::make_unique<WebhookSender>(o);
  return Status::Ok();
}

Status WebhookSink::Process(pipeline::NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(const Event* e, ctx.Input("events").GetOr<Event>());
  sender_->Offer(e->json.dump(), ctx.NowMicros() / 1000);
  const std::uint64_t dropped = sender_->stats().dropped;
  ctx.CountDrop(dropped - dropped_reported_);
  dropped_reported_ = dropped;
  return Status::Ok();
}

Status WebhookSink::Close(pipeline::NodeContext& ctx) {
  if (!sender_) return Status::Ok();
  const std::size_t left = sender_->Flush();
  if (left > 0 || sender_->stats().dropped > 0) {
    std::cerr << "facekit: node \"" << ctx.name() << "\": " << left << " events undelivered, "
              << sender_->stats().dropped << " dropped from a full backlog\n";
  }
  return Status::Ok();
}

}  // namespace facekit::media
