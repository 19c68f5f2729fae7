#include "server/tc3_signature.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace facekit::server {
namespace {

// ---- primitives -----------------------------------------------------------

TEST(Tc3Primitives, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Tc3Primitives, HmacSha256MatchesRfc4231) {
  // Test case 2: a key shorter than the output.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1: 20 bytes of 0x0b.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 6: a 131-byte key, longer than the block, is hashed first.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HmacSha256("Jefe", "what do ya want for nothing?").size(), 32u);
}

TEST(Tc3Primitives, HexEncodeIsLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string_view("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(Tc3Primitives, DateIsUtcCalendarDate) {
  EXPECT_EQ(Tc3Date(0), "1970-01-01");
  EXPECT_EQ(Tc3Date(86'399), "1970-01-01");
  EXPECT_EQ(Tc3Date(86'400), "1970-01-02");
  EXPECT_EQ(Tc3Date(-1), "1969-12-31");
  EXPECT_EQ(Tc3Date(951'782'400), "2000-02-29");    // leap day of a year divisible by 400
  EXPECT_EQ(Tc3Date(1'551'113'065), "2019-02-25");  // 2019-02-26 00:44:25 in UTC+8 (Tencent's note)
  EXPECT_EQ(Tc3Date(4'102'444'799), "2099-12-31");
  EXPECT_EQ(Tc3Date(4'102'444'800), "2100-01-01");
}

TEST(Tc3Primitives, HostWithoutPort) {
  EXPECT_EQ(Tc3HostWithoutPort("iai.example.com:8080"), "iai.example.com");
  EXPECT_EQ(Tc3HostWithoutPort("127.0.0.1:8080"), "127.0.0.1");
  EXPECT_EQ(Tc3HostWithoutPort("[::1]:8080"), "[::1]");
  EXPECT_EQ(Tc3HostWithoutPort("iai.example.com"), "iai.example.com");
  EXPECT_EQ(Tc3HostWithoutPort("[::1]"), "[::1]");
  EXPECT_EQ(Tc3HostWithoutPort("::1"), "::1");            // bare IPv6 literal: no port to strip
  EXPECT_EQ(Tc3HostWithoutPort("host:"), "host:");        // empty port
  EXPECT_EQ(Tc3HostWithoutPort("host:80a"), "host:80a");  // non-numeric port
  EXPECT_EQ(Tc3HostWithoutPort("[::1]x:80"), "[::1]x:80");
  EXPECT_EQ(Tc3HostWithoutPort(""), "");
}

// ---- Tencent's worked example -------------------------------------------------
//
// The "Signature v3" page of the TencentCloud API documentation (e.g.
// https://www.tencentcloud.com/document/api/614/42761; the same page exists for every product).
// Current copies of the page redact the keys ("AKID****...EXAMPLE") and some sign an extra
// x-tc-action header; the values below are from a copy that prints complete keys and signs
// content-type;host: repository tencentyun/intlcloud-documents, commit 749690a832b6, file
// "API/API 3.0/CDN与加速/全球应用加速/调用方式/接口鉴权 v3.md", and its English
// twin "Suppose your SecretId and SecretKey are AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE and ...".
// Every printed value (payload hash, canonical request, its hash, string to sign, signature,
// Authorization) is asserted; they are mutually consistent.

constexpr char kDocSecretId[] = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
constexpr char kDocSecretKey[] = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
constexpr char kDocBody[] =
    R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
constexpr std::int64_t kDocTimestamp = 1'551'113'065;
constexpr char kDocSignature[] = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";
constexpr char kDocAuthorization[] =
    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
    "SignedHeaders=content-type;host, "
    "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";

Tc3SignInput DocInput() {
  Tc3SignInput in;
  in.content_type = "application/json; charset=utf-8";
  in.host = "cvm.tencentcloudapi.com";
  in.payload_hash = Sha256Hex(kDocBody);
  in.timestamp = kDocTimestamp;
  in.service = "cvm";
  return in;
}

TEST(Tc3TencentExample, EveryIntermediateValue) {
  const Tc3SignInput in = DocInput();
  EXPECT_EQ(in.payload_hash, "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  const std::string canonical = Tc3CanonicalRequest(in);
  EXPECT_EQ(canonical,
            "POST\n"
            "/\n"
            "\n"
            "content-type:application/json; charset=utf-8\n"
            "host:cvm.tencentcloudapi.com\n"
            "\n"
            "content-type;host\n"
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
  EXPECT_EQ(Sha256Hex(canonical), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
  EXPECT_EQ(Tc3CredentialScope(in), "2019-02-25/cvm/tc3_request");
  EXPECT_EQ(Tc3StringToSign(in),
            "TC3-HMAC-SHA256\n"
            "1551113065\n"
            "2019-02-25/cvm/tc3_request\n"
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
  EXPECT_EQ(Tc3Signature(kDocSecretKey, in), kDocSignature);
  EXPECT_EQ(Tc3Authorization(kDocSecretId, kDocSecretKey, in), kDocAuthorization);
}

TEST(Tc3TencentExample, VerifierAcceptsTheExampleRequest) {
  Tc3Verifier verifier(
      [](std::string_view id) -> std::optional<std::string> {
        if (id == kDocSecretId) {
          return std::string(kDocSecretKey);
        }
        return std::nullopt;
      },
      [] { return kDocTimestamp + 5; }, {});
  Tc3Headers h;
  h.authorization = kDocAuthorization;
  h.content_type = "application/json; charset=utf-8";
  h.host = "cvm.tencentcloudapi.com";
  h.timestamp = "1551113065";
  const Tc3Outcome out = verifier.Verify(h, kDocBody);
  EXPECT_TRUE(out.ok()) << out.error_code << ": " << out.message;
  EXPECT_EQ(out.secret_id, kDocSecretId);
}

// ---- parsing the Authorization header --------------------------------------------

TEST(Tc3Parse, ReadsEveryField) {
  const auto c = ParseTc3Authorization(kDocAuthorization);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->algorithm, "TC3-HMAC-SHA256");
  EXPECT_EQ(c->secret_id, kDocSecretId);
  EXPECT_EQ(c->date, "2019-02-25");
  EXPECT_EQ(c->service, "cvm");
  EXPECT_EQ(c->signed_headers, "content-type;host");
  EXPECT_EQ(c->signature, kDocSignature);
}

TEST(Tc3Parse, ToleratesAnyNumberOfSpacesAfterCommas) {
  const std::string sig(64, 'a');
  for (const char* sep1 : {",", ", ", ",   "}) {
    for (const char* sep2 : {",", ", ", ",  "}) {
      const std::string header = "TC3-HMAC-SHA256 Credential=ID/2019-02-25/cvm/tc3_request" +
                                 std::string(sep1) + "SignedHeaders=content-type;host" + sep2 +
                                 "Signature=" + sig;
      const auto c = ParseTc3Authorization(header);
      ASSERT_TRUE(c.has_value()) << header;
      EXPECT_EQ(c->secret_id, "ID");
      EXPECT_EQ(c->signature, sig);
    }
  }
}

TEST(Tc3Parse, RejectsEverythingElse) {
  const std::string sig(64, 'a');
  const std::string scope = "ID/2019-02-25/cvm/tc3_request";
  const auto with_scope = [&](const std::string& credential) {
    return "TC3-HMAC-SHA256 Credential=" + credential + ", SignedHeaders=content-type;host, Signature=" + sig;
  };
  const auto with_tail = [&](const std::string& tail) {
    return "TC3-HMAC-SHA256 Credential=" + scope + tail;
  };
  const std::string good = with_scope(scope);
  ASSERT_TRUE(ParseTc3Authorization(good).has_value());
  const std::vector<std::string> bad = {
      "",
      "TC3-HMAC-SHA256",
      "TC3-HMAC-SHA256 ",
      " " + good,  // leading space
      good + " ",  // trailing space
      good + ",",  // trailing comma
      "TC3-HMAC-SHA256  Credential=" + scope + ", SignedHeaders=content-type;host, Signature=" + sig,
      "TC3-HMAC-SHA256 credential=" + scope + ", SignedHeaders=content-type;host, Signature=" + sig,
      "TC3-HMAC-SHA256 SignedHeaders=content-type;host, Credential=" + scope + ", Signature=" + sig,
      with_tail(" , SignedHeaders=content-type;host, Signature=" + sig),  // space before a comma
      with_tail(",\tSignedHeaders=content-type;host, Signature=" + sig),  // tab after a comma
      with_tail("; SignedHeaders=content-type;host; Signature=" + sig),
      with_tail(", Signature=" + sig),  // SignedHeaders missing
      with_tail(", SignedHeaders=content-type;host"),
      with_tail(", SignedHeaders=, Signature=" + sig),
      with_tail(", SignedHeaders=content-type; host, Signature=" + sig),
      with_tail(", SignedHeaders=content-type;host, Signature=" + sig + ", Signature=" + sig),
      with_tail(", SignedHeaders=content-type;host, Signature=" + sig.substr(1)),
      with_tail(", SignedHeaders=content-type;host, Signature=" + sig + "a"),
      with_tail(", SignedHeaders=content-type;host, Signature=" + sig.substr(1) + "g"),
      with_tail(", SignedHeaders=content-type;host, Signature="),
      with_scope("ID/2019-02-25/cvm"),
      with_scope("ID/2019-02-25/cvm/tc3_request/x"),
      with_scope("ID/2019-02-25/cvm/tc3_requests"),
      with_scope("/2019-02-25/cvm/tc3_request"),
      with_scope("ID/2019-02-25//tc3_request"),
      with_scope("ID/2019-2-25/cvm/tc3_request"),
      with_scope("ID/20190225/cvm/tc3_request"),
      with_scope("I D/2019-02-25/cvm/tc3_request"),
      with_scope("I" + std::string(1, '\0') + "D/2019-02-25/cvm/tc3_request"),
      with_scope("ID\x80/2019-02-25/cvm/tc3_request"),
  };
  for (const std::string& header : bad) {
    EXPECT_FALSE(ParseTc3Authorization(header).has_value()) << header;
  }
}

// ---- the verifier -------------------------------------------------------------------

constexpr std::int64_t kNow = 1'700'000'000;  // 2023-11-14 22:13:20 UTC
constexpr char kSecretId[] = "AKIDfacekitTestId";
constexpr char kSecretKey[] = "facekitTestSecretKey";
constexpr char kBody[] = R"({"GroupId":"g1","PersonId":"p1"})";

// What a client signs and sends. `host_sent` empty means "the signed host".
struct RequestSpec {
  std::string host_signed = "iai.example.com";
  std::string host_sent = {};
  std::int64_t timestamp = kNow;
  std::string service = "iai";
  bool unsigned_payload = false;
  std::string body = kBody;
  std::string secret_id = kSecretId;
  std::string secret_key = kSecretKey;
  std::string content_type = "application/json";
};

struct SignedRequest {
  Tc3Headers headers;
  std::string body;
};

SignedRequest Sign(const RequestSpec& s) {
  Tc3SignInput in;
  in.content_type = s.content_type;
  in.host = s.host_signed;
  in.payload_hash = s.unsigned_payload ? std::string(kTc3UnsignedPayload) : Sha256Hex(s.body);
  in.timestamp = s.timestamp;
  in.service = s.service;
  SignedRequest r;
  r.headers.authorization = Tc3Authorization(s.secret_id, s.secret_key, in);
  r.headers.content_type = s.content_type;
  r.headers.host = s.host_sent.empty() ? s.host_signed : s.host_sent;
  r.headers.timestamp = std::to_string(s.timestamp);
  if (s.unsigned_payload) {
    r.headers.content_sha256 = std::string(kTc3UnsignedPayload);
  }
  r.body = s.body;
  return r;
}

class Tc3VerifierTest : public ::testing::Test {
 protected:
  // Replay protection on unless a test says otherwise (the production default is off).
  std::unique_ptr<Tc3Verifier> MakeVerifier(Tc3Verifier::Options o = {.reject_replays = true}) {
    return std::make_unique<Tc3Verifier>(
        [this](std::string_view id) -> std::optional<std::string> {
          ++lookups_;
          const auto it = keys_.find(std::string(id));
          if (it == keys_.end()) {
            return std::nullopt;
          }
          return it->second;
        },
        [this] { return now_.load(); }, o);
  }

  Tc3Outcome Verify(const SignedRequest& r) { return verifier_->Verify(r.headers, r.body); }

  void ExpectOk(const SignedRequest& r) {
    const Tc3Outcome out = Verify(r);
    EXPECT_TRUE(out.ok()) << out.error_code << ": " << out.message;
  }

  void ExpectError(const SignedRequest& r, const std::string& code, const std::string& message_part = "") {
    const Tc3Outcome out = Verify(r);
    EXPECT_EQ(out.error_code, code) << out.message;
    EXPECT_NE(out.message.find(message_part), std::string::npos) << out.message;
    EXPECT_EQ(out.message.find(kSecretKey), std::string::npos) << out.message;
  }

  std::map<std::string, std::string> keys_ = {{kSecretId, kSecretKey}, {"AKIDother", "otherKey"}};
  std::atomic<std::int64_t> now_{kNow};
  std::atomic<int> lookups_{0};
  std::unique_ptr<Tc3Verifier> verifier_ = MakeVerifier();
};

// -- accepted requests

TEST_F(Tc3VerifierTest, AcceptsHostSignedWithPort) {  // C++ and Python SDKs
  ExpectOk(Sign({.host_signed = "iai.example.com:8080"}));
}

TEST_F(Tc3VerifierTest, AcceptsHostSignedWithoutPortButSentWithIt) {  // Node SDK
  ExpectOk(Sign({.host_signed = "iai.example.com", .host_sent = "iai.example.com:8080"}));
}

TEST_F(Tc3VerifierTest, AcceptsIpv6HostSignedWithoutPort) {
  ExpectOk(Sign({.host_signed = "[::1]", .host_sent = "[::1]:8080"}));
  ExpectOk(Sign({.host_signed = "[::1]:8080", .timestamp = kNow + 1}));
}

TEST_F(Tc3VerifierTest, AcceptsServiceTakenFromTheScope) {
  // Node and C++ derive the service from the endpoint's first label: "127.0.0.1:8080" gives "127".
  ExpectOk(Sign({.host_signed = "127.0.0.1", .host_sent = "127.0.0.1:8080", .service = "127"}));
  ExpectOk(Sign({.host_signed = "127.0.0.1:8080", .service = "127"}));
  ExpectOk(Sign({.host_signed = "localhost:8080", .service = "iai"}));  // Python always says "iai"
}

TEST_F(Tc3VerifierTest, AcceptsUnsignedPayload) {
  SignedRequest r = Sign({.host_signed = "iai.example.com:8080", .unsigned_payload = true});
  r.body = R"({"GroupId":"another"})";  // the body is, by definition, not covered
  ExpectOk(r);
}

TEST_F(Tc3VerifierTest, AcceptsContentTypeExactlyAsSignedAndTrimsSurroundingSpaces) {
  ExpectOk(Sign({.content_type = "application/json; charset=utf-8"}));
  SignedRequest r = Sign({.timestamp = kNow + 1});
  r.headers.content_type = "  application/json ";
  r.headers.host = " iai.example.com ";
  r.headers.timestamp = " " + r.headers.timestamp;
  ExpectOk(r);
}

TEST_F(Tc3VerifierTest, ReportsTheSecretIdOnSuccessAndFailure) {
  EXPECT_EQ(Verify(Sign({})).secret_id, kSecretId);
  EXPECT_EQ(Verify(Sign({.timestamp = kNow + 1, .secret_id = "AKIDnobody"})).secret_id, "AKIDnobody");
}

// Produced by the unmodified signer of tencentcloud-sdk-nodejs 4.1.313 (tencentcloud/common/sign.js,
// Sign.sign3) run under node with stub tslib/json-bigint modules:
//   Sign.sign3({method: "POST", url, payload: Buffer.from(kBody), timestamp: 1700000000, service,
//               secretId: "AKIDfacekitTestId", secretKey: "facekitTestSecretKey",
//               headers: {"Content-Type": "application/json"}})
// Node signs URL.hostname, i.e. the host without its port, while sending host:port.
TEST_F(Tc3VerifierTest, AcceptsRequestsSignedByTheNodeSdk) {
  const struct {
    const char* host_sent;
    const char* authorization;
  } cases[] = {
      {"iai.127.0.0.1.nip.io:8080",
       "TC3-HMAC-SHA256 Credential=AKIDfacekitTestId/2023-11-14/iai/tc3_request, "
       "SignedHeaders=content-type;host, "
       "Signature=9549954d8f02e5c157bf3c7f63ce4aa032250e935d5aa43ff9a18df40629965a"},
      {"127.0.0.1:8080",
       "TC3-HMAC-SHA256 Credential=AKIDfacekitTestId/2023-11-14/127/tc3_request, "
       "SignedHeaders=content-type;host, "
       "Signature=a4664c9f65e8bd5d7fe159629af7527547dbdae6df9dc43a48e573607c5db75d"},
      {"[::1]:8080",
       "TC3-HMAC-SHA256 Credential=AKIDfacekitTestId/2023-11-14/iai/tc3_request, "
       "SignedHeaders=content-type;host, "
       "Signature=cb68a0794c128f058c62994a1444521512493948359bea5139c7bd055b4fe780"},
  };
  for (const auto& c : cases) {
    SignedRequest r;
    r.headers = {c.authorization, "application/json", c.host_sent, "1700000000", ""};
    r.body = kBody;
    const Tc3Outcome out = Verify(r);
    EXPECT_TRUE(out.ok()) << c.host_sent << " " << out.error_code << ": " << out.message;
  }
}

// -- rejected requests

TEST_F(Tc3VerifierTest, RejectsWrongSecretKey) {
  ExpectError(Sign({.secret_key = "notTheSecretKey"}), "AuthFailure.SignatureFailure", "does not match");
  // Another known key's secret does not work for this id either.
  ExpectError(Sign({.secret_key = "otherKey"}), "AuthFailure.SignatureFailure");
}

TEST_F(Tc3VerifierTest, RejectsTamperedRequests) {
  SignedRequest body = Sign({});
  body.body = R"({"GroupId":"g2","PersonId":"p1"})";
  ExpectError(body, "AuthFailure.SignatureFailure");

  SignedRequest host = Sign({.host_signed = "iai.example.com:8080"});
  host.headers.host = "iai.example.com:9090";
  ExpectError(host, "AuthFailure.SignatureFailure");

  SignedRequest content_type = Sign({});
  content_type.headers.content_type = "application/json; charset=utf-8";  // signed without charset
  ExpectError(content_type, "AuthFailure.SignatureFailure");

  SignedRequest service = Sign({});
  const std::size_t at = service.headers.authorization.find("/iai/");
  service.headers.authorization.replace(at, 5, "/cvm/");
  ExpectError(service, "AuthFailure.SignatureFailure");

  // Signed over the body but claims UNSIGNED-PAYLOAD: the canonical request differs.
  SignedRequest claims_unsigned = Sign({});
  claims_unsigned.headers.content_sha256 = "UNSIGNED-PAYLOAD";
  ExpectError(claims_unsigned, "AuthFailure.SignatureFailure");

  // Host signed with a port the request does not carry: only stripping is tried, never adding.
  SignedRequest added_port = Sign({.host_signed = "iai.example.com:8080", .host_sent = "iai.example.com"});
  ExpectError(added_port, "AuthFailure.SignatureFailure");
}

TEST_F(Tc3VerifierTest, RejectsUppercaseSignature) {
  SignedRequest r = Sign({});
  std::string& auth = r.headers.authorization;
  for (std::size_t i = auth.find("Signature=") + 10; i < auth.size(); ++i) {
    if (auth[i] >= 'a' && auth[i] <= 'f') {
      auth[i] = static_cast<char>(auth[i] - 'a' + 'A');
    }
  }
  ExpectError(r, "AuthFailure.SignatureFailure");
}

TEST_F(Tc3VerifierTest, RejectsUnknownSecretId) {
  ExpectError(Sign({.secret_id = "AKIDnobody"}), "AuthFailure.SecretIdNotFound", "AKIDnobody");
}

TEST_F(Tc3VerifierTest, SkewOfMoreThan300SecondsExpiresTheSignature) {
  ExpectError(Sign({.timestamp = kNow - 301}), "AuthFailure.SignatureExpire", "301 s away");
  ExpectError(Sign({.timestamp = kNow + 301}), "AuthFailure.SignatureExpire", "301 s away");
  ExpectOk(Sign({.timestamp = kNow - 299}));
  ExpectOk(Sign({.timestamp = kNow + 299}));
  ExpectOk(Sign({.timestamp = kNow - 300}));
  ExpectOk(Sign({.timestamp = kNow + 300}));
  ExpectError(Sign({.timestamp = 0}), "AuthFailure.SignatureExpire");
}

TEST_F(Tc3VerifierTest, SkewIsConfigurable) {
  verifier_ = MakeVerifier({.max_skew_s = 10, .reject_replays = true});
  ExpectError(Sign({.timestamp = kNow - 11}), "AuthFailure.SignatureExpire", "at most 10 s");
  ExpectOk(Sign({.timestamp = kNow - 10}));
}

TEST_F(Tc3VerifierTest, RejectsMalformedAuthorization) {
  SignedRequest missing = Sign({});
  missing.headers.authorization.clear();
  ExpectError(missing, "AuthFailure.InvalidAuthorization", "missing");

  SignedRequest garbage = Sign({});
  garbage.headers.authorization = "Bearer abc";
  ExpectError(garbage, "AuthFailure.InvalidAuthorization", "malformed");

  SignedRequest algorithm = Sign({});
  algorithm.headers.authorization.replace(0, 15, "TC3-HMAC-SHA1");
  ExpectError(algorithm, "AuthFailure.InvalidAuthorization", "algorithm");

  SignedRequest signed_headers = Sign({});
  const std::size_t at = signed_headers.headers.authorization.find("content-type;host");
  signed_headers.headers.authorization.replace(at, 17, "content-type;host;x-tc-action");
  ExpectError(signed_headers, "AuthFailure.InvalidAuthorization", "SignedHeaders");
}

TEST_F(Tc3VerifierTest, RejectsTimestampsThatAreNotIntegers) {
  for (const char* bad : {"", "abc", "1700000000.5", "-1700000000", "+1700000000", "01700000000",
                          "1700000000s", "1 700000000", "99999999999999999999"}) {
    SignedRequest r = Sign({});
    r.headers.timestamp = bad;
    ExpectError(r, "AuthFailure.InvalidAuthorization", "X-TC-Timestamp");
  }
}

TEST_F(Tc3VerifierTest, RejectsScopeDateThatIsNotTheDateOfTheTimestamp) {
  // A client that formats the date in UTC+8: 2023-11-15 local, 2023-11-14 UTC.
  SignedRequest r = Sign({});
  const std::size_t at = r.headers.authorization.find("2023-11-14");
  ASSERT_NE(at, std::string::npos);
  r.headers.authorization.replace(at, 10, "2023-11-15");
  ExpectError(r, "AuthFailure.InvalidAuthorization", "2023-11-15 is not the UTC date");
}

TEST_F(Tc3VerifierTest, ChecksInTheDocumentedOrder) {
  // skew before lookup: an expired request from an unknown id never reaches the key store
  ExpectError(Sign({.timestamp = kNow - 1000, .secret_id = "AKIDnobody"}), "AuthFailure.SignatureExpire");
  EXPECT_EQ(lookups_.load(), 0);
  // scope date before lookup
  SignedRequest r = Sign({.secret_id = "AKIDnobody"});
  r.headers.authorization.replace(r.headers.authorization.find("2023-11-14"), 10, "2023-11-13");
  ExpectError(r, "AuthFailure.InvalidAuthorization");
  EXPECT_EQ(lookups_.load(), 0);
  // format before skew
  SignedRequest bad_alg = Sign({.timestamp = kNow - 1000});
  bad_alg.headers.authorization.replace(0, 15, "TC3-HMAC-SHA1");
  ExpectError(bad_alg, "AuthFailure.InvalidAuthorization");
  // lookup before signature
  SignedRequest unknown = Sign({.secret_id = "AKIDnobody"});
  unknown.body = "tampered";
  ExpectError(unknown, "AuthFailure.SecretIdNotFound");
  EXPECT_EQ(lookups_.load(), 1);
}

// -- replays

TEST_F(Tc3VerifierTest, RejectsAReplayedSignature) {
  const SignedRequest r = Sign({});
  ExpectOk(r);
  ExpectError(r, "AuthFailure.SignatureFailure", "already used");
  // A failed verification records nothing: a bad request does not poison a later good one.
  SignedRequest tampered = Sign({.timestamp = kNow + 1});
  tampered.body = "x";
  ExpectError(tampered, "AuthFailure.SignatureFailure", "does not match");
  ExpectOk(Sign({.timestamp = kNow + 1}));
  EXPECT_EQ(verifier_->replay_cache_size(), 2u);
}

TEST_F(Tc3VerifierTest, ReplayIsRejectedUntilTheTimestampLeavesTheWindow) {
  const SignedRequest r = Sign({});
  ExpectOk(r);
  now_ = kNow + 300;  // still inside the window: the cache must still remember it
  ExpectError(r, "AuthFailure.SignatureFailure", "already used");
  now_ = kNow + 301;  // outside: the request has expired anyway
  ExpectError(r, "AuthFailure.SignatureExpire");
}

TEST_F(Tc3VerifierTest, ReplaysAreAcceptedWhenReplayProtectionIsOff) {
  verifier_ = MakeVerifier(Tc3Verifier::Options{});  // the default
  const SignedRequest r = Sign({});
  ExpectOk(r);
  ExpectOk(r);
  EXPECT_EQ(verifier_->replay_cache_size(), 0u);
}

TEST_F(Tc3VerifierTest, ReplayCachePrunesExpiredEntries) {
  ExpectOk(Sign({.timestamp = kNow - 100}));
  ExpectOk(Sign({.timestamp = kNow}));
  ExpectOk(Sign({.timestamp = kNow + 100}));
  EXPECT_EQ(verifier_->replay_cache_size(), 3u);

  now_ = kNow + 201;  // kNow - 100 expired at kNow + 200
  ExpectOk(Sign({.timestamp = kNow + 201}));
  EXPECT_EQ(verifier_->replay_cache_size(), 3u);  // one pruned, one added

  now_ = kNow + 1000;  // everything above has expired
  ExpectOk(Sign({.timestamp = kNow + 1000}));
  EXPECT_EQ(verifier_->replay_cache_size(), 1u);
}

TEST_F(Tc3VerifierTest, FullReplayCacheEvictsTheEntriesThatExpireSoonest) {
  verifier_ = MakeVerifier({.reject_replays = true, .replay_cache_max = 2});
  const SignedRequest oldest = Sign({.timestamp = kNow - 10});
  const SignedRequest middle = Sign({.timestamp = kNow});
  ExpectOk(oldest);
  ExpectOk(middle);
  ExpectOk(Sign({.timestamp = kNow + 10}));
  EXPECT_EQ(verifier_->replay_cache_size(), 2u);
  ExpectError(middle, "AuthFailure.SignatureFailure", "already used");  // kept
  ExpectOk(oldest);  // evicted, so (the documented cost of a bound) its replay passes
  EXPECT_EQ(verifier_->replay_cache_size(), 2u);
}

TEST_F(Tc3VerifierTest, ConcurrentReplaysAcceptExactlyOne) {
  const SignedRequest r = Sign({});
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (verifier_->Verify(r.headers, r.body).ok()) {
        ++accepted;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(verifier_->replay_cache_size(), 1u);
}

TEST(Tc3ReplayCache, ZeroCapacityRecordsNothing) {
  Tc3ReplayCache cache(0);
  EXPECT_TRUE(cache.Insert("sig", 100, 0));
  EXPECT_TRUE(cache.Insert("sig", 100, 0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(Tc3ReplayCache, KeepsEntriesUntilTheirExpiryInclusive) {
  Tc3ReplayCache cache(10);
  EXPECT_TRUE(cache.Insert("a", 100, 0));
  EXPECT_FALSE(cache.Insert("a", 100, 100));
  EXPECT_TRUE(cache.Insert("a", 200, 101));  // expired at 100, so forgotten at 101
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace facekit::server
