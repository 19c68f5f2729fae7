// The pieces of google.api.http transcoding that do not depend on a
// transport: path templates, query strings, and setting a protobuf field
// from the text of a path variable or query parameter.
//
// WHAT THIS REPRESENTS
//   PathTemplate is one HttpRule path: "/" segments [":" verb], each segment
//   a literal or a variable "{field.path}" (also written "{field.path=*}"),
//   which matches one non-empty path segment and is percent-decoded.
//   Multi-segment variables ("**", "{name=a/*}") are not supported and are
//   refused by Parse.
//
// THREAD SAFETY
//   A parsed PathTemplate is immutable; the functions are reentrant.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "facekit/status.h"

namespace facekit::server {

class PathTemplate {
 public:
  static Result<PathTemplate> Parse(std::string_view text);

  // The variables (field path, decoded value) when `path` (as received,
  // percent-encoded, without query) matches; nullopt otherwise.
  std::optional<std::vector<std::pair<std::string, std::string>>> Match(std::string_view path) const;

  // Field paths of the variables, in order.
  std::vector<std::string> variables() const;
  // More literal segments = a more specific template (preferred on overlap).
  std::size_t literal_count() const;
  const std::string& verb() const { return verb_; }
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    std::string literal;   // set for a literal segment
    std::string variable;  // set for a variable segment
  };
  std::vector<Segment> segments_;
  std::string verb_;
  std::string text_;
};

// Percent-decoding; '+' becomes a space when `plus_is_space` (query strings).
// nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y&a=2" -> {a,1},{b,x y},{a,2}; nullopt for a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query);

// The field at a dotted path ("face_rect.x"), each step by proto name or JSON
// name, every step but the last a singular message; nullptr when there is none.
const google::protobuf::FieldDescriptor* FindFieldPath(const google::protobuf::Descriptor* type,
                                                       std::string_view path,
                                                       std::string* canonical_path = nullptr);

// Sets the scalar field at `path` from text: integers and floats in decimal,
// bools as true/false/1/0, enums by name or number, strings as UTF-8, bytes
// as base64 (standard or URL-safe, padding optional). A repeated field gets
// the value appended. kInvalidArgument when the field does not exist, is a
// message, or the text is not a value of its type.
Status SetFieldFromText(google::protobuf::Message* message, std::string_view path, std::string_view text);

// Whether `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace facekit::server
