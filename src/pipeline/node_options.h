// pipeline/node_options.h - typed reads of a node's "options" object.
//
// Each returns the value, the default when the key is absent, or
// kInvalidArgument naming the node and the option when it has the wrong JSON
// type or is out of range. They never throw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "facekit/status.h"
#include "pipeline/node_context.h"

namespace facekit::pipeline {

Result<std::int64_t> OptionInt(const NodeContext& ctx, const std::string& key, std::int64_t fallback,
                               std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);
Result<double> OptionDouble(const NodeContext& ctx, const std::string& key, double fallback);
Result<bool> OptionBool(const NodeContext& ctx, const std::string& key, bool fallback);
Result<std::string> OptionString(const NodeContext& ctx, const std::string& key, const std::string& fallback);
/// A list of integers (each within [min, max]).
Result<std::vector<std::int64_t>> OptionIntList(const NodeContext& ctx, const std::string& key,
                                                std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX);

}  // namespace facekit::pipeline
