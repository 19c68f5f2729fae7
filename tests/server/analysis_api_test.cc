// AnalyzeFace / AnalyzeDenseLandmarks / CompareMaskFace / DetectFaceSimilarity
// on the real server: the cloud endpoint (fields, errors in the envelope with
// HTTP 200) and their REST routes (/v1/analyze, /v1/compare-masked,
// /v1/similarity), which go through the gRPC methods.
#include <gtest/gtest.h>

#include "facekit/face_mesh.h"
#include "one_port_test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::PhotoBase64;

class AnalysisApiTest : public testing::OnePortServerTest {
 protected:
  void SetUp() override {
    OnePortServerTest::SetUp();
    FaceMeshOptions o;
    o.models_dir = testing::ModelsDir();
    auto mesh = FaceMesh::Create(o);
    ASSERT_TRUE(mesh.ok()) << mesh.status().ToString();
    mesh_ = std::move(mesh.value());
    service_->SetFaceMesh(mesh_.get());
  }
  json CloudResponse(const std::string& action, const json& params) {
    auto a = Cloud(action, params);
    EXPECT_EQ(a.status, 200) << a.body;  // errors too: the cloud API's envelope
    json j = a.Json();
    return j.is_object() && j.contains("Response") ? j["Response"] : json::object();
  }
  static std::string ErrorOf(const json& response) {
    return response.contains("Error") ? response["Error"].value("Code", "") : "";
  }
  std::unique_ptr<FaceMesh> mesh_;
};

TEST_F(AnalysisApiTest, CloudAnalyzeFaceAndDenseLandmarks) {
  json r = CloudResponse("AnalyzeFace", {{"Image", PhotoBase64("obama.jpg")}, {"Mode", 1}});
  ASSERT_FALSE(r.contains("Error")) << r;
  ASSERT_EQ(r["FaceShapeSet"].size(), 1u) << r;
  const json& s = r["FaceShapeSet"][0];
  EXPECT_EQ(s["FaceProfile"].size(), 21u);
  EXPECT_EQ(s["Mouth"].size(), 22u);
  EXPECT_EQ(s["Nose"].size(), 13u);
  EXPECT_EQ(s["LeftPupil"].size(), 1u);
  EXPECT_TRUE(s["LeftEye"][0]["X"].is_number_integer()) << s["LeftEye"][0];
  EXPECT_LT(s["LeftEye"][0]["X"].get<int>(), s["RightEye"][0]["X"].get<int>());
  EXPECT_EQ(r["FaceModelVersion"], "3.0");
  EXPECT_GT(r["ImageWidth"].get<int>(), 0);
  EXPECT_FALSE(s.contains("X"));  // the box is DenseFaceShape's only

  json d = CloudResponse("AnalyzeDenseLandmarks", {{"Image", PhotoBase64("obama.jpg")}});
  ASSERT_EQ(d["DenseFaceShapeSet"].size(), 1u) << d;
  EXPECT_GT(d["DenseFaceShapeSet"][0]["Width"].get<int>(), 50);
  EXPECT_EQ(d["DenseFaceShapeSet"][0]["MouthOutside"].size(), 20u);
  EXPECT_EQ(d["DenseFaceShapeSet"][0]["Forehead"].size(), 13u);

  EXPECT_EQ(ErrorOf(CloudResponse("AnalyzeFace", {{"Image", PhotoBase64("obama.jpg")}, {"Mode", 3}})),
            "InvalidParameterValue");
  EXPECT_EQ(ErrorOf(CloudResponse("AnalyzeFace", {{"Image", PhotoBase64("white.png")}})),
            "InvalidParameterValue.NoFaceInPhoto");
  EXPECT_EQ(ErrorOf(CloudResponse("AnalyzeDenseLandmarks", {{"Image", "bm90IGFuIGltYWdl"}})),
            "FailedOperation.ImageDecodeFailed");
  EXPECT_EQ(ErrorOf(CloudResponse("AnalyzeFace", json::object())), "InvalidParameterValue.ImageEmpty");
  EXPECT_EQ(ErrorOf(CloudResponse("AnalyzeFace", {{"Image", PhotoBase64("obama.jpg")}, {"Mode", "x"}})),
            "InvalidParameter");
}

TEST_F(AnalysisApiTest, CloudCompareMaskFaceAndDetectFaceSimilarity) {
  json m = CloudResponse("CompareMaskFace", {{"ImageA", PhotoBase64("obama.jpg")}, {"ImageB", PhotoBase64("obama2.jpg")}});
  ASSERT_TRUE(m.contains("Score")) << m;
  json c = CloudResponse("CompareFace", {{"ImageA", PhotoBase64("obama.jpg")}, {"ImageB", PhotoBase64("obama2.jpg")}});
  EXPECT_EQ(m["Score"], c["Score"]);  // the same calibrated score
  EXPECT_EQ(ErrorOf(CloudResponse("CompareMaskFace", {{"ImageA", PhotoBase64("obama.jpg")},
                                                      {"ImageB", PhotoBase64("obama2.jpg")},
                                                      {"QualityControl", 9}})),
            "InvalidParameterValue.QualityControlIllegal");
  json s = CloudResponse("DetectFaceSimilarity",
                         {{"ImageA", PhotoBase64("obama.jpg")}, {"ImageB", PhotoBase64("obama2.jpg")}});
  ASSERT_TRUE(s.contains("Score")) << s;
  EXPECT_GE(s["Score"].get<double>(), 70.0);
  EXPECT_FALSE(s.contains("FaceModelVersion"));  // not in the model file's answer
  json o = CloudResponse("DetectFaceSimilarity",
                         {{"ImageA", PhotoBase64("obama.jpg")}, {"ImageB", PhotoBase64("biden.jpg")}});
  EXPECT_LT(o["Score"].get<double>(), 70.0) << o;
}

TEST_F(AnalysisApiTest, RestRoutes) {
  auto a = Http(RestBearer("POST", "/v1/analyze", {{"image", PhotoBase64("bbt4.jpg")}, {"mode", 0}}));
  ASSERT_EQ(a.status, 200) << a.body;
  json j = a.Json();
  ASSERT_GE(j["faces"].size(), 4u) << a.body;
  EXPECT_EQ(j["faces"][0]["groups"].size(), 9u);
  EXPECT_EQ(j["faces"][0]["groups"][0]["name"], "FaceProfile");
  EXPECT_EQ(j["faces"][0]["groups"][0]["points"].size(), 21u);
  auto d = Http(RestBearer("POST", "/v1/analyze", {{"image", PhotoBase64("bbt4.jpg")}, {"dense", true}}));
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_LE(d.Json()["faces"].size(), 5u);
  EXPECT_EQ(d.Json()["faces"][0]["groups"].size(), 14u);
  auto bad = Http(RestBearer("POST", "/v1/analyze", {{"image", PhotoBase64("obama.jpg")}, {"mode", 4}}));
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.Json()["code"], "InvalidParameterValue");

  auto m = Http(RestBearer("POST", "/v1/compare-masked",
                           {{"image_a", PhotoBase64("obama.jpg")}, {"image_b", PhotoBase64("obama2.jpg")}}));
  ASSERT_EQ(m.status, 200) << m.body;
  EXPECT_TRUE(m.Json()["is_match"].get<bool>()) << m.body;
  auto s = Http(RestBearer("POST", "/v1/similarity",
                           {{"image_a", PhotoBase64("obama.jpg")}, {"image_b", PhotoBase64("biden.jpg")}}));
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_FALSE(s.Json()["is_match"].get<bool>()) << s.body;
  EXPECT_LT(s.Json()["score"].get<double>(), 70.0);
}

}  // namespace
}  // namespace facekit::server
