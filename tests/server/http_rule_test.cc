// google.api.http path templates, query strings and field setting.
#include "server/http_rule.h"

#include <gtest/gtest.h>

#include "facekit/v1/facekit.pb.h"

namespace facekit::server {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

TEST(RestHttpRuleTest, TemplatesMatchLiteralsVariablesAndVerbs) {
  auto t = PathTemplate::Parse("/v1/groups/{group_id}/persons/{person_id}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->Match("/v1/groups/a/persons/b"), Vars({{"group_id", "a"}, {"person_id", "b"}}));
  EXPECT_EQ(t->Match("/v1/groups/a%2Fb/persons/c%20d"), Vars({{"group_id", "a/b"}, {"person_id", "c d"}}));
  EXPECT_FALSE(t->Match("/v1/groups/a/persons"));
  EXPECT_FALSE(t->Match("/v1/groups//persons/b"));
  EXPECT_FALSE(t->Match("/v1/groups/a/persons/b/"));
  EXPECT_FALSE(t->Match("/v1/groups/a/people/b"));
  EXPECT_FALSE(t->Match("/v1/groups/a%zz/persons/b"));
  EXPECT_EQ(t->variables(), std::vector<std::string>({"group_id", "person_id"}));
  EXPECT_EQ(t->literal_count(), 3u);

  auto verb = PathTemplate::Parse("/v1/groups/{group_id}/persons:count");
  ASSERT_TRUE(verb.ok());
  EXPECT_EQ(verb->verb(), "count");
  EXPECT_EQ(verb->Match("/v1/groups/g/persons:count"), Vars({{"group_id", "g"}}));
  EXPECT_FALSE(verb->Match("/v1/groups/g/persons"));
  auto var_verb = PathTemplate::Parse("/v1/persons/{person_id=*}:copy");
  ASSERT_TRUE(var_verb.ok());
  EXPECT_EQ(var_verb->Match("/v1/persons/p:1:copy"), Vars({{"person_id", "p:1"}}));

  auto root = PathTemplate::Parse("/v1/groups");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->Match("/v1/groups"), Vars());
  EXPECT_FALSE(root->Match("/v1/groups/x"));

  EXPECT_FALSE(PathTemplate::Parse("v1/groups").ok());
  EXPECT_FALSE(PathTemplate::Parse("/v1/{name=groups/*}").ok());
  EXPECT_FALSE(PathTemplate::Parse("/v1/**").ok());
  EXPECT_FALSE(PathTemplate::Parse("/v1//x").ok());
  EXPECT_FALSE(PathTemplate::Parse("/v1/{1bad}").ok());
}

TEST(RestHttpRuleTest, QueryStringsAndPercentDecoding) {
  EXPECT_EQ(ParseQuery("a=1&b=x%20y+z&a=2&&c"), Vars({{"a", "1"}, {"b", "x y z"}, {"a", "2"}, {"c", ""}}));
  EXPECT_EQ(ParseQuery(""), Vars());
  EXPECT_FALSE(ParseQuery("a=%4"));
  EXPECT_FALSE(ParseQuery("a=%g0"));
  EXPECT_EQ(PercentDecode("a+b%2B", false), "a+b+");
  EXPECT_EQ(PercentDecode("a+b%2B", true), "a b+");
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo \xE4\xB8\xAD"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

TEST(RestHttpRuleTest, FieldsAreSetFromTextByTheirType) {
  facekit::v1::SearchRequest q;
  EXPECT_TRUE(SetFieldFromText(&q, "group_ids", "a").ok());
  EXPECT_TRUE(SetFieldFromText(&q, "groupIds", "b").ok());  // JSON name
  EXPECT_TRUE(SetFieldFromText(&q, "max_face_num", "3").ok());
  EXPECT_TRUE(SetFieldFromText(&q, "need_person_info", "true").ok());
  EXPECT_TRUE(SetFieldFromText(&q, "face_match_threshold", "61.5").ok());
  EXPECT_TRUE(SetFieldFromText(&q, "image", "aGk").ok());  // base64 without padding
  EXPECT_EQ(q.group_ids_size(), 2);
  EXPECT_EQ(q.group_ids(1), "b");
  EXPECT_EQ(q.max_face_num(), 3);
  EXPECT_TRUE(q.need_person_info());
  EXPECT_FLOAT_EQ(q.face_match_threshold(), 61.5F);
  EXPECT_EQ(q.image(), "hi");

  EXPECT_FALSE(SetFieldFromText(&q, "max_face_num", "3x").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "max_face_num", "99999999999").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "max_face_num", "").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "need_person_info", "yes").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "face_match_threshold", "1e99").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "image", "!!").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "nothing", "1").ok());
  EXPECT_FALSE(SetFieldFromText(&q, "group_ids", "\xff").ok());

  facekit::v1::CreatePersonResponse r;
  EXPECT_TRUE(SetFieldFromText(&r, "face_rect.width", "7").ok());  // a dotted path into a message
  EXPECT_EQ(r.face_rect().width(), 7);
  EXPECT_FALSE(SetFieldFromText(&r, "face_rect", "7").ok());
  std::string canonical;
  EXPECT_NE(FindFieldPath(r.GetDescriptor(), "faceRect.width", &canonical), nullptr);
  EXPECT_EQ(canonical, "face_rect.width");
  EXPECT_EQ(FindFieldPath(r.GetDescriptor(), "face_id.x"), nullptr);
}

}  // namespace
}  // namespace facekit::server
