// Static files (the web console, web/console/) served from memory under one
// URL prefix, e.g. "/console/".
//
// WHAT THIS REPRESENTS
//   A fixed table of files, each a relative name ("index.html",
//   "pages/groups.js") and its bytes, compiled into the binary at build time
//   (cmake/embed_dir.cmake), so an installed `facekit` needs no path to them.
//   Handle() answers:
//     - GET/HEAD PREFIX        -> 301 to PREFIX/ (the query kept);
//     - GET/HEAD PREFIX/       -> index.html;
//     - GET/HEAD PREFIX/NAME   -> the file NAME, with the Content-Type of its
//       extension, a strong ETag (If-None-Match -> 304), "Cache-Control:
//       no-cache" (browsers revalidate, so a new binary's files are seen at
//       once), a Date (the server's clock, which the console signs with) and
//       security headers (nosniff, a same-origin CSP, no framing, no
//       referrer);
//     - a name that is not in the table -> 404. Names are looked up as sent,
//       never decoded or joined to a folder, and a name with "%", "\",
//       empty, "." or ".." segments is refused (404) before the lookup, so
//       nothing outside the table can be reached;
//     - other methods -> 405 with Allow.
//
// THREAD SAFETY
//   Immutable after construction; Handle() may be called concurrently.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/http_server.h"

namespace facekit::server {

/// One embedded file: its name relative to the site's root and its bytes.
struct StaticFile {
  std::string_view name;
  std::string_view bytes;
};

class StaticSite {
 public:
  /// `prefix` without a trailing slash, e.g. "/console". `files` must outlive the site.
  StaticSite(std::string prefix, std::span<const StaticFile> files);

  /// True for PREFIX itself and every path under PREFIX/.
  bool Matches(std::string_view path) const;
  HttpResponse Handle(const HttpRequest& request) const;

  /// The Content-Type sent for a file name, by its extension ("application/octet-stream" if unknown).
  static std::string_view ContentTypeFor(std::string_view name);

 private:
  struct Entry {
    std::string_view bytes;
    std::string etag;  // quoted
  };
  std::string prefix_;
  std::unordered_map<std::string_view, Entry> files_;
};

}  // namespace facekit::server
