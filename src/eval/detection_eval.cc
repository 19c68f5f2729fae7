#include "eval/detection_eval.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

namespace facekit::eval {
namespace {

// Value of attribute `name` inside one tag's text, or "" when absent.
std::string Attribute(const std::string& tag, const std::string& name) {
  size_t pos = 0;
  while ((pos = tag.find(name, pos)) != std::string::npos) {
    bool starts = pos > 0 && (tag[pos - 1] == ' ' || tag[pos - 1] == '\t' || tag[pos - 1] == '\n');
    size_t eq = pos + name.size();
    while (eq < tag.size() && tag[eq] == ' ') ++eq;
    if (starts && eq < tag.size() && tag[eq] == '=') {
      size_t q = eq + 1;
      while (q < tag.size() && tag[q] == ' ') ++q;
      if (q < tag.size() && (tag[q] == '\'' || tag[q] == '"')) {
        size_t end = tag.find(tag[q], q + 1);
        if (end != std::string::npos) return tag.substr(q + 1, end - q - 1);
      }
    }
    pos += name.size();
  }
  return {};
}

bool Number(const std::string& s, float* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtof(s.c_str(), &end);
  return end != nullptr && *end == '\0';
}

}  // namespace

float IoU(const Box& a, const Box& b) {
  float iw = std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x);
  float ih = std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y);
  if (iw <= 0 || ih <= 0) return 0.f;
  float inter = iw * ih;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

Result<std::vector<AnnotatedImage>> ParseImglabXml(const std::string& xml) {
  std::vector<AnnotatedImage> images;
  size_t pos = 0;
  AnnotatedImage* current = nullptr;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    size_t end = xml.find('>', pos);
    if (end == std::string::npos) return Status(StatusCode::kInvalidArgument, "annotation XML ends inside a tag");
    std::string tag = xml.substr(pos, end - pos + 1);
    pos = end + 1;
    if (tag.rfind("<image ", 0) == 0 || tag.rfind("<image>", 0) == 0) {
      AnnotatedImage img;
      img.file = Attribute(tag, "file");
      if (img.file.empty()) return Status(StatusCode::kInvalidArgument, "an <image> has no file attribute");
      images.push_back(std::move(img));
      current = tag.size() >= 2 && tag[tag.size() - 2] == '/' ? nullptr : &images.back();
    } else if (tag.rfind("</image", 0) == 0) {
      current = nullptr;
    } else if (tag.rfind("<box", 0) == 0) {
      if (current == nullptr) return Status(StatusCode::kInvalidArgument, "a <box> outside an <image>");
      Box b;
      if (!Number(Attribute(tag, "left"), &b.x) || !Number(Attribute(tag, "top"), &b.y) ||
          !Number(Attribute(tag, "width"), &b.width) || !Number(Attribute(tag, "height"), &b.height)) {
        return Status(StatusCode::kInvalidArgument, "a <box> of " + current->file + " lacks top/left/width/height");
      }
      if (b.width <= 0 || b.height <= 0) {
        return Status(StatusCode::kInvalidArgument, "a <box> of " + current->file + " has no area");
      }
      b.ignore = Attribute(tag, "ignore") == "1";
      current->boxes.push_back(b);
      current->box_parts.emplace_back();
    } else if (tag.rfind("<part", 0) == 0) {
      if (current == nullptr || current->boxes.empty()) {
        return Status(StatusCode::kInvalidArgument, "a <part> outside a <box>");
      }
      BoxPart part;
      float index = -1;
      if (!Number(Attribute(tag, "name"), &index) || !Number(Attribute(tag, "x"), &part.x) ||
          !Number(Attribute(tag, "y"), &part.y) || index < 0 || index != static_cast<float>(static_cast<int>(index))) {
        return Status(StatusCode::kInvalidArgument, "a <part> of " + current->file + " lacks a numeric name, x or y");
      }
      part.index = static_cast<int>(index);
      current->box_parts.back().push_back(part);
    }
  }
  if (images.empty()) return Status(StatusCode::kInvalidArgument, "annotation XML lists no <image>");
  return images;
}

DetectionReport EvaluateDetections(const std::vector<AnnotatedImage>& annotations,
                                   const std::vector<std::vector<Box>>& detections, float iou_threshold) {
  DetectionReport r;
  struct Scored {
    float score;
    bool tp;
  };
  std::vector<Scored> all;
  for (size_t i = 0; i < annotations.size(); ++i) {
    const auto& gt = annotations[i].boxes;
    const auto& det = i < detections.size() ? detections[i] : std::vector<Box>{};
    ImageResult ir;
    ir.file = annotations[i].file;
    ir.detected = static_cast<int>(det.size());
    ir.annotation_found.assign(gt.size(), false);
    ir.detection_kind.assign(det.size(), MatchKind::kFalsePositive);
    for (const Box& g : gt) ir.annotated += g.ignore ? 0 : 1;
    std::vector<size_t> order(det.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return det[a].score > det[b].score; });
    for (size_t d : order) {
      int best = -1;
      float best_iou = iou_threshold;
      for (size_t g = 0; g < gt.size(); ++g) {
        if (gt[g].ignore || ir.annotation_found[g]) continue;
        float iou = IoU(det[d], gt[g]);
        if (iou >= best_iou) {
          best_iou = iou;
          best = static_cast<int>(g);
        }
      }
      if (best >= 0) {
        ir.annotation_found[static_cast<size_t>(best)] = true;
        ir.detection_kind[d] = MatchKind::kTruePositive;
        ++ir.true_positives;
        all.push_back({det[d].score, true});
        continue;
      }
      bool on_ignored = false;
      for (const Box& g : gt) on_ignored = on_ignored || (g.ignore && IoU(det[d], g) >= iou_threshold);
      if (on_ignored) {
        ir.detection_kind[d] = MatchKind::kIgnored;
        ++ir.ignored;
      } else {
        ++ir.false_positives;
        all.push_back({det[d].score, false});
      }
    }
    ir.misses = ir.annotated - ir.true_positives;
    r.true_positives += ir.true_positives;
    r.false_positives += ir.false_positives;
    r.misses += ir.misses;
    r.annotated += ir.annotated;
    r.images.push_back(std::move(ir));
  }
  int matched = r.true_positives + r.false_positives;
  r.precision = matched ? static_cast<double>(r.true_positives) / matched : 0.0;
  r.recall = r.annotated ? static_cast<double>(r.true_positives) / r.annotated : 0.0;
  // All-point interpolated AP.
  std::stable_sort(all.begin(), all.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<double> prec, rec;
  int tp = 0, fp = 0;
  for (const Scored& s : all) {
    (s.tp ? tp : fp)++;
    prec.push_back(static_cast<double>(tp) / (tp + fp));
    rec.push_back(r.annotated ? static_cast<double>(tp) / r.annotated : 0.0);
  }
  for (size_t i = prec.size(); i-- > 1;) prec[i - 1] = std::max(prec[i - 1], prec[i]);
  double prev_recall = 0;
  for (size_t i = 0; i < prec.size(); ++i) {
    r.average_precision += (rec[i] - prev_recall) * prec[i];
    prev_recall = rec[i];
  }
  return r;
}

}  // namespace facekit::eval
