// facekit - command-line front end of the FaceKit engine.
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace facekit::cli;
  CLI::App app{"FaceKit " FACEKIT_VERSION " - self-hosted face detection, alignment, embedding and verification"};
  app.require_subcommand(1);
  GlobalOptions g;
  app.add_option("--models", g.models_dir, "Models folder (manifest.json + files/); default $FACEKIT_MODELS or the source tree's models/");
  app.add_option("--threads", g.threads, "Inference threads (0 = all cores)")->default_val(1)->check(CLI::Range(0, 256));
  app.add_option("--max-image-pixels", g.max_image_pixels,
                 "Pixel budget: images with more pixels (width x height) are refused with ImageTooLarge (0 = none)")
      ->default_val(g.max_image_pixels)
      ->check(CLI::NonNegativeNumber);
  app.add_option("--working-size", g.working_size,
                 "Long side above which images are decoded at reduced scale (JPEG: libjpeg 1/2, 1/4, 1/8; others: "
                 "resized); face coordinates stay in original pixels (0 = always full size)")
      ->default_val(g.working_size)
      ->check(CLI::NonNegativeNumber);
  // Global options may also follow the subcommand (`facekit serve --max-image-pixels N`).
  app.fallthrough();
  app.set_version_flag("--version", FACEKIT_VERSION);
  Action run;
  RegisterDetect(app, g, &run);
  RegisterCompare(app, g, &run);
  RegisterEmbed(app, g, &run);
  RegisterModels(app, g, &run);
  RegisterSelfcheck(app, g, &run);
  CLI::App* eval_app = RegisterEval(app, g, &run);
  RegisterLiveness(app, eval_app, g, &run);
  RegisterLivenessVideo(eval_app, g, &run);
  RegisterObjects(app, eval_app, g, &run);
  RegisterEvalAttributes(eval_app, g, &run);
  RegisterIdentify(eval_app, g, &run);
  RegisterEvalLandmarks(eval_app, g, &run);
  RegisterEvalMask(eval_app, g, &run);
  RegisterCalibrate(app, g, &run);
  RegisterGallery(app, g, &run);
  RegisterBench(app, g, &run);
  RegisterServe(app, g, &run);
  RegisterCluster(app, &run);
  RegisterKeys(app, &run);
  RegisterPipeline(app, g, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return run ? run() : 0;
}
