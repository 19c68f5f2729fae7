#include "runtime/tflite_reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace facekit::testing {
namespace {

using runtime::TfliteActivation;
using runtime::TfliteModel;
using runtime::TfliteOp;
using runtime::TfliteOperator;
using runtime::TflitePadding;

size_t Count(const std::vector<int>& s) {
  size_t n = 1;
  for (int d : s) n *= static_cast<size_t>(d);
  return n;
}

double Activate(double v, TfliteActivation a) {
  switch (a) {
    case TfliteActivation::kRelu: return std::max(0.0, v);
    case TfliteActivation::kRelu6: return std::min(6.0, std::max(0.0, v));
    case TfliteActivation::kReluN1To1: return std::min(1.0, std::max(-1.0, v));
    case TfliteActivation::kTanh: return std::tanh(v);
    default: return v;
  }
}

// Output size and leading pad of one spatial dimension, per TFLite's
// ComputePaddingHeightWidth.
void OutAndPad(int in, int k, int stride, int dil, TflitePadding p, int* out, int* pad) {
  int eff = (k - 1) * dil + 1;
  if (p == TflitePadding::kSame) {
    *out = (in + stride - 1) / stride;
    int total = std::max(0, (*out - 1) * stride + eff - in);
    *pad = total / 2;
  } else {
    *out = (in - eff + stride) / stride;
    *pad = 0;
  }
}

RefTensor Conv(const RefTensor& x, const RefTensor& w, const RefTensor* b, const TfliteOperator& op, bool depthwise) {
  int n = x.shape[0], h = x.shape[1], wd = x.shape[2], c = x.shape[3];
  int kh = w.shape[1], kw = w.shape[2];
  int oc = depthwise ? w.shape[3] : w.shape[0];
  int mult = depthwise ? oc / c : 1;
  int oh, ow, pt, pl;
  OutAndPad(h, kh, op.options.stride_h, op.options.dilation_h, op.options.padding, &oh, &pt);
  OutAndPad(wd, kw, op.options.stride_w, op.options.dilation_w, op.options.padding, &ow, &pl);
  RefTensor y{{n, oh, ow, oc}, {}};
  y.data.resize(Count(y.shape));
  for (int bi = 0; bi < n; ++bi)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int o = 0; o < oc; ++o) {
          double acc = b ? b->data[static_cast<size_t>(o)] : 0.0;
          for (int ky = 0; ky < kh; ++ky) {
            int iy = oy * op.options.stride_h - pt + ky * op.options.dilation_h;
            if (iy < 0 || iy >= h) continue;
            for (int kx = 0; kx < kw; ++kx) {
              int ix = ox * op.options.stride_w - pl + kx * op.options.dilation_w;
              if (ix < 0 || ix >= wd) continue;
              const float* px = &x.data[static_cast<size_t>(((bi * h + iy) * wd + ix) * c)];
              if (depthwise) {
                int ic = o / mult;
                acc += double{px[ic]} * w.data[static_cast<size_t>((ky * kw + kx) * oc + o)];
              } else {
                const float* pw = &w.data[static_cast<size_t>(((o * kh + ky) * kw + kx) * c)];
                for (int ic = 0; ic < c; ++ic) acc += double{px[ic]} * pw[ic];
              }
            }
          }
          y.data[static_cast<size_t>(((bi * oh + oy) * ow + ox) * oc + o)] =
              static_cast<float>(Activate(acc, op.options.activation));
        }
  return y;
}

// Max or average pooling; average pooling excludes padding from the count,
// as TFLite defines it.
RefTensor Pool(const RefTensor& x, const TfliteOperator& op, bool average) {
  int n = x.shape[0], h = x.shape[1], wd = x.shape[2], c = x.shape[3];
  int oh, ow, pt, pl;
  OutAndPad(h, op.options.filter_h, op.options.stride_h, 1, op.options.padding, &oh, &pt);
  OutAndPad(wd, op.options.filter_w, op.options.stride_w, 1, op.options.padding, &ow, &pl);
  RefTensor y{{n, oh, ow, c}, {}};
  y.data.resize(Count(y.shape));
  for (int bi = 0; bi < n; ++bi)
    for (int oy = 0; oy < oh; ++oy)
      for (int ox = 0; ox < ow; ++ox)
        for (int k = 0; k < c; ++k) {
          double sum = 0;
          float m = -std::numeric_limits<float>::infinity();
          int cnt = 0;
          for (int ky = 0; ky < op.options.filter_h; ++ky)
            for (int kx = 0; kx < op.options.filter_w; ++kx) {
              int iy = oy * op.options.stride_h - pt + ky, ix = ox * op.options.stride_w - pl + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              float v = x.data[static_cast<size_t>(((bi * h + iy) * wd + ix) * c + k)];
              sum += v;
              m = std::max(m, v);
              ++cnt;
            }
          y.data[static_cast<size_t>(((bi * oh + oy) * ow + ox) * c + k)] =
              average ? static_cast<float>(cnt ? sum / cnt : 0.0) : m;
        }
  return y;
}

// Numpy-style broadcasting binary op.
RefTensor Binary(const RefTensor& a, const RefTensor& b, const std::function<double(double, double)>& f,
                 TfliteActivation act) {
  size_t rank = std::max(a.shape.size(), b.shape.size());
  auto pad = [&](const std::vector<int>& s) {
    std::vector<int> r(rank - s.size(), 1);
    r.insert(r.end(), s.begin(), s.end());
    return r;
  };
  std::vector<int> sa = pad(a.shape), sb = pad(b.shape), so(rank);
  for (size_t i = 0; i < rank; ++i) so[i] = std::max(sa[i], sb[i]);
  RefTensor y{so, std::vector<float>(Count(so))};
  std::vector<int> idx(rank, 0);
  for (size_t lin = 0; lin < y.data.size(); ++lin) {
    size_t ia = 0, ib = 0;
    for (size_t d = 0; d < rank; ++d) {
      ia = ia * static_cast<size_t>(sa[d]) + static_cast<size_t>(sa[d] == 1 ? 0 : idx[d]);
      ib = ib * static_cast<size_t>(sb[d]) + static_cast<size_t>(sb[d] == 1 ? 0 : idx[d]);
    }
    y.data[lin] = static_cast<float>(Activate(f(a.data[ia], b.data[ib]), act));
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < so[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

RefTensor Reduce(const RefTensor& x, std::vector<int> axes, bool keep, bool is_max) {
  int rank = static_cast<int>(x.shape.size());
  for (int& a : axes) a = a < 0 ? a + rank : a;
  std::vector<int> so = x.shape;
  for (int a : axes) so[static_cast<size_t>(a)] = 1;
  RefTensor y{so, std::vector<float>(Count(so), is_max ? -std::numeric_limits<float>::infinity() : 0.f)};
  std::vector<double> acc(y.data.size(), is_max ? -std::numeric_limits<double>::infinity() : 0.0);
  std::vector<int> idx(static_cast<size_t>(rank), 0);
  for (size_t lin = 0; lin < x.data.size(); ++lin) {
    size_t o = 0;
    for (int d = 0; d < rank; ++d) o = o * static_cast<size_t>(so[static_cast<size_t>(d)]) + static_cast<size_t>(so[static_cast<size_t>(d)] == 1 ? 0 : idx[static_cast<size_t>(d)]);
    acc[o] = is_max ? std::max(acc[o], double{x.data[lin]}) : acc[o] + x.data[lin];
    for (int d = rank; d-- > 0;) {
      if (++idx[static_cast<size_t>(d)] < x.shape[static_cast<size_t>(d)]) break;
      idx[static_cast<size_t>(d)] = 0;
    }
  }
  for (size_t i = 0; i < acc.size(); ++i) y.data[i] = static_cast<float>(acc[i]);
  if (!keep) {
    std::vector<int> s;
    for (int d = 0; d < rank; ++d)
      if (std::find(axes.begin(), axes.end(), d) == axes.end()) s.push_back(so[static_cast<size_t>(d)]);
    y.shape = s;
  }
  return y;
}

}  // namespace

std::map<std::string, RefTensor> RunReference(const TfliteModel& model, const std::vector<RefTensor>& inputs) {
  std::vector<RefTensor> values(model.tensors.size());
  std::vector<bool> have(model.tensors.size(), false);
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    const auto& t = model.tensors[i];
    if (!t.data.empty()) {
      values[i] = {std::vector<int>(t.shape.begin(), t.shape.end()), t.data};
      have[i] = true;
    }
  }
  for (size_t i = 0; i < inputs.size() && i < model.inputs.size(); ++i) {
    values[static_cast<size_t>(model.inputs[i])] = inputs[i];
    have[static_cast<size_t>(model.inputs[i])] = true;
  }
  auto V = [&](int32_t t) -> const RefTensor& { return values[static_cast<size_t>(t)]; };
  for (const TfliteOperator& op : model.operators) {
    RefTensor y;
    const auto& in = op.inputs;
    auto act = op.options.activation;
    switch (op.op()) {
      case TfliteOp::kConv2D:
      case TfliteOp::kDepthwiseConv2D:
        // Weights are read from the computed values: they may be the output
        // of a DEQUANTIZE rather than constants.
        y = Conv(V(in[0]), V(in[1]), in.size() > 2 && in[2] >= 0 ? &V(in[2]) : nullptr, op,
                 op.op() == TfliteOp::kDepthwiseConv2D);
        break;
      case TfliteOp::kMaxPool2D: y = Pool(V(in[0]), op, false); break;
      case TfliteOp::kAveragePool2D: y = Pool(V(in[0]), op, true); break;
      case TfliteOp::kLeakyRelu:
        y = V(in[0]);
        for (float& v : y.data) v = v >= 0 ? v : op.options.alpha * v;
        break;
      case TfliteOp::kDequantize:  // float16 constants were widened when the file was read
      case TfliteOp::kCast:        // bool -> float: comparisons below already produce 0/1
        y = V(in[0]);
        break;
      case TfliteOp::kStridedSlice: {
        // Only full slices occur in the models (checked here).
        const auto& b = model.tensors[static_cast<size_t>(in[1])].ints;
        const auto& st = model.tensors[static_cast<size_t>(in[3])].ints;
        for (size_t d = 0; d < b.size(); ++d) {
          if ((b[d] != 0 && !(op.options.begin_mask >> d & 1)) || st[d] != 1) {
            ADD_FAILURE() << "reference STRIDED_SLICE handles full slices only";
          }
        }
        y = V(in[0]);
        break;
      }
      case TfliteOp::kGreaterEqual: y = Binary(V(in[0]), V(in[1]), [](double a, double b) { return a >= b ? 1.0 : 0.0; }, act); break;
      case TfliteOp::kLess: y = Binary(V(in[0]), V(in[1]), [](double a, double b) { return a < b ? 1.0 : 0.0; }, act); break;
      case TfliteOp::kConcatenation: {
        // Along the last axis of 2-D tensors (the only use in the models).
        const int rows = V(in[0]).shape[0];
        int cols = 0;
        for (int32_t t : in) cols += V(t).shape[1];
        y = {{rows, cols}, std::vector<float>(static_cast<size_t>(rows * cols))};
        int at = 0;
        for (int32_t t : in) {
          const RefTensor& part = V(t);
          for (int r = 0; r < rows; ++r)
            for (int k = 0; k < part.shape[1]; ++k)
              y.data[static_cast<size_t>(r * cols + at + k)] = part.data[static_cast<size_t>(r * part.shape[1] + k)];
          at += part.shape[1];
        }
        break;
      }
      case TfliteOp::kRelu:
        y = V(in[0]);
        for (float& v : y.data) v = std::max(0.f, v);
        break;
      case TfliteOp::kNeg:
        y = V(in[0]);
        for (float& v : y.data) v = -v;
        break;
      case TfliteOp::kAbs:
        y = V(in[0]);
        for (float& v : y.data) v = std::fabs(v);
        break;
      case TfliteOp::kExp:
        y = V(in[0]);
        for (float& v : y.data) v = static_cast<float>(std::exp(double{v}));
        break;
      case TfliteOp::kAdd: y = Binary(V(in[0]), V(in[1]), std::plus<double>(), act); break;
      case TfliteOp::kSub: y = Binary(V(in[0]), V(in[1]), std::minus<double>(), act); break;
      case TfliteOp::kMul: y = Binary(V(in[0]), V(in[1]), std::multiplies<double>(), act); break;
      case TfliteOp::kDiv: y = Binary(V(in[0]), V(in[1]), std::divides<double>(), act); break;
      case TfliteOp::kReduceMax:
      case TfliteOp::kSum:
        y = Reduce(V(in[0]), model.tensors[static_cast<size_t>(in[1])].ints, op.options.keep_dims,
                   op.op() == TfliteOp::kReduceMax);
        break;
      case TfliteOp::kFullyConnected: {
        const RefTensor& x = V(in[0]);
        const RefTensor& w = V(in[1]);
        int outn = w.shape[0], k = w.shape[1];
        int batch = static_cast<int>(x.data.size()) / k;
        y = {{batch, outn}, std::vector<float>(static_cast<size_t>(batch * outn))};
        for (int b = 0; b < batch; ++b)
          for (int o = 0; o < outn; ++o) {
            double acc = in.size() > 2 && in[2] >= 0 ? V(in[2]).data[static_cast<size_t>(o)] : 0.0;
            for (int j = 0; j < k; ++j)
              acc += double{x.data[static_cast<size_t>(b * k + j)]} * w.data[static_cast<size_t>(o * k + j)];
            y.data[static_cast<size_t>(b * outn + o)] = static_cast<float>(Activate(acc, act));
          }
        break;
      }
      case TfliteOp::kReshape: {
        y = V(in[0]);
        const auto& s = model.tensors[static_cast<size_t>(op.outputs[0])].shape;
        y.shape.assign(s.begin(), s.end());
        break;
      }
      default:
        ADD_FAILURE() << "reference interpreter lacks " << runtime::TfliteOpName(op.code);
        return {};
    }
    values[static_cast<size_t>(op.outputs[0])] = std::move(y);
    have[static_cast<size_t>(op.outputs[0])] = true;
  }
  std::map<std::string, RefTensor> out;
  for (int32_t t : model.outputs) out[model.tensors[static_cast<size_t>(t)].name] = V(t);
  return out;
}

float MaxDiff(const cv::Mat& onnx, const RefTensor& ref) {
  EXPECT_EQ(static_cast<size_t>(onnx.total()), ref.data.size());
  if (static_cast<size_t>(onnx.total()) != ref.data.size()) return 1e9f;
  float worst = 0;
  const float* p = onnx.ptr<float>();
  if (onnx.dims == 4) {
    int n = onnx.size[0], c = onnx.size[1], h = onnx.size[2], w = onnx.size[3];
    EXPECT_EQ(ref.shape, (std::vector<int>{n, h, w, c}));
    for (int b = 0; b < n; ++b)
      for (int k = 0; k < c; ++k)
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) {
            float r = ref.data[static_cast<size_t>(((b * h + y) * w + x) * c + k)];
            worst = std::max(worst, std::fabs(p[((b * c + k) * h + y) * w + x] - r));
          }
    return worst;
  }
  for (size_t i = 0; i < ref.data.size(); ++i) worst = std::max(worst, std::fabs(p[i] - ref.data[i]));
  return worst;
}

}  // namespace facekit::testing
