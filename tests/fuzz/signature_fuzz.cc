// Signature decoding (src/server/tc3_signature.cc, v1_signature.cc): the TC3
// Authorization header parser, host/port splitting, the UTC date of any
// timestamp, and both verifiers on arbitrary headers and parameters.
//
// Input: newline-separated fields
//   authorization, content-type, host, x-tc-timestamp, x-tc-content-sha256,
//   method, path, query (also the V1 parameters), body (the rest).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "fuzz_input.h"
#include "server/http_rule.h"
#include "server/tc3_signature.h"
#include "server/v1_signature.h"

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

std::optional<std::string> Lookup(std::string_view id) {
  if (id == "AKIDfuzz") return std::string("fuzz-secret");
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::server;
  if (size >= 8) {
    std::int64_t t;
    std::memcpy(&t, data, sizeof(t));
    if (Tc3Date(t).size() < 10) facekit::fuzz::Fail();  // yyyy-mm-dd at least
  }
  const auto f = facekit::fuzz::Split(facekit::fuzz::AsText(data, size), "\n", 9);
  auto field = [&](std::size_t i) { return i < f.size() ? std::string(f[i]) : std::string(); };

  if (auto cred = ParseTc3Authorization(f[0])) {
    if (cred->signature.size() != 64 || cred->date.size() != 10 || cred->secret_id.empty()) facekit::fuzz::Fail();
  }
  const std::string host = field(2);
  if (Tc3HostWithoutPort(host).size() > host.size()) facekit::fuzz::Fail();

  Tc3Headers h{field(0), field(1), host, field(3), field(4)};
  Tc3RequestLine line{field(5), field(6), field(7)};
  Tc3Verifier::Options options;
  options.reject_replays = true;
  Tc3Verifier tc3(Lookup, [] { return kNow; }, options);
  const Tc3Outcome first = tc3.Verify(h, field(8), line);
  if (!first.ok() && first.error_code.rfind("AuthFailure", 0) != 0) facekit::fuzz::Fail();
  (void)tc3.VerifyDigest(h, field(4), line);

  (void)ParseV1SignatureMethod(field(4));
  if (auto params = ParseQuery(field(7))) {
    V1Request v1;
    v1.method = field(5);
    v1.host = host;
    v1.path = field(6);
    v1.params = std::move(*params);
    V1Verifier verifier(Lookup, [] { return kNow; }, {});
    (void)verifier.Verify(v1);
  }
  return 0;
}
