// `facekit detect --attributes --json` and `facekit eval attributes`: the
// documented JSON shapes, figures that agree with their own confusion
// matrix, and label files refused with their line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace facekit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CliRun {
  int status = -1;
  std::string out, err;
};

class AttributesCliTest : public ::testing::Test {
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
  // Gender labels for the bbt folder: 3 women, 5 men, 5 photos each.
  std::string BbtLabels() {
    const std::map<std::string, char> sex = {{"amy", 'F'},     {"bernadette", 'F'}, {"penny", 'F'},   {"howard", 'M'},
                                             {"leonard", 'M'}, {"raj", 'M'},        {"sheldon", 'M'}, {"stuart", 'M'}};
    std::ofstream out(dir_.file("genders.txt"));
    for (const auto& [person, s] : sex) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(testing::DataDir() + "/faces/bbt/" + person)) {
        files.push_back(e.path().filename().string());
      }
      std::sort(files.begin(), files.end());
      for (const std::string& f : files) out << person << "/" << f << " " << s << "\n";
    }
    return dir_.file("genders.txt");
  }
  testing::TempDir dir_;
};

TEST_F(AttributesCliTest, DetectAttributesJson) {
  const CliRun r = Facekit("detect " + testing::Photo("obama.jpg") + " --attributes --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_EQ(j["faces"].size(), 1u) << r.out;
  const json& a = j["faces"][0]["attributes"];
  EXPECT_EQ(a["gender"], "male");
  EXPECT_GT(a["male_probability"].get<double>(), 0.5);
  EXPECT_TRUE(a["age"].is_number());
  EXPECT_EQ(a["expression"].size(), 7u);
  EXPECT_TRUE(a["expression"].contains(a["expression_top"].get<std::string>()));
  EXPECT_EQ(a["eyes_open"], true);
  EXPECT_TRUE(a["eye_openness"]["left"].is_number());
  const CliRun plain = Facekit("detect " + testing::Photo("obama.jpg") + " --json");
  ASSERT_EQ(plain.status, 0);
  EXPECT_FALSE(json::parse(plain.out)["faces"][0].contains("attributes"));  // off by default
}

TEST_F(AttributesCliTest, EvalAttributesOnLabelledPhotos) {
  const std::string labels = BbtLabels();
  const CliRun r =
      Facekit("eval attributes --images " + testing::DataDir() + "/faces/bbt --genders " + labels + " --eyes --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  const json& c = j["gender"]["confusion"]["counts"];
  const int ff = c[0][0], fm = c[0][1], mf = c[1][0], mm = c[1][1];
  EXPECT_EQ(ff + fm + mf + mm + j["no_face"].get<int>(), 40);
  EXPECT_LE(ff + fm, 15);  // 15 photos of women at most (some may show no face)
  EXPECT_NEAR(j["gender"]["accuracy"].get<double>(), static_cast<double>(ff + mm) / (ff + fm + mf + mm), 1e-9);
  EXPECT_GE(j["gender"]["accuracy"].get<double>(), 0.9);
  EXPECT_TRUE(j["age"]["mae"].is_null());  // no --ages: not measured
  EXPECT_TRUE(j["expression"]["labelled"].is_null());  // no --expressions
  EXPECT_EQ(j["eyes"]["measured"].get<int>() + j["eyes"]["mesh_not_a_face"].get<int>(), ff + fm + mf + mm);
  EXPECT_LE(j["eyes"]["judged_open"].get<int>(), j["eyes"]["measured"].get<int>());

  std::ofstream(dir_.file("bad.txt")) << "penny/a.png F\npenny/b.png female\n";
  const CliRun bad =
      Facekit("eval attributes --images " + testing::DataDir() + "/faces/bbt --genders " + dir_.file("bad.txt"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("InvalidArgument"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
}

// Age error and the expression confusion matrix: only the labelled photos are
// scored, "unclear" ones are counted and left out, and the figures agree with
// their own counts. (The years and expressions here are made up: the test
// checks the bookkeeping, not the models.)
TEST_F(AttributesCliTest, EvalAttributesScoresAgeAndExpressionLabels) {
  const std::string labels = BbtLabels();
  std::ofstream(dir_.file("years.txt")) << "# made up\npenny 1985\nsheldon 1973\n";
  std::ofstream(dir_.file("expr.txt")) << "penny/penny1.png happy\npenny/penny2.png neutral\nraj/raj1.png other\n"
                                         "raj/raj2.png unclear\nnobody/x.png happy\n";
  const CliRun r = Facekit("eval attributes --images " + testing::DataDir() + "/faces/bbt --genders " + labels +
                           " --ages " + dir_.file("years.txt") + " --photo-year 2015 --expressions " +
                           dir_.file("expr.txt") + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  const json& age = j["age"]["mae"];
  ASSERT_TRUE(age.is_object()) << r.out;
  EXPECT_LE(age["photos"].get<int>(), 10);  // penny's and sheldon's photos that show a face
  EXPECT_GE(age["photos"].get<int>(), 8);
  EXPECT_EQ(age["people"].get<int>(), 2);
  EXPECT_EQ(age["photo_year"].get<double>(), 2015.0);
  const double mae = age["mae_per_photo"].get<double>();
  EXPECT_GE(mae, 0.0);
  EXPECT_GE(mae, std::abs(age["bias"].get<double>()) - 1e-9);  // |mean error| <= mean |error|
  int decade_photos = 0;
  for (const auto& [decade, d] : age["by_true_decade"].items()) decade_photos += d["photos"].get<int>();
  EXPECT_EQ(decade_photos, age["photos"].get<int>());
  EXPECT_TRUE(age["by_true_decade"].contains("20s"));  // penny: 2015 - 1985 - 0.5 = 29.5
  EXPECT_TRUE(age["by_true_decade"].contains("40s"));  // sheldon: 41.5

  const json& ex = j["expression"]["labelled"];
  ASSERT_TRUE(ex.is_object()) << r.out;
  EXPECT_EQ(ex["unclear_not_scored"].get<int>(), 1);
  EXPECT_EQ(ex["photos"].get<int>(), 3);  // nobody/x.png is not among the photos
  int sum = 0, right = 0;
  for (int t = 0; t < 3; ++t)
    for (int p = 0; p < 3; ++p) {
      sum += ex["confusion"]["counts"][t][p].get<int>();
      if (t == p) right += ex["confusion"]["counts"][t][p].get<int>();
    }
  EXPECT_EQ(sum, 3);
  EXPECT_EQ(ex["confusion"]["counts"][0][0].get<int>() + ex["confusion"]["counts"][0][1].get<int>() +
                ex["confusion"]["counts"][0][2].get<int>(),
            1);  // one happy photo
  EXPECT_NEAR(ex["accuracy"].get<double>(), right / 3.0, 1e-9);
  const json& smile = ex["smile"]["confusion"]["counts"];
  EXPECT_EQ(smile[1][0].get<int>() + smile[1][1].get<int>(), 1);
  EXPECT_EQ(smile[0][0].get<int>() + smile[0][1].get<int>(), 2);

  std::ofstream(dir_.file("bad_years.txt")) << "penny 1985\npenny 1986\n";
  const CliRun bad = Facekit("eval attributes --images " + testing::DataDir() + "/faces/bbt --genders " + labels +
                             " --ages " + dir_.file("bad_years.txt"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("listed twice"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace facekit
