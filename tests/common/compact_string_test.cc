#include "common/compact_string.h"

#include <gtest/gtest.h>

#include <sstream>
#include <utility>
#include <vector>

namespace facekit {
namespace {

TEST(CompactString, KeepsUpTo23CharactersInlineAndLongerOnTheHeap) {
  EXPECT_TRUE(CompactString().empty());
  EXPECT_EQ(CompactString().view(), "");
  const std::string face_id = "1000003222000290131";  // a cloud FaceId: 19 digits
  CompactString id(face_id);
  EXPECT_FALSE(id.on_heap());
  EXPECT_EQ(id.view(), face_id);
  EXPECT_EQ(id.size(), 19u);
  const std::string s23(23, 'x'), s24(24, 'y');
  EXPECT_FALSE(CompactString(s23).on_heap());
  EXPECT_EQ(CompactString(s23).view(), s23);
  EXPECT_TRUE(CompactString(s24).on_heap());
  EXPECT_EQ(CompactString(s24).view(), s24);
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(CompactString(with_nul).view(), with_nul);
  EXPECT_EQ(CompactString(std::string(300, 'z')).size(), 300u);
}

TEST(CompactString, CopiesMovesAndAssignsBothKinds) {
  const std::string short_text = "p-17", long_text(64, 'L');
  std::vector<CompactString> v;
  for (int i = 0; i < 100; ++i) v.emplace_back(i % 2 ? long_text : short_text);  // reallocations move them
  for (int i = 0; i < 100; ++i) EXPECT_EQ(v[static_cast<std::size_t>(i)].view(), i % 2 ? long_text : short_text);
  CompactString a(long_text), b(short_text);
  CompactString c = a;  // copy of a heap one
  EXPECT_EQ(c.view(), long_text);
  EXPECT_NE(c.view().data(), a.view().data());
  c = b;  // heap -> inline
  EXPECT_EQ(c.view(), short_text);
  c = a;  // inline -> heap
  EXPECT_EQ(c.view(), long_text);
  CompactString d = std::move(a);
  EXPECT_EQ(d.view(), long_text);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from one is empty
  d = std::move(b);
  EXPECT_EQ(d.view(), short_text);
  d = d;  // NOLINT(clang-diagnostic-self-assign-overloaded)
  EXPECT_EQ(d.view(), short_text);
  std::ostringstream os;
  os << d;
  EXPECT_EQ(os.str(), short_text);
  EXPECT_EQ("face " + d, "face " + short_text);
  EXPECT_TRUE(d == std::string_view(short_text));
}

}  // namespace
}  // namespace facekit
