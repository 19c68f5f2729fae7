#include "runtime/tflite_to_onnx.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <set>
#include <vector>

#include "runtime/onnx_builder.h"

namespace facekit::runtime {
namespace {

constexpr const char* kProducer = "facekit-tflite-import";
constexpr const char* kProducerVersion = "1";

class Converter {
 public:
  Converter(const TfliteModel& m, const TfliteToOnnxOptions& opt) : m_(m), opt_(opt) {
    producer_.assign(m.tensors.size(), -1);
    consumers_.assign(m.tensors.size(), {});
    for (size_t i = 0; i < m.operators.size(); ++i) {
      for (int32_t t : m.operators[i].outputs) producer_[static_cast<size_t>(t)] = static_cast<int>(i);
      for (int32_t t : m.operators[i].inputs) {
        if (t >= 0) consumers_[static_cast<size_t>(t)].push_back(static_cast<int>(i));
      }
    }
    for (int32_t t : m.outputs) graph_outputs_.insert(t);
  }

  Result<std::string> Run(TfliteToOnnxReport* report) {
    FindFusions();
    for (size_t i = 0; i < m_.operators.size(); ++i) {
      if (skipped_.count(static_cast<int>(i))) continue;
      FACEKIT_RETURN_IF_ERROR(Emit(static_cast<int>(i)));
    }
    for (int32_t t : m_.inputs) b_.AddInput(Name(t), Dims(t, true));
    for (int32_t t : m_.outputs) b_.AddOutput(Name(t), Dims(t, false));
    for (const auto& [k, v] : opt_.metadata) b_.AddMetadata(k, v);
    if (report) {
      report->tflite_ops = static_cast<int>(m_.operators.size());
      report->onnx_nodes = static_cast<int>(b_.node_count());
      report->fused_prelu = fused_prelu_;
      report->fused_softmax = fused_softmax_;
    }
    return b_.Serialize("facekit_import", kProducer, kProducerVersion);
  }

 private:
  const TfliteTensor& T(int32_t i) const { return m_.tensors[static_cast<size_t>(i)]; }
  int Rank(int32_t i) const { return static_cast<int>(T(i).shape.size()); }
  std::string Name(int32_t i) const {
    return T(i).name.empty() ? "t" + std::to_string(i) : T(i).name;
  }

  std::vector<OnnxDim> Dims(int32_t t, bool is_input) const {
    const auto& s = T(t).shape;
    std::vector<OnnxDim> d;
    auto batch = [&](int64_t v) { return opt_.dynamic_batch ? OnnxDim::Symbolic("N") : OnnxDim::Fixed(v); };
    auto spatial = [&](int64_t v, const char* n) {
      return opt_.dynamic_spatial ? OnnxDim::Symbolic(is_input ? n : std::string(n) + "_out") : OnnxDim::Fixed(v);
    };
    if (s.size() == 4) {
      d = {batch(s[0]), OnnxDim::Fixed(s[3]), spatial(s[1], "H"), spatial(s[2], "W")};
    } else {
      for (size_t i = 0; i < s.size(); ++i) d.push_back(i == 0 ? batch(s[0]) : OnnxDim::Fixed(s[i]));
    }
    return d;
  }

  // Producer op of tensor t if it is `op` and t has a single consumer (so the
  // op can be folded into a fusion), else nullopt.
  std::optional<int> SoleProducer(int32_t t, TfliteOp op) const {
    if (t < 0) return std::nullopt;
    int p = producer_[static_cast<size_t>(t)];
    if (p < 0 || m_.operators[static_cast<size_t>(p)].op() != op) return std::nullopt;
    // The fusions read inputs[0] (and inputs[1] of binary ops) of what this
    // returns; a file may give an op fewer (tflite_fuzz found it).
    const bool binary = op == TfliteOp::kAdd || op == TfliteOp::kMul || op == TfliteOp::kSub || op == TfliteOp::kDiv;
    if (m_.operators[static_cast<size_t>(p)].inputs.size() < (binary ? 2u : 1u)) return std::nullopt;
    if (consumers_[static_cast<size_t>(t)].size() != 1 || graph_outputs_.count(t)) return std::nullopt;
    return p;
  }
  const TfliteOperator& Op(int i) const { return m_.operators[static_cast<size_t>(i)]; }

  void FindFusions() {
    for (size_t i = 0; i < m_.operators.size(); ++i) {
      const TfliteOperator& op = m_.operators[i];
      if (op.inputs.size() < 2) continue;  // ADD and DIV fusions read two inputs
      if (op.op() == TfliteOp::kAdd && op.options.activation == TfliteActivation::kNone) TryPrelu(static_cast<int>(i));
      if (op.op() == TfliteOp::kDiv) TrySoftmax(static_cast<int>(i));
    }
  }

  void TryPrelu(int add) {
    const TfliteOperator& a = Op(add);
    for (int side = 0; side < 2; ++side) {
      auto relu = SoleProducer(a.inputs[static_cast<size_t>(side)], TfliteOp::kRelu);
      auto mul = SoleProducer(a.inputs[static_cast<size_t>(1 - side)], TfliteOp::kMul);
      if (!relu || !mul) continue;
      int32_t x = Op(*relu).inputs[0];
      const TfliteOperator& mo = Op(*mul);
      int32_t c = -1, y = -1;
      for (int k = 0; k < 2; ++k) {
        if (T(mo.inputs[static_cast<size_t>(k)]).is_constant()) {
          c = mo.inputs[static_cast<size_t>(k)];
          y = mo.inputs[static_cast<size_t>(1 - k)];
        }
      }
      if (c < 0 || T(c).data.empty()) continue;
      std::vector<int> chain{*relu, *mul};
      float factor = 0.f;
      // MTCNN: y = -relu(-x)
      if (auto neg2 = SoleProducer(y, TfliteOp::kNeg)) {
        auto relu2 = SoleProducer(Op(*neg2).inputs[0], TfliteOp::kRelu);
        if (!relu2) continue;
        auto neg1 = SoleProducer(Op(*relu2).inputs[0], TfliteOp::kNeg);
        if (!neg1 || Op(*neg1).inputs[0] != x) continue;
        chain.insert(chain.end(), {*neg2, *relu2, *neg1});
        factor = 1.f;
      } else if (auto sub = SoleProducer(y, TfliteOp::kSub)) {
        // MobileFaceNet: y = x - |x|
        const TfliteOperator& so = Op(*sub);
        if (so.inputs[0] != x) continue;
        auto abs = SoleProducer(so.inputs[1], TfliteOp::kAbs);
        if (!abs || Op(*abs).inputs[0] != x) continue;
        chain.insert(chain.end(), {*sub, *abs});
        factor = 2.f;
      } else {
        continue;
      }
      // The RELU(x) consumer of x and the NEG/ABS/SUB consumers are folded;
      // x itself stays (it may feed other ops, e.g. a residual ADD).
      for (int o : chain) skipped_.insert(o);
      std::vector<float> slope = T(c).data;
      for (float& s : slope) s *= factor;
      prelu_[add] = {x, std::move(slope)};
      ++fused_prelu_;
      return;
    }
  }

  // Reduction axis constant of a REDUCE_MAX / SUM op, normalised to >= 0.
  std::optional<int> ReduceAxis(int op) const {
    const TfliteOperator& o = Op(op);
    if (o.inputs.size() < 2 || T(o.inputs[1]).ints.size() != 1) return std::nullopt;
    int axis = T(o.inputs[1]).ints[0];
    int rank = Rank(o.inputs[0]);
    if (axis < 0) axis += rank;
    return axis;
  }

  void TrySoftmax(int div) {
    const TfliteOperator& d = Op(div);
    int32_t e = d.inputs[0];
    int32_t s = d.inputs[1];
    if (e < 0) return;  // an omitted optional input
    int ep = producer_[static_cast<size_t>(e)];
    if (ep < 0 || Op(ep).op() != TfliteOp::kExp || Op(ep).inputs.empty()) return;
    // exp output feeds both SUM and DIV.
    if (consumers_[static_cast<size_t>(e)].size() != 2) return;
    auto sum = SoleProducer(s, TfliteOp::kSum);
    if (!sum || Op(*sum).inputs[0] != e) return;
    auto sub = SoleProducer(Op(ep).inputs[0], TfliteOp::kSub);
    if (!sub) return;
    int32_t x = Op(*sub).inputs[0];
    auto max = SoleProducer(Op(*sub).inputs[1], TfliteOp::kReduceMax);
    if (!max || Op(*max).inputs[0] != x) return;
    int rank = Rank(x);
    auto a1 = ReduceAxis(*sum);
    auto a2 = ReduceAxis(*max);
    if (!a1 || !a2 || *a1 != rank - 1 || *a2 != rank - 1) return;
    for (int o : {ep, *sum, *sub, *max}) skipped_.insert(o);
    softmax_[div] = x;
    ++fused_softmax_;
  }

  // ONNX name of a constant laid out for use against an NCHW activation.
  std::string Const(int32_t t, int activation_rank) {
    const TfliteTensor& c = T(t);
    std::vector<int64_t> dims(c.shape.begin(), c.shape.end());
    std::string name = Name(t);
    bool per_channel = activation_rank == 4 && dims.size() == 1 && dims[0] > 1;
    bool nhwc = activation_rank == 4 && dims.size() == 4;
    if (per_channel || nhwc) name += "/nchw";
    if (emitted_consts_.insert(name).second) {
      std::vector<float> data = c.data;
      std::vector<int32_t> ints = c.ints;
      if (per_channel) {
        dims = {dims[0], 1, 1};  // per-channel vector against NCHW
      } else if (nhwc) {
        // Integer constants have no float data: transpose whichever the tensor holds.
        data = NhwcToNchw(c.data, c.shape);
        ints = NhwcToNchw(c.ints, c.shape);
        dims = {dims[0], dims[3], dims[1], dims[2]};
      }
      if (!ints.empty()) {
        std::vector<int64_t> v(ints.begin(), ints.end());
        b_.AddInt64Initializer(name, dims, v);
      } else {
        b_.AddFloatInitializer(name, dims, data);
      }
    }
    return name;
  }

  // `in` (NHWC, shape `s`) in NCHW order; empty when `in` does not hold
  // exactly the shape's elements (e.g. the float data of an int constant).
  template <typename V>
  static std::vector<V> NhwcToNchw(const std::vector<V>& in, const std::vector<int32_t>& s) {
    const size_t n = static_cast<size_t>(s[0]), h = static_cast<size_t>(s[1]), w = static_cast<size_t>(s[2]),
                 ch = static_cast<size_t>(s[3]);
    if (in.empty() || in.size() != n * h * w * ch) return {};
    std::vector<V> out(in.size());
    for (size_t a = 0; a < n; ++a)
      for (size_t y = 0; y < h; ++y)
        for (size_t x = 0; x < w; ++x)
          for (size_t k = 0; k < ch; ++k) out[((a * ch + k) * h + y) * w + x] = in[((a * h + y) * w + x) * ch + k];
    return out;
  }

  Status Unsupported(int op, const std::string& why) const {
    return {StatusCode::kModelInvalid, "cannot import operator #" + std::to_string(op) + " " +
                                           TfliteOpName(Op(op).code) + " (" +
                                           (Op(op).outputs.empty() ? std::string("no output") : Name(Op(op).outputs[0])) +
                                           "): " + why};
  }

  // Adds the activation node for a fused activation; returns the name the
  // pre-activation result must be written to.
  std::string WithActivation(TfliteActivation act, const std::string& out) {
    if (act == TfliteActivation::kNone) return out;
    std::string pre = out + "/preact";
    pending_activation_ = {act, pre, out};
    return pre;
  }
  Status FlushActivation(int op) {
    if (!pending_activation_) return Status::Ok();
    auto [act, pre, out] = *pending_activation_;
    pending_activation_.reset();
    switch (act) {
      case TfliteActivation::kRelu: b_.AddNode("Relu", {pre}, {out}); break;
      case TfliteActivation::kRelu6:
        b_.AddNode("Clip", {pre, Scalar(0.f), Scalar(6.f)}, {out});
        break;
      case TfliteActivation::kReluN1To1:
        b_.AddNode("Clip", {pre, Scalar(-1.f), Scalar(1.f)}, {out});
        break;
      case TfliteActivation::kTanh: b_.AddNode("Tanh", {pre}, {out}); break;
      default: return Unsupported(op, "fused activation");
    }
    return Status::Ok();
  }
  std::string Scalar(float v) {
    std::string name = "const/" + std::to_string(scalar_count_++);
    b_.AddFloatInitializer(name, {}, {v});
    return name;
  }

  // Explicit [top, left, bottom, right] pads for TF "SAME" (extra at the end),
  // or nullopt when the input size is not static.
  std::optional<std::vector<int64_t>> SamePads(int32_t in, int kh, int kw, int sh, int sw, int dh, int dw) const {
    if (opt_.dynamic_spatial) return std::nullopt;
    const auto& s = T(in).shape;
    // 64-bit: sizes, kernels, strides and dilations come from the file
    // (strides and dilations are >= 1, TfliteModel::Parse checks).
    auto pad = [](int64_t size, int64_t k, int64_t stride, int64_t dil) {
      const int64_t out = (size + stride - 1) / stride;
      const int64_t eff = (k - 1) * dil + 1;
      const int64_t total = std::max<int64_t>(0, (out - 1) * stride + eff - size);
      return std::pair<int64_t, int64_t>{total / 2, total - total / 2};
    };
    auto [t, b] = pad(s[1], kh, sh, dh);
    auto [l, r] = pad(s[2], kw, sw, dw);
    return std::vector<int64_t>{t, l, b, r};
  }

  void AddPadding(std::vector<OnnxAttr>& attrs, const TfliteOperator& o, int kh, int kw) {
    if (o.options.padding == TflitePadding::kValid) return;
    auto pads = SamePads(o.inputs[0], kh, kw, o.options.stride_h, o.options.stride_w,
                         o.options.dilation_h, o.options.dilation_w);
    if (pads) {
      attrs.emplace_back("pads", *pads);
    } else {
      attrs.emplace_back("auto_pad", std::string("SAME_UPPER"));
    }
  }

  // True when TF "SAME" max pooling of this op equals ONNX ceil_mode pooling
  // without padding: no padding before the first window (padding after the
  // last one only clips that window, which max pooling ignores).
  bool MaxPoolSameIsCeilMode(const TfliteOperator& o) const {
    if (o.options.padding != TflitePadding::kSame) return false;
    const int kh = o.options.filter_h, kw = o.options.filter_w, sh = o.options.stride_h, sw = o.options.stride_w;
    if (opt_.dynamic_spatial) {
      // total padding = s*ceil(in/s) - in + (k - s): at most 1 for any input
      // size only when k == s <= 2.
      return kh == sh && kw == sw && sh <= 2 && sw <= 2;
    }
    const auto& shape = T(o.inputs[0]).shape;
    auto ok = [](int in, int k, int st) {
      int out_same = (in + st - 1) / st;
      int total = std::max(0, (out_same - 1) * st + k - in);
      int out_ceil = (in - k + st - 1) / st + 1;
      return total / 2 == 0 && out_ceil == out_same;
    };
    return ok(shape[1], kh, sh) && ok(shape[2], kw, sw);
  }

  Status Emit(int i) {
    const TfliteOperator& o = Op(i);
    // The inputs each op's code below reads, present and not omitted (-1):
    // a file may give fewer (tflite_fuzz found it).
    std::size_t need = 1;
    switch (o.op()) {
      case TfliteOp::kConv2D:
      case TfliteOp::kDepthwiseConv2D:
      case TfliteOp::kFullyConnected:
      case TfliteOp::kPrelu:
      case TfliteOp::kAdd:
      case TfliteOp::kSub:
      case TfliteOp::kMul:
      case TfliteOp::kDiv:
      case TfliteOp::kMaximum:
      case TfliteOp::kMinimum:
        need = 2;
        break;
      case TfliteOp::kStridedSlice:
        need = 4;
        break;
      default:
        break;
    }
    if (o.outputs.empty()) return Unsupported(i, "has no output");
    if (o.inputs.size() < need) {
      return Unsupported(i, "has " + std::to_string(o.inputs.size()) + " inputs, needs " + std::to_string(need));
    }
    for (std::size_t k = 0; k < need; ++k) {
      if (o.inputs[k] < 0) return Unsupported(i, "omits input " + std::to_string(k));
    }
    // The windowed ops read NHWC input shapes (and OHWI / 1HWO weights).
    const bool conv = o.op() == TfliteOp::kConv2D || o.op() == TfliteOp::kDepthwiseConv2D;
    const bool pool = o.op() == TfliteOp::kMaxPool2D || o.op() == TfliteOp::kAveragePool2D;
    if ((conv || pool) && T(o.inputs[0]).shape.size() != 4) return Unsupported(i, "input is not 4-D");
    if (conv && T(o.inputs[1]).shape.size() != 4) return Unsupported(i, "weights are not 4-D");
    if ((conv || pool) && T(o.outputs[0]).shape.size() != 4) return Unsupported(i, "output is not 4-D");
    const std::string out = Name(o.outputs[0]);
    auto in = [&](size_t k) { return o.inputs[k]; };

    if (auto it = prelu_.find(i); it != prelu_.end()) {
      int32_t x = it->second.first;
      std::string slope = "prelu_slope/" + out;
      int64_t c = static_cast<int64_t>(it->second.second.size());
      std::vector<int64_t> dims = Rank(x) == 4 ? std::vector<int64_t>{c, 1, 1} : std::vector<int64_t>{c};
      b_.AddFloatInitializer(slope, dims, it->second.second);
      b_.AddNode("PRelu", {Name(x), slope}, {out});
      return Status::Ok();
    }
    if (auto it = softmax_.find(i); it != softmax_.end()) {
      b_.AddNode("Softmax", {Name(it->second)}, {out}, {{"axis", int64_t{1}}});
      return Status::Ok();
    }

    switch (o.op()) {
      case TfliteOp::kConv2D:
      case TfliteOp::kDepthwiseConv2D: {
        const TfliteTensor& w = T(in(1));
        if (w.data.empty() || w.shape.size() != 4) return Unsupported(i, "non-constant weights");
        int oc = w.shape[0], kh = w.shape[1], kw = w.shape[2], ic = w.shape[3];
        bool depthwise = o.op() == TfliteOp::kDepthwiseConv2D;
        std::vector<float> wt(w.data.size());
        std::vector<int64_t> wdims;
        int64_t group = 1;
        if (!depthwise) {
          for (int a = 0; a < oc; ++a)
            for (int y = 0; y < kh; ++y)
              for (int x = 0; x < kw; ++x)
                for (int k = 0; k < ic; ++k)
                  wt[static_cast<size_t>(((a * ic + k) * kh + y) * kw + x)] =
                      w.data[static_cast<size_t>(((a * kh + y) * kw + x) * ic + k)];
          wdims = {oc, ic, kh, kw};
        } else {
          // [1, KH, KW, C*M] -> [C*M, 1, KH, KW], one group per input channel.
          int outc = ic;
          for (int y = 0; y < kh; ++y)
            for (int x = 0; x < kw; ++x)
              for (int k = 0; k < outc; ++k)
                wt[static_cast<size_t>((k * kh + y) * kw + x)] = w.data[static_cast<size_t>((y * kw + x) * outc + k)];
          wdims = {outc, 1, kh, kw};
          group = T(in(0)).shape[3];
          if (group * o.options.depth_multiplier != outc) return Unsupported(i, "depth multiplier mismatch");
        }
        std::string wname = Name(in(1)) + "/oihw";
        b_.AddFloatInitializer(wname, wdims, wt);
        std::vector<std::string> inputs{Name(in(0)), wname};
        if (o.inputs.size() > 2 && in(2) >= 0) inputs.push_back(Const(in(2), 1));
        std::vector<OnnxAttr> attrs{{"kernel_shape", std::vector<int64_t>{kh, kw}},
                                    {"strides", std::vector<int64_t>{o.options.stride_h, o.options.stride_w}},
                                    {"dilations", std::vector<int64_t>{o.options.dilation_h, o.options.dilation_w}},
                                    {"group", group}};
        AddPadding(attrs, o, kh, kw);
        b_.AddNode("Conv", inputs, {WithActivation(o.options.activation, out)}, attrs, out);
        return FlushActivation(i);
      }
      case TfliteOp::kMaxPool2D:
      case TfliteOp::kAveragePool2D: {
        std::vector<OnnxAttr> attrs{
            {"kernel_shape", std::vector<int64_t>{o.options.filter_h, o.options.filter_w}},
            {"strides", std::vector<int64_t>{o.options.stride_h, o.options.stride_w}}};
        bool avg = o.op() == TfliteOp::kAveragePool2D;
        if (!avg && MaxPoolSameIsCeilMode(o)) {
          // Same windows, no padding layer: cv::dnn runs explicit asymmetric
          // pads through a slow path (R-Net's first pool took 0.67 ms).
          attrs.emplace_back("ceil_mode", int64_t{1});
        } else {
          AddPadding(attrs, o, o.options.filter_h, o.options.filter_w);
        }
        if (avg) attrs.emplace_back("count_include_pad", int64_t{0});
        b_.AddNode(avg ? "AveragePool" : "MaxPool", {Name(in(0))}, {WithActivation(o.options.activation, out)}, attrs, out);
        return FlushActivation(i);
      }
      case TfliteOp::kFullyConnected: {
        const TfliteTensor& w = T(in(1));
        if (w.data.empty() || w.shape.size() != 2) return Unsupported(i, "non-constant weights");
        std::string x = Name(in(0));
        std::vector<float> wt = w.data;
        if (Rank(in(0)) == 4) {
          // TFLite flattens NHWC; our tensor is NCHW: reorder the weight columns.
          const auto& s = T(in(0)).shape;
          int h = s[1], wd = s[2], c = s[3], outn = w.shape[0];
          if (h * wd * c != w.shape[1]) return Unsupported(i, "input size mismatch");
          for (int a = 0; a < outn; ++a)
            for (int y = 0; y < h; ++y)
              for (int xx = 0; xx < wd; ++xx)
                for (int k = 0; k < c; ++k)
                  wt[static_cast<size_t>(a * w.shape[1] + (k * h + y) * wd + xx)] =
                      w.data[static_cast<size_t>(a * w.shape[1] + (y * wd + xx) * c + k)];
          std::string flat = out + "/flatten";
          b_.AddNode("Flatten", {x}, {flat}, {{"axis", int64_t{1}}});
          x = flat;
        } else if (Rank(in(0)) != 2) {
          return Unsupported(i, "input rank " + std::to_string(Rank(in(0))));
        }
        std::string wname = Name(in(1)) + "/gemm";
        b_.AddFloatInitializer(wname, {w.shape[0], w.shape[1]}, wt);
        std::vector<std::string> inputs{x, wname};
        if (o.inputs.size() > 2 && in(2) >= 0) inputs.push_back(Const(in(2), 2));
        b_.AddNode("Gemm", inputs, {WithActivation(o.options.activation, out)}, {{"transB", int64_t{1}}}, out);
        return FlushActivation(i);
      }
      case TfliteOp::kReshape: {
        const auto& s = T(in(0)).shape;
        const auto& d = T(o.outputs[0]).shape;
        if (s.size() == 4 && d.size() == 2 && d[0] == s[0]) {
          std::string x = Name(in(0));
          if (s[1] * s[2] > 1 && s[3] > 1) {
            std::string nhwc = out + "/nhwc";
            b_.AddNode("Transpose", {x}, {nhwc}, {{"perm", std::vector<int64_t>{0, 2, 3, 1}}});
            x = nhwc;
          }
          b_.AddNode("Flatten", {x}, {out}, {{"axis", int64_t{1}}});
          return Status::Ok();
        }
        if (s == d) {
          b_.AddNode("Identity", {Name(in(0))}, {out});
          return Status::Ok();
        }
        return Unsupported(i, "only [N,H,W,C] -> [N,K] reshapes are supported");
      }
      case TfliteOp::kStridedSlice: {
        // Only the full slice (x[:, :] with unit strides), which exporters
        // leave behind; anything else is not needed by the face models.
        if (o.inputs.size() < 4) return Unsupported(i, "missing begin/end/strides");
        const auto& begin = T(in(1)).ints;
        const auto& end = T(in(2)).ints;
        const auto& strides = T(in(3)).ints;
        const auto& shape = T(in(0)).shape;
        bool full = begin.size() == shape.size() && end.size() == shape.size() && strides.size() == shape.size() &&
                    o.options.shrink_axis_mask == 0;
        for (size_t d = 0; full && d < shape.size(); ++d) {
          bool from_start = begin[d] == 0 || (o.options.begin_mask >> d & 1);
          bool to_end = (o.options.end_mask >> d & 1) || end[d] >= shape[d] || (end[d] == 0 && (o.options.end_mask >> d & 1));
          full = from_start && to_end && strides[d] == 1;
        }
        if (!full) return Unsupported(i, "only a full slice is supported");
        b_.AddNode("Identity", {Name(in(0))}, {out});
        return Status::Ok();
      }
      case TfliteOp::kRelu: b_.AddNode("Relu", {Name(in(0))}, {out}); return Status::Ok();
      case TfliteOp::kRelu6:
        b_.AddNode("Clip", {Name(in(0)), Scalar(0.f), Scalar(6.f)}, {out});
        return Status::Ok();
      case TfliteOp::kNeg: b_.AddNode("Neg", {Name(in(0))}, {out}); return Status::Ok();
      case TfliteOp::kAbs: b_.AddNode("Abs", {Name(in(0))}, {out}); return Status::Ok();
      case TfliteOp::kExp: b_.AddNode("Exp", {Name(in(0))}, {out}); return Status::Ok();
      case TfliteOp::kLogistic: b_.AddNode("Sigmoid", {Name(in(0))}, {out}); return Status::Ok();
      case TfliteOp::kLeakyRelu:
        b_.AddNode("LeakyRelu", {Name(in(0))}, {out}, {{"alpha", o.options.alpha}});
        return Status::Ok();
      case TfliteOp::kPrelu: {
        if (!T(in(1)).is_constant()) return Unsupported(i, "non-constant slope");
        b_.AddNode("PRelu", {Name(in(0)), Const(in(1), Rank(in(0)))}, {out});
        return Status::Ok();
      }
      case TfliteOp::kSoftmax: {
        if (o.options.beta != 1.f) return Unsupported(i, "softmax beta != 1");
        b_.AddNode("Softmax", {Name(in(0))}, {out}, {{"axis", int64_t{Rank(in(0)) == 4 ? 1 : Rank(in(0)) - 1}}});
        return Status::Ok();
      }
      case TfliteOp::kAdd:
      case TfliteOp::kSub:
      case TfliteOp::kMul:
      case TfliteOp::kDiv:
      case TfliteOp::kMaximum:
      case TfliteOp::kMinimum: {
        static const std::map<TfliteOp, const char*> kOnnx = {
            {TfliteOp::kAdd, "Add"}, {TfliteOp::kSub, "Sub"}, {TfliteOp::kMul, "Mul"},
            {TfliteOp::kDiv, "Div"}, {TfliteOp::kMaximum, "Max"}, {TfliteOp::kMinimum, "Min"}};
        int rank = std::max(Rank(in(0)), Rank(in(1)));
        auto operand = [&](int32_t t) { return T(t).is_constant() ? Const(t, rank) : Name(t); };
        std::string a = operand(in(0)), b = operand(in(1));
        b_.AddNode(kOnnx.at(o.op()), {a, b}, {WithActivation(o.options.activation, out)}, {}, out);
        return FlushActivation(i);
      }
      default:
        return Unsupported(i, "operator not supported by the importer");
    }
  }

  const TfliteModel& m_;
  const TfliteToOnnxOptions& opt_;
  OnnxBuilder b_;
  std::vector<int> producer_;
  std::vector<std::vector<int>> consumers_;
  std::set<int32_t> graph_outputs_;
  std::set<int> skipped_;
  std::map<int, std::pair<int32_t, std::vector<float>>> prelu_;  // ADD op -> (x, slope)
  std::map<int, int32_t> softmax_;                               // DIV op -> x
  std::set<std::string> emitted_consts_;
  std::optional<std::tuple<TfliteActivation, std::string, std::string>> pending_activation_;
  int scalar_count_ = 0;
  int fused_prelu_ = 0;
  int fused_softmax_ = 0;
};

}  // namespace

namespace {

// Folds constant DEQUANTIZE ops, applies an output override and drops the
// operators no output needs.
Result<TfliteModel> Prepare(const TfliteModel& model, const std::vector<std::string>& outputs) {
  TfliteModel m = model;
  std::vector<bool> keep(m.operators.size(), true);
  for (size_t i = 0; i < m.operators.size(); ++i) {
    const TfliteOperator& op = m.operators[i];
    if (op.op() != TfliteOp::kDequantize || op.inputs.empty() || op.inputs[0] < 0) continue;
    const TfliteTensor& in = m.tensors[static_cast<size_t>(op.inputs[0])];
    if (in.data.empty()) continue;
    m.tensors[static_cast<size_t>(op.outputs[0])].data = in.data;
    keep[i] = false;
  }
  if (!outputs.empty()) {
    m.outputs.clear();
    for (const std::string& name : outputs) {
      int32_t found = -1;
      for (size_t t = 0; t < m.tensors.size(); ++t) {
        if (m.tensors[t].name == name) found = static_cast<int32_t>(t);
      }
      if (found < 0) return Status(StatusCode::kModelInvalid, "the model has no tensor named " + name);
      m.outputs.push_back(found);
    }
  }
  // Backward reachability from the outputs.
  std::vector<bool> needed(m.tensors.size(), false);
  for (int32_t t : m.outputs) needed[static_cast<size_t>(t)] = true;
  for (size_t i = m.operators.size(); i-- > 0;) {
    const TfliteOperator& op = m.operators[i];
    bool used = false;
    for (int32_t t : op.outputs) used = used || needed[static_cast<size_t>(t)];
    if (!used) keep[i] = false;
    if (!keep[i]) continue;
    for (int32_t t : op.inputs) {
      if (t >= 0) needed[static_cast<size_t>(t)] = true;
    }
  }
  std::vector<TfliteOperator> ops;
  for (size_t i = 0; i < m.operators.size(); ++i) {
    if (keep[i]) ops.push_back(std::move(m.operators[i]));
  }
  m.operators = std::move(ops);
  return m;
}

}  // namespace

Result<std::string> ConvertTfliteToOnnx(const TfliteModel& model, const TfliteToOnnxOptions& options,
                                        TfliteToOnnxReport* report) {
  if (model.inputs.empty() || model.outputs.empty()) {
    return Status(StatusCode::kModelInvalid, "TFLite model has no inputs or outputs");
  }
  FACEKIT_ASSIGN_OR_RETURN(TfliteModel prepared, Prepare(model, options.outputs));
  Converter c(prepared, options);
  Result<std::string> out = c.Run(report);
  if (report) report->tflite_ops = static_cast<int>(model.operators.size());
  return out;
}

}  // namespace facekit::runtime
