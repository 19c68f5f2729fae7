// pg_util.h - small libpq helpers of the PostgreSQL store: statement
// parameters (text or bytea) and an owning result with typed getters.
// Internal to src/store (postgres_store.cc).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace facekit::store::pg {

// libpq's messages end with a newline.
inline std::string Trimmed(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// One statement parameter: text, or raw bytes (bytea).
struct Param {
  std::string value;
  bool binary = false;
};
inline Param P(const std::string& s) { return {s, false}; }
inline Param P(std::int64_t v) { return {std::to_string(v), false}; }
inline Param P(int v) { return {std::to_string(v), false}; }
inline Param P(float v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return {buf, false};
}
inline Param Bytes(const void* data, std::size_t n) { return {std::string(static_cast<const char*>(data), n), true}; }

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  ~PgResult() { PQclear(r_); }
  const PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  std::string Text(int row, int col) const { return PQgetvalue(r_, row, col); }
  std::int64_t Int(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
  double Double(int row, int col) const { return std::strtod(PQgetvalue(r_, row, col), nullptr); }
  std::int64_t Affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }
  // A bytea column in text form ("\x" + hex).
  bool Hex(int row, int col, std::string* out) const {
    const char* v = PQgetvalue(r_, row, col);
    const std::size_t n = std::strlen(v);
    if (n < 2 || v[0] != '\\' || v[1] != 'x' || (n - 2) % 2 != 0) return false;
    out->resize((n - 2) / 2);
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < out->size(); ++i) {
      const int hi = nibble(v[2 + 2 * i]), lo = nibble(v[3 + 2 * i]);
      if (hi < 0 || lo < 0) return false;
      (*out)[i] = static_cast<char>(hi * 16 + lo);
    }
    return true;
  }

 private:
  PGresult* r_;
};

}  // namespace facekit::store::pg
