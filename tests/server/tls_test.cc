// TLS on the one port: HTTPS (cloud API, REST, health) and gRPC over TLS,
// against the real Server on port 0 with a certificate made for the test.
#include <curl/curl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "cloud_test_util.h"
#include "facekit/v1/facekit.grpc.pb.h"
#include "http_test_client.h"
#include "tls_test_util.h"
#include "server/server.h"

namespace facekit::testing {
namespace {

namespace v1 = ::facekit::v1;
using nlohmann::json;

// ---------------------------------------------------------------- an HTTPS client

struct CurlAnswer {
  CURLcode code = CURLE_OK;
  long status = 0;
  long http_version = 0;  // CURL_HTTP_VERSION_*
  std::string body;
};

CurlAnswer Curl(const std::string& url, const std::string& ca_file, const std::vector<std::string>& headers = {},
                const std::string* post_body = nullptr) {
  CurlAnswer a;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  // Offer h2 and http/1.1 in ALPN, as browsers and curl do by default.
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  if (list != nullptr) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (post_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* p, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
  });
  a.code = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &a.http_version);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return a;
}

// ---------------------------------------------------------------- the server

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pem_ = MakeCertificate();
    cert_file_ = WriteFile(dir_.path() + "/cert.pem", pem_.cert);
    key_file_ = WriteFile(dir_.path() + "/key.pem", pem_.key);
    auto svc = service::OpenFaceService(dir_.path(), SharedEngine());
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc.value());
    keys_.Add("AKIDadmin", KeyRole::kAdmin);
  }

  void Start(bool allow_plaintext) {
    server::ServerOptions o;
    o.http.port = 0;
    o.http.tls = server::HttpTlsOptions{cert_file_, key_file_, allow_plaintext};
    o.cloud.default_rate_limit = 0;
    // As behind a local proxy: Bearer needs TLS even from 127.0.0.1.
    o.grpc.bearer_from_loopback = false;
    auto s = server::Server::Start(o, *service_, keys_, {});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s.value());
  }

  std::string Base(const char* scheme = "https") const {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(server_->port());
  }

  std::shared_ptr<grpc::Channel> TlsChannel() const {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem_.cert;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::SslCredentials(ssl), args);
  }
  std::shared_ptr<grpc::Channel> PlainChannel() const {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials());
  }

  static grpc::Status ListGroups(const std::shared_ptr<grpc::Channel>& channel, v1::ListGroupsResponse* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer AKIDadmin:secret-of-AKIDadmin");
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return v1::FaceKit::NewStub(channel)->ListGroups(&ctx, v1::ListGroupsRequest(), out);
  }

  TempDir dir_;
  PemPair pem_;
  std::string cert_file_, key_file_;
  std::unique_ptr<service::FaceService> service_;
  MemoryKeys keys_;
  std::unique_ptr<server::Server> server_;
};

TEST_F(TlsServerTest, HttpsServesHealthRestAndTheCloudApiOverHttp11) {
  Start(false);
  CurlAnswer ping = Curl(Base() + "/ping", cert_file_);
  ASSERT_EQ(ping.code, CURLE_OK) << curl_easy_strerror(ping.code);
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, "pong");
  // The client offered h2 too; ALPN chose HTTP/1.1, which serves REST and the cloud API.
  EXPECT_EQ(ping.http_version, static_cast<long>(CURL_HTTP_VERSION_1_1));

  // REST with a Bearer secret: accepted over TLS.
  const std::string create = json{{"group_id", "tls"}, {"group_name", "TLS"}}.dump();
  CurlAnswer created = Curl(Base() + "/v1/groups", cert_file_,
                            {"Authorization: Bearer AKIDadmin:secret-of-AKIDadmin", "Content-Type: application/json"},
                            &create);
  ASSERT_EQ(created.code, CURLE_OK);
  EXPECT_EQ(created.status, 200) << created.body;

  // The cloud API, TC3-signed, over HTTPS.
  SignedRequest r;
  r.action = "GetGroupList";
  r.secret_id = "AKIDadmin";
  r.secret_key = "secret-of-AKIDadmin";
  r.timestamp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
  const server::HttpRequest req = r.Build();
  std::vector<std::string> headers;
  for (const auto& [k, v] : req.headers) headers.push_back(k + ": " + v);
  CurlAnswer listed = Curl(Base() + "/", cert_file_, headers, &req.body);
  ASSERT_EQ(listed.code, CURLE_OK);
  const json response = json::parse(listed.body)["Response"];
  EXPECT_EQ(CodeOf(response), "OK") << listed.body;
  EXPECT_EQ(response["GroupNum"], 1);

  // A client that does not trust the certificate does not get through.
  CurlAnswer untrusted = Curl(Base() + "/ping", dir_.path() + "/no-such-ca.pem");
  EXPECT_NE(untrusted.code, CURLE_OK);
}

TEST_F(TlsServerTest, GrpcOverTlsOnTheSamePortAcceptsBearer) {
  Start(false);
  auto channel = TlsChannel();
  v1::ListGroupsResponse groups;
  grpc::Status s = ListGroups(channel, &groups);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(groups.group_num(), 0);

  // A group made over gRPC/TLS is seen over HTTPS/REST.
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer AKIDadmin:secret-of-AKIDadmin");
  v1::CreateGroupRequest create;
  create.set_group_id("g1");
  create.set_group_name("Group one");
  v1::Group group;
  ASSERT_TRUE(v1::FaceKit::NewStub(channel)->CreateGroup(&ctx, create, &group).ok());
  CurlAnswer listed = Curl(Base() + "/v1/groups", cert_file_, {"Authorization: Bearer AKIDadmin:secret-of-AKIDadmin"});
  ASSERT_EQ(listed.code, CURLE_OK);
  EXPECT_NE(listed.body.find("\"g1\""), std::string::npos) << listed.body;

  // Shutdown with the TLS gRPC connection still open returns: gRPC closes its
  // side and the bridge follows.
  server_->Shutdown(std::chrono::seconds(20));
  EXPECT_FALSE(ListGroups(channel, &groups).ok());
}

TEST_F(TlsServerTest, TlsOnlyPortRefusesPlaintext) {
  Start(false);
  const HttpAnswer a = HttpExchange(server_->port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("TLS"), std::string::npos) << a.body;
  // The cloud API's clients get the error in their envelope.
  const HttpAnswer cloud =
      HttpExchange(server_->port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  EXPECT_EQ(cloud.status, 200);
  EXPECT_NE(cloud.body.find("InvalidParameter"), std::string::npos) << cloud.body;
  v1::ListGroupsResponse groups;
  EXPECT_EQ(ListGroups(PlainChannel(), &groups).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsServerTest, PlaintextAllowedAlongsideTlsButBearerNeedsTls) {
  Start(true);
  const HttpAnswer ping = HttpExchange(server_->port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ping.status, 200);
  EXPECT_EQ(ping.body, "pong");
  CurlAnswer tls_ping = Curl(Base() + "/ping", cert_file_);
  EXPECT_EQ(tls_ping.body, "pong");

  v1::ListGroupsResponse groups;
  const grpc::Status plain = ListGroups(PlainChannel(), &groups);
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(plain.error_message().find("only over TLS"), std::string::npos) << plain.error_message();
  EXPECT_TRUE(ListGroups(TlsChannel(), &groups).ok());

  const HttpAnswer rest = HttpExchange(
      server_->port(),
      "GET /v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer AKIDadmin:secret-of-AKIDadmin\r\nConnection: "
      "close\r\n\r\n");
  EXPECT_EQ(rest.status, 401) << rest.body;
  CurlAnswer tls_rest = Curl(Base() + "/v1/groups", cert_file_, {"Authorization: Bearer AKIDadmin:secret-of-AKIDadmin"});
  EXPECT_EQ(tls_rest.status, 200) << tls_rest.body;
}

TEST_F(TlsServerTest, BadCertificateOrKeyIsAClearStartError) {
  server::ServerOptions o;
  o.http.port = 0;
  o.http.tls = server::HttpTlsOptions{dir_.path() + "/missing.pem", key_file_, false};
  auto missing = server::Server::Start(o, *service_, keys_, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.pem"), std::string::npos) << missing.status().message();

  const PemPair other = MakeCertificate();
  o.http.tls = server::HttpTlsOptions{cert_file_, WriteFile(dir_.path() + "/other-key.pem", other.key), false};
  auto mismatch = server::Server::Start(o, *service_, keys_, {});
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("does not belong"), std::string::npos) << mismatch.status().message();

  o.http.tls = server::HttpTlsOptions{WriteFile(dir_.path() + "/garbage.pem", "not a certificate"), key_file_, false};
  EXPECT_FALSE(server::Server::Start(o, *service_, keys_, {}).ok());
}

}  // namespace
}  // namespace facekit::testing
