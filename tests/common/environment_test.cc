#include "common/environment.h"

#include <gtest/gtest.h>

namespace facekit {
namespace {

TEST(EnvironmentWith, SetVariablesReplaceTheirNamesAndTheRestIsKeptInOrder) {
  char a[] = "PATH=/usr/bin", b[] = "OMP_NUM_THREADS=8", c[] = "OMP=x", d[] = "HOME=/root", e[] = "EMPTY=";
  char* base[] = {a, b, c, d, e, nullptr};
  EXPECT_EQ(EnvironmentWith(base, {"OMP_NUM_THREADS=1", "OMP_WAIT_POLICY=passive"}),
            (std::vector<std::string>{"OMP_NUM_THREADS=1", "OMP_WAIT_POLICY=passive", "PATH=/usr/bin", "OMP=x",
                                      "HOME=/root", "EMPTY="}));
  // A name is matched whole: OMP= does not replace OMP_NUM_THREADS= nor the reverse.
  EXPECT_EQ(EnvironmentWith(base, {"OMP=y", "EMPTY=now"}),
            (std::vector<std::string>{"OMP=y", "EMPTY=now", "PATH=/usr/bin", "OMP_NUM_THREADS=8", "HOME=/root"}));
  EXPECT_EQ(EnvironmentWith(base, {}), (std::vector<std::string>{a, b, c, d, e}));
  EXPECT_EQ(EnvironmentWith(nullptr, {"A=1"}), (std::vector<std::string>{"A=1"}));
}

}  // namespace
}  // namespace facekit
