// facekit models import / list.
#include <cstdio>

#include "cli/commands.h"
#include "runtime/model_importer.h"
#include "runtime/model_manifest.h"

namespace facekit::cli {

void RegisterModels(CLI::App& app, const GlobalOptions& g, Action* run) {
  CLI::App* m = app.add_subcommand("models", "Manage the models folder");
  m->require_subcommand(1);
  auto force = std::make_shared<bool>(false);
  CLI::App* imp = m->add_subcommand("import", "Check fetched model files against the manifest's SHA-256 and convert TFLite to ONNX");
  imp->add_flag("--force", *force, "Convert even when the ONNX file is up to date");
  imp->callback([&g, force, run] {
    *run = [&g, force] {
      auto manifest = runtime::ModelManifest::Load(ResolveModelsDir(g));
      if (!manifest.ok()) return Fail(manifest.status());
      auto done = runtime::ImportModels(*manifest, *force);
      if (!done.ok()) return Fail(done.status());
      for (const auto& d : *done) {
        if (d.converted) {
          std::printf("models: %s -> %s (%d TFLite ops -> %d ONNX nodes; fused %d PReLU, %d softmax)\n", d.name.c_str(),
                      d.onnx_path.c_str(), d.tflite_ops, d.onnx_nodes, d.fused_prelu, d.fused_softmax);
        } else {
          std::printf("models: %s up to date (%s)\n", d.name.c_str(), d.onnx_path.c_str());
        }
      }
      return 0;
    };
  });
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
