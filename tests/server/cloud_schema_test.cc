// FaceKit's table of actions and typed parameters (cloud_schema.cc) against
// the official Node SDK's model files of both versions, read at run time
// (tests/sdk/models_json.js): every parameter name and type, which actions
// exist in which version, and which cloud actions FaceKit does not answer.
#include "server/cloud_schema.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "serve_process.h"
#include "test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;

std::string DtsType(ParamType t) {
  switch (t) {
    case ParamType::kString:
      return "string";
    case ParamType::kNumber:
      return "number";
    case ParamType::kStringList:
      return "Array<string>";
    case ParamType::kObjectList:
      return "object list";
  }
  return "?";
}

// Our parameter as models_json.js prints a d.ts field.
json AsDts(const ParamSpec& p) {
  if (p.type != ParamType::kObjectList) return DtsType(p.type);
  json fields = json::object();
  for (const auto& f : p.item_fields) fields[std::string(f.name)] = DtsType(f.type);
  return fields;
}

TEST(CloudSchemaTest, ParametersAreTheSdkModelFilesOfEachVersion) {
  const std::string sdk_dir = testing::SourceDir() + "/tests/sdk";
  ASSERT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/tencentcloud-sdk-nodejs"))
      << "run scripts/setup.sh: it installs the Node SDK into tests/sdk/node_modules";
  auto [rc, out] = testing::RunCommand("cd " + sdk_dir + " && node models_json.js");
  ASSERT_EQ(rc, 0) << out;
  const json models = json::parse(out, nullptr, false);
  ASSERT_TRUE(models.is_object()) << out;

  for (ApiVersion version : {ApiVersion::k2018_03_01, ApiVersion::k2020_03_03}) {
    const std::string name(VersionName(version));
    SCOPED_TRACE(name);
    const json& requests = models[name];
    std::set<std::string> ours;
    for (const ActionSchema& a : ActionSchemas()) {
      if (!a.InVersion(version)) {
        EXPECT_FALSE(requests.contains(std::string(a.action))) << a.action << " is in " << name;
        continue;
      }
      ours.insert(std::string(a.action));
      if (a.action == "DetectLiveFace") {
        // The SDKs of both versions dropped it (it moved to another product); the API still has it.
        EXPECT_FALSE(requests.contains("DetectLiveFace"));
        continue;
      }
      ASSERT_TRUE(requests.contains(std::string(a.action))) << a.action;
      const json& fields = requests[std::string(a.action)];
      std::set<std::string> in_version;
      for (const ParamSpec& p : a.params) {
        if (!a.Param(p.name, version)) continue;
        in_version.insert(std::string(p.name));
        ASSERT_TRUE(fields.contains(std::string(p.name))) << a.action << "." << p.name;
        const json& dts = fields[std::string(p.name)];
        EXPECT_EQ(dts.is_object() ? dts.begin().value() : dts, AsDts(p)) << a.action << "." << p.name;
      }
      for (const auto& [field, type] : fields.items()) {
        EXPECT_TRUE(in_version.count(field)) << a.action << "." << field << " is declared in " << name;
      }
    }
    // Every cloud action of the SDK's model files is answered (docs/api-reference.md, "Conformance").
    std::set<std::string> missing;
    for (const auto& [action, fields] : requests.items()) {
      if (!ours.count(action)) missing.insert(action);
    }
    EXPECT_TRUE(missing.empty()) << name << ": " << missing.size() << " action(s) not answered";
  }
}

TEST(CloudSchemaTest, VersionsByName) {
  EXPECT_EQ(ParseApiVersion("2018-03-01"), ApiVersion::k2018_03_01);
  EXPECT_EQ(ParseApiVersion("2020-03-03"), ApiVersion::k2020_03_03);
  EXPECT_FALSE(ParseApiVersion("2019-01-01"));
  EXPECT_FALSE(ParseApiVersion(""));
  ASSERT_NE(FindActionSchema("CompareFace"), nullptr);
  EXPECT_EQ(FindActionSchema("CompareFace")->Param("FaceMatchingStrategy", ApiVersion::k2018_03_01), nullptr);
  ASSERT_NE(FindActionSchema("UpgradeGroupFaceModelVersion"), nullptr);
  EXPECT_TRUE(FindActionSchema("UpgradeGroupFaceModelVersion")->InVersion(ApiVersion::k2018_03_01));
  EXPECT_EQ(FindActionSchema("NoSuchAction"), nullptr);
  ASSERT_NE(FindActionSchema("DetectFaceAttributes"), nullptr);
  ASSERT_NE(FindActionSchema("CompareMaskFace"), nullptr);
  EXPECT_FALSE(FindActionSchema("CompareMaskFace")->InVersion(ApiVersion::k2018_03_01));
  EXPECT_TRUE(FindActionSchema("AnalyzeFace")->InVersion(ApiVersion::k2018_03_01));
}

}  // namespace
}  // namespace facekit::server
