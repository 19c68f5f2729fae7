#include "server/static_site.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace facekit::server {

namespace {

// Same origin only: the console's own scripts, styles and API calls; images
// and camera frames the page makes itself (blob:, data:).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// FNV-1a, 64 bits: a stable tag of the file's bytes (not a security property).
std::string ETagOf(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char text[40];
  std::snprintf(text, sizeof(text), "\"%016llx-%zx\"", static_cast<unsigned long long>(h), bytes.size());
  return text;
}

// A name that may be looked up: plain segments of [A-Za-z0-9._-] joined by
// '/', none empty, "." or "..". Everything else (escapes, backslashes,
// traversal) is refused without a lookup.
bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view segment = name.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (const char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

// "Sat, 05 Dec 2026 00:45:00 GMT" (RFC 9110 IMF-fixdate): the console reads
// the server's clock from it, to sign requests within the allowed skew even
// when the browser's clock is off.
std::string HttpDate() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, n);
}

HttpResponse Plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

StaticSite::StaticSite(std::string prefix, std::span<const StaticFile> files) : prefix_(std::move(prefix)) {
  for (const StaticFile& f : files) files_.emplace(f.name, Entry{f.bytes, ETagOf(f.bytes)});
}

bool StaticSite::Matches(std::string_view path) const {
  return path == prefix_ || (path.starts_with(prefix_) && path.substr(prefix_.size()).starts_with('/'));
}

std::string_view StaticSite::ContentTypeFor(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (name.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

HttpResponse StaticSite::Handle(const HttpRequest& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    HttpResponse r = Plain(405, req.method + " is not served for " + prefix_ + "/ (allowed: GET, HEAD)\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const std::string_view path = req.Path();
  if (path == prefix_) {
    HttpResponse r = Plain(301, "moved to " + prefix_ + "/\n");
    const std::string_view query = req.Query();
    r.headers.emplace_back("Location", prefix_ + "/" + (query.empty() ? "" : "?" + std::string(query)));
    return r;
  }
  std::string_view name = path.substr(prefix_.size() + 1);
  if (name.empty()) name = "index.html";
  const auto it = IsPlainName(name) ? files_.find(name) : files_.end();
  if (it == files_.end()) return Plain(404, "no such file: " + std::string(path) + "\n");

  HttpResponse r;
  r.content_type = std::string(ContentTypeFor(name));
  r.headers = {
      {"ETag", it->second.etag},
      {"Date", HttpDate()},
      {"Cache-Control", "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  };
  if (req.Header("if-none-match") == it->second.etag) {
    r.status = 304;
    return r;
  }
  if (req.method == "GET") r.body = std::string(it->second.bytes);
  return r;
}

}  // namespace facekit::server
