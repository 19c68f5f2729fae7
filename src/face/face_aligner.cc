#include "face/face_aligner.h"

#include <opencv2/imgproc.hpp>

namespace facekit::face {

cv::Mat EstimateSimilarity(const std::vector<cv::Point2f>& src, const std::vector<cv::Point2f>& dst) {
  const size_t n = src.size();
  double mx = 0, my = 0, nx = 0, ny = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += src[i].x; my += src[i].y;
    nx += dst[i].x; ny += dst[i].y;
  }
  mx /= static_cast<double>(n); my /= static_cast<double>(n);
  nx /= static_cast<double>(n); ny /= static_cast<double>(n);
  // For 2-D similarity the Umeyama solution reduces to: with centred points
  // p (source) and q (target), a = sum(p.q)/|p|^2, b = sum(p x q)/|p|^2 and
  // M = [a -b; b a] (scale*rotation).
  double dot = 0, cross = 0, norm = 0;
  for (size_t i = 0; i < n; ++i) {
    double px = src[i].x - mx, py = src[i].y - my;
    double qx = dst[i].x - nx, qy = dst[i].y - ny;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  cv::Mat m = cv::Mat::zeros(2, 3, CV_64F);
  if (norm <= 1e-12) return m;
  double a = dot / norm, b = cross / norm;
  m.at<double>(0, 0) = a;
  m.at<double>(0, 1) = -b;
  m.at<double>(1, 0) = b;
  m.at<double>(1, 1) = a;
  m.at<double>(0, 2) = nx - (a * mx - b * my);
  m.at<double>(1, 2) = ny - (b * mx + a * my);
  return m;
}

cv::Mat AlignFace(const cv::Mat& bgr, const std::array<Point2f, 5>& landmarks,
                  const std::vector<std::array<float, 2>>& tmpl, int size) {
  std::vector<cv::Point2f> src, dst;
  for (size_t i = 0; i < 5 && i < tmpl.size(); ++i) {
    src.emplace_back(landmarks[i].x, landmarks[i].y);
    dst.emplace_back(tmpl[i][0], tmpl[i][1]);
  }
  return AlignToPoints(bgr, src, dst, size);
}

cv::Mat AlignToPoints(const cv::Mat& bgr, const std::vector<cv::Point2f>& points, const std::vector<cv::Point2f>& tmpl,
                      int size) {
  const cv::Mat m = EstimateSimilarity(points, tmpl);
  cv::Mat chip;
  cv::warpAffine(bgr, chip, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return chip;
}

}  // namespace facekit::face
