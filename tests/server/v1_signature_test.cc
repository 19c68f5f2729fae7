// Signature V1 (HmacSHA1 / HmacSHA256): vectors made at run time by the
// official Node SDK's own signer (tests/sdk/v1_vectors.js), decoded from the
// exact bytes the SDK sends, and the verifier's checks.
#include "server/v1_signature.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "serve_process.h"
#include "server/cloud_request.h"
#include "test_util.h"

namespace facekit::server {
namespace {

using nlohmann::json;

json SdkVectors() {
  const std::string sdk_dir = testing::SourceDir() + "/tests/sdk";
  EXPECT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/tencentcloud-sdk-nodejs"))
      << "run scripts/setup.sh: it installs the Node SDK into tests/sdk/node_modules";
  auto [rc, out] = testing::RunCommand("cd " + sdk_dir + " && node v1_vectors.js");
  EXPECT_EQ(rc, 0) << out;
  auto vectors = json::parse(out, nullptr, false);
  EXPECT_TRUE(vectors.is_array() && vectors.size() == 4) << out;
  return vectors.is_array() ? vectors : json::array();
}

std::vector<V1Param> ParamsOf(const json& object) {
  std::vector<V1Param> out;
  for (const auto& [k, v] : object.items()) out.emplace_back(k, v.get<std::string>());
  return out;
}

V1Verifier VerifierAt(std::int64_t now, std::string secret_key) {
  return V1Verifier(
      [secret_key](std::string_view id) -> std::optional<std::string> {
        if (id == "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE") return secret_key;
        return std::nullopt;
      },
      [now] { return now; }, {});
}

TEST(V1SignatureTest, MatchesTheNodeSdkSignerForBothMethodsOverGetAndPost) {
  for (const auto& v : SdkVectors()) {
    SCOPED_TRACE(v["signMethod"].get<std::string>() + " " + v["reqMethod"].get<std::string>());
    const auto params = ParamsOf(v["params"]);
    const std::string method = v["reqMethod"];
    const std::string endpoint = v["endpoint"];
    const std::string to_sign = V1StringToSign(method, endpoint, "/", params);
    EXPECT_EQ(to_sign, v["stringToSign"].get<std::string>());
    const auto sign_method = ParseV1SignatureMethod(v["signMethod"].get<std::string>());
    ASSERT_TRUE(sign_method);
    EXPECT_EQ(V1Signature(v["secretKey"].get<std::string>(), to_sign, *sign_method),
              v["params"]["Signature"].get<std::string>());

    // The bytes the SDK sends, through the request decoder, then the verifier.
    HttpRequest req;
    req.method = method;
    req.headers = {{"host", endpoint}};
    if (method == "GET") {
      req.target = "/?" + v["wire"].get<std::string>();
    } else {
      req.target = "/";
      req.body = v["wire"];
      req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    }
    auto decoded = DecodeCloudRequest(req);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->form, method == "GET" ? CloudRequestForm::kV1Get : CloudRequestForm::kV1Post);
    EXPECT_EQ(decoded->action, "CreatePerson");
    EXPECT_EQ(decoded->version, "2020-03-03");
    EXPECT_EQ(decoded->language, "en-US");
    EXPECT_EQ(decoded->params.size(), 6u);  // the action's parameters, not the common ones
    const std::int64_t ts = std::stoll(v["params"]["Timestamp"].get<std::string>());
    V1Verifier verifier = VerifierAt(ts, v["secretKey"]);
    const V1Outcome outcome = verifier.Verify(decoded->v1);
    EXPECT_TRUE(outcome.ok()) << outcome.error_code << " " << outcome.message;
    EXPECT_EQ(outcome.secret_id, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE");
    // The same request again: refused within the window.
    EXPECT_EQ(verifier.Verify(decoded->v1).error_code, "AuthFailure.SignatureFailure");
  }
}

// A request signed here the way the SDK signs, for the failure cases.
V1Request Signed(std::vector<V1Param> params, std::string_view key, V1SignatureMethod m,
                 std::string host = "iai.facekit.test:8443") {
  V1Request r{"POST", std::move(host), "/", std::move(params)};
  r.params.emplace_back("Signature",
                        V1Signature(key, V1StringToSign("POST", "iai.facekit.test:8443", "/", r.params), m));
  return r;
}

std::vector<V1Param> Common(std::string nonce = "7", std::string timestamp = "1700000000") {
  return {{"Action", "GetGroupList"},
          {"Version", "2020-03-03"},
          {"Nonce", std::move(nonce)},
          {"Timestamp", std::move(timestamp)},
          {"SecretId", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"},
          {"SignatureMethod", "HmacSHA256"}};
}

TEST(V1SignatureTest, VerifierChecksEveryCommonParameter) {
  const std::string key = "secret";
  const auto m = V1SignatureMethod::kHmacSha256;
  V1Verifier v = VerifierAt(1700000000, key);
  EXPECT_TRUE(v.Verify(Signed(Common(), key, m)).ok());
  // The SDKs sign their endpoint with its port; a client that signs the bare host works too.
  V1Request bare = Signed(Common("8"), key, m);
  bare.params.pop_back();
  bare.params.emplace_back("Signature",
                           V1Signature(key, V1StringToSign("POST", "iai.facekit.test", "/", bare.params), m));
  EXPECT_TRUE(v.Verify(bare).ok());
  // The same Nonce on another request (another second, or other parameters) is not a resend.
  EXPECT_TRUE(v.Verify(Signed(Common("7", "1700000001"), key, m)).ok());

  EXPECT_EQ(v.Verify(Signed(Common("9"), "wrong", m)).error_code, "AuthFailure.SignatureFailure");
  V1Request other_method = Signed(Common("10"), key, m);
  other_method.method = "GET";  // the method is signed
  EXPECT_EQ(v.Verify(other_method).error_code, "AuthFailure.SignatureFailure");
  V1Request sha1_claimed = Signed(Common("11"), key, m);
  for (auto& [k, val] : sha1_claimed.params) {
    if (k == "SignatureMethod") val = "HmacSHA1";  // changes what is signed, and the HMAC
  }
  EXPECT_EQ(v.Verify(sha1_claimed).error_code, "AuthFailure.SignatureFailure");
  EXPECT_EQ(v.Verify(Signed(Common("12", "1699999699"), key, m)).error_code, "AuthFailure.SignatureExpire");
  EXPECT_EQ(v.Verify(Signed(Common("12", "1700000301"), key, m)).error_code, "AuthFailure.SignatureExpire");
  EXPECT_EQ(v.Verify(Signed(Common("x"), key, m)).error_code, "InvalidParameterValue");
  EXPECT_EQ(v.Verify(Signed(Common("13", "17e8"), key, m)).error_code, "InvalidParameterValue");

  auto without = [&](std::string_view name) {
    auto p = Common("14");
    std::erase_if(p, [&](const V1Param& x) { return x.first == name; });
    return Signed(p, key, m);
  };
  EXPECT_EQ(v.Verify(without("Nonce")).error_code, "MissingParameter");
  EXPECT_EQ(v.Verify(without("Timestamp")).error_code, "MissingParameter");
  EXPECT_EQ(v.Verify(without("SecretId")).error_code, "MissingParameter");
  V1Request unsigned_request = Signed(Common("15"), key, m);
  unsigned_request.params.pop_back();
  EXPECT_EQ(v.Verify(unsigned_request).error_code, "MissingParameter");
  // No SignatureMethod means HmacSHA1.
  auto sha1 = without("SignatureMethod");
  sha1.params.pop_back();
  sha1.params.emplace_back("Signature",
                           V1Signature(key, V1StringToSign("POST", "iai.facekit.test:8443", "/", sha1.params),
                                       V1SignatureMethod::kHmacSha1));
  EXPECT_TRUE(v.Verify(sha1).ok());
  auto unknown_method = Common("16");
  unknown_method.back().second = "HmacMD5";
  EXPECT_EQ(v.Verify(Signed(unknown_method, key, m)).error_code, "InvalidParameterValue");
  auto unknown_key = Common("17");
  unknown_key[4].second = "AKIDnobody";
  EXPECT_EQ(v.Verify(Signed(unknown_key, key, m)).error_code, "AuthFailure.SecretIdNotFound");
}

}  // namespace
}  // namespace facekit::server
