// The language of error messages on each surface of one real server: REST
// and gRPC answer in English unless the client asks for zh-CN
// (X-TC-Language / x-tc-language, or Accept-Language); the cloud endpoint
// keeps the cloud's own default (zh-CN) per X-TC-Language.
#include <gtest/gtest.h>

#include "one_port_test_util.h"
#include "server/cloud_messages.h"

namespace facekit::server {
namespace {

using nlohmann::json;
namespace v1 = ::facekit::v1;

constexpr const char* kEnglish = "GroupId nope does not exist";
constexpr const char* kChinese = "人员库不存在（GroupId nope does not exist）";

class ErrorLanguageTest : public testing::OnePortServerTest {
 protected:
  // The message of GET /v1/groups/nope with `headers` ("Name: value\r\n"...).
  std::string RestMessage(const std::string& headers = {}) {
    std::string raw = RestBearer("GET", "/v1/groups/nope");
    raw.insert(raw.find("\r\n") + 2, headers);
    const auto a = Http(raw);
    EXPECT_EQ(a.status, 404) << a.body;
    const json j = a.Json();
    EXPECT_EQ(j.value("code", ""), "InvalidParameterValue.GroupIdNotExist") << a.body;
    return j.value("message", "");
  }
  // The status message of GetGroup("nope") with `metadata`.
  std::string GrpcMessage(const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    v1::GetGroupRequest q;
    q.set_group_id("nope");
    v1::Group out;
    grpc::ClientContext ctx;
    SignGrpc(&ctx, "GetGroup", q, "AKIDadmin", "secret-of-AKIDadmin");
    for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
    const grpc::Status s = stub_->GetGroup(&ctx, q, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    return s.error_message();
  }
};

TEST_F(ErrorLanguageTest, RestIsEnglishUnlessZhIsAskedFor) {
  EXPECT_EQ(RestMessage(), kEnglish);
  EXPECT_EQ(RestMessage("Accept-Language: zh-CN,zh;q=0.9,en;q=0.8\r\n"), kChinese);
  EXPECT_EQ(RestMessage("X-TC-Language: zh-CN\r\n"), kChinese);
  // X-TC-Language wins over Accept-Language.
  EXPECT_EQ(RestMessage("X-TC-Language: en-US\r\nAccept-Language: zh\r\n"), kEnglish);
  EXPECT_EQ(RestMessage("Accept-Language: en;q=0.4, zh-TW;q=0.8\r\n"), kChinese);
  EXPECT_EQ(RestMessage("Accept-Language: fr-FR, de;q=0.5\r\n"), kEnglish);
}

TEST_F(ErrorLanguageTest, GrpcIsEnglishUnlessZhIsAskedFor) {
  const std::string code = "InvalidParameterValue.GroupIdNotExist: ";
  EXPECT_EQ(GrpcMessage(), code + kEnglish);
  EXPECT_EQ(GrpcMessage({{"x-tc-language", "zh-CN"}}), code + kChinese);
  EXPECT_EQ(GrpcMessage({{"accept-language", "zh-CN"}}), code + kChinese);
  EXPECT_EQ(GrpcMessage({{"x-tc-language", "en-US"}, {"accept-language", "zh-CN"}}), code + kEnglish);
}

TEST_F(ErrorLanguageTest, TheCloudEndpointKeepsTheCloudDefault) {
  // The same server: no language asked for.
  const json zh = Cloud("GetGroupInfo", {{"GroupId", "nope"}}).Json();
  EXPECT_EQ(zh["Response"]["Error"]["Message"], kChinese) << zh;
  const json en = Cloud("GetGroupInfo", {{"GroupId", "nope"}}, "en-US").Json();
  EXPECT_EQ(en["Response"]["Error"]["Message"], kEnglish) << en;
  EXPECT_EQ(RestMessage(), kEnglish);
}

TEST(ErrorLanguageUnitTest, HeadersPickZhOrEnElseTheFallback) {
  EXPECT_EQ(ErrorLanguage("", "", "en-US"), "en-US");
  EXPECT_EQ(ErrorLanguage("", "", "zh-CN"), "zh-CN");
  EXPECT_EQ(ErrorLanguage("zh-CN", "en", "en-US"), "zh-CN");
  EXPECT_EQ(ErrorLanguage("fr-FR", "zh", "en-US"), "zh-CN");  // an X-TC-Language not offered is ignored
  EXPECT_EQ(ErrorLanguage("", "ZH-cn", "en-US"), "zh-CN");
  EXPECT_EQ(ErrorLanguage("", "en-GB,zh;q=0.9", "zh-CN"), "en-US");
  EXPECT_EQ(ErrorLanguage("", "zh;q=0.5,en;q=0.5", "en-US"), "zh-CN");  // ties: the first
  EXPECT_EQ(ErrorLanguage("", "zh;q=0,en;q=0.1", "zh-CN"), "en-US");    // q=0: not acceptable
  EXPECT_EQ(ErrorLanguage("", "*", "en-US"), "en-US");
  EXPECT_EQ(ErrorLanguage("", "zh;q=oops, de", "en-US"), "en-US");  // malformed entries are skipped
  EXPECT_EQ(ErrorLanguage("", " , ;, zh-Hant ", "en-US"), "zh-CN");
}

}  // namespace
}  // namespace facekit::server
