// Pipeline graph JSON (src/pipeline/graph_config.cc, placeholder
// substitution, graph_validator.cc): parse arbitrary text as a graph with
// placeholders, then validate it against the built-in node types, as
// `facekit pipeline run` does before any node is created.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.h"
#include "pipeline/builtin_nodes.h"
#include "pipeline/graph_config.h"
#include "pipeline/graph_validator.h"
#include "pipeline/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace facekit::pipeline;
  static NodeRegistry* registry = [] {
    auto* r = new NodeRegistry();
    RegisterBuiltinNodes(*r);
    return r;
  }();
  const std::string_view text = facekit::fuzz::AsText(data, size);
  // A first line "key=value" is a --set argument.
  Substitutions vars = {{"source", "counter"}, {"count", "3"}};
  const auto first = facekit::fuzz::Split(text, "\n", 2);
  if (auto set = ParseSetArgument(first[0]); set.ok()) vars[set->first] = set->second;
  const auto config = ParseGraphConfig(text, vars);
  if (!config.ok()) return 0;
  const auto graph = ValidateGraph(config.value(), *registry);
  if (graph.ok() && graph->nodes.size() != config->nodes.size()) facekit::fuzz::Fail();
  return 0;
}
