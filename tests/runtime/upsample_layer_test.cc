// The 2x upsampling kernel against a plain TF legacy ResizeBilinear loop.
#include "runtime/upsample_layer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace facekit::runtime {
namespace {

// TensorFlow ResizeBilinear, align_corners = half_pixel_centers = false.
std::vector<float> Reference(const std::vector<float>& in, int h, int w, int oh, int ow) {
  std::vector<float> out(static_cast<size_t>(oh * ow));
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      double fy = y * static_cast<double>(h) / oh, fx = x * static_cast<double>(w) / ow;
      int y0 = static_cast<int>(fy), x0 = static_cast<int>(fx);
      int y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
      double dy = fy - y0, dx = fx - x0;
      auto at = [&](int yy, int xx) { return double{in[static_cast<size_t>(yy * w + xx)]}; };
      double top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * dx;
      double bot = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * dx;
      out[static_cast<size_t>(y * ow + x)] = static_cast<float>(top + (bot - top) * dy);
    }
  return out;
}

TEST(Upsample2x, MatchesTensorFlowResizeBilinear) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-3.f, 3.f);
  for (auto [h, w] : {std::pair{1, 1}, {1, 5}, {4, 1}, {3, 4}, {12, 16}, {7, 9}}) {
    std::vector<float> in(static_cast<size_t>(h * w));
    for (float& v : in) v = u(rng);
    std::vector<float> out(static_cast<size_t>(4 * h * w));
    Upsample2x(in.data(), h, w, out.data());
    std::vector<float> ref = Reference(in, h, w, 2 * h, 2 * w);
    float worst = 0;
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(out[i] - ref[i]));
    EXPECT_LT(worst, 1e-6f) << h << "x" << w;
  }
}

}  // namespace
}  // namespace facekit::runtime
