// The parameter checks shared by the FaceService operations (service_internal.h).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "service/service_internal.h"

namespace facekit::service::internal {

namespace {

// Code points of valid UTF-8, or -1.
long Utf8Length(const std::string& s) {
  long n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return -1;
    }
    i += len;
    ++n;
  }
  return n;
}

bool IdChars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '-' || c == '%' || c == '@' || c == '#' || c == '&' || c == '_';
  });
}

// Letters of any script, digits, '-', '_', '.', and spaces (the cloud API
// allows Chinese and English letters, digits, '-' and '_').
bool NameChars(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x80 || std::isalnum(c) || c == '-' || c == '_' || c == ' ' || c == '.';
  });
}

}  // namespace

ApiError StoreError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kAlreadyExists:
      return Err(code::kInvalid, "conflicting concurrent change: " + s.message());
    case StatusCode::kNotFound:
      return Err(code::kInvalid, "the record changed concurrently: " + s.message());
    default:
      return Err(code::kInternal, s.ToString());
  }
}

ApiError RouterError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
      return Err(code::kShardsUnavailable, s.message());
    case StatusCode::kDeadlineExceeded:
      return Err(code::kRequestTimeout, s.message());
    default:
      return Err("FailedOperation.ServerError", s.ToString());
  }
}

std::optional<ApiError> CheckId(const std::string& id, bool group) {
  if (id.empty()) return Err(code::kMissing, std::string(group ? "GroupId" : "PersonId") + " is empty");
  if (id.size() > 64) {
    return Err(group ? code::kGroupIdTooLong : code::kPersonIdTooLong,
               std::string(group ? "GroupId" : "PersonId") + " is longer than 64 bytes");
  }
  if (!IdChars(id)) {
    return Err(group ? code::kGroupIdIllegal : code::kPersonIdIllegal,
               std::string(group ? "GroupId" : "PersonId") + " may hold only letters, digits and -%@#&_");
  }
  return std::nullopt;
}

std::optional<ApiError> CheckName(const std::string& v, const char* field, long max_chars, const char* too_long,
                                  const char* illegal, bool required) {
  if (v.empty()) {
    if (required) return Err(code::kMissing, std::string(field) + " is empty");
    return std::nullopt;
  }
  const long n = Utf8Length(v);
  if (n < 0 || !NameChars(v)) return Err(illegal, std::string(field) + " has characters that are not allowed");
  if (n > max_chars) {
    return Err(too_long, std::string(field) + " is longer than " + std::to_string(max_chars) + " characters");
  }
  return std::nullopt;
}

std::optional<ApiError> CheckPersonEx(const std::vector<ExDescription>& ex, std::size_t group_fields) {
  if (ex.size() > 5) return Err(code::kPersonExExceed, "at most 5 PersonExDescriptionInfos");
  std::set<int> seen;
  for (const auto& e : ex) {
    if (e.index < 0 || static_cast<std::size_t>(e.index) >= group_fields) {
      return Err(code::kInvalid, "PersonExDescriptionIndex " + std::to_string(e.index) +
                                     " is not a field of the group (it has " + std::to_string(group_fields) + ")");
    }
    if (!seen.insert(e.index).second) return Err(code::kPersonExIdentical, "PersonExDescriptionIndex repeated");
    const long n = Utf8Length(e.description);
    if (n < 0) return Err(code::kPersonExIllegal, "PersonExDescription is not valid UTF-8");
    if (n > 60) return Err(code::kPersonExTooLong, "PersonExDescription is longer than 60 characters");
  }
  return std::nullopt;
}

Rect ToRect(const FaceBox& b) {
  return Rect{static_cast<int>(std::lround(b.x)), static_cast<int>(std::lround(b.y)),
              static_cast<int>(std::lround(b.width)), static_cast<int>(std::lround(b.height))};
}

std::vector<std::string> ExValues(const gallery::GroupState& g, const store::MembershipRecord& m) {
  std::vector<std::string> out(g.record.ex_descriptions.size());
  for (const auto& [i, v] : m.ex_descriptions) {
    if (i >= 0 && static_cast<std::size_t>(i) < out.size()) out[static_cast<std::size_t>(i)] = v;
  }
  return out;
}

std::pair<std::size_t, std::size_t> Window(std::size_t total, std::int64_t offset, std::int64_t limit) {
  const auto begin = std::min(total, static_cast<std::size_t>(offset));
  return {begin, std::min(total, begin + static_cast<std::size_t>(limit))};
}

std::optional<ApiError> CheckWindow(std::int64_t offset, std::int64_t limit) {
  if (offset < 0) return Err(code::kOffsetExceed, "Offset must not be negative");
  if (limit < 1 || limit > 1000) return Err(code::kLimitExceed, "Limit must be 1 to 1000");
  return std::nullopt;
}

}  // namespace facekit::service::internal
