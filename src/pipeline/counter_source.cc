#include "pipeline/counter_source.h"

#include "pipeline/node_options.h"

namespace facekit::pipeline {

Status CounterSource::Open(NodeContext& ctx) {
  FACEKIT_ASSIGN_OR_RETURN(count_, OptionInt(ctx, "count", 10, -1));
  FACEKIT_ASSIGN_OR_RETURN(std::int64_t interval, OptionInt(ctx, "interval_us", 0, 0));
  FACEKIT_ASSIGN_OR_RETURN(stop_at_us_, OptionInt(ctx, "stop_at_us", -1, -1));
  FACEKIT_ASSIGN_OR_RETURN(fail_after_, OptionInt(ctx, "fail_after", -1, -1));
  FACEKIT_ASSIGN_OR_RETURN(std::string timestamps, OptionString(ctx, "timestamps", "sequence"));
  if (timestamps != "sequence" && timestamps != "clock") {
    return Status(StatusCode::kInvalidArgument,
                  "node \"" + ctx.name() + "\" option \"timestamps\": expected \"sequence\" or \"clock\"");
  }
  clock_timestamps_ = timestamps == "clock";
  SetFrameInterval(interval);
  return Status::Ok();
}

Status CounterSource::Process(NodeContext& ctx) {
  if ((count_ >= 0 && next_ >= count_) || (stop_at_us_ >= 0 && ctx.NowMicros() >= stop_at_us_)) {
    ctx.EndOfStream();
    return Status::Ok();
  }
  if (fail_after_ >= 0 && next_ >= fail_after_) {
    return Status(StatusCode::kIoError, "source lost after " + std::to_string(next_) + " packets");
  }
  const Timestamp ts = clock_timestamps_ ? ctx.NowMicros() : next_;
  FACEKIT_RETURN_IF_ERROR(ctx.Output("out", Packet::Make<std::int64_t>(next_, ts)));
  ++next_;
  if (count_ >= 0 && next_ >= count_) ctx.EndOfStream();
  return Status::Ok();
}

}  // namespace facekit::pipeline
