// VideoSource: a file that ends mid-run (truncated) ends the run cleanly; a
// missing file fails at Open naming it; an image folder plays in name order.
#include "media/video_source.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "media/media_nodes.h"
#include "pipeline/builtin_nodes.h"
#include "pipeline/collector_node.h"
#include "pipeline/graph_config.h"
#include "pipeline/graph_runner.h"
#include "test_util.h"

namespace facekit::media {
namespace {

using facekit::testing::TempDir;

constexpr char kGraph[] = R"({
  "nodes": [
    {"name": "src", "type": "VideoSource", "options": {"uri": "${uri}", "fps": 5}},
    {"name": "sink", "type": "Collector", "inputs": {"in": "src.frames"}}
  ]
})";

cv::Mat Numbered(int i) {
  cv::Mat m(240, 320, CV_8UC3, cv::Scalar(20 * (i % 10), 100, 200));
  cv::putText(m, std::to_string(i), cv::Point(40, 160), cv::FONT_HERSHEY_SIMPLEX, 4, cv::Scalar(255, 255, 255), 6);
  return m;
}

struct Outcome {
  Status create, run;
  std::vector<pipeline::Packet> frames;
  std::vector<Status> source_errors;
};

Outcome RunGraph(const std::string& uri) {
  pipeline::NodeRegistry registry;
  pipeline::RegisterBuiltinNodes(registry);
  Outcome o;
  o.create = RegisterMediaNodes(registry);
  if (!o.create.ok()) return o;
  auto config = pipeline::ParseGraphConfig(kGraph, {{"uri", uri}});
  if (!config.ok()) {
    o.create = config.status();
    return o;
  }
  pipeline::RunnerOptions ro;
  ro.registry = &registry;
  ro.threads = 2;
  auto runner = pipeline::GraphRunner::Create(*config, ro);
  if (!runner.ok()) {
    o.create = runner.status();
    return o;
  }
  o.run = (*runner)->Run();
  o.frames = (*runner)->FindNode<pipeline::CollectorNode>("sink")->packets();
  o.source_errors = (*runner)->source_errors();
  return o;
}

TEST(MediaVideoSource, TruncatedFileEndsTheRunCleanly) {
  TempDir dir;
  const std::string path = dir.file("clip.avi");
  {
    cv::VideoWriter w(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10, cv::Size(320, 240));
    ASSERT_TRUE(w.isOpened());
    for (int i = 0; i < 40; ++i) w.write(Numbered(i));
  }
  const Outcome whole = RunGraph(path);
  ASSERT_TRUE(whole.create.ok()) << whole.create.ToString();
  ASSERT_TRUE(whole.run.ok()) << whole.run.ToString();
  ASSERT_EQ(whole.frames.size(), 40u);
  EXPECT_TRUE(whole.source_errors.empty());
  // The container's frame rate (10) wins over the option; pts = index * 100 ms.
  const Frame* last = whole.frames.back().Get<Frame>();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->pts_ms, 3900);
  EXPECT_EQ(whole.frames.back().timestamp(), 3900 * 1000);
  EXPECT_EQ(last->bgr.cols, 320);

  // Cut the file in the middle of its frames (and its index): the source
  // plays what is there, then the run ends without an error.
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const Outcome cut = RunGraph(path);
  ASSERT_TRUE(cut.create.ok()) << cut.create.ToString();
  EXPECT_TRUE(cut.run.ok()) << cut.run.ToString();
  EXPECT_GT(cut.frames.size(), 5u);
  EXPECT_LT(cut.frames.size(), 40u);
  EXPECT_TRUE(cut.source_errors.empty());
}

TEST(MediaVideoSource, MissingFileFailsAtOpen) {
  TempDir dir;
  const Outcome o = RunGraph(dir.file("nope.avi"));
  ASSERT_TRUE(o.create.ok()) << o.create.ToString();
  ASSERT_FALSE(o.run.ok());
  EXPECT_NE(o.run.message().find("src"), std::string::npos) << o.run.message();
  EXPECT_NE(o.run.message().find("nope.avi"), std::string::npos) << o.run.message();
  EXPECT_TRUE(o.frames.empty());
}

TEST(MediaVideoSource, ImageFolderPlaysInNameOrderAtItsFps) {
  TempDir dir;
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(cv::imwrite(dir.file("f" + std::to_string(i) + ".png"), Numbered(i)));
  const Outcome o = RunGraph(dir.path());
  ASSERT_TRUE(o.run.ok()) << o.run.ToString();
  ASSERT_EQ(o.frames.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    const Frame* f = o.frames[static_cast<std::size_t>(i)].Get<Frame>();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->index, i);
    EXPECT_EQ(f->pts_ms, i * 200);  // fps 5
  }
}

TEST(MediaVideoSource, CentreCropKeepsTheMiddleAndDownscales) {
  TempDir dir;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cv::imwrite(dir.file("f" + std::to_string(i) + ".png"), Numbered(i)));
  pipeline::NodeRegistry registry;
  pipeline::RegisterBuiltinNodes(registry);
  ASSERT_TRUE(RegisterMediaNodes(registry).ok());
  auto config = pipeline::ParseGraphConfig(R"({
    "nodes": [
      {"name": "src", "type": "VideoSource", "options": {"uri": "${uri}"}},
      {"name": "crop", "type": "CentreCrop", "options": {"fraction": 0.5, "max_side": 80},
       "inputs": {"frames": "src.frames"}},
      {"name": "sink", "type": "Collector", "inputs": {"in": "crop.frames"}}
    ]})",
                                           {{"uri", dir.path()}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  pipeline::RunnerOptions ro;
  ro.registry = &registry;
  auto runner = pipeline::GraphRunner::Create(*config, ro);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  ASSERT_TRUE((*runner)->Run().ok());
  const auto frames = (*runner)->FindNode<pipeline::CollectorNode>("sink")->packets();
  ASSERT_EQ(frames.size(), 3u);
  const Frame* f = frames[1].Get<Frame>();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->bgr.cols, 80);  // 320x240 -> centre 160x120 -> 80x60
  EXPECT_EQ(f->bgr.rows, 60);
  EXPECT_EQ(f->pts_ms, 100);
}

}  // namespace
}  // namespace facekit::media
