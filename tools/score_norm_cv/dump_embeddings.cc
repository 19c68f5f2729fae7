// dump_embeddings: the MobileFaceNet and ResNet-128 embeddings of every image
// named by LFW pairs files, with the evaluation protocol's face choice
// (eval::CentralFaceOrFallback) and the manifest's chips, as `facekit eval
// verify` embeds them. One line per image: name, number, detected (0/1),
// then per model its dimension and values.
//   dump_embeddings MODELS_DIR IMAGES_DIR OUT PAIRS...
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include "facekit/engine.h"
#include "facekit/image.h"
#include "eval/face_picker.h"
#include "eval/lfw_pairs.h"
using namespace facekit;
int main(int argc, char** argv) {
  std::string models = argv[1], dir = argv[2], out = argv[3];
  std::set<std::pair<std::string,int>> imgs;
  for (int i = 4; i < argc; ++i) {
    std::ifstream in(argv[i]); std::string line; std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream ss(line); std::string a, b; int x = 0, y = 0;
      ss >> a >> x; if (!(ss >> b)) continue;
      if (ss >> y) { imgs.insert({a, x}); imgs.insert({b, y}); }
      else { imgs.insert({a, x}); imgs.insert({a, std::stoi(b)}); }
    }
  }
  EngineOptions eo; eo.models_dir = models;
  eo.extra_embedders = {EmbedderKind::kResNet128};
  auto eng = FaceEngine::Create(eo);
  if (!eng.ok()) { fprintf(stderr, "%s\n", eng.status().ToString().c_str()); return 1; }
  FILE* f = fopen(out.c_str(), "w"); int done = 0;
  for (auto& [name, n] : imgs) {
    auto image = LoadImageFile(eval::LfwImagePath(dir, name, n));
    if (!image.ok()) { fprintf(stderr, "skip %s %d\n", name.c_str(), n); continue; }
    bool det = false;
    auto face = eval::CentralFaceOrFallback(**eng, *image, &det);
    if (!face.ok()) { fprintf(stderr, "noface %s %d\n", name.c_str(), n); continue; }
    fprintf(f, "%s %d %d", name.c_str(), n, det ? 1 : 0);
    for (EmbedderKind k : {EmbedderKind::kMobileFaceNet, EmbedderKind::kResNet128}) {
      EmbedOptions o; o.embedder = k;
      auto e = (*eng)->EmbedFace(*image, *face, o);
      if (!e.ok()) { fprintf(stderr, "embed fail\n"); return 1; }
      fprintf(f, " %zu", e->size());
      for (float v : *e) fprintf(f, " %.6f", v);
    }
    fprintf(f, "\n");
    if (++done % 500 == 0) fprintf(stderr, "%d/%zu\n", done, imgs.size());
  }
  fclose(f);
}
