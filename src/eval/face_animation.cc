#include "eval/face_animation.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "face/face_mesh_crop.h"

namespace facekit::eval {
namespace {

using Contour = std::array<int, 9>;  // outer corner .. inner corner

// The upper lid with both corners, and the lower lid (which has them).
Contour Upper(const face::EyeContour& e) {
  Contour c{};
  c.front() = e.lower.front();
  std::copy(e.upper.begin(), e.upper.end(), c.begin() + 1);
  c.back() = e.lower.back();
  return c;
}

// v of the polyline (u_i, v_i), sorted by u, at u (clamped at the ends).
float At(const std::vector<cv::Point2f>& line, float u) {
  if (u <= line.front().x) return line.front().y;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (u <= line[i].x) {
      const float a = (u - line[i - 1].x) / std::max(1e-6f, line[i].x - line[i - 1].x);
      return line[i - 1].y + a * (line[i].y - line[i - 1].y);
    }
  }
  return line.back().y;
}

void CloseEye(cv::Mat& bgr, std::span<const Point3f> mesh, const Contour& upper, const Contour& lower, float t) {
  const cv::Point2f o(mesh[upper.front()].x, mesh[upper.front()].y);
  const cv::Point2f end(mesh[upper.back()].x, mesh[upper.back()].y);
  const float width = static_cast<float>(cv::norm(end - o));
  if (width < 2.f) return;
  cv::Point2f eu = (end - o) / width;  // along the eye
  cv::Point2f ev(-eu.y, eu.x);         // across it, downwards for an upright face
  if (ev.y < 0) ev = -ev;
  auto local = [&](const Point3f& p) {
    const cv::Point2f d(p.x - o.x, p.y - o.y);
    return cv::Point2f(d.dot(eu), d.dot(ev));
  };
  std::vector<cv::Point2f> up, down;
  for (int i : upper) up.push_back(local(mesh[static_cast<std::size_t>(i)]));
  for (int i : lower) down.push_back(local(mesh[static_cast<std::size_t>(i)]));
  auto by_u = [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; };
  std::sort(up.begin(), up.end(), by_u);
  std::sort(down.begin(), down.end(), by_u);
  float opening = 0.f;
  for (float u = 0; u <= width; u += 0.5f) opening = std::max(opening, At(down, u) - At(up, u));
  if (opening < 0.5f) return;
  const float band = 1.2f * opening;
  // The region touched: the eye's box plus the band above it.
  const cv::Point2f corners[] = {o + ev * (At(up, 0) - band - 2), o + eu * width + ev * (At(up, width) - band - 2),
                                 o + ev * (At(down, 0) + 2), o + eu * width + ev * (At(down, width) + 2)};
  float v_min = 1e9f;
  for (const auto& p : up) v_min = std::min(v_min, p.y);
  std::vector<cv::Point2f> box(std::begin(corners), std::end(corners));
  box.push_back(o + ev * (v_min - band - 2) + eu * (width / 2));
  cv::Rect roi = cv::boundingRect(box);
  roi.x -= 2;
  roi.y -= 2;
  roi.width += 4;
  roi.height += 4;
  roi &= cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (roi.empty()) return;
  cv::Mat map_x(roi.size(), CV_32F), map_y(roi.size(), CV_32F);
  for (int y = 0; y < roi.height; ++y) {
    for (int x = 0; x < roi.width; ++x) {
      const cv::Point2f p(static_cast<float>(x + roi.x), static_cast<float>(y + roi.y));
      const cv::Point2f d = p - o;
      const float u = d.dot(eu), v = d.dot(ev);
      float v_src = v;
      if (u > 0 && u < width) {
        const float vu = At(up, u), vl = At(down, u);
        // At t = 1 the lid goes a fifth of the opening past the lower
        // contour, so that no sliver of iris stays under it.
        const float drop = t * 1.2f * std::max(0.f, vl - vu);
        const float top = vu - band;
        if (v >= top && v <= vu + drop && drop > 0) v_src = top + (v - top) * band / (band + drop);
      }
      const cv::Point2f s = o + eu * u + ev * v_src;
      map_x.at<float>(y, x) = s.x;
      map_y.at<float>(y, x) = s.y;
    }
  }
  cv::Mat src = bgr.clone();
  cv::Mat dst;
  cv::remap(src, dst, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  dst.copyTo(bgr(roi));
  // The lashes of a closed lid: a thin darker line along its new edge.
  if (t >= 0.5f) {
    std::vector<cv::Point> edge;
    for (float u = 0; u <= width; u += 1.f) {
      const float vu = At(up, u), vl = At(down, u);
      const float v = vu + std::min(t * 1.2f * std::max(0.f, vl - vu), vl - vu);
      const cv::Point2f q = o + eu * u + ev * v;
      edge.emplace_back(cvRound(q.x), cvRound(q.y));
    }
    cv::Mat shade = cv::Mat::zeros(bgr.size(), CV_8U);
    cv::polylines(shade, edge, false, cv::Scalar(255), std::max(1, cvRound(0.15f * opening)), cv::LINE_AA);
    cv::GaussianBlur(shade, shade, cv::Size(3, 3), 0);
    for (int y = roi.y; y < roi.y + roi.height; ++y) {
      for (int x = roi.x; x < roi.x + roi.width; ++x) {
        const float k = 1.f - 0.45f * t * static_cast<float>(shade.at<uchar>(y, x)) / 255.f;
        cv::Vec3b& px = bgr.at<cv::Vec3b>(y, x);
        for (int c = 0; c < 3; ++c) px[c] = cv::saturate_cast<uchar>(px[c] * k);
      }
    }
  }
}

}  // namespace

void CloseEyelids(cv::Mat& bgr, std::span<const Point3f> mesh, float t) {
  if (mesh.size() < static_cast<std::size_t>(FaceMeshResult::kPoints) || bgr.empty() || !(t > 0.f)) return;
  t = std::min(t, 1.f);
  for (const face::EyeContour* e : {&face::kRightEyeContour, &face::kLeftEyeContour}) {
    CloseEye(bgr, mesh, Upper(*e), e->lower, t);
  }
}

cv::Mat TurnHead(const cv::Mat& bgr, std::span<const Point3f> mesh, float yaw_deg) {
  if (mesh.size() < static_cast<std::size_t>(FaceMeshResult::kPoints) || bgr.empty()) return bgr.clone();
  const std::size_t n = static_cast<std::size_t>(FaceMeshResult::kPoints);
  float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f, cx = 0, cz = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x0 = std::min(x0, mesh[i].x), x1 = std::max(x1, mesh[i].x);
    y0 = std::min(y0, mesh[i].y), y1 = std::max(y1, mesh[i].y);
    cx += mesh[i].x, cz += mesh[i].z;
  }
  cx /= static_cast<float>(n);
  cz = cz / static_cast<float>(n) + 0.5f * (x1 - x0);  // the axis: behind the face
  const float a = yaw_deg * static_cast<float>(CV_PI) / 180.f, c = std::cos(a), s = std::sin(a);
  std::vector<cv::Point2f> src, dst;
  std::vector<float> depth;
  for (std::size_t i = 0; i < n; ++i) {
    const float dx = mesh[i].x - cx, dz = mesh[i].z - cz;
    src.emplace_back(mesh[i].x, mesh[i].y);
    dst.emplace_back(cx + dx * c - dz * s, mesh[i].y);
    depth.push_back(dx * s + dz * c);
  }
  // Fixed points on a rectangle twice the face's size (clipped to the image).
  const float w = x1 - x0, h = y1 - y0;
  const cv::Rect2f frame(std::max(0.f, x0 - w / 2), std::max(0.f, y0 - h / 2),
                         std::min(static_cast<float>(bgr.cols - 1), x1 + w / 2) - std::max(0.f, x0 - w / 2),
                         std::min(static_cast<float>(bgr.rows - 1), y1 + h / 2) - std::max(0.f, y0 - h / 2));
  for (int k = 0; k < 12; ++k) {
    const float f = static_cast<float>(k % 4) / 4.f;
    cv::Point2f p = k < 4   ? cv::Point2f(frame.x + f * frame.width, frame.y)
                    : k < 8 ? cv::Point2f(frame.x + frame.width, frame.y + f * frame.height)
                            : cv::Point2f(frame.x + (1 - f) * frame.width, frame.y + frame.height);
    if (k == 8) p = cv::Point2f(frame.x, frame.y + frame.height / 2);
    src.push_back(p);
    dst.push_back(p);
    depth.push_back(1e6f);  // farthest: drawn first
  }
  src.emplace_back(frame.x, frame.y + frame.height), dst.push_back(src.back()), depth.push_back(1e6f);
  cv::Subdiv2D subdiv(cv::Rect(0, 0, bgr.cols, bgr.rows));
  for (const auto& p : src) subdiv.insert(p);
  std::vector<cv::Vec6f> tris;
  subdiv.getTriangleList(tris);
  struct Tri {
    std::array<int, 3> v;
    float depth;
  };
  std::vector<Tri> order;
  for (const cv::Vec6f& t : tris) {
    Tri tri{};
    bool ok = true;
    for (int k = 0; k < 3; ++k) {
      const cv::Point2f p(t[2 * k], t[2 * k + 1]);
      int best = -1;
      for (std::size_t i = 0; i < src.size(); ++i) {
        if (std::abs(src[i].x - p.x) < 1e-3f && std::abs(src[i].y - p.y) < 1e-3f) best = static_cast<int>(i);
      }
      if (best < 0) ok = false;
      tri.v[static_cast<std::size_t>(k)] = best;
    }
    if (!ok) continue;  // a triangle on Subdiv2D's outer virtual vertices
    // Triangles touching a fixed point are background: drawn first.
    tri.depth = -1e9f;
    for (int v : tri.v) tri.depth = std::max(tri.depth, depth[static_cast<std::size_t>(v)]);
    order.push_back(tri);
  }
  std::sort(order.begin(), order.end(), [](const Tri& l, const Tri& r) { return l.depth > r.depth; });
  cv::Mat out = bgr.clone();
  for (const Tri& t : order) {
    std::array<cv::Point2f, 3> s3, d3;
    for (int k = 0; k < 3; ++k) {
      s3[static_cast<std::size_t>(k)] = src[static_cast<std::size_t>(t.v[static_cast<std::size_t>(k)])];
      d3[static_cast<std::size_t>(k)] = dst[static_cast<std::size_t>(t.v[static_cast<std::size_t>(k)])];
    }
    const cv::Rect r =
        cv::boundingRect(std::vector<cv::Point2f>(d3.begin(), d3.end())) & cv::Rect(0, 0, bgr.cols, bgr.rows);
    if (r.width <= 0 || r.height <= 0) continue;
    std::array<cv::Point2f, 3> dl;
    for (int k = 0; k < 3; ++k) dl[static_cast<std::size_t>(k)] = d3[static_cast<std::size_t>(k)] - cv::Point2f(r.tl());
    const cv::Mat m = cv::getAffineTransform(s3.data(), dl.data());
    cv::Mat patch;
    cv::warpAffine(bgr, patch, m, r.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::Mat mask = cv::Mat::zeros(r.size(), CV_8U);
    std::vector<cv::Point> poly;
    for (const auto& p : dl) poly.emplace_back(cvRound(p.x), cvRound(p.y));
    cv::fillConvexPoly(mask, poly, cv::Scalar(255), cv::LINE_8);
    patch.copyTo(out(r), mask);
  }
  return out;
}

}  // namespace facekit::eval
