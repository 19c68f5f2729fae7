#include "runtime/tfjs_to_onnx.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "runtime/onnx_builder.h"

namespace facekit::runtime {
namespace {

constexpr const char* kProducer = "facekit-tfjs-import";
constexpr const char* kProducerVersion = "1";

using Shape = std::vector<int64_t>;

int64_t Elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string ShapeText(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// `s` with leading 1s up to `rank` dimensions.
Shape LeftPad(const Shape& s, size_t rank) {
  Shape out(std::max(rank, s.size()), 1);
  for (size_t i = 0; i < s.size(); ++i) out[out.size() - s.size() + i] = s[i];
  return out;
}

// NHWC axis -> NCHW axis for rank-4 tensors.
int64_t NchwAxis(int64_t axis, size_t rank) {
  if (axis < 0) axis += static_cast<int64_t>(rank);
  if (rank != 4) return axis;
  static constexpr int64_t kMap[4] = {0, 2, 3, 1};
  return kMap[axis];
}

// A tensor as the converter sees it: its TF (NHWC) shape, and either the
// ONNX value holding it (rank-4 values are NCHW there) or a constant.
struct Value {
  std::string onnx;
  Shape shape;
  const TfjsTensor* constant = nullptr;
};

struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
};

class Converter {
 public:
  Converter(const TfjsModel& m, const TfjsToOnnxOptions& opt, TfjsToOnnxReport* report)
      : m_(m), opt_(opt), report_(report) {}

  Result<std::string> Run() {
    std::vector<std::string> outputs = opt_.outputs.empty() ? m_.outputs : opt_.outputs;
    if (outputs.empty()) outputs = Sinks();
    if (outputs.empty()) return Bad("the model names no outputs and none were requested");
    FACEKIT_RETURN_IF_ERROR(CountUses(outputs));
    for (const std::string& name : imported_) FindHardSwish(*m_.FindNode(name));
    for (const std::string& out : outputs) FACEKIT_RETURN_IF_ERROR(Visit(SplitTensorRef(out).first));
    for (const std::string& out : outputs) {
      auto it = values_.find(Canonical(out));
      if (it == values_.end()) return Bad("output '" + out + "' is not produced by the graph");
      if (it->second.constant) return Bad("output '" + out + "' is a constant");
      if (it->second.onnx != out) b_.AddNode("Identity", {it->second.onnx}, {out});
      b_.AddOutput(out, Dims(it->second.shape, false));
    }
    for (const auto& [k, v] : opt_.metadata) b_.AddMetadata(k, v);
    if (report_) {
      report_->tfjs_nodes = static_cast<int>(m_.nodes.size());
      report_->imported_ops = static_cast<int>(report_->layers.size());
      report_->onnx_nodes = static_cast<int>(b_.node_count());
    }
    return b_.Serialize("facekit_tfjs_import", kProducer, kProducerVersion);
  }

 private:
  Status Bad(const std::string& what) const { return {StatusCode::kModelInvalid, m_.name + ": " + what}; }
  Status Unsupported(const TfjsNode& n, const std::string& why) const {
    return Bad("cannot import node '" + n.name + "' (op " + n.op + "): " + why);
  }

  // Consumers per tensor within the imported part, for pattern fusion.
  Status CountUses(const std::vector<std::string>& outputs) {
    std::vector<std::string> stack;
    for (const std::string& o : outputs) {
      stack.push_back(SplitTensorRef(o).first);
      ++uses_[Canonical(o)];
    }
    while (!stack.empty()) {
      std::string name = stack.back();
      stack.pop_back();
      if (!imported_.insert(name).second) continue;
      const TfjsNode* n = m_.FindNode(name);
      if (!n) return Bad("no node named '" + name + "'");
      for (const std::string& in : n->inputs) {
        ++uses_[Canonical(in)];
        stack.push_back(SplitTensorRef(in).first);
      }
    }
    return Status::Ok();
  }

  // Imports `name` after its inputs (iterative post-order; cycles refused).
  Status Visit(const std::string& root) {
    std::vector<std::pair<std::string, bool>> stack{{root, false}};
    std::set<std::string> on_path;
    while (!stack.empty()) {
      auto [name, expanded] = stack.back();
      stack.pop_back();
      if (done_.count(name)) continue;
      const TfjsNode* n = m_.FindNode(name);
      if (!n) return Bad("no node named '" + name + "'");
      if (expanded) {
        on_path.erase(name);
        FACEKIT_RETURN_IF_ERROR(Emit(*n));
        done_.insert(name);
        continue;
      }
      if (!on_path.insert(name).second) return Bad("the graph has a cycle through '" + name + "'");
      stack.push_back({name, true});
      for (const std::string& in : n->inputs) {
        std::string dep = SplitTensorRef(in).first;
        if (on_path.count(dep)) return Bad("the graph has a cycle through '" + dep + "'");
        if (!done_.count(dep)) stack.push_back({dep, false});
      }
    }
    return Status::Ok();
  }

  std::vector<OnnxDim> Dims(const Shape& s, bool is_input) const {
    std::vector<OnnxDim> d;
    auto batch = [&](int64_t v) { return opt_.dynamic_batch ? OnnxDim::Symbolic("N") : OnnxDim::Fixed(v); };
    auto spatial = [&](int64_t v, const char* n) {
      return opt_.dynamic_spatial ? OnnxDim::Symbolic(is_input ? n : std::string(n) + "_out") : OnnxDim::Fixed(v);
    };
    if (s.size() == 4) return {batch(s[0]), OnnxDim::Fixed(s[3]), spatial(s[1], "H"), spatial(s[2], "W")};
    for (size_t i = 0; i < s.size(); ++i) d.push_back(i == 0 ? batch(s[0]) : OnnxDim::Fixed(s[i]));
    return d;
  }

  // "node:0" and "node" name the same tensor.
  static std::string Canonical(const std::string& ref) {
    auto [node, index] = SplitTensorRef(ref);
    return index == 0 ? node : ref;
  }

  // Nodes no other node reads (Const and Placeholder excepted): the graph's
  // outputs when its signature names none.
  std::vector<std::string> Sinks() const {
    std::set<std::string> read;
    for (const TfjsNode& n : m_.nodes) {
      for (const std::string& in : n.inputs) read.insert(SplitTensorRef(in).first);
    }
    std::vector<std::string> sinks;
    for (const TfjsNode& n : m_.nodes) {
      if (n.op != "Const" && n.op != "Placeholder" && !read.count(n.name)) sinks.push_back(n.name);
    }
    return sinks;
  }

  Result<const Value*> ValueOf(const TfjsNode& n, const std::string& ref) const {
    auto it = values_.find(Canonical(ref));
    if (it == values_.end()) return Unsupported(n, "input '" + ref + "' has no value");
    return &it->second;
  }
  Result<const Value*> In(const TfjsNode& n, size_t k) const {
    if (k >= n.inputs.size()) return Unsupported(n, "needs at least " + std::to_string(k + 1) + " inputs");
    return ValueOf(n, n.inputs[k]);
  }
  Result<const TfjsTensor*> ConstIn(const TfjsNode& n, size_t k) const {
    FACEKIT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    if (!v->constant)
      return Unsupported(n, "input " + std::to_string(k) + " ('" + n.inputs[k] + "') must be a constant");
    return v->constant;
  }
  Result<const Value*> ActIn(const TfjsNode& n, size_t k) const {
    FACEKIT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    if (v->constant) return Unsupported(n, "input " + std::to_string(k) + " ('" + n.inputs[k] + "') is a constant");
    return v;
  }

  std::string Str(const TfjsNode& n, const char* key, const std::string& def = {}) const {
    const TfjsAttr* a = n.Attr(key);
    return a ? a->s : def;
  }
  std::vector<int64_t> Ints(const TfjsNode& n, const char* key) const {
    const TfjsAttr* a = n.Attr(key);
    return a ? a->ints : std::vector<int64_t>{};
  }

  void Set(const TfjsNode& n, Shape shape, std::string onnx = {}) {
    values_[n.name] = Value{onnx.empty() ? n.name : std::move(onnx), std::move(shape), nullptr};
  }

  std::string Fresh(const std::string& base) { return base + "/_" + std::to_string(fresh_++); }

  std::string FloatInit(const std::string& name, const Shape& dims, const std::vector<float>& data) {
    b_.AddFloatInitializer(name, dims, data);
    params_ += static_cast<int64_t>(data.size());
    return name;
  }
  std::string Scalar(float v) {
    std::string name = Fresh("const");
    b_.AddFloatInitializer(name, {}, {v});
    return name;
  }
  std::string Int64Init(const std::string& base, const std::vector<int64_t>& v) {
    std::string name = Fresh(base);
    b_.AddInt64Initializer(name, {static_cast<int64_t>(v.size())}, v);
    return name;
  }

  // A constant as an operand of an element-wise op whose other side has
  // rank `rank`: scalars stay scalars, a [C] vector against a rank-4
  // activation becomes [C,1,1], rank-4 NHWC constants become NCHW.
  Result<std::string> ConstOperand(const TfjsNode& n, const std::string& ref, const TfjsTensor& c, size_t rank) {
    if (c.dtype != TfjsDtype::kFloat32) return Unsupported(n, "integer constant '" + ref + "' in float arithmetic");
    Shape s = c.shape;
    while (s.size() > 1 && s.size() > rank) {
      if (s.front() != 1) return Unsupported(n, "constant '" + ref + "' has a higher rank than the activation");
      s.erase(s.begin());
    }
    std::string key = ref + "#" + std::to_string(rank);
    if (auto it = const_names_.find(key); it != const_names_.end()) return it->second;
    std::vector<float> data = c.floats;
    Shape dims = Elements(s) == 1 ? Shape{} : s;
    if (rank == 4 && Elements(s) > 1) {
      s = LeftPad(s, 4);
      int64_t h = s[1], w = s[2], ch = s[3];
      dims = {s[0], ch, h, w};
      if (h * w > 1 && ch > 1) {
        for (int64_t a = 0; a < s[0]; ++a)
          for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x)
              for (int64_t k = 0; k < ch; ++k)
                data[static_cast<size_t>(((a * ch + k) * h + y) * w + x)] =
                    c.floats[static_cast<size_t>(((a * h + y) * w + x) * ch + k)];
      }
      if (s[0] == 1) dims.erase(dims.begin());  // [C,H,W] broadcasts over the batch
    }
    std::string name = FloatInit(Fresh(ref), dims, data);
    const_names_[key] = name;
    return name;
  }

  Result<std::string> Operand(const TfjsNode& n, size_t k, size_t rank) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
    if (v->constant) return ConstOperand(n, n.inputs[k], *v->constant, rank);
    return v->onnx;
  }

  // Per-channel vector of `c` elements for PRelu (slope [C,1,1] on rank 4).
  Result<std::string> ChannelConst(const TfjsNode& n, const TfjsTensor& t, int64_t channels, size_t rank) {
    if (t.dtype != TfjsDtype::kFloat32 || (static_cast<int64_t>(t.floats.size()) != channels && t.floats.size() != 1)) {
      return Unsupported(n, "per-channel constant of " + std::to_string(t.floats.size()) + " values for " +
                                std::to_string(channels) + " channels");
    }
    std::vector<float> v = t.floats;
    if (v.size() == 1) v.assign(static_cast<size_t>(channels), v[0]);
    Shape dims = rank == 4 ? Shape{channels, 1, 1} : Shape{channels};
    return FloatInit(Fresh(n.name + "/channel"), dims, v);
  }

  // ---- windows and padding ----

  Result<Window> ReadWindow(const TfjsNode& n, int64_t kh, int64_t kw) const {
    Window w;
    w.kh = kh;
    w.kw = kw;
    std::vector<int64_t> strides = Ints(n, "strides"), dil = Ints(n, "dilations");
    if (Str(n, "data_format", "NHWC") != "NHWC") return Unsupported(n, "data_format " + Str(n, "data_format"));
    if (!strides.empty()) {
      if (strides.size() != 4 || strides[0] != 1 || strides[3] != 1) return Unsupported(n, "strides");
      w.sh = strides[1];
      w.sw = strides[2];
    }
    if (!dil.empty()) {
      if (dil.size() != 4 || dil[0] != 1 || dil[3] != 1) return Unsupported(n, "dilations");
      w.dh = dil[1];
      w.dw = dil[2];
    }
    if (w.sh < 1 || w.sw < 1 || w.dh < 1 || w.dw < 1 || kh < 1 || kw < 1) return Unsupported(n, "window");
    return w;
  }

  // [top, left, bottom, right] and the output size for `in` (NHWC).
  Result<std::pair<Shape, Shape>> Pads(const TfjsNode& n, const Shape& in, const Window& w) const {
    const std::string padding = Str(n, "padding", "VALID");
    Shape pads(4, 0);
    auto eff = [](int64_t k, int64_t d) { return (k - 1) * d + 1; };
    if (padding == "SAME") {
      auto same = [&](int64_t size, int64_t k, int64_t s, int64_t d, int64_t* lo, int64_t* hi) {
        int64_t out = (size + s - 1) / s;
        int64_t total = std::max<int64_t>(0, (out - 1) * s + eff(k, d) - size);
        *lo = total / 2;
        *hi = total - total / 2;
      };
      same(in[1], w.kh, w.sh, w.dh, &pads[0], &pads[2]);
      same(in[2], w.kw, w.sw, w.dw, &pads[1], &pads[3]);
    } else if (padding == "EXPLICIT") {
      std::vector<int64_t> e = Ints(n, "explicit_paddings");
      if (e.size() != 8) return Unsupported(n, "explicit_paddings must have 8 values");
      pads = {e[2], e[4], e[3], e[5]};
    } else if (padding != "VALID") {
      return Unsupported(n, "padding '" + padding + "'");
    }
    int64_t oh = (in[1] + pads[0] + pads[2] - eff(w.kh, w.dh)) / w.sh + 1;
    int64_t ow = (in[2] + pads[1] + pads[3] - eff(w.kw, w.dw)) / w.sw + 1;
    if (oh < 1 || ow < 1) return Unsupported(n, "window larger than its input " + ShapeText(in));
    return std::pair<Shape, Shape>{pads, Shape{in[0], oh, ow, in[3]}};
  }

  std::vector<OnnxAttr> WindowAttrs(const Window& w, const Shape& pads) const {
    return {{"kernel_shape", Shape{w.kh, w.kw}}, {"strides", Shape{w.sh, w.sw}}, {"pads", pads}};
  }

  // Emits the activation `act` from `pre` into `out`; `alpha` is Prelu's slope input.
  Status Activation(const TfjsNode& n, const std::string& act, const std::string& pre, const std::string& out,
                    int64_t channels, size_t rank, const TfjsTensor* alpha) {
    if (act == "Relu") {
      b_.AddNode("Relu", {pre}, {out});
    } else if (act == "Relu6") {
      // Bounds as attributes (the opset-6 form): OpenCV 4.6's ONNX reader
      // refuses Clip with min/max inputs.
      b_.AddNode("Clip", {pre}, {out}, {{"min", 0.f}, {"max", 6.f}});
    } else if (act == "Elu") {
      b_.AddNode("Elu", {pre}, {out});
    } else if (act == "Sigmoid") {
      b_.AddNode("Sigmoid", {pre}, {out});
    } else if (act == "Tanh") {
      b_.AddNode("Tanh", {pre}, {out});
    } else if (act == "LeakyRelu") {
      const TfjsAttr* a = n.Attr("leakyrelu_alpha");
      b_.AddNode("LeakyRelu", {pre}, {out}, {{"alpha", a ? a->f : 0.2f}});
    } else if (act == "Prelu") {
      if (!alpha) return Unsupported(n, "Prelu without its slope input");
      FACEKIT_ASSIGN_OR_RETURN(std::string slope, ChannelConst(n, *alpha, channels, rank));
      b_.AddNode("PRelu", {pre, slope}, {out});
    } else {
      return Unsupported(n, "fused activation '" + act + "'");
    }
    return Status::Ok();
  }

  // The fused ops of a _Fused* node after BiasAdd: "" or one activation.
  Result<std::string> FusedActivation(const TfjsNode& n, bool* has_bias) const {
    const TfjsAttr* f = n.Attr("fused_ops");
    std::vector<std::string> ops = f ? f->strings : std::vector<std::string>{};
    *has_bias = !ops.empty() && ops[0] == "BiasAdd";
    if (*has_bias) ops.erase(ops.begin());
    if (ops.size() > 1 || (!ops.empty() && ops[0] == "FusedBatchNorm")) {
      std::string all;
      for (const auto& o : f->strings) all += (all.empty() ? "" : ",") + o;
      return Unsupported(n, "fused ops [" + all + "]");
    }
    return ops.empty() ? std::string() : ops[0];
  }

  void Record(const TfjsNode& n, const Shape& in, const Shape& out, const Shape& kernel, int64_t macs) {
    if (!report_) return;
    LayerStats l;
    l.index = static_cast<int>(report_->layers.size());
    l.type = n.op;
    l.output = n.name;
    l.input_shape.assign(in.begin(), in.end());
    l.output_shape.assign(out.begin(), out.end());
    l.kernel_shape.assign(kernel.begin(), kernel.end());
    l.params = params_;
    l.macs = macs;
    report_->layers.push_back(std::move(l));
  }

  // ---- ops ----

  Status Conv(const TfjsNode& n) {
    const bool depthwise = n.op.find("Depthwise") != std::string::npos;
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* w, ConstIn(n, 1));
    if (x->shape.size() != 4) return Unsupported(n, "input rank " + std::to_string(x->shape.size()));
    if (w->shape.size() != 4 || w->dtype != TfjsDtype::kFloat32)
      return Unsupported(n, "weights must be float [KH,KW,I,O]");
    const int64_t kh = w->shape[0], kw = w->shape[1], ic = w->shape[2], m = w->shape[3];
    if (ic != x->shape[3]) {
      return Unsupported(n, "weights expect " + std::to_string(ic) + " input channels, input " + ShapeText(x->shape));
    }
    FACEKIT_ASSIGN_OR_RETURN(Window win, ReadWindow(n, kh, kw));
    FACEKIT_ASSIGN_OR_RETURN(auto pads_out, Pads(n, x->shape, win));
    const int64_t oc = depthwise ? ic * m : m;
    Shape out = pads_out.second;
    out[3] = oc;
    bool has_bias = false;
    std::string act;
    if (n.op[0] == '_' || n.op.rfind("Fused", 0) == 0) {
      FACEKIT_ASSIGN_OR_RETURN(act, FusedActivation(n, &has_bias));
    }
    params_ = 0;
    std::vector<float> wt(w->floats.size());
    Shape wdims;
    for (int64_t y = 0; y < kh; ++y)
      for (int64_t xx = 0; xx < kw; ++xx)
        for (int64_t i = 0; i < ic; ++i)
          for (int64_t o = 0; o < m; ++o) {
            float v = w->floats[static_cast<size_t>(((y * kw + xx) * ic + i) * m + o)];
            if (depthwise) {
              wt[static_cast<size_t>(((i * m + o) * kh + y) * kw + xx)] = v;  // [C*M, 1, KH, KW]
            } else {
              wt[static_cast<size_t>(((o * ic + i) * kh + y) * kw + xx)] = v;  // [O, I, KH, KW]
            }
          }
    wdims = depthwise ? Shape{oc, 1, kh, kw} : Shape{oc, ic, kh, kw};
    std::vector<std::string> inputs{x->onnx, FloatInit(Fresh(n.inputs[1] + "/oihw"), wdims, wt)};
    size_t next = 2;
    if (has_bias) {
      FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* bias, ConstIn(n, next++));
      if (bias->dtype != TfjsDtype::kFloat32 || static_cast<int64_t>(bias->floats.size()) != oc) {
        return Unsupported(n, "bias must have " + std::to_string(oc) + " values");
      }
      inputs.push_back(FloatInit(Fresh(n.inputs[2]), {oc}, bias->floats));
    }
    const TfjsTensor* alpha = nullptr;
    if (act == "Prelu") {
      FACEKIT_ASSIGN_OR_RETURN(alpha, ConstIn(n, next++));
    }
    std::vector<OnnxAttr> attrs = WindowAttrs(win, pads_out.first);
    attrs.emplace_back("dilations", Shape{win.dh, win.dw});
    attrs.emplace_back("group", depthwise ? ic : int64_t{1});
    const std::string pre = act.empty() ? n.name : n.name + "/preact";
    b_.AddNode("Conv", inputs, {pre}, attrs);
    if (!act.empty()) FACEKIT_RETURN_IF_ERROR(Activation(n, act, pre, n.name, oc, 4, alpha));
    const int64_t macs = out[1] * out[2] * oc * kh * kw * (depthwise ? 1 : ic);
    Record(n, x->shape, out, w->shape, macs);
    Set(n, out);
    return Status::Ok();
  }

  Status MatMul(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* w, ConstIn(n, 1));
    const TfjsAttr* ta = n.Attr("transpose_a");
    const TfjsAttr* tb = n.Attr("transpose_b");
    if (ta && ta->b) return Unsupported(n, "transpose_a");
    if (x->shape.size() != 2 || w->shape.size() != 2 || w->dtype != TfjsDtype::kFloat32) {
      return Unsupported(n, "only [N,K] x constant [K,M] is supported");
    }
    const bool trans_b = tb && tb->b;
    const int64_t k = trans_b ? w->shape[1] : w->shape[0], outn = trans_b ? w->shape[0] : w->shape[1];
    if (k != x->shape[1])
      return Unsupported(n, "inner sizes differ: " + ShapeText(x->shape) + " x " + ShapeText(w->shape));
    bool has_bias = false;
    std::string act;
    if (n.op == "_FusedMatMul") {
      FACEKIT_ASSIGN_OR_RETURN(act, FusedActivation(n, &has_bias));
    }
    params_ = 0;
    // Weights as [M, K] with transB = 1 (OpenCV 4.6 reads Gemm's B that way only).
    std::vector<float> wt(w->floats.size());
    for (int64_t i = 0; i < k; ++i)
      for (int64_t o = 0; o < outn; ++o)
        wt[static_cast<size_t>(o * k + i)] = w->floats[static_cast<size_t>(trans_b ? o * k + i : i * outn + o)];
    std::vector<std::string> inputs{x->onnx, FloatInit(Fresh(n.inputs[1]), {outn, k}, wt)};
    size_t next = 2;
    if (has_bias) {
      FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* bias, ConstIn(n, next++));
      if (static_cast<int64_t>(bias->floats.size()) != outn) return Unsupported(n, "bias size");
      inputs.push_back(FloatInit(Fresh(n.inputs[2]), {outn}, bias->floats));
    }
    const TfjsTensor* alpha = nullptr;
    if (act == "Prelu") {
      FACEKIT_ASSIGN_OR_RETURN(alpha, ConstIn(n, next++));
    }
    const std::string pre = act.empty() ? n.name : n.name + "/preact";
    b_.AddNode("Gemm", inputs, {pre}, {{"transB", int64_t{1}}});
    if (!act.empty()) FACEKIT_RETURN_IF_ERROR(Activation(n, act, pre, n.name, outn, 2, alpha));
    Shape out{x->shape[0], outn};
    Record(n, x->shape, out, w->shape, k * outn);
    Set(n, out);
    return Status::Ok();
  }

  // x * relu6(x + 3) * (1/6), as TF spells it: Mul(Mul(c, x), Relu6(Add(x, 3))),
  // each intermediate read only there. Records `n` as a HardSwish of x and
  // marks the intermediates to be skipped.
  void FindHardSwish(const TfjsNode& n) {
    if (n.op != "Mul" || n.inputs.size() != 2) return;
    auto scalar = [&](const std::string& ref, float want) {
      const TfjsNode* c = m_.FindNode(SplitTensorRef(ref).first);
      if (!c || c->op != "Const") return false;
      auto it = m_.weights.find(c->name);
      return it != m_.weights.end() && it->second.floats.size() == 1 &&
             std::fabs(it->second.floats[0] - want) < 1e-3f;  // float16 weights
    };
    auto sole = [&](const TfjsNode* node) {
      auto it = uses_.find(node->name);
      return it != uses_.end() && it->second == 1;
    };
    for (int side = 0; side < 2; ++side) {
      const TfjsNode* scaled = m_.FindNode(SplitTensorRef(n.inputs[side]).first);
      const TfjsNode* relu6 = m_.FindNode(SplitTensorRef(n.inputs[1 - side]).first);
      if (!scaled || !relu6 || scaled->op != "Mul" || relu6->op != "Relu6" || relu6->inputs.size() != 1 ||
          scaled->inputs.size() != 2) {
        continue;
      }
      const TfjsNode* add = m_.FindNode(SplitTensorRef(relu6->inputs[0]).first);
      if (!add || (add->op != "Add" && add->op != "AddV2") || add->inputs.size() != 2) continue;
      std::string x;
      for (int k = 0; k < 2; ++k) {
        if (scalar(add->inputs[k], 3.f)) x = add->inputs[1 - k];
      }
      if (x.empty()) continue;
      bool scaled_ok = false;
      float scale = 0.f;
      for (int k = 0; k < 2; ++k) {
        if (scalar(scaled->inputs[k], 1.f / 6.f) && Canonical(scaled->inputs[1 - k]) == Canonical(x)) {
          scaled_ok = true;
          scale = m_.weights.at(SplitTensorRef(scaled->inputs[k]).first).floats[0];
        }
      }
      if (!scaled_ok || !sole(scaled) || !sole(relu6) || !sole(add)) continue;
      hard_swish_[n.name] = {x, scale};
      for (const TfjsNode* t : {scaled, relu6, add}) skipped_.insert(t->name);
      return;
    }
  }

  Status Binary(const TfjsNode& n) {
    static const std::map<std::string, const char*> kOnnx = {{"Add", "Add"}, {"AddV2", "Add"},   {"BiasAdd", "Add"},
                                                             {"Sub", "Sub"}, {"Mul", "Mul"},     {"RealDiv", "Div"},
                                                             {"Div", "Div"}, {"Maximum", "Max"}, {"Minimum", "Min"}};
    if (n.inputs.size() != 2) return Unsupported(n, "needs 2 inputs");
    if (auto hs = hard_swish_.find(n.name); hs != hard_swish_.end()) {
      FACEKIT_ASSIGN_OR_RETURN(const Value* x, ValueOf(n, hs->second.first));
      if (x->constant) return Unsupported(n, "hard-swish of a constant");
      // HardSwish divides by 6 exactly; a stored 1/6 that differs (a
      // float16 weight is 0.16668701) is applied as a correction factor.
      const float factor = hs->second.second * 6.f;
      if (factor == 1.f) {
        b_.AddNode("HardSwish", {x->onnx}, {n.name});
      } else {
        const std::string h = Fresh(n.name + "/hard_swish");
        b_.AddNode("HardSwish", {x->onnx}, {h});
        b_.AddNode("Mul", {h, Scalar(factor)}, {n.name});
      }
      if (report_) ++report_->fused_hard_swish;
      params_ = 0;
      Record(n, x->shape, x->shape, {}, 0);
      Set(n, x->shape);
      return Status::Ok();
    }
    FACEKIT_ASSIGN_OR_RETURN(const Value* a, In(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const Value* b, In(n, 1));
    if (a->constant && b->constant) return Unsupported(n, "both inputs are constants (no constant folding)");
    Shape sa = a->shape, sb = b->shape;
    const size_t rank = std::max(sa.size(), sb.size());
    if (!a->constant && !b->constant && sa.size() != sb.size() && !sa.empty() && !sb.empty()) {
      return Unsupported(n, "activations of different ranks " + ShapeText(sa) + ", " + ShapeText(sb));
    }
    sa = LeftPad(sa, rank);
    sb = LeftPad(sb, rank);
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
      if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1) {
        return Unsupported(n, "shapes do not broadcast: " + ShapeText(a->shape) + ", " + ShapeText(b->shape));
      }
      out[i] = std::max(sa[i], sb[i]);
    }
    Shape in_shape = a->constant ? b->shape : a->shape;
    params_ = 0;
    const Value* c = a->constant ? a : b->constant ? b : nullptr;
    if ((n.op == "Maximum" || n.op == "Minimum") && c && c->constant->floats.size() == 1) {
      // clip_by_value: OpenCV 4.6 runs Min/Max only on equal shapes, Clip (attribute form) always.
      const Value* x = c == a ? b : a;
      b_.AddNode("Clip", {x->onnx}, {n.name}, {{n.op == "Maximum" ? "min" : "max", c->constant->floats[0]}});
      Record(n, in_shape, out, {}, 0);
      Set(n, out);
      return Status::Ok();
    }
    FACEKIT_ASSIGN_OR_RETURN(std::string oa, Operand(n, 0, rank));
    FACEKIT_ASSIGN_OR_RETURN(std::string ob, Operand(n, 1, rank));
    b_.AddNode(kOnnx.at(n.op), {oa, ob}, {n.name});
    Record(n, in_shape, out, {}, 0);
    Set(n, out);
    return Status::Ok();
  }

  Status Unary(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    const std::string& op = n.op;
    params_ = 0;
    if (op == "Relu" || op == "Relu6" || op == "Elu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu") {
      const int64_t c = x->shape.empty() ? 1 : x->shape.back();
      FACEKIT_RETURN_IF_ERROR(Activation(n, op, x->onnx, n.name, c, x->shape.size(), nullptr));
    } else if (op == "Neg" || op == "Abs" || op == "Exp" || op == "Sqrt") {
      b_.AddNode(op, {x->onnx}, {n.name});
    } else if (op == "Rsqrt") {
      std::string s = Fresh(n.name);
      b_.AddNode("Sqrt", {x->onnx}, {s});
      b_.AddNode("Reciprocal", {s}, {n.name});
    } else if (op == "Square") {
      b_.AddNode("Mul", {x->onnx, x->onnx}, {n.name});
    } else if (op == "Softmax") {
      b_.AddNode("Softmax", {x->onnx}, {n.name}, {{"axis", NchwAxis(-1, x->shape.size())}});
    } else if (op == "Prelu") {
      FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* alpha, ConstIn(n, 1));
      FACEKIT_RETURN_IF_ERROR(Activation(n, "Prelu", x->onnx, n.name, x->shape.back(), x->shape.size(), alpha));
    }
    Record(n, x->shape, x->shape, {}, 0);
    Set(n, x->shape);
    return Status::Ok();
  }

  Status Pool(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    if (x->shape.size() != 4) return Unsupported(n, "input rank " + std::to_string(x->shape.size()));
    std::vector<int64_t> k = Ints(n, "ksize");
    if (k.size() != 4 || k[0] != 1 || k[3] != 1) return Unsupported(n, "ksize");
    FACEKIT_ASSIGN_OR_RETURN(Window win, ReadWindow(n, k[1], k[2]));
    if (win.dh != 1 || win.dw != 1) return Unsupported(n, "dilated pooling");
    FACEKIT_ASSIGN_OR_RETURN(auto pads_out, Pads(n, x->shape, win));
    std::vector<OnnxAttr> attrs = WindowAttrs(win, pads_out.first);
    const bool avg = n.op == "AvgPool";
    if (avg) attrs.emplace_back("count_include_pad", int64_t{0});
    b_.AddNode(avg ? "AveragePool" : "MaxPool", {x->onnx}, {n.name}, attrs);
    params_ = 0;
    Record(n, x->shape, pads_out.second, {}, 0);
    Set(n, pads_out.second);
    return Status::Ok();
  }

  Status Mean(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* axes_t, ConstIn(n, 1));
    const TfjsAttr* kd = n.Attr("keep_dims");
    const bool keep = kd && kd->b;
    const size_t rank = x->shape.size();
    std::set<int64_t> axes;
    for (int64_t a : axes_t->ints) axes.insert(a < 0 ? a + static_cast<int64_t>(rank) : a);
    params_ = 0;
    Shape out;
    if (rank == 4 && axes == std::set<int64_t>{1, 2}) {
      const std::string pooled = keep ? n.name : Fresh(n.name);
      b_.AddNode("GlobalAveragePool", {x->onnx}, {pooled});
      if (!keep) b_.AddNode("Flatten", {pooled}, {n.name}, {{"axis", int64_t{1}}});
      out = keep ? Shape{x->shape[0], 1, 1, x->shape[3]} : Shape{x->shape[0], x->shape[3]};
    } else {
      Shape onnx_axes;
      for (size_t i = 0; i < rank; ++i) {
        if (axes.count(static_cast<int64_t>(i))) {
          onnx_axes.push_back(NchwAxis(static_cast<int64_t>(i), rank));
          if (keep) out.push_back(1);
        } else {
          out.push_back(x->shape[i]);
        }
      }
      if (rank == 4 && !keep) return Unsupported(n, "mean over axes other than H,W without keep_dims");
      std::sort(onnx_axes.begin(), onnx_axes.end());
      b_.AddNode("ReduceMean", {x->onnx}, {n.name}, {{"axes", onnx_axes}, {"keepdims", int64_t{keep ? 1 : 0}}});
    }
    Record(n, x->shape, out, {}, 0);
    Set(n, out);
    return Status::Ok();
  }

  Status Concat(const TfjsNode& n) {
    if (n.inputs.size() < 2) return Unsupported(n, "needs inputs and an axis");
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* axis_t, ConstIn(n, n.inputs.size() - 1));
    if (axis_t->ints.size() != 1) return Unsupported(n, "axis must be one integer");
    FACEKIT_ASSIGN_OR_RETURN(const Value* first, In(n, 0));
    size_t rank = first->shape.size();
    int64_t axis = axis_t->ints[0] < 0 ? axis_t->ints[0] + static_cast<int64_t>(rank) : axis_t->ints[0];
    if (axis < 0 || axis >= static_cast<int64_t>(rank)) return Unsupported(n, "axis out of range");
    Shape out = first->shape;
    out[static_cast<size_t>(axis)] = 0;
    std::vector<std::string> ins;
    params_ = 0;
    for (size_t k = 0; k + 1 < n.inputs.size(); ++k) {
      FACEKIT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
      if (v->shape.size() != rank) return Unsupported(n, "inputs of different ranks");
      for (size_t d = 0; d < rank; ++d) {
        if (static_cast<int64_t>(d) != axis && v->shape[d] != first->shape[d]) {
          return Unsupported(n, "input shapes " + ShapeText(first->shape) + ", " + ShapeText(v->shape) + " differ");
        }
      }
      out[static_cast<size_t>(axis)] += v->shape[static_cast<size_t>(axis)];
      FACEKIT_ASSIGN_OR_RETURN(std::string name, Operand(n, k, rank));
      ins.push_back(name);
    }
    b_.AddNode("Concat", ins, {n.name}, {{"axis", NchwAxis(axis, rank)}});
    Record(n, first->shape, out, {}, 0);
    Set(n, out);
    return Status::Ok();
  }

  Status PadOp(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* p, ConstIn(n, 1));
    const size_t rank = x->shape.size();
    if (p->ints.size() != 2 * rank) return Unsupported(n, "paddings must be [rank, 2]");
    Shape begin(rank), end(rank), out = x->shape;
    for (size_t d = 0; d < rank; ++d) {
      size_t o = static_cast<size_t>(NchwAxis(static_cast<int64_t>(d), rank));
      begin[o] = p->ints[2 * d];
      end[o] = p->ints[2 * d + 1];
      out[d] += p->ints[2 * d] + p->ints[2 * d + 1];
    }
    Shape pads = begin;
    pads.insert(pads.end(), end.begin(), end.end());
    std::string mode = "constant";
    std::vector<std::string> ins{x->onnx, Int64Init(n.name + "/pads", pads)};
    if (n.op == "MirrorPad") {
      if (Str(n, "mode") != "REFLECT") return Unsupported(n, "mirror mode '" + Str(n, "mode") + "'");
      mode = "reflect";
    } else if (n.op == "PadV2") {
      FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* v, ConstIn(n, 2));
      if (v->floats.size() != 1) return Unsupported(n, "constant value must be a float scalar");
      ins.push_back(Scalar(v->floats[0]));
    }
    b_.AddNode("Pad", ins, {n.name}, {{"mode", mode}});
    params_ = 0;
    Record(n, x->shape, out, {}, 0);
    Set(n, out);
    return Status::Ok();
  }

  // Reshape/Squeeze: done in TF (NHWC) element order, with transposes
  // around it when a rank-4 side has real spatial extent.
  Status ReshapeTo(const TfjsNode& n, const Value& x, Shape target) {
    int64_t known = 1, unknown = -1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == -1) {
        if (unknown >= 0) return Unsupported(n, "more than one -1 in the shape");
        unknown = static_cast<int64_t>(i);
      } else {
        known *= target[i];
      }
    }
    if (unknown >= 0 && known > 0) target[static_cast<size_t>(unknown)] = Elements(x.shape) / known;
    if (Elements(target) != Elements(x.shape)) {
      return Unsupported(n, "cannot reshape " + ShapeText(x.shape) + " to " + ShapeText(target));
    }
    auto spatial = [](const Shape& s) { return s.size() == 4 && s[1] * s[2] > 1 && s[3] > 1; };
    std::string cur = x.onnx;
    if (spatial(x.shape)) {
      std::string t = Fresh(n.name + "/nhwc");
      b_.AddNode("Transpose", {cur}, {t}, {{"perm", Shape{0, 2, 3, 1}}});
      cur = t;
    }
    Shape onnx_shape = target;
    if (opt_.dynamic_batch && !onnx_shape.empty() && !x.shape.empty() && onnx_shape[0] == x.shape[0]) onnx_shape[0] = 0;
    if (target.size() == 4 && !spatial(target)) onnx_shape = {onnx_shape[0], target[3], target[1], target[2]};
    const bool back = spatial(target);
    const std::string reshaped = back ? Fresh(n.name + "/nhwc") : n.name;
    b_.AddNode("Reshape", {cur, Int64Init(n.name + "/shape", onnx_shape)}, {reshaped});
    if (back) b_.AddNode("Transpose", {reshaped}, {n.name}, {{"perm", Shape{0, 3, 1, 2}}});
    params_ = 0;
    Record(n, x.shape, target, {}, 0);
    Set(n, target);
    return Status::Ok();
  }

  Status Reshape(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* s, ConstIn(n, 1));
    if (s->dtype == TfjsDtype::kFloat32) return Unsupported(n, "shape must be integers");
    return ReshapeTo(n, *x, s->ints);
  }

  Status Squeeze(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    std::vector<int64_t> dims = Ints(n, "squeeze_dims");
    if (dims.empty()) dims = Ints(n, "axis");
    Shape out;
    for (size_t i = 0; i < x->shape.size(); ++i) {
      bool drop = dims.empty() ? x->shape[i] == 1
                               : std::count(dims.begin(), dims.end(), static_cast<int64_t>(i)) +
                                         std::count(dims.begin(), dims.end(),
                                                    static_cast<int64_t>(i) - static_cast<int64_t>(x->shape.size())) >
                                     0;
      if (drop && x->shape[i] != 1) return Unsupported(n, "squeezes a dimension that is not 1");
      if (!drop) out.push_back(x->shape[i]);
    }
    return ReshapeTo(n, *x, out);
  }

  Status Resize(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* size, ConstIn(n, 1));
    if (x->shape.size() != 4 || size->ints.size() != 2 || size->ints[0] < 1 || size->ints[1] < 1) {
      return Unsupported(n, "needs an NHWC input and a constant [height, width]");
    }
    const TfjsAttr* ac = n.Attr("align_corners");
    const TfjsAttr* hp = n.Attr("half_pixel_centers");
    const bool bilinear = n.op == "ResizeBilinear";
    std::string mode = "asymmetric";
    if (ac && ac->b) mode = "align_corners";
    if (hp && hp->b) mode = bilinear ? "half_pixel" : "tf_half_pixel_for_nn";
    std::vector<float> scales{1.f, 1.f, static_cast<float>(size->ints[0]) / static_cast<float>(x->shape[1]),
                              static_cast<float>(size->ints[1]) / static_cast<float>(x->shape[2])};
    std::string roi = Fresh(n.name + "/roi");
    b_.AddFloatInitializer(roi, {0}, {});
    std::string sc = Fresh(n.name + "/scales");
    b_.AddFloatInitializer(sc, {4}, scales);
    std::vector<OnnxAttr> attrs{{"mode", std::string(bilinear ? "linear" : "nearest")},
                                {"coordinate_transformation_mode", mode}};
    if (!bilinear)
      attrs.emplace_back("nearest_mode", std::string(mode == "asymmetric" ? "floor" : "round_prefer_ceil"));
    b_.AddNode("Resize", {x->onnx, roi, sc}, {n.name}, attrs);
    Shape out{x->shape[0], size->ints[0], size->ints[1], x->shape[3]};
    params_ = 0;
    Record(n, x->shape, out, {}, 0);
    Set(n, out);
    return Status::Ok();
  }

  Status BatchNorm(const TfjsNode& n) {
    FACEKIT_ASSIGN_OR_RETURN(const Value* x, ActIn(n, 0));
    if (x->shape.size() != 4) return Unsupported(n, "input rank " + std::to_string(x->shape.size()));
    const TfjsAttr* train = n.Attr("is_training");
    if (train && train->b) return Unsupported(n, "is_training");
    params_ = 0;
    std::vector<std::string> ins{x->onnx};
    const int64_t c = x->shape[3];
    for (size_t k = 1; k <= 4; ++k) {
      FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* t, ConstIn(n, k));
      if (static_cast<int64_t>(t->floats.size()) != c) return Unsupported(n, "per-channel parameters of wrong size");
      ins.push_back(FloatInit(Fresh(n.inputs[k]), {c}, t->floats));
    }
    const TfjsAttr* eps = n.Attr("epsilon");
    b_.AddNode("BatchNormalization", ins, {n.name}, {{"epsilon", eps ? eps->f : 1e-3f}});
    Record(n, x->shape, x->shape, {}, 0);
    Set(n, x->shape);
    return Status::Ok();
  }

  Status Placeholder(const TfjsNode& n) {
    const TfjsAttr* a = n.Attr("shape");
    Shape s = a ? a->shape : Shape{};
    if (s.size() == 4) {
      if (s[0] < 0) s[0] = 1;
      if (opt_.input_size.size() == 2) {
        s[1] = opt_.input_size[0];
        s[2] = opt_.input_size[1];
      }
    }
    for (int64_t d : s) {
      if (d < 1) return Unsupported(n, "input shape " + ShapeText(s) + " has unknown dimensions; give an input size");
    }
    if (s.empty()) return Unsupported(n, "input has no shape");
    b_.AddInput(n.name, Dims(s, true));
    Set(n, s);
    return Status::Ok();
  }

  Status Emit(const TfjsNode& n) {
    const std::string& op = n.op;
    if (skipped_.count(n.name)) return Status::Ok();  // folded into a fused op
    if (op == "Const") {
      auto it = m_.weights.find(n.name);
      if (it == m_.weights.end()) return Unsupported(n, "no weights for the constant");
      values_[n.name] = Value{{}, it->second.shape, &it->second};
      return Status::Ok();
    }
    if (op == "Placeholder") return Placeholder(n);
    if (op == "Identity" || op == "StopGradient" || op == "Snapshot") {
      FACEKIT_ASSIGN_OR_RETURN(const Value* x, In(n, 0));
      values_[n.name] = *x;
      return Status::Ok();
    }
    if (op == "Conv2D" || op == "_FusedConv2D" || op == "DepthwiseConv2dNative" || op == "FusedDepthwiseConv2dNative") {
      return Conv(n);
    }
    if (op == "MatMul" || op == "_FusedMatMul") return MatMul(n);
    if (op == "Add" || op == "AddV2" || op == "BiasAdd" || op == "Sub" || op == "Mul" || op == "RealDiv" ||
        op == "Div" || op == "Maximum" || op == "Minimum") {
      return Binary(n);
    }
    if (op == "Relu" || op == "Relu6" || op == "Elu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu" ||
        op == "Neg" || op == "Abs" || op == "Exp" || op == "Sqrt" || op == "Rsqrt" || op == "Square" ||
        op == "Softmax" || op == "Prelu") {
      return Unary(n);
    }
    if (op == "MaxPool" || op == "AvgPool") return Pool(n);
    if (op == "Mean") return Mean(n);
    if (op == "ConcatV2") return Concat(n);
    if (op == "Pad" || op == "PadV2" || op == "MirrorPad") return PadOp(n);
    if (op == "Reshape") return Reshape(n);
    if (op == "Squeeze") return Squeeze(n);
    if (op == "ResizeBilinear" || op == "ResizeNearestNeighbor") return Resize(n);
    if (op == "FusedBatchNorm" || op == "FusedBatchNormV3") return BatchNorm(n);
    return Unsupported(n, "operator not supported by the importer");
  }

  const TfjsModel& m_;
  const TfjsToOnnxOptions& opt_;
  TfjsToOnnxReport* report_;
  OnnxBuilder b_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::map<std::string, std::string> const_names_;
  std::set<std::string> done_;
  std::set<std::string> imported_;                                   // nodes the outputs need
  std::set<std::string> skipped_;                                    // folded into a fused op
  std::map<std::string, std::pair<std::string, float>> hard_swish_;  // final Mul -> (x, its 1/6)
  int fresh_ = 0;
  int64_t params_ = 0;  // float parameters the current op wrote
};

}  // namespace

Result<std::string> ConvertTfjsToOnnx(const TfjsModel& model, const TfjsToOnnxOptions& options,
                                      TfjsToOnnxReport* report) {
  TfjsToOnnxReport local;
  Converter c(model, options, report ? report : &local);
  return c.Run();
}

}  // namespace facekit::runtime
