#include "cli/cli_common.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace facekit::cli {

std::string ResolveModelsDir(const GlobalOptions& g) {
  if (!g.models_dir.empty()) return g.models_dir;
  if (const char* env = std::getenv("FACEKIT_MODELS"); env != nullptr && *env != '\0') return env;
  return FACEKIT_DEFAULT_MODELS_DIR;
}

ImageLimits ImageLimitsOf(const GlobalOptions& g) {
  ImageLimits limits;
  limits.max_pixels = g.max_image_pixels;
  limits.working_long_side = g.working_size;
  return limits;
}

Result<std::unique_ptr<FaceEngine>> MakeEngine(const GlobalOptions& g, std::vector<EmbedderKind> extra_embedders,
                                               std::map<EmbedderKind, std::string> alignment) {
  EngineOptions o;
  o.alignment = std::move(alignment);
  o.models_dir = ResolveModelsDir(g);
  o.num_threads = g.threads;
  o.extra_embedders = std::move(extra_embedders);
  return FaceEngine::Create(o);
}

int Fail(const Status& status) {
  std::cerr << "facekit: error " << StatusCodeName(status.code()) << ": " << status.message() << "\n";
  return 1;
}

std::vector<std::string> SortedFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double NowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

ProgressBar::ProgressBar(std::string label, std::size_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), tty_(isatty(2) != 0), start_ms_(NowMs()) {}

void ProgressBar::Update(std::size_t done, std::size_t worked) {
  if (!tty_ || total_ == 0) return;
  const double now = NowMs();
  if (done < total_ && now - last_draw_ms_ < 100) return;
  last_draw_ms_ = now;
  if (worked == static_cast<std::size_t>(-1)) worked = done;
  const int width = 30;
  const int filled = static_cast<int>(std::min(done, total_) * width / total_);
  const double seconds = (now - start_ms_) / 1000;
  const double rate = seconds > 0 ? static_cast<double>(worked) / seconds : 0;
  std::string eta;
  if (done < total_ && rate > 0) {
    const auto left = static_cast<long>(static_cast<double>(total_ - done) / rate + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "  ETA %ld:%02ld", left / 60, left % 60);
    eta = buf;
  }
  std::fprintf(stderr, "\r%-5s [%s%s] %zu/%zu %s  %.1f/s%s\033[K", label_.c_str(),
               std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), '.').c_str(), done, total_, unit_.c_str(), rate,
               eta.c_str());
  if (done >= total_) std::fprintf(stderr, "\n");
}

Result<PickedFace> PickFace(const FaceEngine& engine, const Image& image, const FaceChoice& choice,
                            const std::string& what, bool quiet) {
  FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, engine.Detect(image));
  auto index = ChooseFace(faces, image.original_width(), image.original_height(), choice);
  if (!index.ok()) return Status(index.status().code(), what + ": " + index.status().message());
  PickedFace out{faces[static_cast<size_t>(*index)], *index, static_cast<int>(faces.size())};
  if (!quiet && faces.size() > 1) {
    const FaceBox& f = out.box;
    const char* why = choice.rule == FaceChoice::Rule::kCentral ? "the central one"
                      : choice.rule == FaceChoice::Rule::kIndex ? "as asked"
                                                                : "the largest";
    std::fprintf(stderr,
                 "facekit: %s holds %zu faces; using face %d (%s, %.0fx%.0f at %.0f,%.0f); choose another with "
                 "--face central or --face INDEX (0-%zu, as `facekit detect` lists them)\n",
                 what.c_str(), faces.size(), out.index, why, static_cast<double>(f.width), static_cast<double>(f.height),
                 static_cast<double>(f.x), static_cast<double>(f.y), faces.size() - 1);
  }
  return out;
}

CLI::Option* AddFaceOption(CLI::App* cmd, FaceChoice* choice, const std::string& help_default,
                           const std::string& name, bool* given) {
  return cmd
      ->add_option_function<std::string>(
          name,
          [choice, name, given](const std::string& text) {
            auto parsed = ParseFaceChoice(text);
            if (!parsed.ok() || parsed->rule == FaceChoice::Rule::kSole) {
              throw CLI::ValidationError(name, "'" + text + "' is not largest, central or a face index (0, 1, ...)");
            }
            *choice = *parsed;
            if (given != nullptr) *given = true;
          },
          "Which face of a photo with several: largest, central, or INDEX (0 = largest, as `facekit detect` lists "
          "them); default " +
              help_default)
      ->type_name("largest|central|INDEX");
}

namespace {

// "HEAD >= T", with the rate in words where T is one of the scale's
// calibrated points (`rates`: score, words), joined by `sep` ... `end`.
std::string RuleText(const char* head, float t, std::initializer_list<std::pair<float, const char*>> rates,
                     const char* sep, const char* end) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s >= %g", head, static_cast<double>(t));
  for (const auto& [score, words] : rates) {
    if (t == score) return std::string(buf) + sep + words + end;
  }
  return buf;
}

}  // namespace

std::string MatchRuleText(float match_score) {
  // The calibrated points (models/manifest.json verification.score_points):
  // 40/50/60 = false accept rates 1e-3/1e-4/1e-5 per comparison on LFW View 1.
  return RuleText("same person when score", match_score,
                  {{40.f, "about 1 false accept in 1,000 comparisons on LFW"},
                   {50.f, "about 1 false accept in 10,000 comparisons on LFW"},
                   {60.f, "about 1 false accept in 100,000 comparisons on LFW"}},
                  " (", ")");
}

std::string SearchRuleText(float threshold) {
  return RuleText("a match when score", threshold,
                  {{70.f, "about 1 false alarm in 100 searches of a 10,000-face gallery"},
                   {80.f, "about 1 false alarm in 1,000 searches of a 10,000-face gallery"},
                   {90.f, "about 1 false alarm in 10,000 searches of a 10,000-face gallery"}},
                  ": ", "");
}

}  // namespace facekit::cli
