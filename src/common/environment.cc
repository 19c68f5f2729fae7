#include "common/environment.h"

#include <algorithm>
#include <string_view>

namespace facekit {

std::vector<std::string> EnvironmentWith(char* const* base, const std::vector<std::string>& set) {
  std::vector<std::string> out = set;
  auto name_of = [](std::string_view var) { return var.substr(0, var.find('=')); };
  for (char* const* e = base; e != nullptr && *e != nullptr; ++e) {
    const std::string_view name = name_of(*e);
    const bool replaced =
        std::any_of(set.begin(), set.end(), [&](const std::string& v) { return name_of(v) == name; });
    if (!replaced) out.emplace_back(*e);
  }
  return out;
}

}  // namespace facekit
