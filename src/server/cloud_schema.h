// The cloud API's versions and the typed request parameters of each action
// FaceKit answers, as the official SDKs' model files declare them
// (tencentcloud-sdk-nodejs services/iai/v20180301 and v20200303
// iai_models.d.ts; tests/server/cloud_schema_test.cc checks this table
// against both files).
//
// WHAT THIS REPRESENTS
//   Which actions exist in which version, and each action's parameters with
//   their d.ts type (string, number, string[], object[]). The request
//   decoder uses the types to turn flat parameters (a query string, a form
//   body, multipart parts: every value text) into the same JSON tree a JSON
//   body gives. Where the versions differ (docs/api-reference.md,
//   "Versions"), the difference is here:
//     - CompareMaskFace, DetectFaceSimilarity, DetectLiveFaceAccurate exist
//       in 2020-03-03 only;
//     - CompareFace's FaceMatchingStrategy is a 2020-03-03 parameter.
//   Every answer field of the shared actions has the same name and type in
//   both files, so answers are the same in both versions.
//
// THREAD SAFETY
//   Immutable tables.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace facekit::server {

enum class ApiVersion { k2018_03_01, k2020_03_03 };

/// "2018-03-01" / "2020-03-03"; nullopt for any other text.
std::optional<ApiVersion> ParseApiVersion(std::string_view text);
std::string_view VersionName(ApiVersion version);

/// The d.ts types of request parameters.
enum class ParamType { kString, kNumber, kStringList, kObjectList };

/// A field of an object-list item (all of them are numbers or strings).
struct ItemField {
  std::string_view name;
  ParamType type;
};

struct ParamSpec {
  std::string_view name;
  ParamType type;
  std::span<const ItemField> item_fields = {};  // kObjectList only
  bool only_2020 = false;                       // a 2020-03-03 parameter
};

struct ActionSchema {
  std::string_view action;
  std::vector<ParamSpec> params;
  bool only_2020 = false;  // the action exists in 2020-03-03 only

  bool InVersion(ApiVersion version) const { return !only_2020 || version == ApiVersion::k2020_03_03; }
  /// The parameter of this name in `version`, or nullptr.
  const ParamSpec* Param(std::string_view name, ApiVersion version) const;
};

/// The schema of an action FaceKit answers, or nullptr.
const ActionSchema* FindActionSchema(std::string_view action);
/// Every action FaceKit answers.
std::span<const ActionSchema> ActionSchemas();

}  // namespace facekit::server
