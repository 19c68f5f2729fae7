// Writes small vector index snapshots (flat, HNSW, IVF; format versions 1
// and the current one; fp32 rows, and fp16 rows in the current one) into the folder given as the argument: the seed corpus of
// snapshot_fuzz (scripts/fuzz_corpus.sh). Fixed seed, so the files are the
// same on every run.
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gallery/vector_index.h"

int main(int argc, char** argv) {
  using namespace facekit::gallery;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s FOLDER\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::mt19937 rng(18);
  std::normal_distribution<float> normal;
  const int dim = 8;
  struct Kind {
    IndexKind kind;
    const char* name;
  };
  for (const Kind k : {Kind{IndexKind::kFlat, "flat"}, Kind{IndexKind::kHnsw, "hnsw"}, Kind{IndexKind::kIvf, "ivf"}}) {
    for (const int rows : {0, 3, 24, -24}) {  // -24: 24 rows kept as fp16
      IndexOptions options;
      options.kind = k.kind;
      if (rows < 0) options.rows = RowFormat::kF16;
      options.hnsw_m = 4;
      options.ivf_nlist = 2;
      VectorIndex index(dim, options);
      for (int r = 0; r < std::abs(rows); ++r) {
        std::vector<float> v(dim);
        for (float& x : v) x = normal(rng);
        if (!index.Add(r + 1, v, static_cast<std::uint64_t>(r)).ok()) return 1;
      }
      if (k.kind == IndexKind::kHnsw && std::abs(rows) > 1) index.Remove(2);
      for (const std::uint32_t version : {1u, VectorIndex::kSnapshotVersion}) {
        if (rows < 0 && version < 3) continue;  // fp16 rows need format 3
        const std::string path = dir + "/" + k.name + "-" + std::to_string(rows) + "-v" + std::to_string(version);
        if (const auto s = index.Save(path, 42, version); !s.ok()) {
          std::fprintf(stderr, "%s: %s\n", path.c_str(), s.message().c_str());
          return 1;
        }
      }
    }
  }
  return 0;
}
