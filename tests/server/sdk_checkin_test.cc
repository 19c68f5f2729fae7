// The official Tencent Cloud Node SDK (tests/sdk, installed by setup.sh from
// the npm registry) runs a check-in flow against the real `facekit serve`,
// started on port 0 with a key made by `facekit keys create`; then SIGTERM
// stops the server gracefully.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "serve_process.h"
#include "test_util.h"
#include "tls_test_util.h"

namespace facekit {
namespace {

using testing::RunCommand;

// The flow of checkin.js against `facekit serve` with `serve_args`; `scheme`
// is what the server prints ("http" or "https"), `env` extra environment.
void RunCheckin(const std::vector<std::string>& serve_args, const std::string& scheme, const std::string& env_extra) {
  const std::string sdk_dir = testing::SourceDir() + "/tests/sdk";
  ASSERT_TRUE(std::filesystem::exists(sdk_dir + "/node_modules/tencentcloud-sdk-nodejs"))
      << "run scripts/setup.sh: it installs the Node SDK into tests/sdk/node_modules";
  testing::TempDir dir;
  const std::string data = dir.file("data");
  const std::string cli = ::facekit::testing::CliPath();

  auto [rc, key_json] = testing::RunCommand(cli + " keys create --data " + data + " --role admin --json");
  ASSERT_EQ(rc, 0) << key_json;
  const auto key = nlohmann::json::parse(key_json, nullptr, false);
  ASSERT_TRUE(key.contains("secret_id") && key.contains("secret_key")) << key_json;

  testing::ServeProcess server(data, serve_args, scheme);
  const std::string port = server.port();
  ASSERT_FALSE(port.empty()) << "the server did not report its port";

  const std::string env = "FACEKIT_ENDPOINT=127.0.0.1:" + port +
                          " FACEKIT_SECRET_ID=" + key["secret_id"].get<std::string>() +
                          " FACEKIT_SECRET_KEY=" + key["secret_key"].get<std::string>() +
                          " PHOTOS=" + testing::DataDir() + "/faces/photos " + env_extra;
  auto [node_rc, node_out] = testing::RunCommand("cd " + sdk_dir + " && env " + env + " node checkin.js 2>&1");
  EXPECT_EQ(node_rc, 0) << node_out;
  EXPECT_NE(node_out.find("ok: SearchFaces finds the right person first"), std::string::npos) << node_out;
  EXPECT_NE(node_out.find("ok: a wrong key is refused with AuthFailure.SignatureFailure"), std::string::npos)
      << node_out;

  // Graceful stop on SIGTERM: exit status 0.
  const int status = server.Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(SdkCheckin, OfficialNodeSdkRunsACheckInFlow) { RunCheckin({}, "http", ""); }

// The same flow over HTTPS: the SDK's protocol "https://" and a server with
// --tls-cert/--tls-key (a certificate the test makes, trusted by Node through
// NODE_EXTRA_CA_CERTS).
TEST(SdkCheckin, OfficialNodeSdkOverHttps) {
  testing::TempDir dir;
  const testing::PemPair pem = testing::MakeCertificate();
  const std::string cert = testing::WriteFile(dir.file("cert.pem"), pem.cert);
  const std::string key = testing::WriteFile(dir.file("key.pem"), pem.key);
  RunCheckin({"--tls-cert", cert, "--tls-key", key}, "https",
             "FACEKIT_PROTOCOL=https:// NODE_EXTRA_CA_CERTS=" + cert);
}

}  // namespace
}  // namespace facekit
