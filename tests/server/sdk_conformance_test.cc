// Conformance with the official Node SDK (tests/sdk/conformance.js): one real
// `facekit serve` on port 0 and one node process that runs every action FaceKit
// answers through both version clients (2018-03-01, 2020-03-03) and every
// request form (TC3 over POST JSON, GET and multipart; HmacSHA256 and HmacSHA1
// over GET and POST), checking each answer against the version's
// iai_models.d.ts. The table in docs/api-reference.md ("Conformance") is
// what this test runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "serve_process.h"
#include "test_util.h"

namespace facekit {
namespace {

// The central 160x160 of a 250x250 LFW photo as a JPEG: small enough that two
// of them fit in a GET query under the cloud API's 32 KB.
void WriteSmallFace(const std::string& lfw_photo, const std::string& out) {
  const cv::Mat full = cv::imread(testing::DataDir() + "/faces/lfw-original-250/" + lfw_photo);
  ASSERT_FALSE(full.empty()) << lfw_photo;
  const cv::Mat crop = full(cv::Rect((full.cols - 160) / 2, (full.rows - 160) / 2, 160, 160));
  ASSERT_TRUE(cv::imwrite(out, crop, {cv::IMWRITE_JPEG_QUALITY, 85})) << out;
}

TEST(SdkConformance, EveryActionVersionAndRequestFormOfTheNodeSdk) {
  const std::string sdk_dir = testing::SourceDir() + "/tests/sdk";
  ASSERT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/tencentcloud-sdk-nodejs"))
      << "run scripts/setup.sh: it installs the Node SDK into tests/sdk/node_modules";
  testing::TempDir dir;
  const std::string data = dir.file("data");
  const std::string faces = dir.file("faces");
  std::filesystem::create_directories(faces);
  WriteSmallFace("Tony_Blair/Tony_Blair_0001.jpg", faces + "/a1.jpg");
  WriteSmallFace("Tony_Blair/Tony_Blair_0002.jpg", faces + "/a2.jpg");
  WriteSmallFace("Colin_Powell/Colin_Powell_0001.jpg", faces + "/b1.jpg");

  // A rate limit above what one node process sends.
  auto [rc, key_json] = testing::RunCommand(::facekit::testing::CliPath() + " keys create --data " + data +
                                            " --role admin --rate-limit 100000 --json");
  ASSERT_EQ(rc, 0) << key_json;
  const auto key = nlohmann::json::parse(key_json, nullptr, false);
  ASSERT_TRUE(key.contains("secret_id")) << key_json;

  testing::ServeProcess server(data, {});
  ASSERT_FALSE(server.port().empty()) << "the server did not report its port";
  const std::string env = "FACEKIT_ENDPOINT=127.0.0.1:" + server.port() +
                          " FACEKIT_SECRET_ID=" + key["secret_id"].get<std::string>() +
                          " FACEKIT_SECRET_KEY=" + key["secret_key"].get<std::string>() + " FACES=" + faces;
  auto [node_rc, out] = testing::RunCommand("cd " + sdk_dir + " && env " + env + " node conformance.js 2>&1");
  EXPECT_EQ(node_rc, 0) << out;

  const std::string last = out.substr(out.rfind('{') == std::string::npos ? 0 : out.rfind("\n{") + 1);
  const auto summary = nlohmann::json::parse(last, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << out;
  EXPECT_EQ(summary["failures"], 0) << out;
  EXPECT_EQ(summary["versions"].size(), 2u);
  EXPECT_EQ(summary["forms"].size(), 7u);
  EXPECT_EQ(summary["actions"].size(), 36u) << summary["actions"];
  std::cout << last << std::endl;  // the left-out fields, for docs/api-reference.md
  server.Stop(SIGTERM);
}

}  // namespace
}  // namespace facekit
