#include "server/cloud_param_tree.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <span>

#include "common/base64.h"

namespace facekit::server {

using nlohmann::json;
using service::ApiError;
using service::ApiResult;

namespace {

constexpr std::size_t kMaxListIndex = 9999;

ApiError Invalid(std::string message) { return ApiError{"InvalidParameter", std::move(message)}; }

ApiError Unknown(std::string_view name, std::string_view action, ApiVersion version) {
  return ApiError{"UnknownParameter", "the parameter " + std::string(name) + " is not a parameter of " +
                                          std::string(action) + " in version " + std::string(VersionName(version))};
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Decimal text as a JSON number: an integer when it has neither fraction nor exponent.
std::optional<json> NumberFromText(std::string_view s) {
  const std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
  if (digits.empty() || !IsDigit(digits.front())) return std::nullopt;  // no "inf", "nan", "+1", ".5"
  const char* end = s.data() + s.size();
  std::int64_t i = 0;
  if (auto r = std::from_chars(s.data(), end, i); r.ec == std::errc() && r.ptr == end) return json(i);
  double d = 0;
  if (auto r = std::from_chars(s.data(), end, d); r.ec == std::errc() && r.ptr == end) return json(d);
  return std::nullopt;
}

// "0", "1", ... "9999": no sign, no leading zero.
std::optional<std::size_t> ParseIndex(std::string_view s) {
  if (s.empty() || s.size() > 4 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v <= kMaxListIndex ? std::optional(v) : std::nullopt;
}

std::string Quoted(std::string_view s) { return "'" + std::string(s.substr(0, 32)) + (s.size() > 32 ? "...'" : "'"); }

ApiResult<json> Scalar(ParamType type, const FlatParam& p) {
  if (type == ParamType::kNumber) {
    auto n = NumberFromText(p.value);
    if (!n) return Invalid("the parameter " + p.name + " must be a number, not " + Quoted(p.value));
    return std::move(*n);
  }
  const std::string_view head = std::string_view(p.name).substr(0, p.name.find('.'));
  if (p.binary && (head == "Image" || head == "ImageA" || head == "ImageB")) {
    return json(Base64Encode(std::span(reinterpret_cast<const std::uint8_t*>(p.value.data()), p.value.size())));
  }
  return json(p.value);
}

// nlohmann's DOM builder, driven by its SAX parser, that also notes a name
// given twice in one object (JSON parsers disagree on which one counts). No
// exceptions: a syntax error makes sax_parse return false.
class DuplicateRefusingParser {
 public:
  explicit DuplicateRefusingParser(json& out) : dom_(out, false) {}
  const std::string& duplicate() const { return duplicate_; }

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const std::string& text) { return dom_.number_float(v, text); }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) {
    names_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(std::string& name) {
    auto& open = names_.back();
    if (duplicate_.empty() && std::find(open.begin(), open.end(), name) != open.end()) duplicate_ = name;
    open.push_back(name);
    return dom_.key(name);
  }
  bool end_object() {
    names_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<std::vector<std::string>> names_;  // the names of each open object
  std::string duplicate_;
};

}  // namespace

bool IsNumberParam(const FlatParam& param, const ActionSchema& schema, ApiVersion version) {
  const std::string_view name = param.name;
  const ParamSpec* spec = schema.Param(name.substr(0, name.find('.')), version);
  if (!spec) return NumberFromText(param.value).has_value();
  if (spec->type != ParamType::kObjectList) return spec->type == ParamType::kNumber;
  const std::string_view field = name.substr(name.rfind('.') + 1);
  return std::any_of(spec->item_fields.begin(), spec->item_fields.end(),
                     [&](const ItemField& f) { return f.name == field && f.type == ParamType::kNumber; });
}

ApiResult<json> BuildParamTree(const CloudRequest& request, const ActionSchema& schema, ApiVersion version) {
  if (request.form == CloudRequestForm::kTc3Json) {
    json body;
    DuplicateRefusingParser parser(body);
    if (!json::sax_parse(request.json_body, &parser) || !body.is_object()) {
      return Invalid("the request body is not a JSON object");
    }
    const std::string& duplicate = parser.duplicate();
    if (!duplicate.empty()) return Invalid("the parameter " + duplicate + " is given more than once");
    for (const auto& [name, value] : body.items()) {
      if (!schema.Param(name, version)) return Unknown(name, schema.action, version);
    }
    return body;
  }
  json tree = json::object();
  std::map<std::string_view, std::map<std::size_t, json>> lists;  // list name -> index -> item
  for (const FlatParam& p : request.params) {
    const std::string_view name = p.name;
    const std::size_t dot = name.find('.');
    const std::string_view head = name.substr(0, dot);
    const ParamSpec* spec = schema.Param(head, version);
    if (!spec) return Unknown(name, schema.action, version);
    if (spec->type == ParamType::kString || spec->type == ParamType::kNumber) {
      if (dot != std::string_view::npos)
        return Invalid(std::string(head) + " is not a list; send " + std::string(head) + "=value");
      auto value = Scalar(spec->type, p);
      if (!value.ok()) return value.error();
      tree[std::string(head)] = std::move(value.value());
      continue;
    }
    if (dot == std::string_view::npos) {
      return Invalid(std::string(head) + " is a list: send " + std::string(head) + ".0, " + std::string(head) +
                     ".1, ...");
    }
    const std::string_view rest = name.substr(dot + 1);
    const std::size_t dot2 = rest.find('.');
    const auto index = ParseIndex(rest.substr(0, dot2));
    if (!index) return Invalid("the parameter " + p.name + " has no valid list index (0 to 9999, no leading zero)");
    if (spec->type == ParamType::kStringList) {
      if (dot2 != std::string_view::npos)
        return Invalid("the items of " + std::string(head) + " are strings: " + p.name);
      lists[head][*index] = p.value;
      continue;
    }
    const std::string_view field = dot2 == std::string_view::npos ? std::string_view() : rest.substr(dot2 + 1);
    const ItemField* item_field = nullptr;
    for (const ItemField& f : spec->item_fields) {
      if (f.name == field) item_field = &f;
    }
    if (!item_field) return Unknown(name, schema.action, version);
    auto value = Scalar(item_field->type, p);
    if (!value.ok()) return value.error();
    lists[head][*index][std::string(field)] = std::move(value.value());
  }
  for (auto& [name, items] : lists) {
    json array = json::array();
    for (auto& [index, item] : items) {
      if (index != array.size()) {
        return Invalid(std::string(name) + "." + std::to_string(array.size()) + " is missing (" + std::string(name) +
                       "." + std::to_string(index) + " is given)");
      }
      array.push_back(std::move(item));
    }
    tree[std::string(name)] = std::move(array);
  }
  return tree;
}

}  // namespace facekit::server
