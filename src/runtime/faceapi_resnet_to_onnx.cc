#include "runtime/faceapi_resnet_to_onnx.h"

#include <set>

#include "runtime/onnx_builder.h"

namespace facekit::runtime {
namespace {

Status Bad(const std::string& what) { return {StatusCode::kModelInvalid, "face-api face_recognition: " + what}; }

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
  return t + "]";
}

// TF 'valid' output size.
int64_t Valid(int64_t in, int64_t k, int64_t s) { return in < k ? 0 : (in - k) / s + 1; }

class ResnetWriter {
 public:
  ResnetWriter(const std::map<std::string, TfjsTensor>& w, const FaceApiResnetOptions& o) : w_(w), o_(o) {}

  Result<std::string> Build(FaceApiResnetReport* report) {
    const int64_t n = o_.input_size;
    b_.AddInput(o_.input_name, {OnnxDim::Symbolic("N"), OnnxDim::Fixed(3), OnnxDim::Fixed(n), OnnxDim::Fixed(n)});
    Act x{o_.input_name, 3, n, n};
    // (x - mean) / 255 (face-api's normalize() then div(255)) is folded into
    // this first, unpadded convolution: exact, and cv::dnn 4.6 cannot
    // broadcast a per-channel Sub over a batch of more than one.
    FACEKIT_ASSIGN_OR_RETURN(x, ConvLayer("conv32_down", x, 7, 2, /*same=*/false, /*relu=*/true, /*normalize_input=*/true));
    const int64_t pooled = Valid(x.h, 3, 2);
    b_.AddNode("MaxPool", {x.name}, {"pool1"},
               {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}}});
    x = {"pool1", x.c, pooled, Valid(x.w, 3, 2)};

    for (const char* block : {"conv32_1", "conv32_2", "conv32_3"}) {
      FACEKIT_ASSIGN_OR_RETURN(x, Residual(block, x));
    }
    FACEKIT_ASSIGN_OR_RETURN(x, ResidualDown("conv64_down", x));
    for (const char* block : {"conv64_1", "conv64_2", "conv64_3"}) {
      FACEKIT_ASSIGN_OR_RETURN(x, Residual(block, x));
    }
    FACEKIT_ASSIGN_OR_RETURN(x, ResidualDown("conv128_down", x));
    for (const char* block : {"conv128_1", "conv128_2"}) {
      FACEKIT_ASSIGN_OR_RETURN(x, Residual(block, x));
    }
    FACEKIT_ASSIGN_OR_RETURN(x, ResidualDown("conv256_down", x));
    for (const char* block : {"conv256_1", "conv256_2"}) {
      FACEKIT_ASSIGN_OR_RETURN(x, Residual(block, x));
    }
    FACEKIT_ASSIGN_OR_RETURN(x, ResidualDown("conv256_down_out", x));

    b_.AddNode("GlobalAveragePool", {x.name}, {"global_avg"});
    b_.AddNode("Flatten", {"global_avg"}, {"global_avg_flat"}, {{"axis", int64_t{1}}});
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* fc, Weight("fc", {x.c, -1}));
    const int64_t dim = fc->shape[1];
    // Gemm's B as [M, K] with transB = 1 (the form OpenCV 4.6 reads).
    std::vector<float> fct(fc->floats.size());
    for (int64_t k = 0; k < x.c; ++k)
      for (int64_t m = 0; m < dim; ++m) fct[static_cast<size_t>(m * x.c + k)] = fc->floats[static_cast<size_t>(k * dim + m)];
    b_.AddFloatInitializer("fc", {dim, x.c}, fct);
    b_.AddNode("Gemm", {"global_avg_flat", "fc"}, {o_.output_name}, {{"transB", int64_t{1}}});
    b_.AddOutput(o_.output_name, {OnnxDim::Symbolic("N"), OnnxDim::Fixed(dim)});

    for (const auto& [name, t] : w_) {
      if (!used_.count(name)) return Bad("weight '" + name + "' is not part of the network (a different model?)");
    }
    for (const auto& [k, v] : o_.metadata) b_.AddMetadata(k, v);
    if (report != nullptr) {
      report->onnx_nodes = static_cast<int>(b_.node_count());
      report->conv_layers = conv_layers_;
      report->parameters = parameters_;
    }
    return b_.Serialize("faceapi_face_recognition", "facekit", "1");
  }

 private:
  struct Act {
    std::string name;
    int64_t c = 0, h = 0, w = 0;
  };

  // The weight `name` with shape `want` (-1 = any size there).
  Result<const TfjsTensor*> Weight(const std::string& name, const std::vector<int64_t>& want) {
    auto it = w_.find(name);
    if (it == w_.end()) return Bad("weight '" + name + "' is missing from the manifest");
    const TfjsTensor& t = it->second;
    bool ok = t.dtype == TfjsDtype::kFloat32 && t.shape.size() == want.size();
    for (size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 ? t.shape[i] > 0 : t.shape[i] == want[i];
    if (!ok) return Bad("weight '" + name + "' has shape " + ShapeText(t.shape) + ", the network needs " + ShapeText(want));
    used_.insert(name);
    parameters_ += static_cast<int64_t>(t.floats.size());
    return &t;
  }

  // conv + bias, then scale (x * w + b), folded; ReLU when `relu`. With
  // `normalize_input` the layer takes raw RGB and applies face-api's
  // (x - kMeanRgb) / 255 through its weights (exact without padding).
  Result<Act> ConvLayer(const std::string& prefix, const Act& x, int64_t k, int64_t stride, bool same, bool relu,
                        bool normalize_input = false) {
    static constexpr float kMeanRgb[3] = {122.782f, 117.001f, 104.298f};
    if (normalize_input && (same || x.c != 3)) return Bad("internal: input normalisation needs an unpadded RGB conv");
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* filters, Weight(prefix + "/conv/filters", {k, k, x.c, -1}));
    const int64_t out_c = filters->shape[3];
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* bias, Weight(prefix + "/conv/bias", {out_c}));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* sw, Weight(prefix + "/scale/weights", {out_c}));
    FACEKIT_ASSIGN_OR_RETURN(const TfjsTensor* sb, Weight(prefix + "/scale/biases", {out_c}));
    // HWIO -> OIHW, times the scale (and 1/255 for the raw input).
    const double in_scale = normalize_input ? 1.0 / 255.0 : 1.0;
    std::vector<float> oihw(filters->floats.size());
    std::vector<double> mean_response(static_cast<size_t>(out_c), 0.0);  // sum of W * mean / 255
    for (int64_t ky = 0; ky < k; ++ky)
      for (int64_t kx = 0; kx < k; ++kx)
        for (int64_t i = 0; i < x.c; ++i)
          for (int64_t o = 0; o < out_c; ++o) {
            const double v = filters->floats[static_cast<size_t>(((ky * k + kx) * x.c + i) * out_c + o)] * in_scale;
            if (normalize_input) mean_response[static_cast<size_t>(o)] += v * kMeanRgb[i];
            oihw[static_cast<size_t>(((o * x.c + i) * k + ky) * k + kx)] =
                static_cast<float>(v * sw->floats[static_cast<size_t>(o)]);
          }
    std::vector<float> b(static_cast<size_t>(out_c));
    for (size_t o = 0; o < b.size(); ++o) {
      b[o] = static_cast<float>((bias->floats[o] - mean_response[o]) * sw->floats[o] + sb->floats[o]);
    }
    b_.AddFloatInitializer(prefix + "/W", {out_c, x.c, k, k}, oihw);
    b_.AddFloatInitializer(prefix + "/B", {out_c}, b);
    const int64_t p = same ? (k - 1) / 2 : 0;
    Act out{prefix + (relu ? "/preact" : ""), out_c, same ? (x.h + stride - 1) / stride : Valid(x.h, k, stride),
            same ? (x.w + stride - 1) / stride : Valid(x.w, k, stride)};
    if (same && stride != 1) return Bad("internal: 'same' padding is only written for stride 1");
    if (out.h < 1 || out.w < 1) {
      return Bad(prefix + " gets a " + std::to_string(x.h) + "x" + std::to_string(x.w) +
                 " input, too small for its " + std::to_string(k) + "x" + std::to_string(k) + " kernel (input size too small)");
    }
    b_.AddNode("Conv", {x.name, prefix + "/W", prefix + "/B"}, {out.name},
               {{"kernel_shape", std::vector<int64_t>{k, k}}, {"strides", std::vector<int64_t>{stride, stride}},
                {"pads", std::vector<int64_t>{p, p, p, p}}});
    ++conv_layers_;
    if (relu) {
      b_.AddNode("Relu", {out.name}, {prefix});
      out.name = prefix;
    }
    return out;
  }

  Result<Act> Residual(const std::string& block, const Act& x) {
    FACEKIT_ASSIGN_OR_RETURN(Act a, ConvLayer(block + "/conv1", x, 3, 1, true, true));
    FACEKIT_ASSIGN_OR_RETURN(Act c, ConvLayer(block + "/conv2", a, 3, 1, true, false));
    if (c.c != x.c) return Bad(block + " changes the channel count " + std::to_string(x.c) + " -> " + std::to_string(c.c));
    b_.AddNode("Add", {c.name, x.name}, {block + "/sum"});
    b_.AddNode("Relu", {block + "/sum"}, {block});
    return Act{block, x.c, x.h, x.w};
  }

  Result<Act> ResidualDown(const std::string& block, const Act& x) {
    FACEKIT_ASSIGN_OR_RETURN(Act a, ConvLayer(block + "/conv1", x, 3, 2, false, true));
    FACEKIT_ASSIGN_OR_RETURN(Act c, ConvLayer(block + "/conv2", a, 3, 1, true, false));
    const std::string pool = block + "/pool";
    b_.AddNode("AveragePool", {x.name}, {pool},
               {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
    Act pooled{pool, x.c, Valid(x.h, 2, 2), Valid(x.w, 2, 2)};
    if (c.c < pooled.c) return Bad(block + " narrows the channels " + std::to_string(x.c) + " -> " + std::to_string(c.c));
    std::string shortcut = pooled.name;
    if (c.c > pooled.c) {  // face-api: concat(pooled, zeros) on the channel axis
      shortcut = block + "/pool_padded";
      b_.AddInt64Initializer(shortcut + "/pads", {8}, {0, 0, 0, 0, 0, c.c - pooled.c, 0, 0});
      b_.AddNode("Pad", {pooled.name, shortcut + "/pads"}, {shortcut}, {{"mode", std::string("constant")}});
    }
    std::string branch = c.name;
    if (c.h != pooled.h || c.w != pooled.w) {
      // face-api appends one zero row and one zero column to the conv branch.
      if (pooled.h - c.h != 1 || pooled.w - c.w != 1) {
        return Bad(block + ": the conv branch is " + std::to_string(c.h) + "x" + std::to_string(c.w) +
                   " and the shortcut " + std::to_string(pooled.h) + "x" + std::to_string(pooled.w) +
                   " (face-api only pads by one; wrong input size?)");
      }
      branch = block + "/conv2_padded";
      b_.AddInt64Initializer(branch + "/pads", {8}, {0, 0, 0, 0, 0, 0, 1, 1});
      b_.AddNode("Pad", {c.name, branch + "/pads"}, {branch}, {{"mode", std::string("constant")}});
    }
    b_.AddNode("Add", {shortcut, branch}, {block + "/sum"});
    b_.AddNode("Relu", {block + "/sum"}, {block});
    return Act{block, c.c, pooled.h, pooled.w};
  }

  const std::map<std::string, TfjsTensor>& w_;
  const FaceApiResnetOptions& o_;
  OnnxBuilder b_;
  std::set<std::string> used_;
  int conv_layers_ = 0;
  int64_t parameters_ = 0;
};

}  // namespace

Result<std::string> ConvertFaceApiResnetToOnnx(const std::map<std::string, TfjsTensor>& weights,
                                               const FaceApiResnetOptions& options, FaceApiResnetReport* report) {
  if (options.input_size < 32) return Status(StatusCode::kInvalidArgument, "face-api ResNet input size must be >= 32");
  ResnetWriter w(weights, options);
  return w.Build(report);
}

}  // namespace facekit::runtime
