// ${key} placeholders in graph files (declared in graph_config.h).
#include <string>

#include "pipeline/graph_config.h"

namespace facekit::pipeline {
namespace {

// Replaces every placeholder in `s`. Sets `whole` when `s` was exactly one placeholder.
Result<std::string> Expand(const std::string& s, const Substitutions& vars, bool* whole) {
  std::string out;
  std::size_t i = 0;
  int count = 0;
  while (i < s.size()) {
    const std::size_t open = s.find("${", i);
    if (open == std::string::npos) {
      out.append(s, i, std::string::npos);
      break;
    }
    const std::size_t close = s.find('}', open + 2);
    if (close == std::string::npos) {
      return Status(StatusCode::kInvalidArgument, "unterminated placeholder in \"" + s + "\"");
    }
    out.append(s, i, open - i);
    std::string key = s.substr(open + 2, close - open - 2);
    std::optional<std::string> fallback;
    if (const std::size_t dash = key.find(":-"); dash != std::string::npos) {
      fallback = key.substr(dash + 2);
      key.resize(dash);
    }
    if (key.empty()) return Status(StatusCode::kInvalidArgument, "empty placeholder in \"" + s + "\"");
    auto it = vars.find(key);
    if (it != vars.end()) {
      out += it->second;
    } else if (fallback) {
      out += *fallback;
    } else {
      return Status(StatusCode::kInvalidArgument,
                    "placeholder ${" + key + "} has no value (set it with --set " + key + "=VALUE)");
    }
    ++count;
    i = close + 1;
    *whole = (open == 0 && close + 1 == s.size());
  }
  if (count != 1) *whole = false;
  return out;
}

Status SubstituteIn(nlohmann::json& v, const Substitutions& vars) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.find("${") == std::string::npos) return Status::Ok();
    bool whole = false;
    FACEKIT_ASSIGN_OR_RETURN(std::string expanded, Expand(s, vars, &whole));
    if (whole) {
      nlohmann::json typed = nlohmann::json::parse(expanded, nullptr, /*allow_exceptions=*/false);
      if (typed.is_number() || typed.is_boolean()) {
        v = std::move(typed);
        return Status::Ok();
      }
    }
    v = std::move(expanded);
    return Status::Ok();
  }
  if (v.is_array() || v.is_object()) {
    for (auto& child : v) FACEKIT_RETURN_IF_ERROR(SubstituteIn(child, vars));
  }
  return Status::Ok();
}

}  // namespace

Status SubstitutePlaceholders(nlohmann::json& doc, const Substitutions& vars) { return SubstituteIn(doc, vars); }

Result<std::pair<std::string, std::string>> ParseSetArgument(std::string_view arg) {
  const std::size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status(StatusCode::kInvalidArgument, "expected key=value, got \"" + std::string(arg) + "\"");
  }
  return std::make_pair(std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1)));
}

}  // namespace facekit::pipeline
