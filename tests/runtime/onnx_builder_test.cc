#include "runtime/onnx_builder.h"

#include <gtest/gtest.h>

#include <opencv2/dnn.hpp>

#include "runtime/dnn_model.h"

namespace facekit::runtime {
namespace {

TEST(ProtoWriter, EncodesVarintsAndLengthDelimited) {
  ProtoWriter w;
  w.Varint(1, 300);
  EXPECT_EQ(w.str(), std::string("\x08\xAC\x02", 3));
  ProtoWriter b;
  b.Bytes(2, "hi");
  EXPECT_EQ(b.str(), std::string("\x12\x02hi", 4));
  ProtoWriter p;
  p.PackedVarints(1, {1, 2, 150});
  EXPECT_EQ(p.str(), std::string("\x0A\x04\x01\x02\x96\x01", 6));
}

// A 1-channel 3x3 convolution, stride 2, explicit asymmetric "SAME" padding
// (0 before, 1 after, as TFLite pads), then Relu: checked by hand.
TEST(OnnxBuilder, ConvGraphRunsInOpenCvWithExpectedValues) {
  OnnxBuilder b;
  b.AddInput("x", {OnnxDim::Symbolic("N"), OnnxDim::Fixed(1), OnnxDim::Fixed(4), OnnxDim::Fixed(4)});
  b.AddFloatInitializer("w", {1, 1, 3, 3}, {0, 0, 0, 0, 1, 0, 0, 0, -1});  // x[1,1] - x[2,2] of each window
  b.AddFloatInitializer("b", {1}, {0.5f});
  b.AddNode("Conv", {"x", "w", "b"}, {"c"},
            {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"strides", std::vector<int64_t>{2, 2}},
             {"pads", std::vector<int64_t>{0, 0, 1, 1}}});
  b.AddNode("Relu", {"c"}, {"y"});
  b.AddOutput("y", {OnnxDim::Symbolic("N"), OnnxDim::Fixed(1), OnnxDim::Fixed(2), OnnxDim::Fixed(2)});
  std::string bytes = b.Serialize("g", "test", "1");
  auto net = DnnModel::FromBuffer(bytes);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  cv::Mat x(std::vector<int>{1, 1, 4, 4}, CV_32F);
  for (int i = 0; i < 16; ++i) x.ptr<float>()[i] = static_cast<float>(i * i % 7);
  auto out = (*net)->Run(x, {"y"});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const cv::Mat& y = (*out)[0];
  ASSERT_EQ(y.size[2], 2);
  ASSERT_EQ(y.size[3], 2);
  auto at = [&](int r, int c) { return (r < 4 && c < 4) ? x.ptr<float>()[r * 4 + c] : 0.f; };
  for (int oy = 0; oy < 2; ++oy)
    for (int ox = 0; ox < 2; ++ox) {
      float want = std::max(0.f, at(2 * oy + 1, 2 * ox + 1) - at(2 * oy + 2, 2 * ox + 2) + 0.5f);
      EXPECT_FLOAT_EQ(y.ptr<float>()[oy * 2 + ox], want) << oy << "," << ox;
    }
}

}  // namespace
}  // namespace facekit::runtime
