// Typed access to a cloud API request's JSON parameters, with the cloud
// API's MissingParameter / InvalidParameter errors.
//
// THREAD SAFETY
//   One request's object; not shared.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/face_service.h"

namespace facekit::server {

// The first problem found is kept (MissingParameter / InvalidParameter) and every later read is a no-op.
class CloudParams {
  using json = nlohmann::json;
  using ApiError = service::ApiError;

 public:
  explicit CloudParams(const json& body) : body_(body) {}

  const std::optional<ApiError>& error() const { return error_; }

  bool Has(const char* name) const { return body_.contains(name) && !body_[name].is_null(); }

  std::string Str(const char* name, bool required = false) {
    const json* v = Get(name, required);
    if (!v) return {};
    if (!v->is_string()) return Fail(name, "a string"), std::string();
    return v->get<std::string>();
  }
  std::optional<std::string> OptStr(const char* name) {
    if (!Has(name)) return std::nullopt;
    return Str(name);
  }
  std::int64_t Int(const char* name, std::int64_t fallback, bool required = false) {
    const json* v = Get(name, required);
    if (!v) return fallback;
    if (!v->is_number_integer()) return Fail(name, "an integer"), fallback;
    return v->get<std::int64_t>();
  }
  std::optional<std::int64_t> OptInt(const char* name) {
    if (!Has(name)) return std::nullopt;
    return Int(name, 0);
  }
  double Num(const char* name, double fallback) {
    const json* v = Get(name, false);
    if (!v) return fallback;
    if (!v->is_number()) return Fail(name, "a number"), fallback;
    return v->get<double>();
  }
  std::vector<std::string> StrList(const char* name, bool required = false) {
    const json* v = Get(name, required);
    std::vector<std::string> out;
    if (!v) return out;
    if (!v->is_array()) return Fail(name, "an array of strings"), out;
    for (const auto& e : *v) {
      if (!e.is_string()) return Fail(name, "an array of strings"), std::vector<std::string>();
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  // An array of objects, each with an integer field and a string field.
  std::vector<std::pair<std::int64_t, std::string>> Pairs(const char* name, const char* index_field,
                                                          const char* text_field, bool required = false) {
    const json* v = Get(name, required);
    std::vector<std::pair<std::int64_t, std::string>> out;
    if (!v) return out;
    const std::string shape = std::string("an array of {") + index_field + ", " + text_field + "}";
    if (!v->is_array()) return Fail(name, shape.c_str()), out;
    for (const auto& e : *v) {
      if (!e.is_object() || !e.contains(index_field) || !e[index_field].is_number_integer() ||
          !e.contains(text_field) || !e[text_field].is_string()) {
        return Fail(name, shape.c_str()), decltype(out)();
      }
      out.emplace_back(e[index_field].get<std::int64_t>(), e[text_field].get<std::string>());
    }
    return out;
  }

 private:
  const json* Get(const char* name, bool required) {
    if (error_) return nullptr;
    if (!Has(name)) {
      if (required) error_ = ApiError{"MissingParameter", std::string("the parameter ") + name + " is required"};
      return nullptr;
    }
    return &body_[name];
  }
  void Fail(const char* name, const char* what) {
    if (!error_) error_ = ApiError{"InvalidParameter", std::string("the parameter ") + name + " must be " + what};
  }

  const json& body_;
  std::optional<ApiError> error_;
};

}  // namespace facekit::server
