#include "pipeline/adaptive_controller.h"

#include <algorithm>
#include <cmath>

namespace facekit::pipeline {
namespace {

constexpr double kNoWork = 1e-4;  // process use below this: the cost per frame is unknown

Status BadKey(const std::string& key, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, "controller \"" + key + "\": " + what);
}

Status ReadNumber(const nlohmann::json& j, const char* key, double* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_number()) return BadKey(key, "expected a number, got " + it->dump());
  *out = it->get<double>();
  return Status::Ok();
}

Status ReadInt(const nlohmann::json& j, const char* key, std::int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_number_integer()) return BadKey(key, "expected an integer, got " + it->dump());
  *out = it->get<std::int64_t>();
  return Status::Ok();
}

Status ReadInt(const nlohmann::json& j, const char* key, int* out) {
  std::int64_t v = *out;
  FACEKIT_RETURN_IF_ERROR(ReadInt(j, key, &v));
  if (v < 0 || v > 1000000) return BadKey(key, "out of range");
  *out = static_cast<int>(v);
  return Status::Ok();
}

}  // namespace

Result<ControllerConfig> ControllerConfig::FromJson(const nlohmann::json& j) {
  ControllerConfig c;
  if (!j.is_object()) return BadKey("", "expected an object, got " + j.dump());
  static const char* const kKeys[] = {"target", "signal",   "min_interval_us", "max_interval_us", "update_period_us",
                                      "gain",   "deadband", "max_step_ratio",  "degradation"};
  for (const auto& item : j.items()) {
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return item.key() == k; }) ==
        std::end(kKeys)) {
      return BadKey(item.key(), "unknown key");
    }
  }
  FACEKIT_RETURN_IF_ERROR(ReadNumber(j, "target", &c.target));
  if (auto it = j.find("signal"); it != j.end()) {
    if (*it == "host") {
      c.signal = ControlSignal::kHost;
    } else if (*it == "process") {
      c.signal = ControlSignal::kProcess;
    } else {
      return BadKey("signal", "expected \"host\" or \"process\", got " + it->dump());
    }
  }
  FACEKIT_RETURN_IF_ERROR(ReadInt(j, "min_interval_us", &c.min_interval_us));
  FACEKIT_RETURN_IF_ERROR(ReadInt(j, "max_interval_us", &c.max_interval_us));
  FACEKIT_RETURN_IF_ERROR(ReadInt(j, "update_period_us", &c.update_period_us));
  FACEKIT_RETURN_IF_ERROR(ReadNumber(j, "gain", &c.gain));
  FACEKIT_RETURN_IF_ERROR(ReadNumber(j, "deadband", &c.deadband));
  FACEKIT_RETURN_IF_ERROR(ReadNumber(j, "max_step_ratio", &c.max_step_ratio));
  if (auto it = j.find("degradation"); it != j.end()) {
    const nlohmann::json& d = *it;
    if (!d.is_object()) return BadKey("degradation", "expected an object, got " + d.dump());
    if (auto s = d.find("steps"); s != d.end()) {
      if (!s->is_array()) return BadKey("degradation.steps", "expected a list of step names");
      for (const auto& name : *s) {
        if (!name.is_string() || name.get<std::string>().empty()) {
          return BadKey("degradation.steps", "expected a list of step names, got " + s->dump());
        }
        c.degradation_steps.push_back(name.get<std::string>());
      }
    }
    FACEKIT_RETURN_IF_ERROR(ReadInt(d, "engage_after", &c.engage_after));
    FACEKIT_RETURN_IF_ERROR(ReadInt(d, "release_after", &c.release_after));
    FACEKIT_RETURN_IF_ERROR(ReadNumber(d, "release_margin", &c.release_margin));
  }
  FACEKIT_RETURN_IF_ERROR(c.Validate());
  return c;
}

Status ControllerConfig::Validate() const {
  if (!(target > 0 && target < 1)) return BadKey("target", "must be in (0, 1)");
  if (min_interval_us <= 0) return BadKey("min_interval_us", "must be > 0");
  if (max_interval_us < min_interval_us) return BadKey("max_interval_us", "must be >= min_interval_us");
  if (update_period_us <= 0) return BadKey("update_period_us", "must be > 0");
  if (!(gain > 0 && gain <= 1)) return BadKey("gain", "must be in (0, 1]");
  if (!(deadband >= 0 && deadband < target)) return BadKey("deadband", "must be in [0, target)");
  if (!(max_step_ratio > 1)) return BadKey("max_step_ratio", "must be > 1");
  if (engage_after < 1) return BadKey("degradation.engage_after", "must be >= 1");
  if (release_after < 1) return BadKey("degradation.release_after", "must be >= 1");
  if (!(release_margin >= 0 && release_margin < target)) {
    return BadKey("degradation.release_margin", "must be in [0, target)");
  }
  return Status::Ok();
}

AdaptiveController::AdaptiveController(ControllerConfig config)
    : config_(std::move(config)),
      interval_us_(config_.min_interval_us),
      process_before_(config_.degradation_steps.size() + 1, 0.0) {}

ControllerDecision AdaptiveController::Update(const CpuUtilisation& measured) {
  const double p = measured.process;
  const double u = config_.signal == ControlSignal::kHost ? measured.host : measured.process;
  UpdateDegradation(u, p);
  if (level_ > 0) {
    interval_us_ = config_.max_interval_us;
  } else {
    interval_us_ = NextInterval(u, p);
  }
  return {interval_us_, level_};
}

std::int64_t AdaptiveController::NextInterval(double u, double p) const {
  const double e = config_.target - u;
  const double now = static_cast<double>(interval_us_);
  if (std::abs(e) <= config_.deadband) return interval_us_;
  double next = 0;
  if (p < kNoWork) {
    next = e > 0 ? now / config_.max_step_ratio : now * config_.max_step_ratio;
  } else {
    const double want = p + config_.gain * e;
    next = want <= kNoWork ? now * config_.max_step_ratio : now * p / want;
  }
  next = std::clamp(next, now / config_.max_step_ratio, now * config_.max_step_ratio);
  next = std::clamp(next, static_cast<double>(config_.min_interval_us), static_cast<double>(config_.max_interval_us));
  return static_cast<std::int64_t>(std::llround(next));
}

void AdaptiveController::UpdateDegradation(double u, double p) {
  const bool over = u > config_.target + config_.deadband;
  const bool at_max = interval_us_ >= config_.max_interval_us;
  if (over && at_max && level_ < max_level()) {
    release_count_ = 0;
    if (++over_count_ >= config_.engage_after) {
      ++level_;
      process_before_[static_cast<std::size_t>(level_)] = p;
      over_count_ = 0;
    }
    return;
  }
  over_count_ = 0;
  if (level_ == 0) return;
  const double predicted = u - p + process_before_[static_cast<std::size_t>(level_)];
  if (predicted < config_.target - config_.release_margin) {
    if (++release_count_ >= config_.release_after) {
      --level_;
      release_count_ = 0;
    }
  } else {
    release_count_ = 0;
  }
}

}  // namespace facekit::pipeline
