// Parameter and MAC counts against values computed by hand from the
// architectures (not from the graph files).
#include "runtime/model_stats.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace facekit::runtime {
namespace {

TfliteModel Load(const std::string& file) {
  auto m = TfliteModel::Load(testing::ModelsDir() + "/files/" + file);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : TfliteModel{};
}

struct Tally {
  int64_t params = 0, macs = 0;
  // k x k convolution with bias, cin -> cout, output side `hw`.
  void Conv(int k, int cin, int cout, int hw) {
    params += int64_t{k} * k * cin * cout + cout;
    macs += int64_t{hw} * hw * k * k * cin * cout;
  }
  void Depthwise(int k, int c, int hw) {
    params += int64_t{k} * k * c + c;
    macs += int64_t{hw} * hw * k * k * c;
  }
  void Prelu(int c) { params += c; }
  // MobileNetV2 bottleneck as MobileFaceNet uses it: 1x1 expand + PReLU,
  // 3x3 depthwise (stride s) + PReLU, linear 1x1 projection.
  void Bottleneck(int cin, int t, int cout, int in_hw, int stride) {
    int out_hw = in_hw / stride;
    Conv(1, cin, cin * t, in_hw);
    Prelu(cin * t);
    Depthwise(3, cin * t, out_hw);
    Prelu(cin * t);
    Conv(1, cin * t, cout, out_hw);
  }
};

TEST(ModelStats, RnetMatchesHandCount) {
  // R-Net: conv 3x3 3->28 (22x22), pool, conv 3x3 28->48 (9x9), pool,
  // conv 2x2 48->64 (3x3), FC 576->128, FC 128->2, FC 128->4; PReLU after
  // the three convolutions and the first FC.
  Tally t;
  t.Conv(3, 3, 28, 22);
  t.Prelu(28);
  t.Conv(3, 28, 48, 9);
  t.Prelu(48);
  t.Conv(2, 48, 64, 3);
  t.Prelu(64);
  t.Conv(1, 576, 128, 1);
  t.Prelu(128);
  t.Conv(1, 128, 2, 1);
  t.Conv(1, 128, 4, 1);
  ModelStats s = ComputeModelStats(Load("rnet.tflite"));
  EXPECT_EQ(s.total_params, t.params);
  EXPECT_EQ(s.total_macs, t.macs);
  EXPECT_EQ(t.params, 100178);
  EXPECT_EQ(t.macs, 1530768);
}

TEST(ModelStats, MobileFaceNetMatchesHandCount) {
  // MobileFaceNet (Chen et al. 2018, table 1) as shipped: 112x112 input,
  // 192-D output, and an extra 1x1 512->512 convolution after the global
  // depthwise layer.
  Tally t;
  t.Conv(3, 3, 64, 56);  // conv3x3, stride 2
  t.Prelu(64);
  t.Depthwise(3, 64, 56);  // depthwise conv3x3
  t.Prelu(64);
  t.Conv(1, 64, 64, 56);  // its pointwise half (linear)
  t.Bottleneck(64, 2, 64, 56, 2);
  for (int i = 0; i < 4; ++i) t.Bottleneck(64, 2, 64, 28, 1);
  t.Bottleneck(64, 4, 128, 28, 2);
  for (int i = 0; i < 6; ++i) t.Bottleneck(128, 2, 128, 14, 1);
  t.Bottleneck(128, 4, 128, 14, 2);
  for (int i = 0; i < 2; ++i) t.Bottleneck(128, 2, 128, 7, 1);
  t.Conv(1, 128, 512, 7);
  t.Prelu(512);
  t.Depthwise(7, 512, 1);  // global depthwise (linear)
  t.Conv(1, 512, 512, 1);
  t.Conv(1, 512, 192, 1);  // linear embedding layer
  ModelStats s = ComputeModelStats(Load("MobileFaceNet.tflite"));
  EXPECT_EQ(s.total_params, t.params);
  EXPECT_EQ(s.total_macs, t.macs);
  EXPECT_EQ(s.by_type["DEPTHWISE_CONV_2D"].first, 60800);
  std::printf("MobileFaceNet: %lld parameters, %lld MACs per image\n", static_cast<long long>(t.params),
              static_cast<long long>(t.macs));
}

}  // namespace
}  // namespace facekit::runtime
