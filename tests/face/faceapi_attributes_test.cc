// FaceAttributeModels with face-api's age_gender and face_expression models
// (imported by runtime/faceapi_classifier_to_onnx): sane outputs on real
// photos (gender of the BBT cast and of a few LFW people, adult ages,
// expression probabilities that sum to 1), and picking models by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "facekit/face_attributes.h"
#include "facekit/face_choice.h"
#include "test_util.h"

namespace facekit {
namespace {

namespace fs = std::filesystem;

const FaceAttributeModels& FaceApiModels() {
  static std::unique_ptr<FaceAttributeModels> models = [] {
    FaceAttributeOptions o;
    o.models_dir = testing::ModelsDir();
    o.age_gender_model = "faceapi-age-gender";
    o.expression_model = "faceapi-expression";
    auto m = FaceAttributeModels::Create(o);
    if (!m.ok()) {
      ADD_FAILURE() << "face-api attribute models: " << m.status().ToString();
      std::abort();
    }
    return std::move(*m);
  }();
  return *models;
}

Result<FaceAttributeResult> OnLargestFace(const std::string& path) {
  Image img = testing::MustLoad(path);
  FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, testing::SharedEngine().Detect(img));
  if (faces.empty()) return Status(StatusCode::kNoFace, "no face in " + path);
  return FaceApiModels().Run(img, faces[static_cast<size_t>(LargestFace(faces))]);
}

TEST(FaceApiAttributes, LoadsByName) {
  const auto d = FaceApiModels().model_descriptions();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "faceapi-age-gender 1.7.15");
  EXPECT_EQ(d[1], "faceapi-expression 1.7.15");
  EXPECT_EQ(FaceApiModels().expression_labels(),
            (std::vector<std::string>{"neutral", "happy", "sad", "angry", "fear", "disgust", "surprise"}));
}

TEST(FaceApiAttributes, GenderOfTheBbtCastAndSaneAgesAndExpressions) {
  const std::map<std::string, bool> male = {{"amy", false},    {"bernadette", false}, {"penny", false},
                                            {"howard", true},  {"leonard", true},     {"raj", true},
                                            {"sheldon", true}, {"stuart", true}};
  int right = 0, n = 0;
  for (const auto& [person, is_male] : male) {
    for (const auto& e : fs::directory_iterator(testing::DataDir() + "/faces/bbt/" + person)) {
      SCOPED_TRACE(e.path().string());
      auto a = OnLargestFace(e.path().string());
      if (!a.ok() && a.status().code() == StatusCode::kNoFace) continue;
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_TRUE(a->male_probability && a->age);
      EXPECT_GE(*a->male_probability, 0.f);
      EXPECT_LE(*a->male_probability, 1.f);
      ++n;
      right += (*a->male_probability > 0.5f) == is_male;
      EXPECT_GE(*a->age, 10.f);  // adult actors
      EXPECT_LE(*a->age, 70.f);
      ASSERT_EQ(a->expression.size(), 7u);
      EXPECT_NEAR(std::accumulate(a->expression.begin(), a->expression.end(), 0.f), 1.f, 1e-4f);
    }
  }
  EXPECT_GE(n, 36);
  EXPECT_GE(right, n - 5) << right << " of " << n;
}

TEST(FaceApiAttributes, GenderOfSomeLfwPeople) {
  const std::string lfw = testing::DataDir() + "/lfw-view1/deepfunneled/";
  const std::vector<std::pair<std::string, bool>> people = {  // labels from gender.txt
      {"AJ_Cook/AJ_Cook_0001.jpg", false},           {"Ann_Veneman/Ann_Veneman_0009.jpg", false},
      {"Elizabeth_Hurley/Elizabeth_Hurley_0004.jpg", false}, {"Michelle_Yeoh/Michelle_Yeoh_0003.jpg", false},
      {"Aaron_Guiel/Aaron_Guiel_0001.jpg", true},    {"Alec_Baldwin/Alec_Baldwin_0004.jpg", true},
      {"Morgan_Freeman/Morgan_Freeman_0001.jpg", true}, {"Victor_Garber/Victor_Garber_0001.jpg", true}};
  int right = 0;
  for (const auto& [file, is_male] : people) {
    SCOPED_TRACE(file);
    auto a = OnLargestFace(lfw + file);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    right += (*a->male_probability > 0.5f) == is_male;
  }
  EXPECT_GE(right, 7) << right << " of " << people.size();
}

TEST(FaceApiAttributes, UnknownOrWrongRoleNamesAreRefused) {
  FaceAttributeOptions o;
  o.models_dir = testing::ModelsDir();
  o.age_gender_model = "no-such-model";
  auto r = FaceAttributeModels::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no-such-model"), std::string::npos);
  o.age_gender_model = "faceapi-expression";  // an expression model as age/gender
  r = FaceAttributeModels::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  o.age_gender_model = "none";
  o.expression_model = "faceapi-expression";
  r = FaceAttributeModels::Create(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE((*r)->has_age_gender());
  EXPECT_TRUE((*r)->has_expression());
}

}  // namespace
}  // namespace facekit
