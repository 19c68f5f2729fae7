#include "antispoof/texture_cues.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace facekit::antispoof {
namespace {

constexpr int kMinSide = 24;
constexpr int kMaxMoireSide = 256;
constexpr double kMinFrequency = 0.06;  // cycles per pixel
constexpr int kGlareLevel = 235;
constexpr double kMinColourSaturation = 20;  // mean HSV saturation (0-255) below which colour is not judged

cv::Rect Clip(const cv::Rect2f& r, const cv::Mat& m) {
  const cv::Rect rounded(
      cv::Point(static_cast<int>(std::lround(r.x)), static_cast<int>(std::lround(r.y))),
      cv::Point(static_cast<int>(std::lround(r.x + r.width)), static_cast<int>(std::lround(r.y + r.height))));
  return rounded & cv::Rect(0, 0, m.cols, m.rows);
}

cv::Rect2f Scaled(const cv::Rect2f& r, float factor) {
  const float w = r.width * factor, h = r.height * factor;
  return {r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h};
}

// True when `bin` (a signed DFT index of an n-point transform) lies within
// one bin of a JPEG block frequency k/8.
bool NearBlockFrequency(int bin, int n) {
  const double f = static_cast<double>(bin) * 8 / n;
  return std::fabs(f - std::round(f)) * n / 8 <= 1.0;
}

// Percentile `p` (0-1) of an 8-bit histogram with `total` counts.
int Percentile(const std::array<int, 256>& hist, int total, double p) {
  const double wanted = p * total;
  double seen = 0;
  for (int v = 0; v < 256; ++v) {
    seen += hist[static_cast<std::size_t>(v)];
    if (seen >= wanted) return v;
  }
  return 255;
}

}  // namespace

float MoirePeak(const cv::Mat& grey_in) {
  int n = std::min(grey_in.rows, grey_in.cols);
  if (n < kMinSide) return 0;
  n = std::min(n, kMaxMoireSide);
  cv::Mat patch;
  grey_in(cv::Rect((grey_in.cols - n) / 2, (grey_in.rows - n) / 2, n, n)).convertTo(patch, CV_32F);
  patch -= cv::mean(patch)[0];
  cv::Mat window;
  cv::createHanningWindow(window, patch.size(), CV_32F);
  patch = patch.mul(window);
  cv::Mat spectrum;
  cv::dft(patch, spectrum, cv::DFT_COMPLEX_OUTPUT);
  std::vector<cv::Mat> parts;
  cv::split(spectrum, parts);
  cv::Mat magnitude;
  cv::magnitude(parts[0], parts[1], magnitude);
  // Log magnitude of the half plane v = 0..n/2, by ring.
  const int half = n / 2;
  std::vector<std::vector<float>> rings(static_cast<std::size_t>(half * 3 / 2 + 2));
  cv::Mat logmag(half + 1, n, CV_32F);
  for (int v = 0; v <= half; ++v) {
    for (int u = 0; u < n; ++u) {
      const int su = u <= half ? u : u - n;
      const float lm = std::log(magnitude.at<float>(v, u) + 1e-3f);
      logmag.at<float>(v, u) = lm;
      rings[static_cast<std::size_t>(std::lround(std::hypot(su, v)))].push_back(lm);
    }
  }
  std::vector<float> median(rings.size(), 0.f);
  for (std::size_t r = 0; r < rings.size(); ++r) {
    if (rings[r].empty()) continue;
    auto mid = rings[r].begin() + static_cast<std::ptrdiff_t>(rings[r].size() / 2);
    std::nth_element(rings[r].begin(), mid, rings[r].end());
    median[r] = *mid;
  }
  float best = 0;
  for (int v = 2; v <= half; ++v) {
    for (int u = 0; u < n; ++u) {
      const int su = u <= half ? u : u - n;
      if (std::abs(su) <= 1) continue;
      const double radius = std::hypot(su, v);
      if (radius / n < kMinFrequency || radius / n > 0.5) continue;
      if (NearBlockFrequency(su, n) && NearBlockFrequency(v, n)) continue;
      best = std::max(best, logmag.at<float>(v, u) - median[static_cast<std::size_t>(std::lround(radius))]);
    }
  }
  return best;
}

TextureMeasure MeasureTexture(const cv::Mat& bgr, const cv::Rect2f& face) {
  TextureMeasure t;
  const cv::Rect inner = Clip(Scaled(face, 0.8f), bgr);
  if (inner.width < kMinSide || inner.height < kMinSide) return t;
  t.measured = true;
  cv::Mat grey;
  cv::cvtColor(bgr(inner), grey, cv::COLOR_BGR2GRAY);
  t.moire = MoirePeak(grey);
  {  // glare on the box grown by 20 %
    const cv::Rect grown = Clip(Scaled(face, 1.2f), bgr);
    int bright = 0;
    for (int y = grown.y; y < grown.y + grown.height; ++y) {
      const cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
      for (int x = grown.x; x < grown.x + grown.width; ++x) {
        bright += std::min({p[x][0], p[x][1], p[x][2]}) >= kGlareLevel ? 1 : 0;
      }
    }
    t.glare = static_cast<float>(bright) / static_cast<float>(std::max(1, grown.area()));
  }
  const cv::Scalar mean = cv::mean(bgr(inner));
  t.blue_red = static_cast<float>(mean[0] / std::max(1.0, mean[2]));
  cv::Mat hsv;
  cv::cvtColor(bgr(inner), hsv, cv::COLOR_BGR2HSV);
  const double saturation = cv::mean(hsv)[1];
  t.low_saturation = static_cast<float>(1.0 - saturation / 255.0);
  t.colour_measured = saturation >= kMinColourSaturation;
  std::array<int, 256> hist{};
  for (int y = 0; y < grey.rows; ++y) {
    const uchar* g = grey.ptr<uchar>(y);
    for (int x = 0; x < grey.cols; ++x) ++hist[g[x]];
  }
  const int total = grey.rows * grey.cols;
  t.black_level =
      static_cast<float>(Percentile(hist, total, 0.02)) / static_cast<float>(std::max(1, Percentile(hist, total, 0.5)));
  cv::Scalar grey_mean, grey_std;
  cv::meanStdDev(grey, grey_mean, grey_std);
  t.low_contrast = static_cast<float>(1.0 - grey_std[0] / std::max(1.0, grey_mean[0]));
  return t;
}

}  // namespace facekit::antispoof
