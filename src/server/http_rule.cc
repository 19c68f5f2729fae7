#include "server/http_rule.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "common/base64.h"

namespace facekit::server {

namespace pb = google::protobuf;

namespace {

Status Invalid(std::string message) { return Status(StatusCode::kInvalidArgument, std::move(message)); }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool IsFieldPath(std::string_view s) {
  if (s.empty()) return false;
  for (std::string_view part : Split(s, '.')) {
    if (part.empty() || (part[0] >= '0' && part[0] <= '9')) return false;
    for (char c : part) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) return false;
    }
  }
  return true;
}

bool IsLiteral(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '{' || c == '}' || c == '*' || c == '/' || c == ':' || c == '?' || c == '#') {
      return false;
    }
  }
  return true;
}

template <typename T>
std::optional<T> ParseInteger(std::string_view text) {
  T v{};
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (!text.empty() && text[0] == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::string> DecodeBytes(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4 != 0) s.push_back('=');
  auto bytes = Base64Decode(s);
  if (!bytes) return std::nullopt;
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

// ---------------------------------------------------------------- PathTemplate

Result<PathTemplate> PathTemplate::Parse(std::string_view text) {
  PathTemplate t;
  t.text_ = std::string(text);
  if (!text.starts_with('/')) return Invalid("path template '" + t.text_ + "' does not start with '/'");
  std::string_view rest = text.substr(1);
  // A verb follows the last segment: ":verb" outside braces.
  const auto last_slash = rest.rfind('/');
  const auto last_segment_start = last_slash == std::string_view::npos ? 0 : last_slash + 1;
  const auto close = rest.find('}', last_segment_start);
  const auto colon = rest.find(':', close == std::string_view::npos ? last_segment_start : close);
  if (colon != std::string_view::npos) {
    t.verb_ = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsLiteral(t.verb_)) return Invalid("path template '" + t.text_ + "' has a malformed verb");
  }
  for (std::string_view seg : Split(rest, '/')) {
    Segment s;
    if (seg.starts_with('{') && seg.ends_with('}')) {
      std::string_view inner = seg.substr(1, seg.size() - 2);
      if (inner.ends_with("=*")) inner.remove_suffix(2);
      if (!IsFieldPath(inner)) {
        return Invalid("path template '" + t.text_ + "': unsupported variable '" + std::string(seg) +
                       "' (only {field} and {field=*} are supported)");
      }
      s.variable = std::string(inner);
    } else if (IsLiteral(seg)) {
      s.literal = std::string(seg);
    } else {
      return Invalid("path template '" + t.text_ + "': unsupported segment '" + std::string(seg) + "'");
    }
    t.segments_.push_back(std::move(s));
  }
  return t;
}

std::optional<std::vector<std::pair<std::string, std::string>>> PathTemplate::Match(std::string_view path) const {
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  if (!verb_.empty()) {
    const std::string suffix = ":" + verb_;
    if (!path.ends_with(suffix)) return std::nullopt;
    path.remove_suffix(suffix.size());
  }
  const auto parts = Split(path, '/');
  if (parts.size() != segments_.size()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> vars;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Segment& s = segments_[i];
    if (!s.variable.empty()) {
      auto value = PercentDecode(parts[i], false);
      if (!value || value->empty()) return std::nullopt;
      vars.emplace_back(s.variable, std::move(*value));
    } else if (parts[i] != s.literal) {
      return std::nullopt;
    }
  }
  return vars;
}

std::vector<std::string> PathTemplate::variables() const {
  std::vector<std::string> out;
  for (const auto& s : segments_) {
    if (!s.variable.empty()) out.push_back(s.variable);
  }
  return out;
}

std::size_t PathTemplate::literal_count() const {
  std::size_t n = verb_.empty() ? 0 : 1;
  for (const auto& s : segments_) n += s.literal.empty() ? 0 : 1;
  return n;
}

// ---------------------------------------------------------------- text

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  for (std::string_view pair : Split(query, '&')) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    static constexpr std::uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// ---------------------------------------------------------------- fields

const pb::FieldDescriptor* FindFieldPath(const pb::Descriptor* type, std::string_view path,
                                         std::string* canonical_path) {
  const pb::FieldDescriptor* field = nullptr;
  std::string canonical;
  for (std::string_view part : Split(path, '.')) {
    if (type == nullptr) return nullptr;  // a step after a non-message field
    const std::string name(part);
    field = type->FindFieldByName(name);
    for (int i = 0; field == nullptr && i < type->field_count(); ++i) {
      if (type->field(i)->json_name() == name) field = type->field(i);
    }
    if (field == nullptr) return nullptr;
    if (!canonical.empty()) canonical += '.';
    canonical += field->name();
    type = field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated() ? field->message_type()
                                                                                             : nullptr;
  }
  if (canonical_path) *canonical_path = canonical;
  return field;
}

Status SetFieldFromText(pb::Message* message, std::string_view path, std::string_view text) {
  const std::string shown(path);
  // Walk to the message holding the last field.
  const auto parts = Split(path, '.');
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const pb::FieldDescriptor* step = FindFieldPath(message->GetDescriptor(), parts[i]);
    if (step == nullptr || step->is_repeated() || step->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      return Invalid("there is no field " + shown);
    }
    message = message->GetReflection()->MutableMessage(message, step);
  }
  const pb::FieldDescriptor* f = FindFieldPath(message->GetDescriptor(), parts.back());
  if (f == nullptr) return Invalid("there is no field " + shown);
  const pb::Reflection* r = message->GetReflection();
  const bool rep = f->is_repeated();
  const auto bad = [&](const char* what) { return Invalid("the field " + shown + " must be " + what); };
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      auto v = ParseInteger<std::int32_t>(text);
      if (!v) return bad("a 32-bit integer");
      rep ? r->AddInt32(message, f, *v) : r->SetInt32(message, f, *v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      auto v = ParseInteger<std::int64_t>(text);
      if (!v) return bad("a 64-bit integer");
      rep ? r->AddInt64(message, f, *v) : r->SetInt64(message, f, *v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      auto v = ParseInteger<std::uint32_t>(text);
      if (!v) return bad("an unsigned 32-bit integer");
      rep ? r->AddUInt32(message, f, *v) : r->SetUInt32(message, f, *v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      auto v = ParseInteger<std::uint64_t>(text);
      if (!v) return bad("an unsigned 64-bit integer");
      rep ? r->AddUInt64(message, f, *v) : r->SetUInt64(message, f, *v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      auto v = ParseDouble(text);
      if (!v) return bad("a number");
      rep ? r->AddDouble(message, f, *v) : r->SetDouble(message, f, *v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      auto v = ParseDouble(text);
      if (!v || std::fabs(*v) > static_cast<double>(std::numeric_limits<float>::max())) return bad("a number");
      const auto fv = static_cast<float>(*v);
      rep ? r->AddFloat(message, f, fv) : r->SetFloat(message, f, fv);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text != "false" && text != "0") {
        return bad("true or false");
      }
      rep ? r->AddBool(message, f, v) : r->SetBool(message, f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* v = f->enum_type()->FindValueByName(std::string(text));
      if (v == nullptr) {
        if (auto n = ParseInteger<int>(text)) v = f->enum_type()->FindValueByNumber(*n);
      }
      if (v == nullptr) return bad(("a value of " + f->enum_type()->full_name()).c_str());
      rep ? r->AddEnum(message, f, v) : r->SetEnum(message, f, v);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string v;
      if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
        auto bytes = DecodeBytes(text);
        if (!bytes) return bad("base64");
        v = std::move(*bytes);
      } else {
        if (!IsValidUtf8(text)) return bad("UTF-8 text");
        v = std::string(text);
      }
      rep ? r->AddString(message, f, std::move(v)) : r->SetString(message, f, std::move(v));
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return Invalid("the field " + shown + " is a message and cannot be set from a path or query parameter");
  }
  return Status::Ok();
}

}  // namespace facekit::server
