#include "face/face_quality.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

namespace facekit {

const std::vector<QualityRule>& QualityRules() {
  // level, min size, brightness range, min sharpness, max |yaw|, |pitch|, |roll|
  static const std::vector<QualityRule> kRules = {
      {1, 34, 40, 230, 15, 45, 40, 45},
      {2, 48, 55, 220, 30, 35, 30, 30},
      {3, 64, 70, 205, 50, 25, 20, 20},
      {4, 80, 80, 190, 80, 15, 15, 15},
  };
  return kRules;
}

namespace face {
namespace {

constexpr float kRadToDeg = 57.29577951f;
// Nose-tip depth in front of the eye plane, relative to the inter-ocular
// distance (anthropometric average), and the nose position between eye line
// and mouth line of a face looking straight ahead: the median over 400 LFW
// View 1 faces of MTCNN's landmarks (the 112x112 template's own value, 0.494,
// gave those faces a median pitch of -3.5 degrees).
constexpr float kNoseDepthOverEyeDistance = 0.6f;
constexpr float kFrontalNoseRatio = 0.526f;
constexpr float kEyeMouthOverEyeDistance = 1.155f;  // 40.7 / 35.24 in the template

}  // namespace

Pose EstimatePose(const std::array<Point2f, 5>& l) {
  Pose p;
  const float ex = (l[0].x + l[1].x) * 0.5f, ey = (l[0].y + l[1].y) * 0.5f;
  const float dx = l[1].x - l[0].x, dy = l[1].y - l[0].y;
  const float eye_dist = std::hypot(dx, dy);
  if (eye_dist < 1e-3f) return p;
  const float roll = std::atan2(dy, dx);
  p.roll = roll * kRadToDeg;
  // Undo the roll around the eye midpoint.
  const float c = std::cos(-roll), s = std::sin(-roll);
  auto unroll = [&](const Point2f& q) {
    float x = q.x - ex, y = q.y - ey;
    return Point2f{c * x - s * y, s * x + c * y};
  };
  const Point2f nose = unroll(l[2]);
  const Point2f m0 = unroll(l[3]), m1 = unroll(l[4]);
  const float mouth_y = (m0.y + m1.y) * 0.5f;
  // Yaw: the nose tip, D in front of the eye plane, shifts sideways by
  // D*sin(yaw) while the eye distance shrinks to E*cos(yaw).
  p.yaw = std::atan(nose.x / eye_dist / kNoseDepthOverEyeDistance) * kRadToDeg;
  // Pitch: likewise vertically, relative to the eye-to-mouth height.
  if (mouth_y > 1e-3f) {
    const float ratio = nose.y / mouth_y;
    const float height_over_depth = kEyeMouthOverEyeDistance / kNoseDepthOverEyeDistance;
    p.pitch = std::atan((kFrontalNoseRatio - ratio) * height_over_depth) * kRadToDeg;
  }
  return p;
}

void ChipMeasures(const cv::Mat& bgr_chip, float* sharpness, float* brightness) {
  cv::Mat grey, lap;
  cv::cvtColor(bgr_chip, grey, cv::COLOR_BGR2GRAY);
  // The central part of the chip: the face, without the black corners that
  // alignment can leave at image borders.
  const int m = grey.cols / 8;
  cv::Mat core = grey(cv::Rect(m, m, grey.cols - 2 * m, grey.rows - 2 * m));
  cv::Laplacian(core, lap, CV_32F, 1);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  *sharpness = static_cast<float>(stddev[0] * stddev[0]);
  *brightness = static_cast<float>(cv::mean(core)[0]);
}

void AssignLevel(FaceQuality* q) {
  q->level = 0;
  q->limits.clear();
  for (const QualityRule& r : QualityRules()) {
    std::vector<std::string> why;
    char buf[96];
    if (q->size < r.min_size) {
      std::snprintf(buf, sizeof(buf), "size %.0f < %.0f", static_cast<double>(q->size), static_cast<double>(r.min_size));
      why.push_back(buf);
    }
    if (q->brightness < r.min_brightness || q->brightness > r.max_brightness) {
      std::snprintf(buf, sizeof(buf), "brightness %.0f outside %.0f-%.0f", static_cast<double>(q->brightness),
                    static_cast<double>(r.min_brightness), static_cast<double>(r.max_brightness));
      why.push_back(buf);
    }
    if (q->sharpness < r.min_sharpness) {
      std::snprintf(buf, sizeof(buf), "sharpness %.0f < %.0f", static_cast<double>(q->sharpness),
                    static_cast<double>(r.min_sharpness));
      why.push_back(buf);
    }
    auto angle = [&](const char* name, float v, float limit) {
      if (std::fabs(v) > limit) {
        std::snprintf(buf, sizeof(buf), "|%s| %.0f > %.0f", name, static_cast<double>(std::fabs(v)), static_cast<double>(limit));
        why.push_back(buf);
      }
    };
    angle("yaw", q->yaw, r.max_yaw);
    angle("pitch", q->pitch, r.max_pitch);
    angle("roll", q->roll, r.max_roll);
    if (!why.empty()) {
      q->limits = std::move(why);
      return;
    }
    q->level = r.level;
  }
}

}  // namespace face
}  // namespace facekit
