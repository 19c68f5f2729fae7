// The facekit binary: output formats, exit status and error codes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace facekit {
namespace {

struct CliRun {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/facekit-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliRun Facekit(const std::string& args, bool default_models = true) {
    std::string models = default_models ? " --models " + testing::ModelsDir() : "";
    std::string cmd = std::string(FACEKIT_CLI_PATH) + models + " " + args + " >" + dir_ +
                      "/out 2>" + dir_ + "/err";
    int rc = std::system(cmd.c_str());
    CliRun r;
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = Slurp(dir_ + "/out");
    r.err = Slurp(dir_ + "/err");
    return r;
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  std::string dir_;
};

TEST_F(CliTest, DetectJsonHasTheDocumentedShapeAndDrawWritesAnImage) {
  std::string drawn = dir_ + "/drawn.png";
  CliRun r = Facekit("detect " + testing::Photo("two_people.jpg") + " --json --draw " + drawn);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["width"], 1126);
  EXPECT_EQ(j["height"], 661);
  ASSERT_EQ(j["faces"].size(), 2u);
  for (const auto& f : j["faces"]) {
    for (const char* k : {"x", "y", "width", "height", "score"}) EXPECT_TRUE(f[k].is_number()) << k;
    ASSERT_EQ(f["landmarks"].size(), 5u);
    EXPECT_EQ(f["landmarks"][0].size(), 2u);
  }
  auto img = LoadImageFile(drawn);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 1126);
  CliRun none = Facekit("detect " + testing::Photo("white.png") + " --json");
  ASSERT_EQ(none.status, 0);
  EXPECT_EQ(nlohmann::json::parse(none.out)["faces"].size(), 0u);
}

TEST_F(CliTest, CompareAndEmbedJson) {
  std::string bbt = testing::DataDir() + "/faces/bbt/";
  CliRun same = Facekit("compare " + bbt + "sheldon/sheldon1.png " + bbt + "sheldon/sheldon3.png --json");
  ASSERT_EQ(same.status, 0) << same.err;
  auto j = nlohmann::json::parse(same.out);
  EXPECT_TRUE(j["similarity"].is_number());
  EXPECT_TRUE(j["score"].is_number());
  EXPECT_EQ(j["same_person"], true);
  CliRun diff = Facekit("compare " + bbt + "sheldon/sheldon1.png " + bbt + "amy/amy1.png --json");
  ASSERT_EQ(diff.status, 0) << diff.err;
  EXPECT_EQ(nlohmann::json::parse(diff.out)["same_person"], false);
  CliRun emb = Facekit("embed " + testing::Photo("obama-240p.jpg") + " --json");
  ASSERT_EQ(emb.status, 0) << emb.err;
  auto e = nlohmann::json::parse(emb.out);
  EXPECT_EQ(e["dim"], 192);
  EXPECT_EQ(e["embedding"].size(), 192u);
}

TEST_F(CliTest, ModelsInspectPrintsTotals) {
  CliRun r = Facekit("models inspect mtcnn-rnet --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total_params"], 100178);
  EXPECT_EQ(j["total_macs"], 1530768);
  EXPECT_EQ(j["layers"].size(), 37u);
  CliRun bad = Facekit("models inspect /nonexistent.tflite");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("error NotFound"), std::string::npos) << bad.err;
}

TEST_F(CliTest, ErrorsGoToStderrWithTheirCode) {
  std::string jpg = Slurp(testing::Photo("obama-240p.jpg"));
  struct Case {
    std::string file;
    std::string code;
  };
  for (const Case& c : {Case{Write("trunc.jpg", jpg.substr(0, jpg.size() / 2)), "ImageTruncated"},
                        Case{Write("empty.jpg", ""), "ImageEmpty"},
                        Case{Write("anim.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00"), "ImageUnsupportedFormat"},
                        Case{dir_ + "/missing.jpg", "NotFound"}}) {
    CliRun r = Facekit("detect " + c.file + " --json");
    EXPECT_EQ(r.status, 1) << c.file;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("error " + c.code), std::string::npos) << r.err;
  }
  CliRun noface = Facekit("compare " + testing::Photo("white.png") + " " + testing::Photo("obama.jpg"));
  EXPECT_EQ(noface.status, 1);
  EXPECT_NE(noface.err.find("error NoFace"), std::string::npos) << noface.err;
  CliRun usage = Facekit("detect");
  EXPECT_NE(usage.status, 0);
  CliRun models = Facekit("--models /nonexistent detect " + testing::Photo("obama.jpg"), false);
  EXPECT_EQ(models.status, 1);
  EXPECT_NE(models.err.find("error NotFound"), std::string::npos) << models.err;
}

}  // namespace
}  // namespace facekit
