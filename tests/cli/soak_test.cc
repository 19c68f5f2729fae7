// `facekit bench soak` and `bench load` through the real binary, a few kill -9 cycles: every
// acknowledged write of its writers survives each SIGKILL of the server,
// nothing is half-written, and the report says so (exit 0). The long run
// (100 cycles on LFW View 1) is scripts/soak.sh, outside the test command.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "serve_process.h"
#include "test_util.h"

namespace facekit {
namespace {

TEST(SoakCli, AcknowledgedWritesSurviveKillNineAndNothingIsHalfWritten) {
  testing::TempDir dir;
  auto [rc, out] = testing::RunCommand(::facekit::testing::CliPath() + " --models " + testing::ModelsDir() +
                                       " bench soak --photos " + testing::DataDir() +
                                       "/faces/bbt --cycles 3 --writers 2 --readers 1 --min-run 0.5 --max-run 1.5 "
                                       "--json --data " + dir.file("soak"));
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["cycles"], 3);
  EXPECT_GT(j["creates"].get<int>(), 0) << out;
  EXPECT_GT(j["writes_acknowledged"].get<int>(), j["creates"].get<int>()) << out;  // faces added, persons deleted
  EXPECT_EQ(j["lost"], 0) << out;
  EXPECT_EQ(j["half_written"], 0) << out;
  EXPECT_EQ(j["phantoms"], 0) << out;
  EXPECT_EQ(j["count_mismatches"], 0) << out;
  EXPECT_EQ(j["search_misses"], 0) << out;
  EXPECT_TRUE(j["problems"].empty()) << out;
  EXPECT_GT(j["restart_ms_p50"].get<double>(), 0) << out;
}

TEST(SoakCli, RefusesAFolderWithoutPhotosAndInvertedRunTimes) {
  testing::TempDir dir;
  const std::string cli = ::facekit::testing::CliPath() + " --models " + testing::ModelsDir() + " bench soak ";
  auto [rc, out] = testing::RunCommand(cli + "--photos " + dir.path() + " 2>&1");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("no DIR/<person>/<photo> images under --photos"), std::string::npos) << out;
  auto [rc2, out2] = testing::RunCommand(cli + "--photos " + testing::DataDir() + "/faces/bbt --min-run 2 --max-run 1 2>&1");
  EXPECT_EQ(rc2, 1) << out2;
  EXPECT_NE(out2.find("--max-run is shorter than --min-run"), std::string::npos) << out2;
}

}  // namespace
}  // namespace facekit

namespace facekit {
namespace {

TEST(LoadCli, MixedSignedCloudCallsAnswerWithoutErrors) {
  auto [rc, out] = testing::RunCommand(::facekit::testing::CliPath() + " --models " + testing::ModelsDir() +
                                       " bench load --photos " + testing::DataDir() +
                                       "/faces/bbt --people 8 --connections 3 --duration 3 --json");
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["errors"], 0) << out;
  EXPECT_EQ(j["people"], 8) << out;
  for (const char* action : {"SearchFaces", "DetectFace", "CreatePerson"}) {
    ASSERT_TRUE(j["actions"].contains(action)) << out;
    EXPECT_GT(j["actions"][action]["ok"].get<int>(), 0) << action << ": " << out;
  }
  EXPECT_GT(j["requests"].get<int>(), 0) << out;
}

}  // namespace
}  // namespace facekit
