#include "media/trace_plot.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "test_util.h"

namespace facekit::media {
namespace {

std::vector<pipeline::TraceRow> StepTrace() {
  std::vector<pipeline::TraceRow> rows;
  for (int i = 1; i <= 30; ++i) {
    const bool loaded = i > 10 && i <= 20;
    rows.push_back({i * 1000000LL, loaded ? 0.47 : 0.30, loaded ? 0.17 : 0.30, loaded ? 62500 : 33333, loaded ? 1 : 0});
  }
  return rows;
}

TEST(ControllerTrace, CsvRoundTrip) {
  const auto rows = StepTrace();
  auto parsed = pipeline::ParseTraceCsv(pipeline::TraceCsv(rows));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ((*parsed)[i].time_us, rows[i].time_us);
    EXPECT_NEAR((*parsed)[i].cpu_host, rows[i].cpu_host, 1e-4);
    EXPECT_EQ((*parsed)[i].interval_us, rows[i].interval_us);
    EXPECT_EQ((*parsed)[i].level, rows[i].level);
  }
  EXPECT_EQ(pipeline::ParseTraceCsv("a,b\n1,2\n").status().code(), StatusCode::kInvalidArgument);
  auto bad = pipeline::ParseTraceCsv("time_s,cpu_host,cpu_process,interval_ms,level\n1,2,x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
}

TEST(ControllerTrace, PlotIsAPng) {
  testing::TempDir dir;
  const std::string path = dir.file("trace.png");
  ASSERT_TRUE(DrawControllerTracePng(StepTrace(), 0.45, "step", path).ok());
  const cv::Mat img = cv::imread(path);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.cols, 900);
  EXPECT_FALSE(DrawControllerTracePng({}, 0.45, "empty", dir.file("e.png")).ok());
}

}  // namespace
}  // namespace facekit::media
