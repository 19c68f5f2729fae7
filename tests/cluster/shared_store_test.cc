// Two `facekit serve` processes on one PostgreSQL gallery (--store), through
// the real binary: a face enrolled through node A is found by a search on
// node B, B's writes reach A, the gallery commands work on the database
// directly, and a restarted node loads the gallery from the database.
// Skipped when PostgreSQL 15 is not installed.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/api_client.h"
#include "serve_process.h"
#include "server/one_port_test_util.h"
#include "store/pg_test_cluster.h"
#include "test_util.h"

namespace facekit {
namespace {

using testing::RunCommand;

std::string Cli() { return ::facekit::testing::CliPath() + " --models " + testing::ModelsDir(); }

// An admin key of `data` as "SecretId:SecretKey".
std::string AdminKey(const std::string& data) {
  auto [rc, out] = RunCommand(Cli() + " keys create --data " + data + " --role admin --credential");
  EXPECT_EQ(rc, 0) << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Runs `command` until `done(output)` or 30 s have passed (another node's
// write arrives through the change log, within about one NOTIFY round trip);
// the last output.
std::string RunUntil(const std::string& command, const std::function<bool(const std::string&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string out;
  while (true) {
    out = RunCommand(command).second;
    if (done(out) || std::chrono::steady_clock::now() > deadline) return out;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string VerdictOf(const std::string& search_json) {
  const auto j = nlohmann::json::parse(search_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("verdict") || !j["verdict"].is_object()) return "";
  return j["verdict"].value("person_id", "");
}

TEST(SharedStore, TwoServeNodesOnOnePostgresDatabaseServeOneGallery) {
  testing::PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  testing::TempDir dir;
  const std::string store = "'" + pg.uri() + "'";
  const std::string bbt = testing::DataDir() + "/faces/bbt/";
  const std::string people = dir.file("people");
  for (const char* person : {"sheldon", "penny"}) {
    std::filesystem::create_directories(people + "/" + person);
    std::filesystem::create_symlink(bbt + person + "/" + person + "1.png",
                                    people + "/" + person + "/" + person + "1.png");
  }
  // Each node has its own folder (keys.db, index snapshots, the folder's lock).
  const std::string data_a = dir.file("a"), data_b = dir.file("b");
  const std::string key_a = AdminKey(data_a), key_b = AdminKey(data_b);
  testing::ServeProcess a(data_a, {"--store", pg.uri()});
  ASSERT_FALSE(a.port().empty());
  auto b = std::make_unique<testing::ServeProcess>(data_b, std::vector<std::string>{"--store", pg.uri()});
  ASSERT_FALSE(b->port().empty());
  const std::string on_a = " --server " + a.url() + " --key " + key_a;
  auto on_b = [&] { return " --server " + b->url() + " --key " + key_b; };

  // Enrolled through A, acknowledged after PostgreSQL's COMMIT ...
  auto [erc, enrolled] = RunCommand(Cli() + " gallery enroll" + on_a + " --group bbt " + people + " --json");
  ASSERT_EQ(erc, 0) << enrolled;
  EXPECT_NE(enrolled.find("\"enrolled\":2"), std::string::npos) << enrolled;
  // ... and found by a search on B.
  const std::string search_b = Cli() + " gallery search" + on_b() + " --group bbt " + bbt + "penny/penny2.png --json";
  std::string found = RunUntil(search_b, [](const std::string& out) { return VerdictOf(out) == "penny"; });
  EXPECT_EQ(VerdictOf(found), "penny") << found;

  // A write through B reaches A.
  auto [drc, deleted] = RunCommand(Cli() + " gallery delete" + on_b() + " --person sheldon 2>&1");
  ASSERT_EQ(drc, 0) << deleted;
  auto persons_on = [&](const std::string& on) {
    const std::string out = RunUntil(Cli() + " gallery list" + on + " --json", [](const std::string& o) {
      const auto j = nlohmann::json::parse(o, nullptr, false);
      return j.is_array() && j.size() == 1 && j[0].value("persons", -1) == 1;
    });
    const auto j = nlohmann::json::parse(out, nullptr, false);
    return j.is_array() && j.size() == 1 ? j[0].value("persons", -1) : -1;
  };
  EXPECT_EQ(persons_on(on_a), 1);

  // The gallery commands on the database itself: no folder, no server.
  auto [lrc, listed] = RunCommand(Cli() + " gallery list --store " + store + " --json");
  ASSERT_EQ(lrc, 0) << listed;
  const auto groups = nlohmann::json::parse(listed, nullptr, false);
  ASSERT_TRUE(groups.is_array() && groups.size() == 1u) << listed;
  EXPECT_EQ(groups[0]["group_id"], "bbt");
  EXPECT_EQ(groups[0]["persons"], 1);
  auto [crc, created] = RunCommand(Cli() + " gallery create-group --store " + store + " --group later 2>&1");
  EXPECT_EQ(crc, 0) << created;
  const std::string on_a_list = Cli() + " gallery list" + on_a + " --json";
  const std::string both = RunUntil(on_a_list, [](const std::string& o) {
    const auto j = nlohmann::json::parse(o, nullptr, false);
    return j.is_array() && j.size() == 2;
  });
  EXPECT_EQ(nlohmann::json::parse(both, nullptr, false).size(), 2u) << both;
  auto [brc, both_given] = RunCommand(Cli() + " gallery list --store " + store + " --data " + data_a + " 2>&1");
  EXPECT_EQ(brc, 1) << both_given;
  EXPECT_NE(both_given.find("not both"), std::string::npos) << both_given;
  auto [urc, not_pg] = RunCommand(Cli() + " gallery list --store sqlite:x.db 2>&1");
  EXPECT_EQ(urc, 1) << not_pg;
  EXPECT_NE(not_pg.find("PostgreSQL URI"), std::string::npos) << not_pg;

  // B killed and started again: the gallery comes from the database, at once.
  b->Stop(SIGKILL);
  b = std::make_unique<testing::ServeProcess>(data_b, std::vector<std::string>{"--store", pg.uri()});
  ASSERT_FALSE(b->port().empty());
  auto [src, again] =
      RunCommand(Cli() + " gallery search" + on_b() + " --group bbt " + bbt + "penny/penny2.png --json");
  EXPECT_EQ(src, 0) << again;
  EXPECT_EQ(VerdictOf(again), "penny") << again;
}

// Read-your-writes (docs/scale-out.md): every answer says the change-log
// position it reflects (X-FaceKit-Seq); a request carrying a write's position
// (X-FaceKit-Min-Seq) to the other node is answered with the write applied.
// (That the position is reached without the follower is
// PostgresStore.AWritesPositionIsReachedOnAnotherGalleryWithoutItsFollower.)
TEST(SharedStore, AWritesPositionMakesTheOtherNodeAnswerWithTheWrite) {
  testing::PgTestCluster pg;
  START_PG_OR_SKIP(pg);
  testing::TempDir dir;
  const std::string data_a = dir.file("a"), data_b = dir.file("b");
  const std::string key_a = AdminKey(data_a), key_b = AdminKey(data_b);
  testing::ServeProcess a(data_a, {"--store", pg.uri()});
  testing::ServeProcess b(data_b, {"--store", pg.uri()});
  ASSERT_FALSE(a.port().empty());
  ASSERT_FALSE(b.port().empty());
  struct Reply {
    testing::HttpAnswer http;
    nlohmann::json response;
    std::string code;
    std::int64_t seq = -1;  // X-FaceKit-Seq; -1 when absent
  };
  auto cloud = [](testing::ServeProcess& node, const std::string& key, const std::string& action,
                  const nlohmann::json& params, const std::string& min_seq = "") {
    const std::size_t colon = key.find(':');
    const std::string authority = "127.0.0.1:" + node.port();
    std::string raw = testing::SignedCloudHttp(authority, action, params, key.substr(0, colon), key.substr(colon + 1));
    if (!min_seq.empty()) raw.insert(raw.find("\r\n") + 2, "X-FaceKit-Min-Seq: " + min_seq + "\r\n");
    Reply r;
    r.http = testing::HttpExchange(static_cast<std::uint16_t>(std::stoi(node.port())), raw);
    const auto j = r.http.Json();
    if (j.is_object() && j.contains("Response")) r.response = j["Response"];
    if (r.response.contains("Error")) r.code = r.response["Error"].value("Code", "");
    const std::string seq = r.http.Header("x-facekit-seq");
    if (!seq.empty()) r.seq = std::stoll(seq);
    return r;
  };
  const Reply group = cloud(a, key_a, "CreateGroup", {{"GroupId", "bbt"}, {"GroupName", "bbt"}});
  ASSERT_EQ(group.code, "") << group.http.body;
  EXPECT_GT(group.seq, 0) << group.http.head;
  const std::string bbt = testing::DataDir() + "/faces/bbt/";
  auto photo = [&](const std::string& person, int n) {
    auto bytes = ReadFileBytes(bbt + person + "/" + person + std::to_string(n) + ".png");
    EXPECT_TRUE(bytes.ok()) << person << n;
    return bytes.ok() ? Base64Encode(*bytes) : std::string();
  };
  std::int64_t last = group.seq;
  for (const char* person : {"penny", "sheldon", "leonard"}) {
    const Reply created = cloud(a, key_a, "CreatePerson",
                                {{"GroupId", "bbt"}, {"PersonId", person}, {"PersonName", person},
                                 {"Image", photo(person, 1)}});
    ASSERT_EQ(created.code, "") << created.http.body;
    EXPECT_GT(created.seq, last) << "a write moves the position";
    last = created.seq;
    const std::string min_seq = std::to_string(created.seq);
    // At once on B, with the position: the person and the search.
    const Reply info = cloud(b, key_b, "GetPersonBaseInfo", {{"PersonId", person}}, min_seq);
    EXPECT_EQ(info.code, "") << info.http.body;
    EXPECT_EQ(info.response.value("PersonName", ""), person) << info.http.body;
    EXPECT_GE(info.seq, created.seq);
    const Reply found = cloud(b, key_b, "SearchFaces", {{"GroupIds", {"bbt"}}, {"Image", photo(person, 2)}}, min_seq);
    ASSERT_EQ(found.code, "") << found.http.body;
    ASSERT_TRUE(found.response.contains("Results") && !found.response["Results"].empty()) << found.http.body;
    const auto& candidates = found.response["Results"][0]["Candidates"];
    ASSERT_FALSE(candidates.empty()) << found.http.body;
    EXPECT_EQ(candidates[0].value("PersonId", ""), person) << found.http.body;
  }
  // A position no answer gave, and one that is not a number: refused, said why.
  const Reply past = cloud(b, key_b, "GetPersonBaseInfo", {{"PersonId", "penny"}}, std::to_string(last + 100000));
  EXPECT_EQ(past.code, "InvalidParameterValue") << past.http.body;
  EXPECT_NE(past.http.body.find("past the change log"), std::string::npos) << past.http.body;
  const Reply junk = cloud(b, key_b, "GetPersonBaseInfo", {{"PersonId", "penny"}}, "12a");
  EXPECT_EQ(junk.code, "InvalidParameterValue") << junk.http.body;
  EXPECT_NE(junk.http.body.find("X-FaceKit-Min-Seq"), std::string::npos) << junk.http.body;
  // REST carries both headers too (Bearer from loopback).
  auto rest = [&](const std::string& min_seq) {
    std::string raw = "GET /v1/persons/penny HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key_b +
                      "\r\nConnection: close\r\n";
    if (!min_seq.empty()) raw += "X-FaceKit-Min-Seq: " + min_seq + "\r\n";
    return testing::HttpExchange(static_cast<std::uint16_t>(std::stoi(b.port())), raw + "\r\n");
  };
  const testing::HttpAnswer got = rest(std::to_string(last));
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_GE(std::stoll("0" + got.Header("x-facekit-seq")), last) << got.head;
  const testing::HttpAnswer refused = rest(std::to_string(last + 100000));
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("InvalidParameterValue"), std::string::npos) << refused.body;

  // The CLI's client keeps the highest position it was given and sends it;
  // a position set from another client's write is sent too.
  auto client_a = cli::ApiClient::Create({a.url(), key_a});
  auto client_b = cli::ApiClient::Create({b.url(), key_b});
  ASSERT_TRUE(client_a.ok() && client_b.ok());
  auto amy = (*client_a)->CallCloud("CreatePerson", {{"GroupId", "bbt"}, {"PersonId", "amy"}, {"PersonName", "amy"},
                                                      {"Image", photo("amy", 1)}});
  ASSERT_TRUE(amy.ok()) << amy.error().message;
  EXPECT_GT((*client_a)->position(), last);
  (*client_b)->set_min_position((*client_a)->position());
  auto seen = (*client_b)->CallCloud("GetPersonBaseInfo", {{"PersonId", "amy"}});
  EXPECT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_GE((*client_b)->position(), (*client_a)->position());
  (*client_b)->set_min_position((*client_a)->position() + 100000);
  auto past_client = (*client_b)->CallCloud("GetPersonBaseInfo", {{"PersonId", "amy"}});
  ASSERT_FALSE(past_client.ok());
  EXPECT_EQ(past_client.error().code, "InvalidParameterValue") << past_client.error().message;

  // The gallery commands through a node: a write prints its position, and
  // --min-seq sends it (a past one is refused, and it needs --server).
  auto [wrc, wrote] = RunCommand(Cli() + " gallery create-group --server " + a.url() + " --key " + key_a +
                                 " --group late 2>&1");
  ASSERT_EQ(wrc, 0) << wrote;
  const std::string marker = "change-log position ";
  const std::size_t at = wrote.find(marker);
  ASSERT_NE(at, std::string::npos) << wrote;
  const std::int64_t printed = std::stoll(wrote.substr(at + marker.size()));
  EXPECT_GT(printed, (*client_a)->position()) << wrote;
  auto [lrc, listed] = RunCommand(Cli() + " gallery list --server " + b.url() + " --key " + key_b + " --min-seq " +
                                  std::to_string(printed) + " 2>&1");
  EXPECT_EQ(lrc, 0) << listed;
  EXPECT_NE(listed.find("late"), std::string::npos) << "the group made through A, listed by B at once: " << listed;
  auto [prc, refused_cli] = RunCommand(Cli() + " gallery list --server " + b.url() + " --key " + key_b +
                                       " --min-seq " + std::to_string(printed + 100000) + " 2>&1");
  EXPECT_NE(prc, 0) << refused_cli;
  EXPECT_NE(refused_cli.find("InvalidParameterValue"), std::string::npos) << refused_cli;
  auto [drc, local] = RunCommand(Cli() + " gallery list --data " + data_b + " --min-seq 5 2>&1");
  EXPECT_NE(drc, 0) << local;
  EXPECT_NE(local.find("--min-seq is for --server"), std::string::npos) << local;
}

}  // namespace
}  // namespace facekit
