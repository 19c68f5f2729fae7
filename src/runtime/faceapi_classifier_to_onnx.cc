#include "runtime/faceapi_classifier_to_onnx.h"

#include <set>

#include "runtime/onnx_builder.h"

namespace facekit::runtime {
namespace {

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

class ClassifierWriter {
 public:
  ClassifierWriter(FaceApiClassifier kind, const std::map<std::string, TfjsTensor>& w,
                   const FaceApiClassifierOptions& o)
      : kind_(kind), w_(w), o_(o) {}

  Result<std::string> Build(FaceApiClassifierReport* report) {
    const int64_t n = o_.input_size;
    b_.AddInput(o_.input_name, {OnnxDim::Symbolic("N"), OnnxDim::Fixed(3), OnnxDim::Fixed(n), OnnxDim::Fixed(n)});
    Act x = Normalize({o_.input_name, 3, n, n});
    if (kind_ == FaceApiClassifier::kAgeGender) {
      FACEKIT_ASSIGN_OR_RETURN(x, Conv("entry_flow/conv_in", x, 3, 2));
      x = Relu(x);
      FACEKIT_ASSIGN_OR_RETURN(x, ReductionBlock("entry_flow/reduction_block_0", x, /*activate_input=*/false));
      FACEKIT_ASSIGN_OR_RETURN(x, ReductionBlock("entry_flow/reduction_block_1", x, true));
      for (const char* block : {"middle_flow/main_block_0", "middle_flow/main_block_1"}) {
        FACEKIT_ASSIGN_OR_RETURN(x, MainBlock(block, x));
      }
      FACEKIT_ASSIGN_OR_RETURN(x, ReductionBlock("exit_flow/reduction_block", x, true));
      FACEKIT_ASSIGN_OR_RETURN(x, SeparableConv("exit_flow/separable_conv", x, 1));
      x = Relu(x);
      FACEKIT_ASSIGN_OR_RETURN(std::string pooled, Pool7(x));
      FACEKIT_ASSIGN_OR_RETURN(int64_t ages, Fc("fc/age", pooled, x.c, o_.age_output));
      if (ages != 1) return Bad("fc/age has " + std::to_string(ages) + " outputs, the network needs 1");
      FACEKIT_ASSIGN_OR_RETURN(int64_t genders, Fc("fc/gender", pooled, x.c, "fc/gender/logits"));
      if (genders != 2) return Bad("fc/gender has " + std::to_string(genders) + " outputs, the network needs 2");
      b_.AddNode("Softmax", {"fc/gender/logits"}, {o_.gender_output}, {{"axis", int64_t{1}}});
      b_.AddOutput(o_.age_output, {OnnxDim::Symbolic("N"), OnnxDim::Fixed(1)});
      b_.AddOutput(o_.gender_output, {OnnxDim::Symbolic("N"), OnnxDim::Fixed(2)});
    } else {
      for (int i = 0; i < 4; ++i) {
        FACEKIT_ASSIGN_OR_RETURN(x, DenseBlock4("dense" + std::to_string(i), x, /*first=*/i == 0));
      }
      FACEKIT_ASSIGN_OR_RETURN(std::string pooled, Pool7(x));
      FACEKIT_ASSIGN_OR_RETURN(int64_t classes, Fc("fc", pooled, x.c, "fc/logits"));
      if (classes != 7) return Bad("fc has " + std::to_string(classes) + " outputs, the network needs 7");
      b_.AddNode("Softmax", {"fc/logits"}, {o_.probabilities_output}, {{"axis", int64_t{1}}});
      b_.AddOutput(o_.probabilities_output, {OnnxDim::Symbolic("N"), OnnxDim::Fixed(classes)});
    }
    for (const auto& [name, t] : w_) {
      if (!used_.count(name)) return Bad("weight '" + name + "' is not part of the network (a different model?)");
    }
    for (const auto& [k, v] : o_.metadata) b_.AddMetadata(k, v);
    if (report != nullptr) {
      report->onnx_nodes = static_cast<int>(b_.node_count());
      report->conv_layers = conv_layers_;
      report->parameters = parameters_;
    }
    return b_.Serialize(kind_ == FaceApiClassifier::kAgeGender ? "faceapi_age_gender" : "faceapi_face_expression",
                        "facekit", "1");
  }

 private:
  struct Act {
    std::string name;
    int64_t c = 0, h = 0, w = 0;
  };

  Status Bad(const std::string& what) const {
    return {StatusCode::kModelInvalid,
            std::string(kind_ == FaceApiClassifier::kAgeGender ? "face-api age_gender: " : "face-api face_expression: ") +
                what};
  }

  // The weight `name` with shape `want` (-1 = any size there).
  Result<const TfjsTensor*> Weight(const std::string& name, const std::vector<int64_t>& want) {
    auto it = w_.find(name);
    if (it == w_.end()) return Bad("weight '" + name + "' is missing from the manifest");
    const TfjsTensor& t = it->second;
    bool ok = t.dtype == TfjsDtype::kFloat32 && t.shape.size() == want.size();
    for (size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 ? t.shape[i] > 0 : t.shape[i] == want[i];
    if (ok) {
      size_t count = 1;
      for (int64_t d : t.shape) count *= static_cast<size_t>(d);
      ok = count == t.floats.size();
    }
    if (!ok) return Bad("weight '" + name + "' has shape " + ShapeText(t.shape) + ", the network needs " + ShapeText(want));
    used_.insert(name);
    parameters_ += static_cast<int64_t>(t.floats.size());
    return &t;
  }

  std::string Fresh(const std::string& base) { return base + "_" + std::to_string(++counter_); }

  // TF 'same': output ceil(in / s), the odd padding row at the end.
  static void Same(int64_t in, int64_t k, int64_t s, int64_t* out, int64_t* lo, int64_t* hi) {
    *out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>((*out - 1) * s + k - in, 0);
    *lo = total / 2;
    *hi = total - *lo;
  }

  std::vector<OnnxAttr> Window(int64_t k, int64_t s, const Act& x, Act* out) {
    int64_t lo_h, hi_h, lo_w, hi_w;
    Same(x.h, k, s, &out->h, &lo_h, &hi_h);
    Same(x.w, k, s, &out->w, &lo_w, &hi_w);
    return {{"kernel_shape", std::vector<int64_t>{k, k}},
            {"strides", std::vector<int64_t>{s, s}},
            {"pads", std::vector<int64_t>{lo_h, lo_w, hi_h, hi_w}}};
  }

  // (x - mean) / 255 as a 1x1 convolution over the raw RGB input.
  Act Normalize(const Act& x) {
    static constexpr float kMeanRgb[3] = {122.782f, 117.001f, 104.298f};
    std::vector<float> w(9, 0.f), b(3);
    for (int i = 0; i < 3; ++i) {
      w[static_cast<size_t>(i * 3 + i)] = 1.f / 255.f;
      b[static_cast<size_t>(i)] = -kMeanRgb[i] / 255.f;
    }
    b_.AddFloatInitializer("normalize/W", {3, 3, 1, 1}, w);
    b_.AddFloatInitializer("normalize/B", {3}, b);
    b_.AddNode("Conv", {x.name, "normalize/W", "normalize/B"}, {"normalized"}, {{"kernel_shape", std::vector<int64_t>{1, 1}}});
    return {"normalized", 3, x.h, x.w};
  }

  Act Relu(const Act& x) {
    Act out = x;
    out.name = Fresh(x.name + "/relu");
    b_.AddNode("Relu", {x.name}, {out.name});
    return out;
  }

  Act Add(const Act& a, const Act& b) {
    Act out = a;
    out.name = Fresh(a.name + "/add");
    b_.AddNode("Add", {a.name, b.name}, {out.name});
    return out;
  }

  // conv2d(x, filters [k,k,in,out], stride, 'same') + bias.
  Result<Act> Conv(const std::string& prefix, const Act& x, int64_t k, int64_t stride) {
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* f, Weight(prefix + "/filters", {k, k, x.c, -1}));
    const int64_t oc = f->shape[3];
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* bias, Weight(prefix + "/bias", {oc}));
    std::vector<float> oihw(f->floats.size());
    for (int64_t ky = 0; ky < k; ++ky)
      for (int64_t kx = 0; kx < k; ++kx)
        for (int64_t i = 0; i < x.c; ++i)
          for (int64_t o = 0; o < oc; ++o)
            oihw[static_cast<size_t>(((o * x.c + i) * k + ky) * k + kx)] =
                f->floats[static_cast<size_t>(((ky * k + kx) * x.c + i) * oc + o)];
    b_.AddFloatInitializer(prefix + "/W", {oc, x.c, k, k}, oihw);
    b_.AddFloatInitializer(prefix + "/B", {oc}, bias->floats);
    Act out{prefix, oc, 0, 0};
    auto attrs = Window(k, stride, x, &out);
    b_.AddNode("Conv", {x.name, prefix + "/W", prefix + "/B"}, {out.name}, attrs);
    ++conv_layers_;
    return out;
  }

  // separableConv2d(x, depthwise [3,3,c,1], pointwise [1,1,c,out], stride, 'same') + bias.
  Result<Act> SeparableConv(const std::string& prefix, const Act& x, int64_t stride) {
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* dw, Weight(prefix + "/depthwise_filter", {3, 3, x.c, 1}));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* pw, Weight(prefix + "/pointwise_filter", {1, 1, x.c, -1}));
    const int64_t oc = pw->shape[3];
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* bias, Weight(prefix + "/bias", {oc}));
    std::vector<float> dw_w(dw->floats.size());  // [c, 1, 3, 3]
    for (int64_t ky = 0; ky < 3; ++ky)
      for (int64_t kx = 0; kx < 3; ++kx)
        for (int64_t c = 0; c < x.c; ++c)
          dw_w[static_cast<size_t>((c * 3 + ky) * 3 + kx)] = dw->floats[static_cast<size_t>((ky * 3 + kx) * x.c + c)];
    std::vector<float> pw_w(pw->floats.size());  // [out, c, 1, 1]
    for (int64_t c = 0; c < x.c; ++c)
      for (int64_t o = 0; o < oc; ++o) pw_w[static_cast<size_t>(o * x.c + c)] = pw->floats[static_cast<size_t>(c * oc + o)];
    b_.AddFloatInitializer(prefix + "/depthwise/W", {x.c, 1, 3, 3}, dw_w);
    b_.AddFloatInitializer(prefix + "/depthwise/B", {x.c}, std::vector<float>(static_cast<size_t>(x.c), 0.f));
    b_.AddFloatInitializer(prefix + "/pointwise/W", {oc, x.c, 1, 1}, pw_w);
    b_.AddFloatInitializer(prefix + "/pointwise/B", {oc}, bias->floats);
    Act mid{prefix + "/depthwise", x.c, 0, 0};
    auto attrs = Window(3, stride, x, &mid);
    attrs.push_back({"group", x.c});
    b_.AddNode("Conv", {x.name, prefix + "/depthwise/W", prefix + "/depthwise/B"}, {mid.name}, attrs);
    b_.AddNode("Conv", {mid.name, prefix + "/pointwise/W", prefix + "/pointwise/B"}, {prefix},
               {{"kernel_shape", std::vector<int64_t>{1, 1}}});
    ++conv_layers_;
    return Act{prefix, oc, mid.h, mid.w};
  }

  Result<Act> ReductionBlock(const std::string& prefix, const Act& x, bool activate_input) {
    Act in = activate_input ? Relu(x) : x;
    FACEKIT_ASSIGN_OR_RETURN(Act a, SeparableConv(prefix + "/separable_conv0", in, 1));
    FACEKIT_ASSIGN_OR_RETURN(Act b, SeparableConv(prefix + "/separable_conv1", Relu(a), 1));
    Act pooled{prefix + "/pool", b.c, 0, 0};
    b_.AddNode("MaxPool", {b.name}, {pooled.name}, Window(3, 2, b, &pooled));
    FACEKIT_ASSIGN_OR_RETURN(Act e, Conv(prefix + "/expansion_conv", x, 1, 2));
    if (e.c != pooled.c || e.h != pooled.h || e.w != pooled.w) {
      return Bad(prefix + ": expansion_conv gives " + std::to_string(e.c) + " channels, the block " +
                 std::to_string(pooled.c));
    }
    return Add(pooled, e);
  }

  Result<Act> MainBlock(const std::string& prefix, const Act& x) {
    FACEKIT_ASSIGN_OR_RETURN(Act a, SeparableConv(prefix + "/separable_conv0", Relu(x), 1));
    FACEKIT_ASSIGN_OR_RETURN(Act b, SeparableConv(prefix + "/separable_conv1", Relu(a), 1));
    FACEKIT_ASSIGN_OR_RETURN(Act c, SeparableConv(prefix + "/separable_conv2", Relu(b), 1));
    if (c.c != x.c) return Bad(prefix + " changes the channel count " + std::to_string(x.c) + " -> " + std::to_string(c.c));
    return Add(c, x);
  }

  Result<Act> DenseBlock4(const std::string& prefix, const Act& x, bool first) {
    Act o1;
    if (first) {
      FACEKIT_ASSIGN_OR_RETURN(o1, Conv(prefix + "/conv0", x, 3, 2));
    } else {
      FACEKIT_ASSIGN_OR_RETURN(o1, SeparableConv(prefix + "/conv0", x, 2));
    }
    o1 = Relu(o1);
    FACEKIT_ASSIGN_OR_RETURN(Act o2, SeparableConv(prefix + "/conv1", o1, 1));
    Act s12 = Add(o1, o2);
    FACEKIT_ASSIGN_OR_RETURN(Act o3, SeparableConv(prefix + "/conv2", Relu(s12), 1));
    Act s123 = Add(o1, Add(o2, o3));
    FACEKIT_ASSIGN_OR_RETURN(Act o4, SeparableConv(prefix + "/conv3", Relu(s123), 1));
    for (const Act* a : {&o2, &o3, &o4}) {
      if (a->c != o1.c) return Bad(prefix + " changes the channel count inside the block");
    }
    return Relu(Add(o1, Add(o2, Add(o3, o4))));
  }

  // avgPool 7x7 stride 2 'valid', flattened: [N, C].
  Result<std::string> Pool7(const Act& x) {
    if (x.h != 7 || x.w != 7) {
      return Bad("the features are " + std::to_string(x.h) + "x" + std::to_string(x.w) +
                 " before the 7x7 pooling; face-api's heads need 7x7 (input 112)");
    }
    b_.AddNode("AveragePool", {x.name}, {"pooled"},
               {{"kernel_shape", std::vector<int64_t>{7, 7}}, {"strides", std::vector<int64_t>{2, 2}}});
    b_.AddNode("Flatten", {"pooled"}, {"pooled_flat"}, {{"axis", int64_t{1}}});
    return std::string("pooled_flat");
  }

  // matMul(x, weights [in, out]) + bias; returns the output count.
  Result<int64_t> Fc(const std::string& prefix, const std::string& x, int64_t in, const std::string& out) {
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* w, Weight(prefix + "/weights", {in, -1}));
    const int64_t m = w->shape[1];
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* bias, Weight(prefix + "/bias", {m}));
    std::vector<float> wt(w->floats.size());  // Gemm's B as [M, K] with transB = 1 (OpenCV 4.6's form)
    for (int64_t k = 0; k < in; ++k)
      for (int64_t j = 0; j < m; ++j) wt[static_cast<size_t>(j * in + k)] = w->floats[static_cast<size_t>(k * m + j)];
    b_.AddFloatInitializer(prefix + "/W", {m, in}, wt);
    b_.AddFloatInitializer(prefix + "/B", {m}, bias->floats);
    b_.AddNode("Gemm", {x, prefix + "/W", prefix + "/B"}, {out}, {{"transB", int64_t{1}}});
    return m;
  }

  FaceApiClassifier kind_;
  const std::map<std::string, TfjsTensor>& w_;
  const FaceApiClassifierOptions& o_;
  OnnxBuilder b_;
  std::set<std::string> used_;
  int conv_layers_ = 0;
  int counter_ = 0;
  int64_t parameters_ = 0;
};

}  // namespace

Result<std::string> ConvertFaceApiClassifierToOnnx(FaceApiClassifier kind,
                                                   const std::map<std::string, TfjsTensor>& weights,
                                                   const FaceApiClassifierOptions& options,
                                                   FaceApiClassifierReport* report) {
  if (options.input_size < 32) return Status(StatusCode::kInvalidArgument, "face-api classifier input size must be >= 32");
  ClassifierWriter w(kind, weights, options);
  return w.Build(report);
}

}  // namespace facekit::runtime
