#include "runtime/tfjs_reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

namespace facekit::testing {
namespace {

using runtime::TfjsNode;

size_t Count(const std::vector<int>& s) {
  size_t n = 1;
  for (int d : s) n *= static_cast<size_t>(d);
  return n;
}

class Interpreter {
 public:
  Interpreter(const runtime::TfjsModel& m, const TfjsReferenceOptions& o) : m_(m), o_(o) {}

  bool Eval(const std::string& ref, RefTensor* out) {
    auto it = values_.find(ref);
    if (it != values_.end()) {
      *out = it->second;
      return true;
    }
    auto [name, index] = runtime::SplitTensorRef(ref);
    const TfjsNode* n = m_.FindNode(name);
    if (!n || index != 0) {
      ADD_FAILURE() << "reference: no tensor " << ref;
      return false;
    }
    std::vector<RefTensor> in(n->inputs.size());
    if (n->op != "Const" && n->op != "Placeholder") {
      for (size_t k = 0; k < n->inputs.size(); ++k) {
        if (!Eval(n->inputs[k], &in[k])) return false;
      }
    }
    RefTensor r;
    if (!Compute(*n, in, &r)) return false;
    values_[ref] = r;
    *out = r;
    return true;
  }

  std::map<std::string, RefTensor> values_;

 private:
  static std::vector<int> Ints(const TfjsNode& n, const char* key) {
    const runtime::TfjsAttr* a = n.Attr(key);
    std::vector<int> v;
    if (a) {
      for (int64_t x : a->ints) v.push_back(static_cast<int>(x));
    }
    return v;
  }
  static std::string Str(const TfjsNode& n, const char* key) {
    const runtime::TfjsAttr* a = n.Attr(key);
    return a ? a->s : "";
  }
  static std::vector<int> AsInts(const RefTensor& t) {
    std::vector<int> v;
    for (float f : t.data) v.push_back(static_cast<int>(std::lround(f)));
    return v;
  }

  // Output size and leading pad per TensorFlow's GetWindowedOutputSize.
  static void OutPad(int in, int k, int s, int d, const std::string& padding, int* out, int* pad) {
    int eff = (k - 1) * d + 1;
    if (padding == "SAME") {
      *out = (in + s - 1) / s;
      *pad = std::max(0, (*out - 1) * s + eff - in) / 2;
    } else {
      *out = (in - eff + s) / s;
      *pad = 0;
    }
  }

  static double Act(const std::string& a, double v, double alpha) {
    if (a == "Relu") return std::max(0.0, v);
    if (a == "Relu6") return std::min(6.0, std::max(0.0, v));
    if (a == "Sigmoid") return 1.0 / (1.0 + std::exp(-v));
    if (a == "Tanh") return std::tanh(v);
    if (a == "Elu") return v > 0 ? v : std::exp(v) - 1.0;
    if (a == "Prelu" || a == "LeakyRelu") return v > 0 ? v : alpha * v;
    return v;
  }

  bool Conv(const TfjsNode& n, const std::vector<RefTensor>& in, RefTensor* y) {
    const RefTensor& x = in[0];
    const RefTensor& w = in[1];
    const bool dw = n.op.find("Depthwise") != std::string::npos;
    int nb = x.shape[0], h = x.shape[1], wd = x.shape[2], c = x.shape[3];
    int kh = w.shape[0], kw = w.shape[1], m = w.shape[3];
    std::vector<int> st = Ints(n, "strides"), dl = Ints(n, "dilations");
    int sh = st.empty() ? 1 : st[1], sw = st.empty() ? 1 : st[2];
    int dh = dl.empty() ? 1 : dl[1], dwd = dl.empty() ? 1 : dl[2];
    int oh, ow, pt, pl;
    OutPad(h, kh, sh, dh, Str(n, "padding"), &oh, &pt);
    OutPad(wd, kw, sw, dwd, Str(n, "padding"), &ow, &pl);
    int oc = dw ? c * m : m;
    std::vector<std::string> fused;
    if (const runtime::TfjsAttr* f = n.Attr("fused_ops")) fused = f->strings;
    const bool bias = !fused.empty() && fused[0] == "BiasAdd";
    const std::string act = fused.size() > 1 ? fused[1] : "";
    const RefTensor* alpha = act == "Prelu" ? &in[3] : nullptr;
    const runtime::TfjsAttr* la = n.Attr("leakyrelu_alpha");
    *y = {{nb, oh, ow, oc}, std::vector<float>(static_cast<size_t>(nb) * oh * ow * oc)};
    for (int b = 0; b < nb; ++b)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int o = 0; o < oc; ++o) {
            double acc = bias ? in[2].data[static_cast<size_t>(o)] : 0.0;
            for (int ky = 0; ky < kh; ++ky) {
              int iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (int kx = 0; kx < kw; ++kx) {
                int ix = ox * sw - pl + kx * dwd;
                if (ix < 0 || ix >= wd) continue;
                const float* px = &x.data[((static_cast<size_t>(b) * h + iy) * wd + ix) * c];
                if (dw) {
                  int ic = o / m, mm = o % m;
                  acc += double{px[ic]} * w.data[((static_cast<size_t>(ky) * kw + kx) * c + ic) * m + mm];
                } else {
                  for (int ic = 0; ic < c; ++ic)
                    acc += double{px[ic]} * w.data[((static_cast<size_t>(ky) * kw + kx) * c + ic) * m + o];
                }
              }
            }
            double a = alpha ? alpha->data[alpha->data.size() == 1 ? 0 : static_cast<size_t>(o)] : (la ? la->f : 0.2);
            y->data[((static_cast<size_t>(b) * oh + oy) * ow + ox) * oc + o] = static_cast<float>(Act(act, acc, a));
          }
    return true;
  }

  // NumPy broadcasting over the trailing dimensions.
  static bool Broadcast(const RefTensor& a, const RefTensor& b, const std::function<double(double, double)>& f,
                        RefTensor* y) {
    size_t rank = std::max(a.shape.size(), b.shape.size());
    std::vector<int> sa(rank, 1), sb(rank, 1), so(rank);
    std::copy(a.shape.begin(), a.shape.end(), sa.begin() + static_cast<long>(rank - a.shape.size()));
    std::copy(b.shape.begin(), b.shape.end(), sb.begin() + static_cast<long>(rank - b.shape.size()));
    for (size_t i = 0; i < rank; ++i) {
      if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1) return false;
      so[i] = std::max(sa[i], sb[i]);
    }
    y->shape = so;
    y->data.assign(Count(so), 0.f);
    std::vector<int> idx(rank, 0);
    for (size_t flat = 0; flat < y->data.size(); ++flat) {
      size_t ia = 0, ib = 0;
      for (size_t d = 0; d < rank; ++d) {
        ia = ia * static_cast<size_t>(sa[d]) + static_cast<size_t>(sa[d] == 1 ? 0 : idx[d]);
        ib = ib * static_cast<size_t>(sb[d]) + static_cast<size_t>(sb[d] == 1 ? 0 : idx[d]);
      }
      y->data[flat] = static_cast<float>(f(a.data[ia], b.data[ib]));
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < so[d]) break;
        idx[d] = 0;
      }
    }
    return true;
  }

  bool Compute(const TfjsNode& n, const std::vector<RefTensor>& in, RefTensor* y) {
    const std::string& op = n.op;
    if (op == "Const") {
      const runtime::TfjsTensor& t = m_.weights.at(n.name);
      for (int64_t d : t.shape) y->shape.push_back(static_cast<int>(d));
      if (t.dtype == runtime::TfjsDtype::kFloat32) {
        y->data = t.floats;
      } else {
        for (int64_t v : t.ints) y->data.push_back(static_cast<float>(v));
      }
      return true;
    }
    if (op == "Identity") {
      *y = in[0];
      return true;
    }
    if (op == "Conv2D" || op == "_FusedConv2D" || op == "DepthwiseConv2dNative" || op == "FusedDepthwiseConv2dNative") {
      return Conv(n, in, y);
    }
    static const std::map<std::string, std::function<double(double, double)>> kBinary = {
        {"Add", [](double a, double b) { return a + b; }},
        {"AddV2", [](double a, double b) { return a + b; }},
        {"BiasAdd", [](double a, double b) { return a + b; }},
        {"Sub", [](double a, double b) { return a - b; }},
        {"Mul", [](double a, double b) { return a * b; }},
        {"RealDiv", [](double a, double b) { return a / b; }},
        {"Maximum", [](double a, double b) { return std::max(a, b); }},
        {"Minimum", [](double a, double b) { return std::min(a, b); }}};
    if (auto it = kBinary.find(op); it != kBinary.end()) return Broadcast(in[0], in[1], it->second, y);
    if (op == "Relu" || op == "Relu6" || op == "Sigmoid" || op == "Tanh" || op == "Elu" || op == "LeakyRelu") {
      const runtime::TfjsAttr* la = n.Attr("alpha");
      *y = in[0];
      for (float& v : y->data) v = static_cast<float>(Act(op, v, la ? la->f : 0.2));
      return true;
    }
    if (op == "Prelu") {
      return Broadcast(
          in[0], in[1], [](double x, double a) { return x > 0 ? x : a * x; }, y);
    }
    if (op == "MaxPool" || op == "AvgPool") {
      const RefTensor& x = in[0];
      std::vector<int> k = Ints(n, "ksize"), st = Ints(n, "strides");
      int nb = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3], oh, ow, pt, pl;
      OutPad(h, k[1], st[1], 1, Str(n, "padding"), &oh, &pt);
      OutPad(w, k[2], st[2], 1, Str(n, "padding"), &ow, &pl);
      *y = {{nb, oh, ow, c}, std::vector<float>(static_cast<size_t>(nb) * oh * ow * c)};
      for (int b = 0; b < nb; ++b)
        for (int oy = 0; oy < oh; ++oy)
          for (int ox = 0; ox < ow; ++ox)
            for (int ch = 0; ch < c; ++ch) {
              double best = -std::numeric_limits<double>::infinity(), sum = 0;
              int cnt = 0;
              for (int ky = 0; ky < k[1]; ++ky)
                for (int kx = 0; kx < k[2]; ++kx) {
                  int iy = oy * st[1] - pt + ky, ix = ox * st[2] - pl + kx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                  double v = x.data[((static_cast<size_t>(b) * h + iy) * w + ix) * c + ch];
                  best = std::max(best, v);
                  sum += v;
                  ++cnt;
                }
              y->data[((static_cast<size_t>(b) * oh + oy) * ow + ox) * c + ch] =
                  static_cast<float>(op == "MaxPool" ? best : sum / cnt);
            }
      return true;
    }
    if (op == "Mean") {
      const RefTensor& x = in[0];
      std::vector<int> axes = AsInts(in[1]);
      if (x.shape.size() != 4 || axes != std::vector<int>{1, 2}) return Unknown(n, "axes");
      int nb = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3];
      *y = {{nb, 1, 1, c}, std::vector<float>(static_cast<size_t>(nb) * c)};
      const runtime::TfjsAttr* kd = n.Attr("keep_dims");
      if (!kd || !kd->b) y->shape = {nb, c};
      for (int b = 0; b < nb; ++b)
        for (int ch = 0; ch < c; ++ch) {
          double s = 0;
          for (int i = 0; i < h * w; ++i) s += x.data[(static_cast<size_t>(b) * h * w + i) * c + ch];
          y->data[static_cast<size_t>(b) * c + ch] = static_cast<float>(s / (h * w));
        }
      return true;
    }
    if (op == "ConcatV2") {
      int rank = static_cast<int>(in[0].shape.size());
      int axis = AsInts(in.back())[0];
      if (axis < 0) axis += rank;
      size_t outer = 1;
      for (int d = 0; d < axis; ++d) outer *= static_cast<size_t>(in[0].shape[static_cast<size_t>(d)]);
      y->shape = in[0].shape;
      y->shape[static_cast<size_t>(axis)] = 0;
      for (size_t k = 0; k + 1 < in.size(); ++k)
        y->shape[static_cast<size_t>(axis)] += in[k].shape[static_cast<size_t>(axis)];
      for (size_t o = 0; o < outer; ++o)
        for (size_t k = 0; k + 1 < in.size(); ++k) {
          size_t chunk = in[k].data.size() / outer;
          y->data.insert(y->data.end(), in[k].data.begin() + static_cast<long>(o * chunk),
                         in[k].data.begin() + static_cast<long>((o + 1) * chunk));
        }
      return true;
    }
    if (op == "ResizeBilinear") {
      const RefTensor& x = in[0];
      std::vector<int> size = AsInts(in[1]);
      if (o_.resize_factor > 0) size = {x.shape[1] * o_.resize_factor, x.shape[2] * o_.resize_factor};
      int nb = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3], oh = size[0], ow = size[1];
      const runtime::TfjsAttr* ac = n.Attr("align_corners");
      const runtime::TfjsAttr* hp = n.Attr("half_pixel_centers");
      bool align = ac && ac->b, half = hp && hp->b;
      double ry = align && oh > 1 ? (h - 1.0) / (oh - 1.0) : static_cast<double>(h) / oh;
      double rx = align && ow > 1 ? (w - 1.0) / (ow - 1.0) : static_cast<double>(w) / ow;
      *y = {{nb, oh, ow, c}, std::vector<float>(static_cast<size_t>(nb) * oh * ow * c)};
      for (int b = 0; b < nb; ++b)
        for (int oy = 0; oy < oh; ++oy)
          for (int ox = 0; ox < ow; ++ox) {
            double fy = half ? (oy + 0.5) * ry - 0.5 : oy * ry, fx = half ? (ox + 0.5) * rx - 0.5 : ox * rx;
            fy = std::max(0.0, fy);
            fx = std::max(0.0, fx);
            int y0 = static_cast<int>(std::floor(fy)), x0 = static_cast<int>(std::floor(fx));
            int y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
            double dy = fy - y0, dx = fx - x0;
            for (int ch = 0; ch < c; ++ch) {
              auto at = [&](int yy, int xx) {
                return double{x.data[((static_cast<size_t>(b) * h + yy) * w + xx) * c + ch]};
              };
              double top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * dx;
              double bot = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * dx;
              y->data[((static_cast<size_t>(b) * oh + oy) * ow + ox) * c + ch] =
                  static_cast<float>(top + (bot - top) * dy);
            }
          }
      return true;
    }
    if (op == "Pad") {
      const RefTensor& x = in[0];
      std::vector<int> p = AsInts(in[1]);
      if (x.shape.size() != 4) return Unknown(n, "rank");
      int nb = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3];
      int oh = h + p[2] + p[3], ow = w + p[4] + p[5], oc = c + p[6] + p[7];
      *y = {{nb + p[0] + p[1], oh, ow, oc},
            std::vector<float>(static_cast<size_t>(nb + p[0] + p[1]) * oh * ow * oc, 0.f)};
      for (int b = 0; b < nb; ++b)
        for (int yy = 0; yy < h; ++yy)
          for (int xx = 0; xx < w; ++xx)
            for (int ch = 0; ch < c; ++ch)
              y->data[((static_cast<size_t>(b + p[0]) * oh + yy + p[2]) * ow + xx + p[4]) * oc + ch + p[6]] =
                  x.data[((static_cast<size_t>(b) * h + yy) * w + xx) * c + ch];
      return true;
    }
    if (op == "MatMul" || op == "_FusedMatMul") {
      const RefTensor& x = in[0];
      const RefTensor& w = in[1];
      const runtime::TfjsAttr* tb = n.Attr("transpose_b");
      bool trans = tb && tb->b;
      int rows = x.shape[0], k = x.shape[1], cols = trans ? w.shape[0] : w.shape[1];
      std::vector<std::string> fused;
      if (const runtime::TfjsAttr* f = n.Attr("fused_ops")) fused = f->strings;
      bool bias = !fused.empty() && fused[0] == "BiasAdd";
      std::string act = fused.size() > 1 ? fused[1] : "";
      *y = {{rows, cols}, std::vector<float>(static_cast<size_t>(rows) * cols)};
      for (int r = 0; r < rows; ++r)
        for (int cc = 0; cc < cols; ++cc) {
          double acc = bias ? in[2].data[static_cast<size_t>(cc)] : 0.0;
          for (int i = 0; i < k; ++i) {
            acc += double{x.data[static_cast<size_t>(r) * k + i]} *
                   w.data[trans ? static_cast<size_t>(cc) * k + i : static_cast<size_t>(i) * cols + cc];
          }
          double a = act == "Prelu" ? in[3].data[static_cast<size_t>(cc)] : 0.2;
          y->data[static_cast<size_t>(r) * cols + cc] = static_cast<float>(Act(act, acc, a));
        }
      return true;
    }
    if (op == "Reshape") {
      *y = in[0];
      std::vector<int> s = AsInts(in[1]);
      int known = 1, unknown = -1;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == -1) {
          unknown = static_cast<int>(i);
        } else {
          known *= s[i];
        }
      }
      if (unknown >= 0) s[static_cast<size_t>(unknown)] = static_cast<int>(y->data.size()) / known;
      y->shape = s;
      return true;
    }
    if (op == "Softmax") {
      *y = in[0];
      size_t c = static_cast<size_t>(y->shape.back());
      for (size_t o = 0; o < y->data.size(); o += c) {
        double mx =
            *std::max_element(y->data.begin() + static_cast<long>(o), y->data.begin() + static_cast<long>(o + c));
        double s = 0;
        for (size_t i = 0; i < c; ++i) s += std::exp(y->data[o + i] - mx);
        for (size_t i = 0; i < c; ++i) y->data[o + i] = static_cast<float>(std::exp(y->data[o + i] - mx) / s);
      }
      return true;
    }
    return Unknown(n, "op");
  }

  bool Unknown(const TfjsNode& n, const char* what) {
    ADD_FAILURE() << "reference: unsupported " << what << " in node " << n.name << " (" << n.op << ")";
    return false;
  }

  const runtime::TfjsModel& m_;
  const TfjsReferenceOptions& o_;
};

}  // namespace

std::map<std::string, RefTensor> RunTfjsReference(const runtime::TfjsModel& model,
                                                  const std::map<std::string, RefTensor>& inputs,
                                                  const std::vector<std::string>& outputs,
                                                  const TfjsReferenceOptions& options) {
  Interpreter interp(model, options);
  for (const auto& [name, t] : inputs) interp.values_[name] = t;
  std::map<std::string, RefTensor> out;
  for (const std::string& o : outputs) {
    RefTensor t;
    if (!interp.Eval(o, &t)) return {};
    out[o] = t;
  }
  return out;
}

}  // namespace facekit::testing
