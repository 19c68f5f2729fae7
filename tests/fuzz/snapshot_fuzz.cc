// Vector index snapshot files (src/gallery/vector_index_snapshot.cc): Load
// on arbitrary bytes, then the loaded index used the way the gallery uses it
// (search, exact search, entries, add, remove), so a file that loads can
// never make a later call read out of bounds.
//
// The fuzz build defines FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, under
// which Load does not insist on the trailing checksum (the fuzzer could
// never forge it); everything else is checked as in production. The bytes
// reach Load through a memfd, without touching the disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input.h"
#include "gallery/vector_index.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::gallery;
  static const int fd = memfd_create("facekit-snapshot-fuzz", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (fd < 0 || ftruncate(fd, 0) != 0) return 0;
  if (size > 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  IndexOptions options;
  // Either row format: a file's rows are converted on load when the options
  // ask for the other one (the length's parity picks, so any file gets both).
  options.rows = size % 2 == 1 ? RowFormat::kF16 : RowFormat::kF32;
  auto loaded = VectorIndex::Load(path, options);
  if (!loaded.ok()) return 0;
  VectorIndex& index = *loaded->index;
  const auto dim = static_cast<std::size_t>(index.dim());
  std::vector<float> query(dim, 0.f);
  query[0] = 1.f;
  for (const Hit& h : index.Search(query.data(), 5)) {
    if (!index.Contains(h.key)) facekit::fuzz::Fail();
  }
  (void)index.SearchExact(query.data(), 5);
  const auto entries = index.Entries();
  if (entries.size() != index.size()) facekit::fuzz::Fail();
  if (index.Add(-7, query).ok()) {
    (void)index.Search(query.data(), 3);
    if (!index.Remove(-7)) facekit::fuzz::Fail();
  }
  return 0;
}
