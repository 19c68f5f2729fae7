#include "eval/replay_scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace facekit::eval {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The background scaled to cover the frame, zoomed in up to 30 % and
// cropped at a random place.
cv::Mat CoverBackground(const cv::Mat& background, const SceneSize& size, SceneRandom& rng) {
  const double zoom = rng.Uniform(1.0, 1.3);
  const double scale = zoom * std::max(static_cast<double>(size.width) / background.cols,
                                       static_cast<double>(size.height) / background.rows);
  cv::Mat scaled;
  cv::resize(background, scaled,
             cv::Size(std::max(size.width, static_cast<int>(std::ceil(background.cols * scale))),
                      std::max(size.height, static_cast<int>(std::ceil(background.rows * scale)))),
             0, 0, cv::INTER_LINEAR);
  const int x = rng.Index(scaled.cols - size.width + 1);
  const int y = rng.Index(scaled.rows - size.height + 1);
  return scaled(cv::Rect(x, y, size.width, size.height)).clone();
}

// Where the face centre goes in the frame.
cv::Point2d FaceCentreInFrame(const SceneSize& size, SceneRandom& rng) {
  return {rng.Uniform(0.3, 0.7) * size.width, rng.Uniform(0.32, 0.6) * size.height};
}

// Alpha-blends `layer` (CV_8UC3) onto `frame` with `alpha` (CV_32F, 0-1).
void Composite(cv::Mat& frame, const cv::Mat& layer, const cv::Mat& alpha) {
  for (int y = 0; y < frame.rows; ++y) {
    cv::Vec3b* f = frame.ptr<cv::Vec3b>(y);
    const cv::Vec3b* l = layer.ptr<cv::Vec3b>(y);
    const float* a = alpha.ptr<float>(y);
    for (int x = 0; x < frame.cols; ++x) {
      if (a[x] <= 0.f) continue;
      const float w = std::min(1.f, a[x]);
      for (int c = 0; c < 3; ++c) f[x][c] = cv::saturate_cast<uchar>(w * l[x][c] + (1.f - w) * f[x][c]);
    }
  }
}

// The photo's content as the screen shows it: `raster` pixels, the photo
// scaled by `scale` screen pixels per photo pixel and centred (cover: it
// fills the screen and is cropped; fit: bars around it).
cv::Mat ScreenContent(const cv::Mat& photo, cv::Size raster, double scale, const cv::Scalar& bars) {
  cv::Mat content(raster, CV_8UC3, bars);
  const cv::Mat m = (cv::Mat_<double>(2, 3) << scale, 0, (raster.width - photo.cols * scale) / 2, 0, scale,
                     (raster.height - photo.rows * scale) / 2);
  cv::warpAffine(photo, content, m, raster, cv::INTER_CUBIC, cv::BORDER_TRANSPARENT);
  return content;
}

// Display response: gamma, raised black level, colour gains, brightness.
void DisplayResponse(cv::Mat& content, SceneRandom& rng, std::string* notes) {
  const double gamma = rng.Uniform(0.85, 1.15), black = rng.Uniform(0.0, 0.1), gain = rng.Uniform(0.8, 1.15);
  const std::array<double, 3> channel = {rng.Uniform(1.0, 1.12), rng.Uniform(0.95, 1.02), rng.Uniform(0.88, 1.0)};
  std::array<cv::Mat, 3> lut;
  for (int c = 0; c < 3; ++c) {
    lut[static_cast<size_t>(c)] = cv::Mat(1, 256, CV_8U);
    for (int v = 0; v < 256; ++v) {
      const double out = (black + (1 - black) * std::pow(v / 255.0, gamma)) * gain * channel[static_cast<size_t>(c)];
      lut[static_cast<size_t>(c)].at<uchar>(v) = cv::saturate_cast<uchar>(255.0 * out);
    }
  }
  std::vector<cv::Mat> planes;
  cv::split(content, planes);
  for (int c = 0; c < 3; ++c)
    cv::LUT(planes[static_cast<size_t>(c)], lut[static_cast<size_t>(c)], planes[static_cast<size_t>(c)]);
  cv::merge(planes, content);
  char buf[96];
  std::snprintf(buf, sizeof buf, " gamma=%.2f black=%.2f gain=%.2f", gamma, black, gain);
  *notes += buf;
}

// Each screen pixel as 3x3 subpixels: R, G, B stripes (BGR channel c lit in
// column 2 - c), the third row darkened by the black matrix; brightness kept.
cv::Mat SubpixelGrid(const cv::Mat& content, double black_matrix) {
  constexpr double kLeak = 0.08;  // an unlit stripe's share
  const double norm = 3.0 / (1.0 + 2 * kLeak) * 3.0 / (2.0 + black_matrix);
  cv::Mat out(content.rows * 3, content.cols * 3, CV_8UC3);
  for (int y = 0; y < content.rows; ++y) {
    const cv::Vec3b* in = content.ptr<cv::Vec3b>(y);
    for (int i = 0; i < 3; ++i) {
      cv::Vec3b* o = out.ptr<cv::Vec3b>(3 * y + i);
      const double row = i == 2 ? black_matrix : 1.0;
      for (int x = 0; x < content.cols; ++x) {
        for (int j = 0; j < 3; ++j) {
          for (int c = 0; c < 3; ++c) {
            const double lit = (j == 2 - c) ? 1.0 : kLeak;
            o[3 * x + j][c] = cv::saturate_cast<uchar>(in[x][c] * lit * row * norm);
          }
        }
      }
    }
  }
  return out;
}

struct DeviceShape {
  double aspect = 1;                     // screen width / height
  double side = 0, top = 0, bottom = 0;  // bezels as fractions of the screen's shorter side
  double corner = 0;                     // corner radius, same unit
  bool cover = true;                     // photo fills the screen (else fitted with bars)
};

DeviceShape DrawShape(SceneKind device, SceneRandom& rng) {
  DeviceShape s;
  switch (device) {
    case SceneKind::kPhone:
      s.aspect = rng.Chance(0.8) ? 9.0 / 19.5 : 19.5 / 9.0;
      s.side = rng.Uniform(0.03, 0.08);
      s.top = s.bottom = rng.Uniform(0.04, 0.16);
      s.corner = rng.Uniform(0.08, 0.16);
      s.cover = rng.Chance(0.7);
      break;
    case SceneKind::kTablet:
      s.aspect = rng.Chance(0.5) ? 3.0 / 4.0 : 4.0 / 3.0;
      s.side = s.top = s.bottom = rng.Uniform(0.04, 0.1);
      s.corner = rng.Uniform(0.04, 0.08);
      s.cover = rng.Chance(0.6);
      break;
    default:
      s.aspect = rng.Chance(0.6) ? 16.0 / 9.0 : 16.0 / 10.0;
      s.side = s.top = rng.Uniform(0.015, 0.05);
      s.bottom = s.side + rng.Uniform(0.0, 0.08);
      s.corner = rng.Uniform(0.0, 0.01);
      s.cover = rng.Chance(0.5);
      break;
  }
  return s;
}

cv::Scalar BodyColour(SceneRandom& rng) {
  const double r = rng.Uniform();
  if (r < 0.45) return cv::Scalar::all(rng.Uniform(12, 30));
  if (r < 0.65) return cv::Scalar::all(rng.Uniform(45, 75));
  if (r < 0.85) return cv::Scalar(rng.Uniform(160, 185), rng.Uniform(160, 185), rng.Uniform(160, 185));
  return cv::Scalar::all(rng.Uniform(210, 235));
}

// A filled rounded rectangle.
void RoundedRect(cv::Mat& m, cv::Rect r, int radius, const cv::Scalar& colour) {
  radius = std::max(0, std::min(radius, std::min(r.width, r.height) / 2));
  cv::rectangle(m, cv::Rect(r.x + radius, r.y, r.width - 2 * radius, r.height), colour, cv::FILLED);
  cv::rectangle(m, cv::Rect(r.x, r.y + radius, r.width, r.height - 2 * radius), colour, cv::FILLED);
  for (const cv::Point c : {cv::Point(r.x + radius, r.y + radius), cv::Point(r.x + r.width - radius - 1, r.y + radius),
                            cv::Point(r.x + radius, r.y + r.height - radius - 1),
                            cv::Point(r.x + r.width - radius - 1, r.y + r.height - radius - 1)}) {
    cv::circle(m, c, radius, colour, cv::FILLED, cv::LINE_AA);
  }
}

// Glare on the glass: a soft highlight or a diagonal band, added.
void AddGlare(cv::Mat& body, SceneRandom& rng, std::string* notes) {
  cv::Mat glare(body.size(), CV_32F, cv::Scalar(0));
  const double amplitude = rng.Uniform(40, 170);
  const int w = body.cols, h = body.rows;
  if (rng.Chance(0.6)) {
    const double cx = rng.Uniform(0.1, 0.9) * w, cy = rng.Uniform(0.1, 0.9) * h;
    const double sigma = rng.Uniform(0.08, 0.3) * std::min(w, h);
    for (int y = 0; y < h; ++y) {
      float* g = glare.ptr<float>(y);
      for (int x = 0; x < w; ++x) {
        const double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma);
        g[x] = static_cast<float>(amplitude * std::exp(-d2));
      }
    }
    *notes += " glare=spot";
  } else {
    const double angle = rng.Uniform(0.3, 1.2), offset = rng.Uniform(0.2, 0.8) * (w + h);
    const double width = rng.Uniform(0.03, 0.12) * (w + h);
    const double c = std::cos(angle), s = std::sin(angle);
    for (int y = 0; y < h; ++y) {
      float* g = glare.ptr<float>(y);
      for (int x = 0; x < w; ++x) {
        const double d = (x * c + y * s - offset) / width;
        g[x] = static_cast<float>(amplitude * std::exp(-d * d));
      }
    }
    *notes += " glare=band";
  }
  cv::Mat glare3;
  cv::merge(std::vector<cv::Mat>{glare, glare, glare}, glare3);
  cv::Mat body_f;
  body.convertTo(body_f, CV_32FC3);
  body_f += glare3;
  body_f.convertTo(body, CV_8UC3);
}

// A hand holding the device at a lower corner: a feathered skin ellipse.
void AddHand(cv::Mat& frame, const std::array<cv::Point2f, 4>& quad, double device_side, SceneRandom& rng) {
  static const std::array<cv::Scalar, 4> kSkin = {cv::Scalar(150, 175, 220), cv::Scalar(115, 145, 195),
                                                  cv::Scalar(85, 110, 160), cv::Scalar(60, 80, 120)};
  const cv::Point2f corner = quad[rng.Chance(0.5) ? 2 : 3];  // bottom right or bottom left
  const cv::Scalar skin = kSkin[static_cast<size_t>(rng.Index(4))];
  cv::Mat layer(frame.size(), CV_8UC3, skin);
  cv::Mat alpha(frame.size(), CV_32F, cv::Scalar(0));
  const cv::Size axes(static_cast<int>(device_side * rng.Uniform(0.2, 0.4)),
                      static_cast<int>(device_side * rng.Uniform(0.12, 0.25)));
  cv::ellipse(alpha, cv::Point(cvRound(corner.x), cvRound(corner.y)), axes, rng.Uniform(-60, 60), 0, 360,
              cv::Scalar(1.0), cv::FILLED, cv::LINE_AA);
  cv::GaussianBlur(alpha, alpha, cv::Size(), std::max(1.0, device_side * 0.02));
  Composite(frame, layer, alpha);
}

}  // namespace

std::string_view SceneKindName(SceneKind kind) {
  switch (kind) {
    case SceneKind::kLive:
      return "live";
    case SceneKind::kPhone:
      return "phone";
    case SceneKind::kTablet:
      return "tablet";
    case SceneKind::kMonitor:
      return "monitor";
  }
  return "?";
}

SceneFrame RenderLiveScene(const ScenePhoto& photo, const cv::Mat& background, double face_side, SceneRandom& rng,
                           const SceneSize& size) {
  SceneFrame out;
  out.bgr = CoverBackground(background, size, rng);
  const cv::Point2d centre = FaceCentreInFrame(size, rng);
  const double k = face_side / photo.face.width;
  const double angle = rng.Uniform(-8, 8);
  const cv::Point2f pc(photo.face.x + photo.face.width / 2, photo.face.y + photo.face.height / 2);
  // The head: an ellipse around the face, feathered, kept inside the photo.
  cv::Mat mask(photo.bgr.size(), CV_32F, cv::Scalar(0));
  const double s = photo.face.width;
  const double ax = std::min(0.75 * s, std::min(pc.x, photo.bgr.cols - pc.x) - 0.12 * s);
  const double ay = std::min(1.0 * s, std::min(pc.y, photo.bgr.rows - pc.y) - 0.12 * s);
  cv::ellipse(mask, cv::Point(cvRound(pc.x), cvRound(pc.y - 0.05 * s)),
              cv::Size(std::max(1, cvRound(ax)), std::max(1, cvRound(ay))), 0, 0, 360, cv::Scalar(1.0), cv::FILLED,
              cv::LINE_AA);
  cv::GaussianBlur(mask, mask, cv::Size(), 0.05 * s);
  cv::Mat m = cv::getRotationMatrix2D(pc, angle, k);
  m.at<double>(0, 2) += centre.x - pc.x;
  m.at<double>(1, 2) += centre.y - pc.y;
  cv::Mat layer, alpha;
  cv::warpAffine(photo.bgr, layer, m, out.bgr.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::warpAffine(mask, alpha, m, out.bgr.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  Composite(out.bgr, layer, alpha);
  out.kind = SceneKind::kLive;
  out.face = cv::Rect2f(static_cast<float>(centre.x - face_side / 2), static_cast<float>(centre.y - face_side / 2),
                        static_cast<float>(face_side), static_cast<float>(face_side));
  char buf[96];
  std::snprintf(buf, sizeof buf, "live face=%.0f angle=%.1f", face_side, angle);
  out.description = buf;
  return out;
}

SceneFrame RenderReplayScene(const ScenePhoto& photo, const cv::Mat& background, double face_side, SceneKind device,
                             SceneRandom& rng, const SceneSize& size) {
  SceneFrame out;
  out.kind = device;
  out.spoof = true;
  out.bgr = CoverBackground(background, size, rng);
  const cv::Point2d centre = FaceCentreInFrame(size, rng);
  const DeviceShape shape = DrawShape(device, rng);
  out.description = std::string(SceneKindName(device)) + (shape.cover ? " cover" : " fit");
  // Screen size in frame pixels: the photo, q frame pixels per photo pixel,
  // covers (or fits) the screen.
  // The player zooms into the photo by `zoom` (a face filling more of the
  // screen, as in a selfie video).
  const double q = face_side / photo.face.width, zoom = rng.Uniform(1.0, 1.5);
  const double pw = photo.bgr.cols * q / zoom, ph = photo.bgr.rows * q / zoom;
  double sw, sh;
  if (shape.cover == (shape.aspect < pw / ph)) {  // height decides
    sh = ph;
    sw = sh * shape.aspect;
  } else {
    sw = pw;
    sh = sw / shape.aspect;
  }
  // The face (taller than wide) must fit on the screen with some margin (a
  // narrow phone showing a zoomed photo would cut it): the screen grows,
  // showing more of the photo or bars.
  if (const double fit = std::max(1.4 * face_side / sw, 1.7 * face_side / sh); fit > 1) {
    sw *= fit;
    sh *= fit;
  }
  const double shorter = std::min(sw, sh);
  const double side = shape.side * shorter, top = shape.top * shorter, bottom = shape.bottom * shorter;
  const double bw = sw + 2 * side, bh = sh + top + bottom;
  // Raster: rho screen pixels per frame pixel (finer or coarser pitch), each
  // 3x3 subpixels; the raster's long side at most 1000 screen pixels.
  double rho = rng.Uniform(1.2, 3.0);
  rho = std::min(rho, 1000.0 / std::max(sw, sh));
  const cv::Size raster(std::max(8, cvRound(sw * rho)), std::max(8, cvRound(sh * rho)));
  const cv::Scalar bars = rng.Chance(0.75) ? cv::Scalar::all(0) : cv::Scalar::all(rng.Uniform(200, 250));
  cv::Mat content = ScreenContent(photo.bgr, raster, q * rho, bars);
  DisplayResponse(content, rng, &out.description);
  const double black_matrix = rng.Uniform(0.3, 0.8);
  cv::Mat texture = SubpixelGrid(content, black_matrix);
  const double lens = rng.Uniform(0.4, 2.2);  // subpixels
  cv::GaussianBlur(texture, texture, cv::Size(), lens);
  const double tau = 3 * static_cast<double>(raster.width) / sw;  // texture pixels per frame pixel
  // The device body at texture scale, the screen in it.
  const cv::Size body_size(cvRound(bw * tau), cvRound(bh * tau));
  const cv::Scalar colour = BodyColour(rng);
  cv::Mat body(body_size, CV_8UC3, cv::Scalar::all(0));
  cv::Mat body_alpha(body_size, CV_8U, cv::Scalar(0));
  const int radius = cvRound(shape.corner * shorter * tau);
  RoundedRect(body, cv::Rect(cv::Point(0, 0), body_size), radius, colour);
  RoundedRect(body_alpha, cv::Rect(cv::Point(0, 0), body_size), radius, cv::Scalar(255));
  {  // shading across the body
    const double from = rng.Uniform(0.85, 1.0), to = rng.Uniform(1.0, 1.15);
    for (int y = 0; y < body.rows; ++y) {
      const double f = from + (to - from) * y / std::max(1, body.rows - 1);
      cv::Mat row = body.row(y);
      row.convertTo(row, -1, f);
    }
  }
  const cv::Rect screen_rect(cvRound(side * tau), cvRound(top * tau), texture.cols, texture.rows);
  texture.copyTo(body(screen_rect & cv::Rect(cv::Point(0, 0), body_size)));
  if (rng.Chance(0.6)) AddGlare(body, rng, &out.description);
  // Where the body goes: the photo's face centre lands on `centre`; rotation
  // about it; each corner moved a little (perspective).
  const cv::Point2d face_in_body((side + sw / 2 + (photo.face.x + photo.face.width / 2 - photo.bgr.cols / 2.0) * q),
                                 (top + sh / 2 + (photo.face.y + photo.face.height / 2 - photo.bgr.rows / 2.0) * q));
  const double max_angle = device == SceneKind::kMonitor ? 5 : 15;
  const double angle = rng.Uniform(-max_angle, max_angle) * kPi / 180;
  const double jitter = rng.Uniform(0.0, 0.05) * std::hypot(bw, bh);
  const std::array<cv::Point2d, 4> corners = {cv::Point2d(0, 0), cv::Point2d(bw, 0), cv::Point2d(bw, bh),
                                              cv::Point2d(0, bh)};
  std::array<cv::Point2f, 4> src, dst;
  for (size_t i = 0; i < 4; ++i) {
    const cv::Point2d d = corners[i] - face_in_body;
    const cv::Point2d r(d.x * std::cos(angle) - d.y * std::sin(angle), d.x * std::sin(angle) + d.y * std::cos(angle));
    dst[i] = cv::Point2f(static_cast<float>(centre.x + r.x + rng.Uniform(-jitter, jitter)),
                         static_cast<float>(centre.y + r.y + rng.Uniform(-jitter, jitter)));
    src[i] = cv::Point2f(static_cast<float>(corners[i].x * tau), static_cast<float>(corners[i].y * tau));
  }
  const cv::Mat h = cv::getPerspectiveTransform(src.data(), dst.data());
  cv::Mat layer, alpha8, alpha;
  cv::warpPerspective(body, layer, h, out.bgr.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  cv::warpPerspective(body_alpha, alpha8, h, out.bgr.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  alpha8.convertTo(alpha, CV_32F, 1.0 / 255);
  Composite(out.bgr, layer, alpha);
  if (device != SceneKind::kMonitor && rng.Chance(0.5)) {
    AddHand(out.bgr, dst, std::min(bw, bh), rng);
    out.description += " hand";
  }
  // The face: its centre mapped through the perspective, its side as drawn.
  std::vector<cv::Point2f> fc = {
      cv::Point2f(static_cast<float>(face_in_body.x * tau), static_cast<float>(face_in_body.y * tau))};
  cv::perspectiveTransform(fc, fc, h);
  out.face = cv::Rect2f(fc[0].x - static_cast<float>(face_side / 2), fc[0].y - static_cast<float>(face_side / 2),
                        static_cast<float>(face_side), static_cast<float>(face_side));
  out.medium_in_frame = std::all_of(dst.begin(), dst.end(), [&](const cv::Point2f& p) {
    return p.x >= 0 && p.y >= 0 && p.x <= static_cast<float>(size.width) && p.y <= static_cast<float>(size.height);
  });
  char buf[160];
  std::snprintf(buf, sizeof buf, " face=%.0f device=%.0fx%.0f rho=%.2f lens=%.2f matrix=%.2f angle=%.1f%s", face_side,
                bw, bh, rho, lens, black_matrix, angle * 180 / kPi, out.medium_in_frame ? "" : " cut");
  out.description += buf;
  return out;
}

void ApplyCamera(cv::Mat& bgr, SceneRandom& rng) {
  const double exposure = rng.Uniform(0.85, 1.15), blur = rng.Uniform(0.4, 1.0), noise = rng.Uniform(1.5, 4.0);
  const int quality = 70 + rng.Index(26);
  bgr.convertTo(bgr, -1, exposure);
  cv::GaussianBlur(bgr, bgr, cv::Size(), blur);
  cv::Mat n(bgr.size(), CV_16SC3);
  cv::RNG cv_rng(static_cast<std::uint64_t>(rng.Uniform() * 4294967296.0));
  cv_rng.fill(n, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(noise));
  cv::Mat sum;
  bgr.convertTo(sum, CV_16SC3);
  sum += n;
  sum.convertTo(bgr, CV_8UC3);
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
  bgr = cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

}  // namespace facekit::eval
