// facekit pipeline run GRAPH [--set key=value]... [--trace OUT.csv] [--threads N]
//
// Runs a pipeline graph file (docs/pipeline.md) with the media and face node
// types registered (docs/attendance.md). Events written by a JsonLinesSink
// with path "-" go to standard output; the profiler report goes to standard
// error at the end. Exit status: 0 when the run ends (a source reaching the
// end of its file included); 1 for graph errors (malformed file, unknown
// node, bad option, missing input) and node failures; 2 when a source ended
// with an error (camera or stream lost): the run still ended cleanly.
#include <fstream>
#include <iostream>
#include <memory>

#include "attendance/attendance_nodes.h"
#include "cli/commands.h"
#include "facekit/image.h"
#include "media/media_nodes.h"
#include "media/trace_plot.h"
#include "pipeline/builtin_nodes.h"
#include "pipeline/controller_trace.h"
#include "pipeline/graph_config.h"
#include "pipeline/graph_runner.h"

namespace facekit::cli {

Status RegisterGraphNodes(pipeline::NodeRegistry& registry, const GlobalOptions& g) {
  pipeline::RegisterBuiltinNodes(registry);
  FACEKIT_RETURN_IF_ERROR(media::RegisterMediaNodes(registry));
  EngineOptions engine_options;
  engine_options.models_dir = ResolveModelsDir(g);
  engine_options.num_threads = g.threads;
  return attendance::RegisterAttendanceNodes(registry, std::make_shared<attendance::EngineProvider>(engine_options));
}

namespace {

struct PipelineOptions {
  std::string graph;
  std::vector<std::string> sets;
  std::string trace;
  std::string metrics;
  int threads = 0;
};

int RunPipeline(const GlobalOptions& g, const PipelineOptions& o) {
  pipeline::Substitutions vars;
  for (const std::string& s : o.sets) {
    auto kv = pipeline::ParseSetArgument(s);
    if (!kv.ok()) return Fail(kv.status());
    vars[kv->first] = kv->second;
  }
  auto config = pipeline::LoadGraphConfig(o.graph, vars);
  if (!config.ok()) return Fail(Status(config.status().code(), o.graph + ": " + config.status().message()));
  pipeline::NodeRegistry registry;
  const Status st = RegisterGraphNodes(registry, g);
  if (!st.ok()) return Fail(st);
  pipeline::RunnerOptions ro;
  ro.registry = &registry;
  ro.threads = o.threads;
  auto runner = pipeline::GraphRunner::Create(*config, ro);
  if (!runner.ok()) return Fail(Status(runner.status().code(), o.graph + ": " + runner.status().message()));
  const Status run = (*runner)->Run();
  std::cout.flush();
  const pipeline::Profiler profile = (*runner)->Snapshot();
  std::cerr << profile.Report();
  if (!o.metrics.empty()) {
    std::ofstream out(o.metrics, std::ios::binary | std::ios::trunc);
    out << profile.PrometheusText();
    if (!out.flush()) return Fail(Status(StatusCode::kIoError, "cannot write " + o.metrics));
  }
  if (!o.trace.empty()) {
    const Status t = pipeline::WriteTraceCsv(o.trace, (*runner)->controller_trace());
    if (!t.ok()) return Fail(t);
  }
  if (!run.ok()) return Fail(run);
  const auto& errors = (*runner)->source_errors();
  for (const Status& e : errors) std::cerr << "facekit: source ended with an error: " << e.message() << "\n";
  return errors.empty() ? 0 : 2;
}

int PlotTrace(const std::string& trace, const std::string& out, double target, const std::string& title) {
  auto bytes = ReadFileBytes(trace);
  if (!bytes.ok()) return Fail(bytes.status());
  auto rows = pipeline::ParseTraceCsv(std::string(bytes->begin(), bytes->end()));
  if (!rows.ok()) return Fail(Status(rows.status().code(), trace + ": " + rows.status().message()));
  const Status st = media::DrawControllerTracePng(*rows, target, title.empty() ? trace : title, out);
  if (!st.ok()) return Fail(st);
  return 0;
}

}  // namespace

void RegisterPipeline(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* pipeline_app = app.add_subcommand("pipeline", "Run dataflow graphs (docs/pipeline.md, docs/attendance.md)");
  pipeline_app->require_subcommand(1);
  auto o = std::make_shared<PipelineOptions>();
  CLI::App* cmd = pipeline_app->add_subcommand("run", "Run a graph file; events as JSON lines on stdout, profile on stderr");
  cmd->add_option("graph", o->graph, "Graph file (JSON)")->required();
  cmd->add_option("--set", o->sets, "key=value for ${key} placeholders (repeatable)");
  cmd->add_option("--trace", o->trace, "Write the controller trace as CSV");
  cmd->add_option("--metrics", o->metrics, "Write the profile in the Prometheus text format at the end");
  cmd->add_option("--threads", o->threads, "Pipeline worker threads (0 = one per core, at least 2)")
      ->default_val(0)
      ->check(CLI::Range(0, 256));
  cmd->callback([&g, o, run] { *run = [&g, o] { return RunPipeline(g, *o); }; });

  struct PlotOptions {
    std::string trace, out, title;
    double target = 0.45;
  };
  auto p = std::make_shared<PlotOptions>();
  CLI::App* plot = pipeline_app->add_subcommand("plot", "Draw a controller trace (--trace CSV) as a PNG");
  plot->add_option("trace", p->trace, "Trace CSV written by `pipeline run --trace`")->required();
  plot->add_option("--out", p->out, "PNG to write")->required();
  plot->add_option("--target", p->target, "The controller's CPU target (0..1), drawn with its +/-10% band")
      ->default_val(0.45)
      ->check(CLI::Range(0.0, 1.0));
  plot->add_option("--title", p->title, "Title (default: the trace's path)");
  plot->callback([p, run] { *run = [p] { return PlotTrace(p->trace, p->out, p->target, p->title); }; });
}

}  // namespace facekit::cli
