#include "pipeline/node_options.h"

namespace facekit::pipeline {
namespace {

Status Bad(const NodeContext& ctx, const std::string& key, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, "node \"" + ctx.name() + "\" option \"" + key + "\": " + what);
}

Status CheckRange(const NodeContext& ctx, const std::string& key, std::int64_t v, std::int64_t min, std::int64_t max) {
  if (v < min || v > max) {
    return Bad(ctx, key, std::to_string(v) + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return Status::Ok();
}

}  // namespace

Result<std::int64_t> OptionInt(const NodeContext& ctx, const std::string& key, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) {
  auto it = ctx.options().find(key);
  if (it == ctx.options().end()) return fallback;
  if (!it->is_number_integer()) return Bad(ctx, key, "expected an integer, got " + it->dump());
  const std::int64_t v = it->get<std::int64_t>();
  FACEKIT_RETURN_IF_ERROR(CheckRange(ctx, key, v, min, max));
  return v;
}

Result<double> OptionDouble(const NodeContext& ctx, const std::string& key, double fallback) {
  auto it = ctx.options().find(key);
  if (it == ctx.options().end()) return fallback;
  if (!it->is_number()) return Bad(ctx, key, "expected a number, got " + it->dump());
  return it->get<double>();
}

Result<bool> OptionBool(const NodeContext& ctx, const std::string& key, bool fallback) {
  auto it = ctx.options().find(key);
  if (it == ctx.options().end()) return fallback;
  if (!it->is_boolean()) return Bad(ctx, key, "expected true or false, got " + it->dump());
  return it->get<bool>();
}

Result<std::string> OptionString(const NodeContext& ctx, const std::string& key, const std::string& fallback) {
  auto it = ctx.options().find(key);
  if (it == ctx.options().end()) return fallback;
  if (!it->is_string()) return Bad(ctx, key, "expected a string, got " + it->dump());
  return it->get<std::string>();
}

Result<std::vector<std::int64_t>> OptionIntList(const NodeContext& ctx, const std::string& key, std::int64_t min,
                                                std::int64_t max) {
  std::vector<std::int64_t> out;
  auto it = ctx.options().find(key);
  if (it == ctx.options().end()) return out;
  if (!it->is_array()) return Bad(ctx, key, "expected a list of integers, got " + it->dump());
  for (const auto& v : *it) {
    if (!v.is_number_integer()) return Bad(ctx, key, "expected a list of integers, got " + it->dump());
    const std::int64_t x = v.get<std::int64_t>();
    FACEKIT_RETURN_IF_ERROR(CheckRange(ctx, key, x, min, max));
    out.push_back(x);
  }
  return out;
}

}  // namespace facekit::pipeline
