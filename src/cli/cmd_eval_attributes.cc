// facekit eval attributes - gender accuracy (confusion matrix) on labelled
// photos, and the age and expression distributions (no labels for those in
// the shared data; docs/attributes.md).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "eval/attribute_eval.h"
#include "eval/face_picker.h"
#include "facekit/face_attributes.h"
#include "facekit/face_choice.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct EvalAttributesOpts {
  std::string images, genders, people;
  float threshold = 0.5f;
  float crop_scale = 0.f, expression_crop_scale = 0.f;
  int every = 1;
  bool json = false;
};

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Tally {
  eval::GenderConfusion gender;
  eval::AgeHistogram age, age_female, age_male;  // by the true label
  std::vector<int> expression;                   // top-class counts
  int no_face = 0, unreadable = 0;
  double ms = 0;
};

int RunEvalAttributes(const EvalAttributesOpts& e, const GlobalOptions& g) {
  auto label_text = ReadText(e.genders);
  if (!label_text.ok()) return Fail(label_text.status());
  auto labels = eval::ParseGenderLabels(*label_text);
  if (!labels.ok()) return Fail(labels.status());
  std::set<std::string> people;
  if (!e.people.empty()) {
    auto text = ReadText(e.people);
    if (!text.ok()) return Fail(text.status());
    auto parsed = eval::ParseLfwPeople(*text);
    if (!parsed.ok()) return Fail(parsed.status());
    people = std::move(*parsed);
  }
  auto engine = MakeEngine(g);
  if (!engine.ok()) return Fail(engine.status());
  FaceAttributeOptions ao;
  ao.models_dir = ResolveModelsDir(g);
  ao.num_threads = g.threads;
  ao.age_gender_crop_scale = e.crop_scale;
  ao.expression_crop_scale = e.expression_crop_scale;
  auto models = FaceAttributeModels::Create(ao);
  if (!models.ok()) return Fail(models.status());
  if (!(*models)->has_age_gender())
    return Fail(Status(StatusCode::kNotFound, "no age/gender model in the models folder"));
  const std::vector<std::string>& expression_labels = (*models)->expression_labels();

  Tally t;
  t.expression.assign(expression_labels.size(), 0);
  int index = -1;
  for (const eval::GenderLabel& l : *labels) {
    if (!people.empty() && !people.count(l.person)) continue;
    if (++index % e.every != 0) continue;
    auto image = LoadImageFile(e.images + "/" + l.image, ImageLimitsOf(g));
    if (!image.ok()) {
      ++t.unreadable;
      continue;
    }
    const double t0 = NowMs();
    auto faces = (*engine)->Detect(*image);
    if (!faces.ok()) return Fail(faces.status());
    const int pick = CentralFace(*faces, image->original_width(), image->original_height());
    if (pick < 0) {
      ++t.no_face;
      continue;
    }
    auto attributes = (*models)->Run(*image, (*faces)[static_cast<size_t>(pick)]);
    if (!attributes.ok()) return Fail(attributes.status());
    t.ms += NowMs() - t0;
    t.gender.Add(l.male, *attributes->male_probability > e.threshold);
    t.age.Add(*attributes->age);
    (l.male ? t.age_male : t.age_female).Add(*attributes->age);
    if (const int top = attributes->TopExpression(); top >= 0) ++t.expression[static_cast<size_t>(top)];
  }
  const int measured = t.gender.total();
  const auto& c = t.gender.counts;
  if (e.json) {
    json expr = json::object();
    for (size_t i = 0; i < expression_labels.size(); ++i) expr[expression_labels[i]] = t.expression[i];
    json j = {{"images", measured},
              {"no_face", t.no_face},
              {"unreadable", t.unreadable},
              {"models", (*models)->model_descriptions()},
              {"gender",
               {{"threshold", e.threshold},
                {"accuracy", t.gender.accuracy()},
                {"balanced_accuracy", t.gender.balanced_accuracy()},
                {"confusion",
                 {{"rows", "true female, true male"},
                  {"columns", "predicted female, predicted male"},
                  {"counts", {{c[0][0], c[0][1]}, {c[1][0], c[1][1]}}}}}}},
              {"age",
               {{"mae", nullptr},
                {"note", "no age labels in the shared data: distribution only"},
                {"mean", t.age.mean()},
                {"median", t.age.median()},
                {"median_female", t.age_female.median()},
                {"median_male", t.age_male.median()},
                {"decades", t.age.decades}}},
              {"expression",
               {{"accuracy", nullptr},
                {"note", "no expression labels in the shared data: top-class distribution only"},
                {"top_class_counts", expr}}},
              {"ms_per_face", measured ? t.ms / measured : 0.0}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("%d faces (%d images without a face, %d unreadable); models: ", measured, t.no_face, t.unreadable);
  for (const std::string& d : (*models)->model_descriptions()) std::printf("%s; ", d.c_str());
  std::printf("\ngender (male when p > %.2f): accuracy %.2f%%, balanced %.2f%%\n", static_cast<double>(e.threshold),
              100 * t.gender.accuracy(), 100 * t.gender.balanced_accuracy());
  std::printf("                predicted F  predicted M\n  true F      %11d  %11d\n  true M      %11d  %11d\n", c[0][0],
              c[0][1], c[1][0], c[1][1]);
  std::printf("age (no labels: MAE not measurable here): mean %.1f, median %.1f (true F %.1f, true M %.1f)\n  decades:",
              static_cast<double>(t.age.mean()), static_cast<double>(t.age.median()),
              static_cast<double>(t.age_female.median()), static_cast<double>(t.age_male.median()));
  for (size_t i = 0; i < t.age.decades.size(); ++i) std::printf(" %zu0s %d", i, t.age.decades[i]);
  std::printf("\nexpression (no labels: distribution of the top class):");
  for (size_t i = 0; i < expression_labels.size(); ++i)
    std::printf(" %s %d", expression_labels[i].c_str(), t.expression[i]);
  std::printf("\n%.1f ms per face (detect + attributes)\n", measured ? t.ms / measured : 0.0);
  return 0;
}

}  // namespace

void RegisterEvalAttributes(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto e = std::make_shared<EvalAttributesOpts>();
  CLI::App* ev = eval_app->add_subcommand(
      "attributes", "Gender accuracy and confusion matrix on labelled photos; age and expression distributions");
  ev->add_option("--images", e->images, "Image folder (<Name>/<file>)")->required()->check(CLI::ExistingDirectory);
  ev->add_option("--genders", e->genders, "Gender labels: '<Name>/<file> F|M' per line")
      ->required()
      ->check(CLI::ExistingFile);
  ev->add_option("--people", e->people, "Only the people of this LFW people list (a held-out split)")
      ->check(CLI::ExistingFile);
  ev->add_option("--threshold", e->threshold, "Male when the model's probability exceeds this")->capture_default_str();
  ev->add_option("--crop-scale", e->crop_scale, "Age/gender crop side over the box side (0 = manifest)");
  ev->add_option("--expression-crop-scale", e->expression_crop_scale, "Expression crop scale (0 = manifest)");
  ev->add_option("--every", e->every, "Take every N-th labelled image")->check(CLI::PositiveNumber);
  ev->add_flag("--json", e->json, "Print one JSON object");
  ev->callback([e, &g, run] { *run = [e, &g] { return RunEvalAttributes(*e, g); }; });
}

}  // namespace facekit::cli
