#include "face/mtcnn_detector.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace facekit::face {
namespace {

// MTCNN nets take images with width and height swapped: an NCHW blob of
// shape [N, 3, W, H], i.e. blob[n][c][x][y] = (rgb[y][x][c] - mean) * scale.
// One pass over the pixels (cv::transpose + blobFromImages took ~1.7 ms for
// a 384x288 pyramid level).
cv::Mat TransposedBlob(const std::vector<cv::Mat>& rgb_patches, const runtime::ManifestModel& info) {
  const int rows = rgb_patches[0].rows, cols = rgb_patches[0].cols;
  cv::Mat blob(std::vector<int>{static_cast<int>(rgb_patches.size()), 3, cols, rows}, CV_32F);
  const float mean = info.mean, scale = info.scale;
  const size_t plane = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  for (size_t n = 0; n < rgb_patches.size(); ++n) {
    const cv::Mat& m = rgb_patches[n];
    CV_Assert(m.type() == CV_8UC3 && m.rows == rows && m.cols == cols);
    float* out = blob.ptr<float>(static_cast<int>(n));
    for (int y = 0; y < rows; ++y) {
      const uint8_t* px = m.ptr<uint8_t>(y);
      for (int x = 0; x < cols; ++x, px += 3) {
        const size_t at = static_cast<size_t>(x) * static_cast<size_t>(rows) + static_cast<size_t>(y);
        out[at] = (static_cast<float>(px[0]) - mean) * scale;
        out[plane + at] = (static_cast<float>(px[1]) - mean) * scale;
        out[2 * plane + at] = (static_cast<float>(px[2]) - mean) * scale;
      }
    }
  }
  return blob;
}

void Square(Candidate& c) {
  float w = c.width(), h = c.height();
  float side = std::max(w, h);
  c.x1 = c.x1 + w * 0.5f - side * 0.5f;
  c.y1 = c.y1 + h * 0.5f - side * 0.5f;
  c.x1 = std::round(c.x1);
  c.y1 = std::round(c.y1);
  side = std::round(side);
  c.x2 = c.x1 + side - 1;
  c.y2 = c.y1 + side - 1;
}

void Regress(Candidate& c) {
  float w = c.width(), h = c.height();
  c.x1 += c.reg[0] * w;
  c.y1 += c.reg[1] * h;
  c.x2 += c.reg[2] * w;
  c.y2 += c.reg[3] * h;
  c.reg = {};
}

// Crop of the inclusive box, zero outside the image, resized to size x size.
cv::Mat CropPadded(const cv::Mat& rgb, const Candidate& c, int size) {
  int x1 = static_cast<int>(std::lround(c.x1)), y1 = static_cast<int>(std::lround(c.y1));
  int w = std::max(1, static_cast<int>(std::lround(c.x2)) - x1 + 1);
  int h = std::max(1, static_cast<int>(std::lround(c.y2)) - y1 + 1);
  cv::Mat patch = cv::Mat::zeros(h, w, CV_8UC3);
  cv::Rect src = cv::Rect(x1, y1, w, h) & cv::Rect(0, 0, rgb.cols, rgb.rows);
  if (src.area() > 0) rgb(src).copyTo(patch(cv::Rect(src.x - x1, src.y - y1, src.width, src.height)));
  cv::Mat out;
  cv::resize(patch, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  return out;
}

}  // namespace

float Overlap(const Candidate& a, const Candidate& b, NmsMode mode) {
  float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1;
  float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1;
  if (iw <= 0 || ih <= 0) return 0.f;
  float inter = iw * ih;
  float denom = mode == NmsMode::kUnion ? a.area() + b.area() - inter : std::min(a.area(), b.area());
  return denom > 0 ? inter / denom : 0.f;
}

std::vector<Candidate> Uncovered(std::vector<Candidate> boxes, const std::vector<Candidate>& by, float fraction) {
  std::vector<Candidate> out;
  for (const Candidate& c : boxes) {
    bool covered = std::any_of(by.begin(), by.end(), [&](const Candidate& b) {
      float o = Overlap(c, b, NmsMode::kMin);
      return o > 0 && o >= fraction;
    });
    if (!covered) out.push_back(c);
  }
  return out;
}

std::vector<Candidate> Nms(std::vector<Candidate> boxes, float threshold, NmsMode mode) {
  std::stable_sort(boxes.begin(), boxes.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  std::vector<Candidate> kept;
  std::vector<bool> dead(boxes.size(), false);
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (dead[i]) continue;
    const Candidate& a = boxes[i];
    kept.push_back(a);
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      if (dead[j]) continue;
      float o = Overlap(a, boxes[j], mode);
      if (o > 0 && o >= threshold) dead[j] = true;
    }
  }
  return kept;
}

Result<std::unique_ptr<MtcnnDetector>> MtcnnDetector::Create(const runtime::ModelManifest& manifest) {
  std::unique_ptr<MtcnnDetector> d(new MtcnnDetector());
  d->config_ = manifest.detector;
  struct Want {
    const char* role;
    Net* net;
  };
  for (Want w : {Want{"detector.pnet", &d->pnet_}, Want{"detector.rnet", &d->rnet_}, Want{"detector.onet", &d->onet_}}) {
    const runtime::ManifestModel* m = manifest.FindRole(w.role);
    if (m == nullptr) return Status(StatusCode::kModelInvalid, std::string("manifest has no model with role ") + w.role);
    for (const char* out : {"prob", "box"}) {
      if (!m->outputs.count(out)) return Status(StatusCode::kModelInvalid, m->name + " lacks output '" + out + "'");
    }
    FACEKIT_ASSIGN_OR_RETURN(w.net->model, runtime::DnnModel::Load(manifest.FilePath(m->file)));
    w.net->info = *m;
  }
  if (!d->onet_.info.outputs.count("landmarks")) return Status(StatusCode::kModelInvalid, "O-Net lacks output 'landmarks'");
  return d;
}

Result<std::vector<Candidate>> MtcnnDetector::RunPnet(const cv::Mat& rgb, int min_face, int* levels) const {
  std::vector<Candidate> all;
  const float cell = 12.f;
  float scale = cell / static_cast<float>(min_face);
  float min_side = static_cast<float>(std::min(rgb.cols, rgb.rows));
  const auto& outs = pnet_.info.outputs;
  std::vector<std::string> names{outs.at("prob"), outs.at("box")};
  // Pyramid scales: 12/min_face shrinking by pyramid_factor while the image
  // still covers a 12-pixel cell, plus a last level at which the short side is
  // exactly one cell, so that faces filling a tightly cropped photo are found.
  std::vector<float> scales;
  for (; min_side * scale >= cell; scale *= config_.pyramid_factor) scales.push_back(scale);
  const float last = cell / min_side;
  if (scales.empty() || scales.back() > last * 1.05f) scales.push_back(last);
  *levels = static_cast<int>(scales.size());
  // Each level is resized from the previous one (factor ~0.709), bilinearly:
  // INTER_AREA from the full image took 11 ms for a 640x480 pyramid, this
  // takes under 1 ms. Only a first step below 1/2 uses INTER_AREA, which
  // bilinear sampling would alias.
  cv::Mat previous = rgb;
  for (float level_scale : scales) {
    scale = level_scale;
    int ws = static_cast<int>(std::ceil(static_cast<float>(rgb.cols) * scale));
    int hs = static_cast<int>(std::ceil(static_cast<float>(rgb.rows) * scale));
    cv::Mat resized;
    bool big_step = ws * 2 < previous.cols;
    cv::resize(previous, resized, cv::Size(ws, hs), 0, 0, big_step ? cv::INTER_AREA : cv::INTER_LINEAR);
    previous = resized;
    FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, pnet_.model->Run(TransposedBlob({resized}, pnet_.info), names));
    const cv::Mat& prob = out[0];
    const cv::Mat& reg = out[1];
    if (prob.dims != 4 || prob.size[1] != 2 || reg.dims != 4 || reg.size[1] != 4) {
      return Status(StatusCode::kModelInvalid, "P-Net outputs have unexpected shapes");
    }
    int gx = prob.size[2], gy = prob.size[3];  // transposed: dim 2 runs along x
    const float* p1 = prob.ptr<float>(0, 1);
    std::vector<Candidate> level;
    for (int x = 0; x < gx; ++x) {
      for (int y = 0; y < gy; ++y) {
        float prob1 = p1[x * gy + y];
        if (prob1 <= config_.pnet_threshold) continue;
        Candidate c;
        c.score = prob1;
        c.x1 = std::round(2.f * static_cast<float>(x) / scale);
        c.y1 = std::round(2.f * static_cast<float>(y) / scale);
        c.x2 = std::round((2.f * static_cast<float>(x) + 11.f) / scale);
        c.y2 = std::round((2.f * static_cast<float>(y) + 11.f) / scale);
        for (int k = 0; k < 4; ++k) c.reg[static_cast<size_t>(k)] = reg.ptr<float>(0, k)[x * gy + y];
        level.push_back(c);
      }
    }
    for (Candidate& c : Nms(std::move(level), config_.pnet_nms_per_scale, NmsMode::kUnion)) all.push_back(c);
  }
  all = Nms(std::move(all), config_.pnet_nms_across_scales, NmsMode::kUnion);
  for (Candidate& c : all) {
    Regress(c);
    Square(c);
  }
  return all;
}

Result<std::vector<Candidate>> MtcnnDetector::RunRefine(const cv::Mat& rgb, std::vector<Candidate> boxes,
                                                        bool output_stage, std::vector<Candidate>* unsure) const {
  if (boxes.empty()) return boxes;
  const Net& net = output_stage ? onet_ : rnet_;
  int size = net.info.input_width;
  std::vector<cv::Mat> crops;
  crops.reserve(boxes.size());
  for (const Candidate& c : boxes) crops.push_back(CropPadded(rgb, c, size));
  std::vector<std::string> names{net.info.outputs.at("prob"), net.info.outputs.at("box")};
  if (output_stage) names.push_back(net.info.outputs.at("landmarks"));
  FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, net.model->Run(TransposedBlob(crops, net.info), names));
  const float threshold = output_stage ? config_.onet_threshold : config_.rnet_threshold;
  const float unsure_from = unsure != nullptr ? config_.rnet_isolated_threshold : threshold;
  std::vector<Candidate> kept, below;
  for (size_t i = 0; i < boxes.size(); ++i) {
    Candidate c = boxes[i];
    c.score = out[0].ptr<float>(static_cast<int>(i))[1];
    if (c.score < unsure_from) continue;
    const float* r = out[1].ptr<float>(static_cast<int>(i));
    for (int k = 0; k < 4; ++k) c.reg[static_cast<size_t>(k)] = r[k];
    if (c.score < threshold) {
      below.push_back(c);
      continue;
    }
    if (output_stage) {
      const float* l = out[2].ptr<float>(static_cast<int>(i));
      for (int k = 0; k < 5; ++k) {
        c.landmarks[static_cast<size_t>(k)] = {c.x1 + l[k] * c.width(), c.y1 + l[k + 5] * c.height()};
      }
    }
    kept.push_back(c);
  }
  if (output_stage) {
    for (Candidate& c : kept) Regress(c);
    return Nms(std::move(kept), config_.onet_nms_min, NmsMode::kMin);
  }
  kept = Nms(std::move(kept), config_.rnet_nms, NmsMode::kUnion);
  for (Candidate& c : kept) {
    Regress(c);
    Square(c);
  }
  if (unsure != nullptr) {
    *unsure = Nms(std::move(below), config_.rnet_nms, NmsMode::kUnion);
    for (Candidate& c : *unsure) {
      Regress(c);
      Square(c);
    }
  }
  return kept;
}

Result<std::vector<FaceBox>> MtcnnDetector::Detect(const cv::Mat& rgb, const DetectOptions& options,
                                                   DetectStats* stats) const {
  if (rgb.empty() || rgb.type() != CV_8UC3) return Status(StatusCode::kInvalidArgument, "detector needs an 8-bit 3-channel image");
  if (options.min_face_size < 0 || options.max_faces < 0 || options.max_detect_side < 0) {
    return Status(StatusCode::kInvalidArgument, "detect options must not be negative");
  }
  int max_side = options.max_detect_side > 0 ? options.max_detect_side : config_.max_detect_side;
  int min_face = options.min_face_size > 0 ? options.min_face_size : config_.min_face_size;
  float s0 = 1.f;
  cv::Mat work = rgb;
  int long_side = std::max(rgb.cols, rgb.rows);
  if (max_side > 0 && long_side > max_side) {
    s0 = static_cast<float>(max_side) / static_cast<float>(long_side);
    cv::resize(rgb, work, cv::Size(std::max(1, static_cast<int>(std::lround(rgb.cols * s0))),
                                    std::max(1, static_cast<int>(std::lround(rgb.rows * s0)))),
               0, 0, cv::INTER_AREA);
  }
  int work_min_face = std::max(12, static_cast<int>(std::lround(static_cast<float>(min_face) * s0)));
  auto now = [] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  DetectStats st;
  double t0 = now();
  FACEKIT_ASSIGN_OR_RETURN(std::vector<Candidate> c, RunPnet(work, work_min_face, &st.pyramid_levels));
  double t1 = now();
  st.proposals = static_cast<int>(c.size());
  std::vector<Candidate> unsure;
  FACEKIT_ASSIGN_OR_RETURN(c, RunRefine(work, std::move(c), false, &unsure));
  double t2 = now();
  st.refined = static_cast<int>(c.size());
  FACEKIT_ASSIGN_OR_RETURN(c, RunRefine(work, std::move(c), true));
  // Second chance: R-Net's unsure candidates go to O-Net too, but only where
  // the cascade found no face (so the faces found above keep their boxes).
  unsure = Uncovered(std::move(unsure), c, 0.5f);
  if (!unsure.empty()) {
    st.second_chance = static_cast<int>(unsure.size());
    FACEKIT_ASSIGN_OR_RETURN(std::vector<Candidate> more, RunRefine(work, std::move(unsure), true));
    for (Candidate& m : Uncovered(std::move(more), c, config_.onet_nms_min)) c.push_back(m);
  }
  st.pnet_ms = t1 - t0;
  st.rnet_ms = t2 - t1;
  st.onet_ms = now() - t2;
  if (stats) *stats = st;

  std::vector<FaceBox> faces;
  for (const Candidate& k : c) {
    FaceBox f;
    f.x = k.x1 / s0;
    f.y = k.y1 / s0;
    f.width = k.width() / s0;
    f.height = k.height() / s0;
    f.score = k.score;
    for (size_t j = 0; j < 5; ++j) f.landmarks[j] = {k.landmarks[j].x / s0, k.landmarks[j].y / s0};
    // Regression can shrink a box a little below the window it came from;
    // anything under 3/4 of the minimum size is a smaller face than asked for.
    if (std::max(f.width, f.height) < static_cast<float>(min_face) * 0.75f) continue;
    faces.push_back(f);
  }
  std::stable_sort(faces.begin(), faces.end(), [](const FaceBox& a, const FaceBox& b) {
    return a.width * a.height > b.width * b.height;
  });
  if (options.max_faces > 0 && faces.size() > static_cast<size_t>(options.max_faces)) faces.resize(static_cast<size_t>(options.max_faces));
  return faces;
}

}  // namespace facekit::face
