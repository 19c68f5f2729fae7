#include "store/data_folder_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace facekit::store {
namespace {

TEST(DataFolderLock, OneOwnerAtATimeAndTheRefusalNamesIt) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  EXPECT_FALSE(DataFolderLock::CurrentOwner(data).has_value());
  auto first = DataFolderLock::Acquire(data, {0, "facekit serve", "", 0});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)->owner().pid, static_cast<long>(getpid()));
  FolderOwner o = (*first)->owner();
  o.address = "http://127.0.0.1:8080";
  ASSERT_TRUE((*first)->Update(o).ok());

  auto owner = DataFolderLock::CurrentOwner(data);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->command, "facekit serve");
  EXPECT_EQ(owner->address, "http://127.0.0.1:8080");

  // A second writer (another open of the lock file conflicts like another process).
  auto second = DataFolderLock::Acquire(data, {0, "facekit gallery enroll", "", 0});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  const std::string& m = second.status().message();
  EXPECT_NE(m.find("in use by `facekit serve`"), std::string::npos) << m;
  EXPECT_NE(m.find("pid " + std::to_string(getpid())), std::string::npos) << m;
  EXPECT_NE(m.find("--server http://127.0.0.1:8080"), std::string::npos) << m;

  first->reset();
  EXPECT_FALSE(DataFolderLock::CurrentOwner(data).has_value());
  auto third = DataFolderLock::Acquire(data, {0, "facekit gallery enroll", "", 0});
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  // A CLI owner has no address: the refusal says to wait instead.
  auto fourth = DataFolderLock::Acquire(data, {0, "facekit serve", "", 0});
  ASSERT_FALSE(fourth.ok());
  EXPECT_NE(fourth.status().message().find("wait for it to finish"), std::string::npos) << fourth.status().message();
}

TEST(DataFolderLock, AnOwnerKilledWithSigkillLeavesNoStaleLock) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = DataFolderLock::Acquire(data, {0, "facekit serve", "http://127.0.0.1:1", 0});
    const char c = lock.ok() ? '1' : '0';
    if (write(ready[1], &c, 1) != 1) _exit(2);
    for (;;) pause();
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(c, '1');
  auto held = DataFolderLock::CurrentOwner(data);
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->pid, static_cast<long>(child));
  EXPECT_FALSE(DataFolderLock::Acquire(data, {0, "test", "", 0}).ok());
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(DataFolderLock::CurrentOwner(data).has_value());
  EXPECT_TRUE(DataFolderLock::Acquire(data, {0, "test", "", 0}).ok());
}

TEST(DataFolderLock, GarbageInTheLockFileIsOnlyAnUnknownOwner) {
  testing::TempDir dir;
  const std::string data = dir.file("data");
  std::filesystem::create_directories(data);
  std::ofstream(data + "/" + DataFolderLock::kFileName) << "not json";
  auto a = DataFolderLock::Acquire(data, {0, "first", "", 0});
  ASSERT_TRUE(a.ok());
  auto b = DataFolderLock::Acquire(data, {0, "second", "", 0});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("in use by `first`"), std::string::npos) << b.status().message();
}

}  // namespace
}  // namespace facekit::store
