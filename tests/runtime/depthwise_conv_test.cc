#include "runtime/depthwise_conv.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace facekit::runtime {
namespace {

// The definition, written as plainly as possible.
std::vector<float> Naive(const DepthwiseParams& p, const std::vector<float>& in, const std::vector<float>& w,
                         const std::vector<float>& b) {
  std::vector<float> out(static_cast<size_t>(p.channels * p.out_h() * p.out_w()));
  for (int c = 0; c < p.channels; ++c)
    for (int oy = 0; oy < p.out_h(); ++oy)
      for (int ox = 0; ox < p.out_w(); ++ox) {
        double acc = b[static_cast<size_t>(c)];
        for (int ky = 0; ky < p.kernel_h; ++ky)
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            int iy = oy * p.stride_h - p.pad_top + ky * p.dilation_h;
            int ix = ox * p.stride_w - p.pad_left + kx * p.dilation_w;
            if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
            acc += double{in[static_cast<size_t>((c * p.in_h + iy) * p.in_w + ix)]} *
                   w[static_cast<size_t>((c * p.kernel_h + ky) * p.kernel_w + kx)];
          }
        out[static_cast<size_t>((c * p.out_h() + oy) * p.out_w() + ox)] = static_cast<float>(acc);
      }
  return out;
}

TEST(DepthwiseConv, MatchesNaiveLoopOnManyGeometries) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  int cases = 0;
  for (int k : {1, 3, 5, 7})
    for (int stride : {1, 2, 3})
      for (int dil : {1, 2})
        for (int pad_kind = 0; pad_kind < 4; ++pad_kind) {
          DepthwiseParams p;
          p.channels = 5;
          p.in_h = 13;
          p.in_w = 10;
          p.kernel_h = k;
          p.kernel_w = k == 1 ? 1 : k - 2 + (k % 2 == 0);  // non-square kernels too
          p.stride_h = stride;
          p.stride_w = stride == 3 ? 1 : stride;
          p.dilation_h = p.dilation_w = dil;
          if (pad_kind == 1) p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = k / 2;
          if (pad_kind == 2) {  // TF "SAME" style: extra padding at the end
            p.pad_bottom = p.pad_right = 2;
            p.pad_top = 1;
          }
          if (pad_kind == 3) {  // wide padding: several border columns
            p.pad_left = p.pad_top = 4;
            p.pad_right = 3;
          }
          if (p.out_h() <= 0 || p.out_w() <= 0) continue;
          std::vector<float> in(static_cast<size_t>(p.channels * p.in_h * p.in_w));
          std::vector<float> w(static_cast<size_t>(p.channels * p.kernel_h * p.kernel_w)), b(static_cast<size_t>(p.channels));
          for (float& v : in) v = u(rng);
          for (float& v : w) v = u(rng);
          for (float& v : b) v = u(rng);
          std::vector<float> want = Naive(p, in, w, b);
          std::vector<float> got(want.size(), 123.f);
          // Two channel ranges, as the parallel loop splits them.
          DepthwiseConv2D(p, in.data(), w.data(), b.data(), got.data(), 0, 2);
          DepthwiseConv2D(p, in.data(), w.data(), b.data(), got.data(), 2, p.channels);
          for (size_t i = 0; i < want.size(); ++i) {
            ASSERT_NEAR(got[i], want[i], 1e-5f) << "k=" << k << " stride=" << stride << " dil=" << dil << " pad=" << pad_kind;
          }
          ++cases;
        }
  EXPECT_GT(cases, 50);
}

TEST(DepthwiseConv, NullBiasIsZero) {
  DepthwiseParams p;
  p.channels = 1;
  p.in_h = p.in_w = 4;
  std::vector<float> in(16, 1.f), w(9, 1.f), out(4);
  DepthwiseConv2D(p, in.data(), w.data(), nullptr, out.data(), 0, 1);
  for (float v : out) EXPECT_FLOAT_EQ(v, 9.f);
}

}  // namespace
}  // namespace facekit::runtime
