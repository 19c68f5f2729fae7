// Key administration over REST and gRPC (ListKeys, CreateKey, UpdateKey,
// RevokeKey) on the real server with the real key database (StoreKeys over
// keys.db), as `facekit serve` wires it: admin-only, secrets shown once and
// never listed, changes effective from the next request, and one state shared
// with the `facekit keys` CLI (a second connection to the same file).
#include <gtest/gtest.h>

#include "one_port_test_util.h"
#include "server/store_keys.h"

namespace facekit::server {
namespace {

using nlohmann::json;
using testing::HttpAnswer;

class KeyAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto svc = service::OpenFaceService(dir_.path(), testing::SharedEngine(), {});
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    service_ = std::move(svc.value());
    auto store = store::KeyStore::Open(dir_.file("keys.db"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    keys_ = std::make_unique<StoreKeys>(std::move(store.value()), [this] { return ++clock_ms_; });
    store::NewKey admin;
    admin.role = KeyRole::kAdmin;
    auto a = keys_->Create(admin);
    ASSERT_TRUE(a.ok());
    admin_ = a->secret_id + ":" + a->secret_key;
    store::NewKey writer;
    writer.role = KeyRole::kReadWrite;
    auto w = keys_->Create(writer);
    ASSERT_TRUE(w.ok());
    writer_ = w->secret_id + ":" + w->secret_key;

    ServerOptions o;
    o.http.port = 0;
    o.cloud.default_rate_limit = 0;
    o.grpc.key_admin = keys_.get();
    auto s = Server::Start(o, *service_, *keys_, {});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s.value());
  }

  HttpAnswer Rest(const std::string& method, const std::string& target, const std::string& credential,
                  const json& body = nullptr) const {
    const std::string text = body.is_null() ? std::string() : body.dump();
    std::string raw = method + " " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + credential + "\r\n";
    if (!text.empty()) raw += "Content-Type: application/json\r\n";
    raw += "Content-Length: " + std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text;
    return testing::HttpExchange(server_->port(), raw);
  }
  // The JSON of an answer with this status.
  json Expect(int status, const HttpAnswer& a) {
    EXPECT_EQ(a.status, status) << a.head << "\n" << a.body;
    return a.Json();
  }

  testing::TempDir dir_;
  std::int64_t clock_ms_ = 1'700'000'000'000;
  std::unique_ptr<service::FaceService> service_;
  std::unique_ptr<StoreKeys> keys_;
  std::unique_ptr<Server> server_;
  std::string admin_, writer_;
};

TEST_F(KeyAdminTest, AdminCreatesListsChangesAndRevokesKeysEffectiveAtOnce) {
  json created = Expect(200, Rest("POST", "/v1/keys", admin_,
                                   {{"role", "read-only"}, {"groups", {"lobby"}}, {"description", "kiosk"}}));
  const std::string id = created["key"].value("secret_id", "");
  const std::string secret = created.value("secret_key", "");
  ASSERT_EQ(id.size(), 36u) << created;
  ASSERT_EQ(secret.size(), 40u) << created;
  EXPECT_EQ(created["key"]["role"], "read-only");
  EXPECT_EQ(created["key"]["groups"], json::array({"lobby"}));
  EXPECT_EQ(created["key"]["revoked"], false);
  const std::string reader = id + ":" + secret;

  // The new key works on its first request, and only within its role.
  Expect(200, Rest("GET", "/v1/groups", reader));
  EXPECT_EQ(Expect(403, Rest("POST", "/v1/groups", reader, {{"group_id", "lobby"}, {"group_name", "Lobby"}}))["code"],
            "AuthFailure.UnauthorizedOperation");

  // Listed with the others, never with a secret.
  const HttpAnswer listed = Rest("GET", "/v1/keys", admin_);
  json list = Expect(200, listed);
  ASSERT_EQ(list["keys"].size(), 3u) << list;
  EXPECT_EQ(list["keys"][2]["secret_id"], id);
  EXPECT_EQ(list["keys"][2]["description"], "kiosk");
  EXPECT_EQ(listed.body.find(secret), std::string::npos);
  EXPECT_EQ(listed.body.find("secret_key"), std::string::npos);
  EXPECT_EQ(listed.body.find(admin_.substr(admin_.find(':') + 1)), std::string::npos);

  // Promoted: it may write from the next request on; group scope widened to every group.
  json changed = Expect(200, Rest("PATCH", "/v1/keys/" + id, admin_,
                                  {{"role", "read-write"}, {"groups", json::array()}, {"update_groups", true}}));
  EXPECT_EQ(changed["role"], "read-write");
  EXPECT_EQ(changed["groups"], json::array());
  Expect(200, Rest("POST", "/v1/groups", reader, {{"group_id", "staff"}, {"group_name", "Staff"}}));
  // Narrowed to one group: another group disappears for it at once.
  Expect(200, Rest("PATCH", "/v1/keys/" + id, admin_, {{"groups", {"lobby"}}, {"update_groups", true}}));
  EXPECT_EQ(Expect(403, Rest("GET", "/v1/groups/staff", reader))["code"], "AuthFailure.UnauthorizedOperation");

  // Revoked: refused on the very next request, listed as revoked.
  EXPECT_EQ(Expect(200, Rest("POST", "/v1/keys/" + id + ":revoke", admin_)), json::object());
  EXPECT_EQ(Expect(401, Rest("GET", "/v1/groups", reader))["code"], "AuthFailure.SecretIdNotFound");
  list = Expect(200, Rest("GET", "/v1/keys", admin_));
  EXPECT_EQ(list["keys"][2]["revoked"], true);
  EXPECT_GT(std::stoll(list["keys"][2]["revoked_ms"].get<std::string>()), 0);

  // Errors: revoked twice, unknown key, bad role, nothing to change.
  EXPECT_EQ(Expect(400, Rest("POST", "/v1/keys/" + id + ":revoke", admin_))["code"], "FailedOperation.KeyRevoked");
  EXPECT_EQ(Expect(404, Rest("POST", "/v1/keys/AKIDnone:revoke", admin_))["code"], "ResourceNotFound.KeyNotExist");
  EXPECT_EQ(Expect(400, Rest("POST", "/v1/keys", admin_, {{"role", "owner"}}))["code"],
            "InvalidParameterValue.KeyRoleIllegal");
  EXPECT_EQ(Expect(400, Rest("POST", "/v1/keys", admin_, json::object()))["code"], "MissingParameter");
  EXPECT_EQ(Expect(400, Rest("PATCH", "/v1/keys/" + id, admin_, json::object()))["code"], "MissingParameter");
}

TEST_F(KeyAdminTest, OnlyAdminKeysMayAdministerKeys) {
  for (const auto& [method, target, body] :
       {std::tuple{"GET", "/v1/keys", json(nullptr)}, std::tuple{"POST", "/v1/keys", json{{"role", "admin"}}},
        std::tuple{"PATCH", "/v1/keys/AKIDx", json{{"role", "admin"}}},
        std::tuple{"POST", "/v1/keys/AKIDx:revoke", json(nullptr)}}) {
    json e = Expect(403, Rest(method, target, writer_, body));
    EXPECT_EQ(e["code"], "AuthFailure.UnauthorizedOperation") << method << " " << target;
    EXPECT_NE(e.value("message", "").find("admin"), std::string::npos) << e;
  }
  // A read-write key cannot make itself admin.
  EXPECT_EQ(keys_->List()->size(), 2u);
  EXPECT_EQ(Expect(401, Rest("GET", "/v1/keys", "AKIDnobody:nothing"))["code"], "AuthFailure.SecretIdNotFound");
}

TEST_F(KeyAdminTest, KeysTheCliWritesMeanwhileAreSeenAndEnforced) {
  // `facekit keys create|revoke` opens keys.db itself while the server runs.
  auto cli = store::KeyStore::Open(dir_.file("keys.db"));
  ASSERT_TRUE(cli.ok());
  store::NewKey nk;
  nk.role = KeyRole::kReadOnly;
  auto k = (*cli)->Create(nk, 5);
  ASSERT_TRUE(k.ok());
  const std::string credential = k->secret_id + ":" + k->secret_key;
  Expect(200, Rest("GET", "/v1/groups", credential));
  json list = Expect(200, Rest("GET", "/v1/keys", admin_));
  EXPECT_EQ(list["keys"].size(), 3u);

  // Revoked over the API: the CLI's connection sees it.
  Expect(200, Rest("POST", "/v1/keys/" + k->secret_id + ":revoke", admin_));
  EXPECT_NE((*cli)->Find(k->secret_id)->revoked_ms, 0);
  // Changed by the CLI's connection: the server's cache follows.
  store::KeyChange demote;
  demote.role = KeyRole::kReadOnly;
  const std::string writer_id = writer_.substr(0, writer_.find(':'));
  Expect(200, Rest("POST", "/v1/groups", writer_, {{"group_id", "g1"}, {"group_name", "G"}}));
  ASSERT_TRUE((*cli)->Update(writer_id, demote).ok());
  EXPECT_EQ(Expect(403, Rest("POST", "/v1/groups", writer_, {{"group_id", "g2"}, {"group_name", "G"}}))["code"],
            "AuthFailure.UnauthorizedOperation");
}

TEST_F(KeyAdminTest, GrpcCarriesTheSameRpcs) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials());
  auto stub = ::facekit::v1::FaceKit::NewStub(channel);
  ::facekit::v1::CreateKeyRequest req;
  req.set_role("read-only");
  ::facekit::v1::CreateKeyResponse created;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_);
    ASSERT_TRUE(stub->CreateKey(&ctx, req, &created).ok());
  }
  EXPECT_EQ(created.secret_key().size(), 40u);
  ::facekit::v1::ListKeysResponse list;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + created.key().secret_id() + ":" + created.secret_key());
  const grpc::Status s = stub->ListKeys(&ctx, ::facekit::v1::ListKeysRequest(), &list);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
}

}  // namespace
}  // namespace facekit::server
