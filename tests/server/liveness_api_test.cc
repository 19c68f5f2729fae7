// DetectLiveFace (cloud) and DetectLiveness (REST/gRPC) decide from the
// replay-medium evidence when the server has a LivenessJudge (as facekit
// serve sets up), with the cloud API's "live above 87" kept.
#include <gtest/gtest.h>

#include "one_port_test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;

std::string Sample(const std::string& name) {
  auto bytes = ReadFileBytes(testing::DataDir() + "/liveness/samples/" + name);
  EXPECT_TRUE(bytes.ok()) << name;
  return bytes.ok() ? Base64Encode(*bytes) : std::string();
}

class LivenessApiTest : public testing::OnePortServerTest {
 protected:
  void WithJudge() {
    LivenessJudgeOptions o;
    o.medium.models_dir = testing::ModelsDir();
    o.report_passive = false;
    auto judge = LivenessJudge::Create(&testing::SharedEngine(), o);
    ASSERT_TRUE(judge.ok()) << judge.status().ToString();
    judge_ = std::move(judge.value());
    service_->SetLivenessJudge(judge_.get());
  }
  std::unique_ptr<LivenessJudge> judge_;
};

TEST_F(LivenessApiTest, TheReplayMediumDecidesAndTheScoreKeepsTheCloudsThreshold) {
  WithJudge();
  // image_T1: a live face; image_F2: a face on a phone held close (its screen's blue cast).
  auto live = Http(RestBearer("POST", "/v1/liveness", {{"image", Sample("image_T1.jpg")}}));
  ASSERT_EQ(live.status, 200) << live.body;
  EXPECT_EQ(live.Json()["is_live"], true) << live.body;
  EXPECT_GT(live.Json()["score"].get<double>(), 87.0) << live.body;
  EXPECT_EQ(live.Json()["reason"], "no replay medium found") << live.body;
  auto spoof = Http(RestBearer("POST", "/v1/liveness", {{"image", Sample("image_F2.jpg")}}));
  ASSERT_EQ(spoof.status, 200) << spoof.body;
  EXPECT_EQ(spoof.Json()["is_live"], false) << spoof.body;
  EXPECT_LE(spoof.Json()["score"].get<double>(), 87.0) << spoof.body;
  EXPECT_NE(spoof.Json()["reason"].get<std::string>().find("blue_red"), std::string::npos) << spoof.body;
  // The cloud endpoint answers the same decision in its own fields.
  json cloud = Cloud("DetectLiveFace", {{"Image", Sample("image_F2.jpg")}}).Json();
  EXPECT_EQ(cloud["Response"]["IsLiveness"], false) << cloud;
  EXPECT_NEAR(cloud["Response"]["Score"].get<double>(), spoof.Json()["score"].get<double>(), 0.01) << cloud;  // 2 decimals
}

TEST_F(LivenessApiTest, WithoutAJudgeThePassiveModelDecidesAndSaysSo) {
  auto a = Http(RestBearer("POST", "/v1/liveness", {{"image", Sample("image_T1.jpg")}}));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.Json()["reason"].get<std::string>().find("passive anti-spoofing model alone"), std::string::npos)
      << a.body;
}

}  // namespace
}  // namespace facekit::server
