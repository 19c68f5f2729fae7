// `facekit pipeline run`: malformed graph files fail at start (exit status 1)
// with a message naming the problem; nothing is run. A source that fails
// mid-run ends the run cleanly with exit status 2.
#include <gtest/gtest.h>

#include <fstream>

#include "media/pipeline_cli.h"
#include "test_util.h"

namespace facekit::testing {
namespace {

struct Case {
  const char* what;
  const char* graph;
  const char* message;  // must appear on stderr
};

TEST(PipelineCli, MalformedGraphsFailAtStartNamingTheProblem) {
  const Case cases[] = {
      {"unknown node type",
       R"({"nodes": [{"name": "src", "type": "VideoSorce", "options": {"uri": "x.avi"}}]})",
       R"(node "src": unknown node type "VideoSorce")"},
      {"type mismatch",
       R"({"nodes": [{"name": "src", "type": "VideoSource", "options": {"uri": "x.avi"}},
                     {"name": "track", "type": "FaceTrack", "inputs": {"faces": "src.frames"}}]})",
       R"(node "track" input "faces": expects Faces but "src.frames" produces Frame)"},
      {"missing port",
       R"({"nodes": [{"name": "src", "type": "VideoSource", "options": {"uri": "x.avi"}},
                     {"name": "out", "type": "JsonLinesSink", "inputs": {"events": "src.events"}}]})",
       R"(node "out" input "events": node "src" (VideoSource) has no output port "events")"},
      {"unconnected input",
       R"({"nodes": [{"name": "out", "type": "JsonLinesSink"}]})",
       R"(node "out": required input "events" is not connected)"},
      {"cycle",
       R"({"nodes": [{"name": "a", "type": "FaceTrack", "inputs": {"faces": "b.faces"}},
                     {"name": "b", "type": "FaceTrack", "inputs": {"faces": "a.faces"}}]})",
       "graph has a cycle not declared as a back-edge"},
      {"placeholder without a value",
       R"({"nodes": [{"name": "src", "type": "VideoSource", "options": {"uri": "${source}"}}]})",
       "source"},
      {"not JSON", R"({"nodes": [)", "graph.json"},
      {"bad option value",
       R"({"nodes": [{"name": "src", "type": "VideoSource", "options": {"uri": "x.avi", "fps": "fast"}},
                     {"name": "s", "type": "Collector", "inputs": {"in": "src.frames"}}]})",
       R"(node "src" option "fps")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    TempDir dir;
    const std::string graph = dir.file("graph.json");
    std::ofstream(graph) << c.graph;
    const CliRun run = RunPipelineCli("'" + graph + "'", dir.path());
    EXPECT_EQ(run.exit_code, 1) << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << run.err;
    EXPECT_EQ(run.out, "");
  }
}

TEST(PipelineCli, MissingVideoFileIsAnErrorNamingIt) {
  TempDir dir;
  const CliRun run = RunPipelineCli("'" + SourceDir() + "/examples/attendance/graph.json' --set source=" +
                                        dir.file("missing.avi") + " --set gallery=" + dir.path() +
                                        " --set group=g --set liveness=off",
                                    dir.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("missing.avi"), std::string::npos) << run.err;
}

TEST(PipelineCli, ASourceErrorEndsTheRunCleanlyWithExitStatus2) {
  TempDir dir;
  const std::string graph = dir.file("graph.json");
  std::ofstream(graph) << R"({"nodes": [
      {"name": "camera", "type": "CounterSource", "options": {"count": 100, "fail_after": "${fail:--1}"}},
      {"name": "sink", "type": "Collector", "inputs": {"in": "camera.out"}}]})";
  const CliRun lost = RunPipelineCli("'" + graph + "' --set fail=5", dir.path());
  EXPECT_EQ(lost.exit_code, 2) << lost.err;
  EXPECT_NE(lost.err.find(R"(node "camera": source lost after 5 packets)"), std::string::npos) << lost.err;
  EXPECT_NE(lost.err.find("Collector"), std::string::npos) << "the profile is still printed: " << lost.err;
  const CliRun ended = RunPipelineCli("'" + graph + "'", dir.path());
  EXPECT_EQ(ended.exit_code, 0) << ended.err;
}

}  // namespace
}  // namespace facekit::testing
