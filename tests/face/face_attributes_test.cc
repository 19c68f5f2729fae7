// FaceAttributeModels: human's faceres (age/gender, role
// attributes.age_gender.faceres) and emotion (expression) graphs against the
// plain TF.js reference interpreter, the age read-out on known bins, gender
// on labelled photos with the default models (face-api's age/gender, human's
// emotion), a models folder without them, and corrupt or truncated files.
// face-api's own networks: faceapi_attributes_test.cc.
#include "facekit/face_attributes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_importer.h"
#include "runtime/model_manifest.h"
#include "runtime/tfjs_model.h"
#include "runtime/tfjs_reference.h"
#include "attribute_test_util.h"
#include "test_util.h"

namespace facekit {
namespace {

namespace fs = std::filesystem;
using testing::RefTensor;

const FaceAttributeModels& SharedModels() { return testing::SharedAttributeModels(); }

// ---- the imported graphs against the reference interpreter ----

// Runs the ONNX file and the reference on `side` x `side` pixels of a photo,
// `channels` 3 (RGB) or 1 (grey), mapped as value * scale + offset.
void ExpectMatchesReference(const std::string& role, int side, int channels, float scale, float offset) {
  auto manifest = runtime::ModelManifest::Load(testing::ModelsDir());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  const runtime::ManifestModel* mm = manifest->FindRole(role);
  ASSERT_NE(mm, nullptr) << role;
  auto tfjs = runtime::TfjsModel::Load(manifest->FilePath(mm->source_file));
  ASSERT_TRUE(tfjs.ok()) << tfjs.status().ToString();
  auto net = runtime::DnnModel::Load(manifest->FilePath(mm->file));
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  cv::Mat pixels, small;
  cv::cvtColor(AsMat(img), pixels, channels == 3 ? cv::COLOR_BGR2RGB : cv::COLOR_BGR2GRAY);
  cv::resize(pixels, small, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  RefTensor in{{1, side, side, channels}, {}};
  const int sizes[] = {1, channels, side, side};
  cv::Mat blob(4, sizes, CV_32F);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      for (int c = 0; c < channels; ++c) {
        const float raw = channels == 3 ? small.at<cv::Vec3b>(y, x)[c] : small.at<uint8_t>(y, x);
        const float v = raw * scale + offset;
        in.data.push_back(v);
        blob.ptr<float>(0, c, y)[x] = v;
      }
  std::vector<std::string> outputs;
  for (const auto& [meaning, name] : mm->outputs) outputs.push_back(name);
  auto ref = testing::RunTfjsReference(*tfjs, {{mm->input_name, in}}, outputs);
  auto out = (*net)->Run(blob, outputs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const RefTensor& r = ref[outputs[i]];
    ASSERT_EQ((*out)[i].total(), r.data.size()) << outputs[i];
    float largest = 0;
    for (float v : r.data) largest = std::max(largest, std::fabs(v));
    EXPECT_GT(largest, 0.f) << outputs[i];
    EXPECT_LT(testing::MaxDiff((*out)[i], r), 1e-5f * std::max(1.f, largest)) << role << " " << outputs[i];
  }
}

TEST(FaceAttributesImport, AgeGenderGraphMatchesReference) {
  ExpectMatchesReference("attributes.age_gender.faceres", 224, 3, 1.f, 0.f);  // the file's input size
  ExpectMatchesReference("attributes.age_gender.faceres", 128, 3, 1.f, 0.f);  // imported with dynamic_spatial
}
TEST(FaceAttributesImport, ExpressionGraphMatchesReference) {
  ExpectMatchesReference("attributes.expression.emotion", 64, 1, 2.f / 255.f, -1.f);
}

// ---- the age read-out ----

TEST(FaceAttributes, AgeFromBinsMovesTowardsTheLargerNeighbour) {
  std::vector<float> bins(100, 0.f);
  bins[30] = 0.5f, bins[31] = 0.2f, bins[29] = 0.1f;
  EXPECT_FLOAT_EQ(*AgeFromBins(bins), 32.f);  // 30 + 10 x 0.2
  bins[29] = 0.3f;
  EXPECT_FLOAT_EQ(*AgeFromBins(bins), 27.f);  // 30 - 10 x 0.3
  std::vector<float> edge(100, 0.f);
  edge[0] = 0.9f, edge[1] = 0.05f;
  EXPECT_FLOAT_EQ(*AgeFromBins(edge), 0.5f);
  std::vector<float> top(100, 0.f);
  top[99] = 0.9f, top[98] = 0.01f;
  EXPECT_FLOAT_EQ(*AgeFromBins(top), 98.9f);
  EXPECT_FALSE(AgeFromBins({}).ok());
}

// ---- on labelled photos ----

TEST(FaceAttributes, GenderOfTheBbtCastAndSaneAgesAndExpressions) {
  const std::map<std::string, bool> male = {{"amy", false},    {"bernadette", false}, {"penny", false},
                                            {"howard", true},  {"leonard", true},     {"raj", true},
                                            {"sheldon", true}, {"stuart", true}};
  int right = 0, n = 0;
  for (const auto& [person, is_male] : male) {
    for (const auto& e : fs::directory_iterator(testing::DataDir() + "/faces/bbt/" + person)) {
      SCOPED_TRACE(e.path().string());
      Image img = testing::MustLoad(e.path().string());
      auto faces = testing::SharedEngine().Detect(img);
      ASSERT_TRUE(faces.ok());
      if (faces->empty()) continue;
      auto a = SharedModels().Run(img, (*faces)[static_cast<size_t>(LargestFace(*faces))]);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_TRUE(a->male_probability && a->age);
      ++n;
      right += (*a->male_probability > 0.5f) == is_male;
      EXPECT_GE(*a->age, 10.f);  // adult actors
      EXPECT_LE(*a->age, 70.f);
      ASSERT_EQ(a->expression.size(), SharedModels().expression_labels().size());
      EXPECT_NEAR(std::accumulate(a->expression.begin(), a->expression.end(), 0.f), 1.f, 1e-4f);
    }
  }
  EXPECT_GE(n, 36);
  EXPECT_GE(right, n - 4) << right << " of " << n;
}

TEST(FaceAttributes, RequestSelectsTheModelsThatRun) {
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  AttributeRequest only_expression;
  only_expression.age_gender = false;
  auto a = SharedModels().Run(img, (*faces)[0], only_expression);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->age.has_value());
  EXPECT_FALSE(a->male_probability.has_value());
  EXPECT_EQ(a->expression.size(), 7u);
  auto all = SharedModels().Run(img, (*faces)[0]);
  ASSERT_TRUE(all.ok());
  EXPECT_GT(*all->male_probability, 0.5f);
  EXPECT_EQ(SharedModels().Run(Image{}, (*faces)[0]).status().code(), StatusCode::kImageEmpty);
  FaceBox empty;
  EXPECT_EQ(SharedModels().Run(img, empty).status().code(), StatusCode::kInvalidArgument);
}

// ---- models folders without them; corrupt files ----

// A models folder whose manifest keeps only the models `keep` accepts (files shared by a link).
std::string ModelsWhere(const testing::TempDir& dir, const std::function<bool(const std::string&)>& keep) {
  auto text = ReadFileBytes(testing::ModelsDir() + "/manifest.json");
  EXPECT_TRUE(text.ok());
  nlohmann::json m = nlohmann::json::parse(text.ok() ? std::string(text->begin(), text->end()) : "{}");
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& model : m["models"]) {
    if (keep(model["role"].get<std::string>())) kept.push_back(model);
  }
  m["models"] = kept;
  std::ofstream(dir.file("manifest.json")) << m.dump(2);
  fs::create_directory_symlink(fs::absolute(testing::ModelsDir() + "/files"), dir.file("files"));
  return dir.path();
}

TEST(FaceAttributes, MissingModelsAreNamedOrLeaveTheirFieldsEmpty) {
  testing::TempDir none_dir, expr_dir;
  FaceAttributeOptions o;
  o.models_dir = ModelsWhere(none_dir, [](const std::string& role) { return role.rfind("attributes.", 0) != 0; });
  auto none = FaceAttributeModels::Create(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("attributes.age_gender"), std::string::npos);
  o.models_dir = ModelsWhere(expr_dir, [](const std::string& role) { return role != "attributes.age_gender"; });
  auto expr = FaceAttributeModels::Create(o);
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  EXPECT_FALSE((*expr)->has_age_gender());
  EXPECT_TRUE((*expr)->has_expression());
  Image img = testing::MustLoad(testing::Photo("obama.jpg"));
  auto faces = testing::SharedEngine().Detect(img);
  ASSERT_TRUE(faces.ok() && !faces->empty());
  auto a = (*expr)->Run(img, (*faces)[0]);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->age.has_value());
  EXPECT_EQ(a->expression.size(), 7u);
}

TEST(FaceAttributes, TruncatedOrCorruptFilesAreRefusedWithTheFileNamed) {
  testing::TempDir dir;
  auto copy = [&](const std::string& name, std::size_t keep) {
    auto bytes = ReadFileBytes(testing::ModelsDir() + "/files/" + name);
    EXPECT_TRUE(bytes.ok());
    if (!bytes.ok()) return std::size_t{0};
    std::ofstream(dir.file(name), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes->data()),
               static_cast<std::streamsize>(std::min(keep, bytes->size())));
    return bytes->size();
  };
  for (const std::string model : {"faceres", "emotion"}) {
    SCOPED_TRACE(model);
    const std::size_t json_size = copy(model + ".json", SIZE_MAX);
    const std::size_t bin_size = copy(model + ".bin", SIZE_MAX);
    ASSERT_TRUE(runtime::TfjsModel::Load(dir.file(model + ".json")).ok());
    copy(model + ".bin", bin_size - 10);  // a truncated weight shard
    auto short_bin = runtime::TfjsModel::Load(dir.file(model + ".json"));
    ASSERT_FALSE(short_bin.ok());
    EXPECT_EQ(short_bin.status().code(), StatusCode::kModelInvalid);
    EXPECT_NE(short_bin.status().message().find(model + ".bin"), std::string::npos) << short_bin.status().ToString();
    copy(model + ".bin", SIZE_MAX);
    copy(model + ".json", json_size / 3);  // a truncated graph
    auto short_json = runtime::TfjsModel::Load(dir.file(model + ".json"));
    ASSERT_FALSE(short_json.ok());
    EXPECT_EQ(short_json.status().code(), StatusCode::kModelInvalid);
    EXPECT_NE(short_json.status().message().find(model + ".json"), std::string::npos) << short_json.status().ToString();
  }
}

TEST(FaceAttributes, ImporterRefusesAWeightShardWhoseChecksumChanged) {
  testing::TempDir dir;
  auto text = ReadFileBytes(testing::ModelsDir() + "/manifest.json");
  ASSERT_TRUE(text.ok());
  nlohmann::json m = nlohmann::json::parse(std::string(text->begin(), text->end()));
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& model : m["models"]) {
    if (model["role"] == "attributes.expression.emotion") kept.push_back(model);
  }
  m["models"] = kept;
  std::ofstream(dir.file("manifest.json")) << m.dump(2);
  fs::create_directory(dir.file("files"));
  for (const char* name : {"emotion.json", "emotion.bin"}) {
    fs::copy_file(testing::ModelsDir() + "/files/" + name, dir.file(std::string("files/") + name));
  }
  auto manifest = runtime::ModelManifest::Load(dir.path());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  auto imported = runtime::ImportModels(*manifest, /*force=*/true);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_EQ(imported->size(), 1u);
  EXPECT_TRUE((*imported)[0].converted);
  {
    std::fstream f(dir.file("files/emotion.bin"), std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(1000);
    const char byte = static_cast<char>(f.get());
    f.seekp(1000);
    f.put(static_cast<char>(~byte));  // one byte changed
  }
  auto changed = runtime::ImportModels(*manifest, /*force=*/true);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().code(), StatusCode::kModelChecksumMismatch);
  EXPECT_NE(changed.status().message().find("emotion.bin"), std::string::npos) << changed.status().ToString();
}

}  // namespace
}  // namespace facekit
