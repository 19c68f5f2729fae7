// facekit selfcheck - load every model, run the chain on a real photo, print timings.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "cli/commands.h"

namespace facekit::cli {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

void RegisterSelfcheck(CLI::App& app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string image;
    int repeat = 5;
    int min_face = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand("selfcheck", "Load every model, run detect/align/embed on a photo and print per-stage timings");
  c->add_option("--image", o->image, "Photo with at least one face")->required()->check(CLI::ExistingFile);
  c->add_option("--min-face", o->min_face, "Smallest face side in pixels (default from the manifest)")->check(CLI::NonNegativeNumber);
  c->add_option("--repeat", o->repeat, "Runs to take the median of")->check(CLI::Range(1, 1000));
  c->callback([&g, o, run] {
    *run = [&g, o] {
      double t0 = NowMs();
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      double load_ms = NowMs() - t0;
      std::printf("selfcheck: loaded %zu models in %.1f ms (threads %d)\n", (*engine)->model_descriptions().size(), load_ms, g.threads);
      for (const auto& d : (*engine)->model_descriptions()) std::printf("  %s\n", d.c_str());
      auto bytes = ReadFileBytes(o->image);
      if (!bytes.ok()) return Fail(bytes.status());
      std::vector<double> dec, det, ali, emb;
      size_t nfaces = 0;
      for (int i = 0; i < o->repeat; ++i) {
        double a = NowMs();
        auto image = DecodeImage(*bytes, ImageLimitsOf(g));
        if (!image.ok()) return Fail(image.status());
        double b = NowMs();
        DetectOptions dopt;
        dopt.min_face_size = o->min_face;
        auto faces = (*engine)->Detect(*image, dopt);
        if (!faces.ok()) return Fail(faces.status());
        if (faces->empty()) return Fail(Status(StatusCode::kNoFace, "selfcheck image has no detectable face: " + o->image));
        double c2 = NowMs();
        std::vector<Image> chips;
        for (const FaceBox& f : *faces) {
          auto chip = (*engine)->Align(*image, f);
          if (!chip.ok()) return Fail(chip.status());
          chips.push_back(std::move(*chip));
        }
        double d = NowMs();
        auto e = (*engine)->Embed(chips);
        if (!e.ok()) return Fail(e.status());
        double f2 = NowMs();
        dec.push_back(b - a);
        det.push_back(c2 - b);
        ali.push_back(d - c2);
        emb.push_back(f2 - d);
        nfaces = faces->size();
      }
      std::printf("selfcheck: %s: %zu face(s); median of %d runs: decode %.1f ms, detect %.1f ms, align %.2f ms, embed %.1f ms\n",
                  o->image.c_str(), nfaces, o->repeat, Median(dec), Median(det), Median(ali), Median(emb));
      std::printf("selfcheck: ok\n");
      return 0;
    };
  });
}

}  // namespace facekit::cli
