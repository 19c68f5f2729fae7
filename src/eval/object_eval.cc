#include "eval/object_eval.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "objects/centernet_decoder.h"

namespace facekit::eval {
namespace {

struct Scored {
  float score;
  size_t image, index;
};

// True/false flags of class `c`'s detections at IoU `t`, in score order.
std::vector<bool> MatchClass(const std::vector<ImageObjects>& images, const std::vector<Scored>& order, int c,
                             float t) {
  std::vector<std::vector<bool>> used(images.size());
  for (size_t i = 0; i < images.size(); ++i) used[i].assign(images[i].truth.size(), false);
  std::vector<bool> tp;
  tp.reserve(order.size());
  for (const Scored& s : order) {
    const ObjectBox& d = images[s.image].detections[s.index];
    const auto& truth = images[s.image].truth;
    float best = t;
    int best_j = -1;
    for (size_t j = 0; j < truth.size(); ++j) {
      if (truth[j].class_id != c || used[s.image][j]) continue;
      float iou = ObjectIoU(d, truth[j]);
      if (iou >= best) {
        best = iou;
        best_j = static_cast<int>(j);
      }
    }
    if (best_j >= 0) used[s.image][static_cast<size_t>(best_j)] = true;
    tp.push_back(best_j >= 0);
  }
  return tp;
}

void AddConfusion(const ImageObjects& img, const ObjectEvalOptions& o, std::vector<std::vector<int>>* m) {
  const int bg = o.num_classes;
  std::vector<const ObjectBox*> dets;
  for (const ObjectBox& d : img.detections) {
    if (d.score >= o.score_threshold && d.class_id >= 0 && d.class_id < o.num_classes) dets.push_back(&d);
  }
  struct Pair {
    float iou;
    size_t t, d;
  };
  std::vector<Pair> pairs;
  for (size_t t = 0; t < img.truth.size(); ++t) {
    for (size_t d = 0; d < dets.size(); ++d) {
      float iou = ObjectIoU(img.truth[t], *dets[d]);
      if (iou >= o.confusion_iou) pairs.push_back({iou, t, d});
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.iou > b.iou; });
  std::vector<bool> t_used(img.truth.size(), false), d_used(dets.size(), false);
  for (const Pair& p : pairs) {
    if (t_used[p.t] || d_used[p.d]) continue;
    t_used[p.t] = d_used[p.d] = true;
    (*m)[static_cast<size_t>(img.truth[p.t].class_id)][static_cast<size_t>(dets[p.d]->class_id)]++;
  }
  for (size_t t = 0; t < img.truth.size(); ++t) {
    if (!t_used[t]) (*m)[static_cast<size_t>(img.truth[t].class_id)][static_cast<size_t>(bg)]++;
  }
  for (size_t d = 0; d < dets.size(); ++d) {
    if (!d_used[d]) (*m)[static_cast<size_t>(bg)][static_cast<size_t>(dets[d]->class_id)]++;
  }
}

}  // namespace

float ObjectIoU(const ObjectBox& a, const ObjectBox& b) {
  return objects::BoxIoU({a.x1, a.y1, a.x2, a.y2, a.score, a.class_id}, {b.x1, b.y1, b.x2, b.y2, b.score, b.class_id});
}

double AveragePrecision(const std::vector<bool>& is_true_positive, int truths) {
  if (truths <= 0) return 0.0;
  std::vector<double> precision, recall;
  int tp = 0, fp = 0;
  for (bool t : is_true_positive) {
    (t ? tp : fp)++;
    precision.push_back(static_cast<double>(tp) / (tp + fp));
    recall.push_back(static_cast<double>(tp) / truths);
  }
  // Precision envelope (non-increasing from the right), then the area
  // under the step curve at each recall change.
  for (size_t i = precision.size(); i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double ap = 0, prev_recall = 0;
  for (size_t i = 0; i < recall.size(); ++i) {
    ap += (recall[i] - prev_recall) * precision[i];
    prev_recall = recall[i];
  }
  return ap;
}

ObjectEvalReport EvaluateObjects(const std::vector<ImageObjects>& images, const ObjectEvalOptions& o) {
  ObjectEvalReport r;
  const size_t n = static_cast<size_t>(o.num_classes);
  r.confusion.assign(n + 1, std::vector<int>(n + 1, 0));
  std::vector<int> truths(n, 0);
  std::vector<std::vector<Scored>> by_class(n);
  for (size_t i = 0; i < images.size(); ++i) {
    for (const ObjectBox& t : images[i].truth) {
      if (t.class_id >= 0 && t.class_id < o.num_classes) ++truths[static_cast<size_t>(t.class_id)];
    }
    for (size_t k = 0; k < images[i].detections.size(); ++k) {
      const ObjectBox& d = images[i].detections[k];
      if (d.class_id >= 0 && d.class_id < o.num_classes)
        by_class[static_cast<size_t>(d.class_id)].push_back({d.score, i, k});
    }
    AddConfusion(images[i], o, &r.confusion);
  }
  int with_truth = 0;
  for (size_t c = 0; c < n; ++c) {
    if (truths[c] == 0 && by_class[c].empty()) continue;
    std::vector<Scored>& order = by_class[c];
    std::stable_sort(order.begin(), order.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
    ClassMetrics m;
    m.class_id = static_cast<int>(c);
    m.truths = truths[c];
    m.detections = static_cast<int>(order.size());
    for (int step = 0; step < 10; ++step) {
      std::vector<bool> tp = MatchClass(images, order, m.class_id, 0.5f + 0.05f * static_cast<float>(step));
      double ap = AveragePrecision(tp, m.truths);
      if (step == 0) {
        m.ap50 = ap;
        for (size_t k = 0; k < order.size() && order[k].score >= o.score_threshold; ++k)
          (tp[k] ? m.true_positives : m.false_positives)++;
      }
      m.ap50_95 += ap / 10.0;
    }
    const int kept = m.true_positives + m.false_positives;
    m.precision = kept > 0 ? static_cast<double>(m.true_positives) / kept : 0.0;
    m.recall = m.truths > 0 ? static_cast<double>(m.true_positives) / m.truths : 0.0;
    if (m.truths > 0) {
      ++with_truth;
      r.map50 += m.ap50;
      r.map50_95 += m.ap50_95;
    }
    r.truths += m.truths;
    r.detections += m.detections;
    r.classes.push_back(m);
  }
  if (with_truth > 0) {
    r.map50 /= with_truth;
    r.map50_95 /= with_truth;
  }
  return r;
}

Result<std::vector<ObjectBox>> ParseYoloLabels(const std::string& text, int width, int height,
                                               const std::string& name) {
  std::vector<ObjectBox> boxes;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ls(line);
    int c = -1;
    float cx, cy, w, h;
    std::string extra;
    if (!(ls >> c >> cx >> cy >> w >> h) || c < 0 || w < 0 || h < 0) {
      return Status(StatusCode::kInvalidArgument,
                    name + ":" + std::to_string(line_no) + ": expected 'class cx cy w h'");
    }
    ObjectBox b;
    b.class_id = c;
    b.x1 = (cx - w / 2) * static_cast<float>(width);
    b.y1 = (cy - h / 2) * static_cast<float>(height);
    b.x2 = (cx + w / 2) * static_cast<float>(width);
    b.y2 = (cy + h / 2) * static_cast<float>(height);
    boxes.push_back(b);
  }
  return boxes;
}

Result<std::vector<std::string>> ParseYoloNames(const std::string& yaml) {
  std::istringstream in(yaml);
  std::string line;
  bool in_names = false;
  std::vector<std::pair<int, std::string>> named;
  auto trim = [](std::string s) {
    size_t a = s.find_first_not_of(" \t\r'\""), b = s.find_last_not_of(" \t\r'\"");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  while (std::getline(in, line)) {
    if (line.rfind("names:", 0) == 0) {
      in_names = true;
      continue;
    }
    if (!in_names) continue;
    if (!line.empty() && line[0] != ' ' && line[0] != '\t' && line[0] != '-' && line[0] != '#') break;
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t[0] == '-') {
      named.emplace_back(static_cast<int>(named.size()), trim(t.substr(1)));
      continue;
    }
    size_t colon = t.find(':');
    if (colon == std::string::npos) return Status(StatusCode::kInvalidArgument, "names: cannot read '" + t + "'");
    try {
      named.emplace_back(std::stoi(t.substr(0, colon)), trim(t.substr(colon + 1)));
    } catch (const std::exception&) {
      return Status(StatusCode::kInvalidArgument, "names: cannot read '" + t + "'");
    }
  }
  if (named.empty()) return Status(StatusCode::kInvalidArgument, "no 'names:' section with class names");
  std::vector<std::string> names;
  for (const auto& [id, nm] : named) {
    if (id < 0 || id > 100000) return Status(StatusCode::kInvalidArgument, "names: class id out of range");
    if (names.size() <= static_cast<size_t>(id)) names.resize(static_cast<size_t>(id) + 1);
    names[static_cast<size_t>(id)] = nm;
  }
  return names;
}

}  // namespace facekit::eval
