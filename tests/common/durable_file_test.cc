#include "common/durable_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

namespace facekit {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DurableFile, ReplacesTheFileWholeAndLeavesNoTemporary) {
  testing::TempDir dir;
  const std::string path = dir.file("holdings");
  ASSERT_TRUE(WriteFileDurably(path, "first\n").ok());
  EXPECT_EQ(Read(path), "first\n");
  const std::string big(1 << 20, 'x');
  ASSERT_TRUE(WriteFileDurably(path, big).ok());
  EXPECT_EQ(Read(path), big);
  ASSERT_TRUE(WriteFileDurably(path, "").ok());
  EXPECT_EQ(Read(path), "");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(DurableFile, AFailedWriteKeepsThePreviousContent) {
  testing::TempDir dir;
  // No such folder: nothing written.
  const Status missing = WriteFileDurably(dir.file("absent/holdings"), "x");
  EXPECT_EQ(missing.code(), StatusCode::kIoError);
  EXPECT_NE(missing.message().find("absent/holdings.tmp"), std::string::npos) << missing.message();
  // The target is a non-empty folder: the rename fails, the folder stays, the temporary is removed.
  const std::string folder = dir.file("taken");
  std::filesystem::create_directories(folder + "/inside");
  const Status taken = WriteFileDurably(folder, "new");
  EXPECT_EQ(taken.code(), StatusCode::kIoError);
  EXPECT_TRUE(std::filesystem::is_directory(folder + "/inside"));
  EXPECT_FALSE(std::filesystem::exists(folder + ".tmp"));
}

}  // namespace
}  // namespace facekit
