#include "common/base64.h"

#include <gtest/gtest.h>

namespace facekit {
namespace {

std::vector<std::uint8_t> B(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(B(plain)), encoded);
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(*d, B(plain));
  }
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Zg=", "Z===", "Zm9v!", "Zg==Zg==", "=Zm9", "Zm9vYg=a", "data:image/jpeg;base64,Zm9v"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
  EXPECT_EQ(*Base64Decode("Zm9v\nYmFy"), B("foobar"));
}

}  // namespace
}  // namespace facekit
