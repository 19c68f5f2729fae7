// The CLI of the face contours and the masked-face measurement:
// `detect --landmarks dense`, `eval landmarks`, `eval mask`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "facekit/image.h"
#include "test_util.h"

namespace facekit {
namespace {

using nlohmann::json;

struct CliRun {
  int status = -1;
  std::string out, err;
};

class FaceShapeCliTest : public ::testing::Test {
 protected:
  CliRun Facekit(const std::string& args) {
    const std::string cmd = ::facekit::testing::CliPath() + " --models " + testing::ModelsDir() + " " + args + " >" +
                            dir_.file("out") + " 2>" + dir_.file("err");
    const int rc = std::system(cmd.c_str());
    CliRun r;
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = Slurp(dir_.file("out"));
    r.err = Slurp(dir_.file("err"));
    return r;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  testing::TempDir dir_;
};

TEST_F(FaceShapeCliTest, DetectDenseLandmarksPrintsAndDrawsTheCloudGroups) {
  const std::string drawn = dir_.file("dense.png");
  CliRun r = Facekit("detect " + testing::Photo("two_people.jpg") + " --landmarks dense --json --draw " + drawn);
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  ASSERT_EQ(j["faces"].size(), 2u);
  for (const json& f : j["faces"]) {
    EXPECT_EQ(f["face_shape"].size(), 9u);
    EXPECT_EQ(f["face_shape"]["FaceProfile"].size(), 21u);
    EXPECT_EQ(f["face_shape"]["Mouth"].size(), 22u);
    EXPECT_EQ(f["dense_face_shape"].size(), 14u);
    EXPECT_GT(f["mesh_confidence"].get<double>(), 0.5);
    // Left eye left of the right eye, inside the face box.
    EXPECT_LT(f["face_shape"]["LeftPupil"][0][0].get<double>(), f["face_shape"]["RightPupil"][0][0].get<double>());
    EXPECT_GT(f["face_shape"]["LeftPupil"][0][0].get<double>(), f["x"].get<double>());
  }
  auto img = LoadImageFile(drawn);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 1126);
  EXPECT_NE(Facekit("detect " + testing::Photo("obama.jpg") + " --landmarks ninety").status, 0);
}

TEST_F(FaceShapeCliTest, EvalLandmarksOnTheDlibTestingSet) {
  CliRun r = Facekit("eval landmarks --annotations " + testing::DataDir() +
                     "/detection/dlib/testing_with_face_landmarks.xml --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["annotated"], 25);
  EXPECT_EQ(j["found"], 25);
  int points = 0;
  for (const auto& [name, g] : j["groups"].items()) points += g["points"].get<int>();
  EXPECT_EQ(points, 68);
  EXPECT_EQ(j["faces"].size(), 25u);
  // Measured 0.055 (docs/face-shape.md); a broken mapping or crop shows here.
  EXPECT_LT(j["nme"].get<double>(), 0.07);
  EXPECT_LT(j["groups"]["LeftEye"]["nme"].get<double>(), 0.05);
  EXPECT_LT(j["groups"]["Mouth"]["nme"].get<double>(), 0.06);
}

TEST_F(FaceShapeCliTest, EvalMaskIsDeterministicAndMasksLowerTheSamePersonScores) {
  const std::string pairs = dir_.file("pairs.txt");
  std::ofstream(pairs) << "3\nAbdullah_Gul\t13\t14\nAbdullah_Gul\t13\t16\nAdel_Al-Jubeir\t1\t3\n"
                       << "AJ_Cook\t1\tMarsha_Thomason\t1\nAJ_Lamas\t1\tZach_Safrin\t1\nAaron_Guiel\t1\tReese_Witherspoon\t3\n";
  const std::string images = testing::DataDir() + "/lfw-view1/original-150";
  const std::string args = "eval mask --pairs " + pairs + " --images " + images + " --json --dump " + dir_.file("m");
  CliRun a = Facekit(args);
  ASSERT_EQ(a.status, 0) << a.err;
  const json j = json::parse(a.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << a.out;
  EXPECT_EQ(j["pairs"], 6);
  EXPECT_EQ(j["match_score"], 60.0);
  const json& c = j["conditions"];
  for (const char* k : {"plain", "probe_masked", "both_masked"}) {
    ASSERT_TRUE(c.contains(k)) << k;
    EXPECT_EQ(c[k]["at_score"]["60"]["genuine"], 3);
    EXPECT_EQ(c[k]["at_score"]["60"]["impostor"], 3);
  }
  EXPECT_LT(c["probe_masked"]["mean_genuine_similarity"].get<double>(),
            c["plain"]["mean_genuine_similarity"].get<double>() - 0.1);
  EXPECT_FALSE(std::filesystem::is_empty(dir_.file("m")));
  CliRun b = Facekit(args);
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(json::parse(b.out, nullptr, false), j);  // the same masks from the same seed
}

}  // namespace
}  // namespace facekit
