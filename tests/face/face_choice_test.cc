#include "facekit/face_choice.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace facekit {
namespace {

FaceBox Box(float x, float y, float side) {
  FaceBox f;
  f.x = x;
  f.y = y;
  f.width = f.height = side;
  return f;
}

TEST(FaceChoice, ParsesTheDocumentedForms) {
  EXPECT_EQ(ParseFaceChoice("")->rule, FaceChoice::Rule::kLargest);
  EXPECT_EQ(ParseFaceChoice("largest")->rule, FaceChoice::Rule::kLargest);
  EXPECT_EQ(ParseFaceChoice("central")->rule, FaceChoice::Rule::kCentral);
  EXPECT_EQ(ParseFaceChoice("sole")->rule, FaceChoice::Rule::kSole);
  auto two = ParseFaceChoice("2");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->rule, FaceChoice::Rule::kIndex);
  EXPECT_EQ(two->index, 2);
  for (const char* bad : {"-1", "1x", "x", "largest ", "1.5"}) {
    EXPECT_EQ(ParseFaceChoice(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  for (const char* text : {"largest", "central", "sole", "3"}) EXPECT_EQ(FaceChoiceName(*ParseFaceChoice(text)), text);
}

TEST(FaceChoice, ChoosesByRuleAndRefusesAmbiguityOnlyWhenSole) {
  // Detect's order: largest first. The small face is in the centre of a 400x400 image.
  const std::vector<FaceBox> faces = {Box(0, 0, 100), Box(250, 0, 60), Box(180, 180, 40)};
  EXPECT_EQ(*ChooseFace(faces, 400, 400, {}), 0);
  EXPECT_EQ(*ChooseFace(faces, 400, 400, {FaceChoice::Rule::kCentral, 0}), 2);
  EXPECT_EQ(*ChooseFace(faces, 400, 400, {FaceChoice::Rule::kIndex, 1}), 1);
  EXPECT_EQ(ChooseFace(faces, 400, 400, {FaceChoice::Rule::kIndex, 3}).status().code(), StatusCode::kInvalidArgument);
  // 60 >= 0.5 * 100: ambiguous; 40 is not.
  EXPECT_EQ(NearlyAsLargeFaces(faces, 0), 1);
  auto sole = ChooseFace(faces, 400, 400, {FaceChoice::Rule::kSole, 0});
  EXPECT_EQ(sole.status().code(), StatusCode::kTooManyFaces);
  EXPECT_NE(sole.status().message().find("3 faces, 2 of them of similar size"), std::string::npos)
      << sole.status().message();
  const std::vector<FaceBox> portrait = {Box(0, 0, 100), Box(250, 0, 49)};
  EXPECT_EQ(*ChooseFace(portrait, 400, 400, {FaceChoice::Rule::kSole, 0}), 0);
  EXPECT_EQ(ChooseFace({}, 400, 400, {}).status().code(), StatusCode::kNoFace);
  // No face covers the centre: the largest.
  EXPECT_EQ(CentralFace(portrait, 400, 400), 0);
}

}  // namespace
}  // namespace facekit
