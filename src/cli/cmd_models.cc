// facekit models import / list.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "runtime/model_importer.h"
#include "runtime/model_manifest.h"
#include "runtime/model_stats.h"
#include "runtime/tfjs_model.h"
#include "runtime/tfjs_to_onnx.h"
#include "runtime/tflite_model.h"

namespace facekit::cli {
namespace {

std::string Shape(const std::vector<int32_t>& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out.empty() ? "-" : out;
}

// Stats of a TF.js graph model: its imported part, as the importer sees it.
Result<runtime::ModelStats> TfjsStats(const std::string& json_path, const runtime::ManifestModel* mm) {
  FACEKIT_ASSIGN_OR_RETURN(runtime::TfjsModel model, runtime::TfjsModel::Load(json_path));
  runtime::TfjsToOnnxOptions opt;
  if (mm) opt.outputs = mm->import_outputs;
  runtime::TfjsToOnnxReport rep;
  FACEKIT_ASSIGN_OR_RETURN(std::string bytes, runtime::ConvertTfjsToOnnx(model, opt, &rep));
  return runtime::SummariseLayers(std::move(rep.layers));
}

// A manifest model name ("mobilefacenet", "centernet") or a path to a
// .tflite file or a TF.js model .json.
Result<runtime::ModelStats> LoadForInspection(const GlobalOptions& g, const std::string& what) {
  auto manifest = runtime::ModelManifest::Load(ResolveModelsDir(g));
  if (manifest.ok()) {
    for (const auto& m : manifest->models) {
      if (m.name != what) continue;
      const std::string source = manifest->FilePath(m.source_file);
      if (m.source_format == "tfjs") return TfjsStats(source, &m);
      if (m.source_format != "tflite") return Status(StatusCode::kInvalidArgument, what + " is not a TFLite or TF.js model");
      FACEKIT_ASSIGN_OR_RETURN(runtime::TfliteModel model, runtime::TfliteModel::Load(source));
      return runtime::ComputeModelStats(model);
    }
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(what, ec)) {
    std::string names;
    if (manifest.ok()) {
      for (const auto& m : manifest->models) names += (names.empty() ? "" : ", ") + m.name;
    }
    return Status(StatusCode::kNotFound,
                  "no model named " + what + (names.empty() ? std::string() : "; the manifest's models are " + names) +
                      " (facekit models list); or give the path of a .tflite file or a TF.js model .json");
  }
  if (what.size() > 5 && what.substr(what.size() - 5) == ".json") return TfjsStats(what, nullptr);
  FACEKIT_ASSIGN_OR_RETURN(runtime::TfliteModel model, runtime::TfliteModel::Load(what));
  return runtime::ComputeModelStats(model);
}

int Inspect(const GlobalOptions& g, const std::string& what, bool as_json) {
  auto stats = LoadForInspection(g, what);
  if (!stats.ok()) return Fail(stats.status());
  const runtime::ModelStats& st = *stats;
  if (as_json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : st.layers) {
      layers.push_back({{"index", l.index}, {"type", l.type}, {"output", l.output}, {"input_shape", l.input_shape},
                        {"output_shape", l.output_shape}, {"kernel_shape", l.kernel_shape}, {"params", l.params},
                        {"macs", l.macs}});
    }
    nlohmann::json by_type = nlohmann::json::object();
    for (const auto& [type, pm] : st.by_type) by_type[type] = {{"params", pm.first}, {"macs", pm.second}};
    std::cout << nlohmann::json{{"layers", layers}, {"by_type", by_type}, {"total_params", st.total_params},
                                {"total_macs", st.total_macs}}.dump() << "\n";
    return 0;
  }
  std::printf("%4s  %-18s %-16s %-16s %-14s %10s %14s\n", "#", "type", "input", "output", "kernel", "params", "MACs");
  for (const auto& l : st.layers) {
    if (l.params == 0 && l.macs == 0) continue;  // element-wise plumbing
    std::printf("%4d  %-18s %-16s %-16s %-14s %10lld %14lld\n", l.index, l.type.c_str(), Shape(l.input_shape).c_str(),
                Shape(l.output_shape).c_str(), Shape(l.kernel_shape).c_str(), static_cast<long long>(l.params),
                static_cast<long long>(l.macs));
  }
  std::printf("\nby type:\n");
  for (const auto& [type, pm] : st.by_type) {
    std::printf("  %-18s params %10lld  MACs %14lld\n", type.c_str(), static_cast<long long>(pm.first),
                static_cast<long long>(pm.second));
  }
  std::printf("total: %lld parameters (%.3f M), %lld multiply-accumulates per image (%.1f M); %zu operators\n",
              static_cast<long long>(st.total_params), static_cast<double>(st.total_params) / 1e6,
              static_cast<long long>(st.total_macs), static_cast<double>(st.total_macs) / 1e6, st.layers.size());
  return 0;
}

}  // namespace

void RegisterModels(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* m = app.add_subcommand("models", "Manage the models folder");
  m->require_subcommand(1);
  auto force = std::make_shared<bool>(false);
  CLI::App* imp = m->add_subcommand("import", "Check fetched model files against the manifest's SHA-256 and convert TFLite and TF.js models to ONNX");
  imp->add_flag("--force", *force, "Convert even when the ONNX file is up to date");
  imp->callback([&g, force, run] {
    *run = [&g, force] {
      auto manifest = runtime::ModelManifest::Load(ResolveModelsDir(g));
      if (!manifest.ok()) return Fail(manifest.status());
      auto done = runtime::ImportModels(*manifest, *force);
      if (!done.ok()) return Fail(done.status());
      for (const auto& d : *done) {
        if (d.converted) {
          std::printf("models: %s -> %s (%d source ops -> %d ONNX nodes; fused %d PReLU, %d softmax, %d hard-swish)\n",
                      d.name.c_str(), d.onnx_path.c_str(), d.source_ops, d.onnx_nodes, d.fused_prelu, d.fused_softmax,
                      d.fused_hard_swish);
        } else {
          std::printf("models: %s up to date (%s)\n", d.name.c_str(), d.onnx_path.c_str());
        }
      }
      return 0;
    };
  });
  struct InspectOpts {
    std::string model;
    bool json = false;
  };
  auto io = std::make_shared<InspectOpts>();
  CLI::App* ins = m->add_subcommand("inspect", "Per-layer shapes, parameters and multiply-accumulates of a model");
  ins->add_option("MODEL", io->model, "A manifest model name (e.g. mobilefacenet, centernet), a .tflite file or a TF.js model .json")->required();
  ins->add_flag("--json", io->json, "Print JSON");
  ins->callback([&g, io, run] { *run = [&g, io] { return Inspect(g, io->model, io->json); }; });
  CLI::App* list = m->add_subcommand("list", "List the manifest's models");
  list->callback([&g, run] {
    *run = [&g] {
      auto manifest = runtime::ModelManifest::Load(ResolveModelsDir(g));
      if (!manifest.ok()) return Fail(manifest.status());
      for (const auto& mm : manifest->models) {
        std::printf("%-14s %-8s %-14s %-22s from %s %s\n", mm.name.c_str(), mm.version.c_str(), mm.role.c_str(),
                    mm.file.c_str(), mm.source_package.c_str(), mm.source_file.c_str());
      }
      return 0;
    };
  });
}

}  // namespace facekit::cli
