// One owner per data folder, through the real binary: while `facekit serve`
// holds a folder, a writing CLI command is refused with the server's pid and
// address, reading commands work beside it, and --server makes the same
// command go through the server, whose state stays whole.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "serve_process.h"
#include "test_util.h"

namespace facekit {
namespace {

using testing::RunCommand;

std::string Cli() { return ::facekit::testing::CliPath() + " --models " + testing::ModelsDir(); }

// A folder of person folders with symbolic links to shared photos.
std::string PeopleFolder(const testing::TempDir& dir, const std::vector<std::pair<std::string, std::string>>& images) {
  const std::string root = dir.file("people");
  for (const auto& [person, photo] : images) {
    std::filesystem::create_directories(root + "/" + person);
    std::filesystem::create_symlink(photo, root + "/" + person + "/" + std::filesystem::path(photo).filename().string());
  }
  return root;
}

TEST(DataFolderCli, AServedFolderRefusesWritersServesReadersAndTheCliGoesThroughTheServer) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  const std::string bbt = testing::DataDir() + "/faces/bbt/";
  const std::string people =
      PeopleFolder(dir, {{"sheldon", bbt + "sheldon/sheldon1.png"}, {"penny", bbt + "penny/penny1.png"}});
  auto [krc, key_json] = RunCommand(Cli() + " keys create --data " + data + " --role admin --json");
  ASSERT_EQ(krc, 0) << key_json;
  const auto key = nlohmann::json::parse(key_json);
  const std::string credential = key["secret_id"].get<std::string>() + ":" + key["secret_key"].get<std::string>();

  testing::ServeProcess server(data, {});
  ASSERT_FALSE(server.port().empty());

  // A second server on the same folder is refused.
  auto [src, second] = RunCommand(Cli() + " serve --data " + data + " --listen 127.0.0.1:0 2>&1");
  EXPECT_EQ(src, 1) << second;
  EXPECT_NE(second.find("in use by `facekit serve` (pid " + std::to_string(server.pid())), std::string::npos) << second;

  // A writing command on the folder: refused, naming the server and how to use it instead.
  auto [erc, refused] = RunCommand(Cli() + " gallery enroll --data " + data + " --group bbt " + people + " 2>&1");
  EXPECT_EQ(erc, 1) << refused;
  EXPECT_NE(refused.find("FailedPrecondition"), std::string::npos) << refused;
  EXPECT_NE(refused.find("--server " + server.url()), std::string::npos) << refused;
  for (const char* cmd : {" gallery create-group --group x", " gallery delete --group x"}) {
    auto [rc, out] = RunCommand(Cli() + cmd + " --data " + data + " 2>&1");
    EXPECT_EQ(rc, 1) << cmd << ": " << out;
    EXPECT_NE(out.find("in use by `facekit serve`"), std::string::npos) << out;
  }

  // The same enrolment through the server.
  auto [rrc, enrolled] = RunCommand(Cli() + " gallery enroll --server " + server.url() + " --key " + credential +
                                    " --group bbt " + people + " --json");
  ASSERT_EQ(rrc, 0) << enrolled;
  EXPECT_NE(enrolled.find("\"enrolled\":2"), std::string::npos) << enrolled;

  // The server sees it (one state), and so does a reader of the folder beside it.
  auto [lrc, listed] = RunCommand(Cli() + " gallery list --server " + server.url() + " --key " + credential + " --json");
  ASSERT_EQ(lrc, 0) << listed;
  auto groups = nlohmann::json::parse(listed);
  ASSERT_EQ(groups.size(), 1u) << listed;
  EXPECT_EQ(groups[0]["group_id"], "bbt");
  EXPECT_EQ(groups[0]["persons"], 2);
  auto [frc, local] = RunCommand(Cli() + " gallery list --data " + data + " --json");
  ASSERT_EQ(frc, 0) << local;
  EXPECT_EQ(nlohmann::json::parse(local), groups);
  auto [qrc, found] = RunCommand(Cli() + " gallery search --data " + data + " --group bbt " + bbt +
                                 "penny/penny2.png --json");
  ASSERT_EQ(qrc, 0) << found;
  EXPECT_EQ(nlohmann::json::parse(found)["verdict"]["person_id"], "penny") << found;

  // Repeating the enrolment through the server skips what it holds (resumable remotely too).
  auto [arc, again] = RunCommand(Cli() + " gallery enroll --server " + server.url() + " --key " + credential +
                                 " --group bbt " + people + " --json");
  ASSERT_EQ(arc, 0) << again;
  EXPECT_NE(again.find("\"already_enrolled\":2"), std::string::npos) << again;

  // A wrong key through --server gets the API's error.
  auto [wrc, wrong] = RunCommand(Cli() + " gallery list --server " + server.url() + " --key " +
                                 key["secret_id"].get<std::string>() + ":wrong 2>&1");
  EXPECT_EQ(wrc, 1) << wrong;
  EXPECT_NE(wrong.find("AuthFailure.SignatureFailure"), std::string::npos) << wrong;

  // Once the server is gone (even by kill -9) the folder is free again.
  server.Stop(SIGKILL);
  auto [crc, created] = RunCommand(Cli() + " gallery create-group --data " + data + " --group later 2>&1");
  EXPECT_EQ(crc, 0) << created;
}

TEST(DataFolderCli, ReadingAFolderWithoutAGalleryIsAClearErrorAndCreatesNothing) {
  testing::TempDir dir;
  const std::string data = dir.file("nothing-here");
  auto [rc, out] = RunCommand(Cli() + " gallery list --data " + data + " 2>&1");
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("no gallery in " + data), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(data));
  auto [src, unreachable] = RunCommand(Cli() + " gallery list --server http://127.0.0.1:1 --key a:b 2>&1");
  EXPECT_EQ(src, 1) << unreachable;
  EXPECT_NE(unreachable.find("ServerUnreachable"), std::string::npos) << unreachable;
}

}  // namespace
}  // namespace facekit
