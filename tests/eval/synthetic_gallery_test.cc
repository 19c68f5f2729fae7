#include "eval/synthetic_gallery.h"

#include <gtest/gtest.h>

namespace facekit::eval {
namespace {

// A gallery made a chunk at a time (bench cluster's load) is the same gallery,
// whatever the chunks' boundaries (mid-identity ones included).
TEST(SyntheticGallery, FacesRangeIsASliceOfFaces) {
  SyntheticOptions so;
  so.dim = 24;
  SyntheticGallery whole_gen(so), chunk_gen(so);
  const std::vector<float> whole = whole_gen.Faces(100);
  std::vector<float> chunks;
  for (std::size_t at = 0, n = 1; at < 100; at += n, n = n % 7 + 1) {
    const std::vector<float> part = chunk_gen.FacesRange(at, std::min<std::size_t>(n, 100 - at));
    chunks.insert(chunks.end(), part.begin(), part.end());
  }
  EXPECT_EQ(chunks, whole);
  // Another seed gives another gallery.
  so.seed = 43;
  SyntheticGallery other(so);
  EXPECT_NE(other.FacesRange(0, 10), std::vector<float>(whole.begin(), whole.begin() + 240));
}

}  // namespace
}  // namespace facekit::eval
