// The web console's static route: StaticSite on its own (content types,
// ETag/304, 404, traversal refused, redirect, methods), then the real server
// answering /console/ with the files embedded from web/console/.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloud_test_util.h"
#include "http_test_client.h"
#include "server/console_files.h"
#include "server/server.h"
#include "server/static_site.h"

namespace facekit::server {
namespace {

constexpr StaticFile kFiles[] = {
    {"index.html", "<!doctype html><title>t</title>"},
    {"app.css", "body{}"},
    {"js/app.js", "export const a = 1;"},
    {"logo.svg", "<svg/>"},
    {"data.bin", "\x01\x02"},
};

HttpRequest Request(std::string method, std::string target) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  return r;
}

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(StaticSite, ServesEachFileWithItsContentType) {
  const StaticSite site("/console", kFiles);
  const std::pair<std::string, std::string> cases[] = {
      {"/console/", "text/html; charset=utf-8"},       {"/console/index.html", "text/html; charset=utf-8"},
      {"/console/app.css", "text/css; charset=utf-8"}, {"/console/js/app.js", "text/javascript; charset=utf-8"},
      {"/console/logo.svg", "image/svg+xml"},          {"/console/data.bin", "application/octet-stream"},
  };
  for (const auto& [target, type] : cases) {
    const HttpResponse r = site.Handle(Request("GET", target));
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.content_type, type) << target;
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache") << target;
    EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff") << target;
    EXPECT_NE(HeaderOf(r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos) << target;
    EXPECT_FALSE(HeaderOf(r, "ETag").empty()) << target;
    // IMF-fixdate, e.g. "Sat, 05 Dec 2026 00:45:00 GMT".
    const std::string date = HeaderOf(r, "Date");
    std::tm parsed{};
    const char* end = strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
    EXPECT_TRUE(end != nullptr && *end == '\0' && date.size() == 29) << target << ": " << date;
  }
  EXPECT_EQ(site.Handle(Request("GET", "/console/js/app.js")).body, "export const a = 1;");
  EXPECT_EQ(site.Handle(Request("GET", "/console/?x=1")).body, "<!doctype html><title>t</title>");
  // HEAD: the same headers, no body.
  const HttpResponse head = site.Handle(Request("HEAD", "/console/app.css"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "text/css; charset=utf-8");
  EXPECT_TRUE(head.body.empty());
}

TEST(StaticSite, RevalidationAnswers304WhileTheFileIsUnchanged) {
  const StaticSite site("/console", kFiles);
  const std::string etag = HeaderOf(site.Handle(Request("GET", "/console/app.css")), "ETag");
  HttpRequest again = Request("GET", "/console/app.css");
  again.headers.emplace_back("if-none-match", etag);
  const HttpResponse r = site.Handle(again);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  // Another file's tag does not match.
  HttpRequest other = Request("GET", "/console/js/app.js");
  other.headers.emplace_back("if-none-match", etag);
  EXPECT_EQ(site.Handle(other).status, 200);
}

TEST(StaticSite, RedirectsThePrefixToItsFolder) {
  const StaticSite site("/console", kFiles);
  HttpResponse r = site.Handle(Request("GET", "/console"));
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(HeaderOf(r, "Location"), "/console/");
  r = site.Handle(Request("GET", "/console?lang=en"));
  EXPECT_EQ(HeaderOf(r, "Location"), "/console/?lang=en");
  EXPECT_TRUE(site.Matches("/console"));
  EXPECT_TRUE(site.Matches("/console/x"));
  EXPECT_FALSE(site.Matches("/consoles"));
  EXPECT_FALSE(site.Matches("/v1/console"));
}

TEST(StaticSite, UnknownNamesAndTraversalAre404) {
  const StaticSite site("/console", kFiles);
  for (const std::string target :
       {"/console/nope.js", "/console/js/", "/console/js", "/console/../v1/groups", "/console/js/../app.css",
        "/console/./app.css", "/console//app.css", "/console/%2e%2e/metrics", "/console/js%2fapp.js",
        "/console/..%2f..%2fetc%2fpasswd", "/console/js\\app.js", "/console/app.css/", "/console/APP.CSS"}) {
    const HttpResponse r = site.Handle(Request("GET", target));
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8") << target;
  }
}

TEST(StaticSite, OtherMethodsAre405) {
  const StaticSite site("/console", kFiles);
  for (const std::string method : {"POST", "PUT", "DELETE", "PATCH"}) {
    const HttpResponse r = site.Handle(Request(method, "/console/index.html"));
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(HeaderOf(r, "Allow"), "GET, HEAD");
  }
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The build embeds every file of web/console/, byte for byte.
TEST(ConsoleFiles, AreTheFilesOfWebConsole) {
  const std::filesystem::path root = testing::SourceDir() + "/web/console";
  std::size_t on_disk = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) ++on_disk;
  }
  EXPECT_EQ(ConsoleFiles().size(), on_disk);
  bool has_index = false;
  for (const StaticFile& f : ConsoleFiles()) {
    EXPECT_EQ(f.bytes, ReadFile(root / f.name)) << f.name;
    has_index = has_index || f.name == "index.html";
  }
  EXPECT_TRUE(has_index);
}

std::string HeadOf(const testing::HttpAnswer& a, std::string_view lower_name) {
  std::istringstream lines(a.head);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != lower_name) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
    return value;
  }
  return "";
}

TEST(ConsoleRoute, TheServerAnswersTheConsoleBesideTheApi) {
  testing::TempDir dir;
  auto svc = service::OpenFaceService(dir.path(), testing::SharedEngine());
  ASSERT_TRUE(svc.ok());
  testing::MemoryKeys keys;
  ServerOptions o;
  o.http.port = 0;
  auto s = Server::Start(o, *svc.value(), keys, {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::uint16_t port = s.value()->port();
  auto get = [port](const std::string& target, const std::string& extra = "") {
    return testing::HttpExchange(port,
                                 "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "Connection: close\r\n\r\n");
  };

  testing::HttpAnswer a = get("/console");
  EXPECT_EQ(a.status, 301);
  EXPECT_EQ(HeadOf(a, "location"), "/console/");

  a = get("/console/");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(HeadOf(a, "content-type"), "text/html; charset=utf-8");
  EXPECT_NE(a.body.find("<title>FaceKit console</title>"), std::string::npos);
  const std::string etag = HeadOf(a, "etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(get("/console/", "If-None-Match: " + etag + "\r\n").status, 304);

  a = get("/console/js/app.js");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(HeadOf(a, "content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/console/console.css").status, 200);
  EXPECT_EQ(get("/console/no-such-page.html").status, 404);
  // Raw targets that a browser would normalise: still nothing outside the console.
  EXPECT_EQ(get("/console/../metrics").status, 404);
  EXPECT_EQ(get("/console/%2e%2e/metrics").status, 404);
  EXPECT_EQ(get("/console/js/../../v1/openapi.json").status, 404);
  const testing::HttpAnswer post = testing::HttpExchange(
      port, "POST /console/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(post.status, 405);
  // The API beside it is unchanged: REST still needs a key.
  EXPECT_EQ(get("/v1/groups").status, 401);
  EXPECT_EQ(get("/consoles").status, 404);
}

}  // namespace
}  // namespace facekit::server
