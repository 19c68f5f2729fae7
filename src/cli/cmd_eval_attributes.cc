// facekit eval attributes - gender accuracy (confusion matrix) on labelled
// photos; age error against birth years (--ages) and an expression confusion
// matrix against labels by eye (--expressions), both the project's own labels
// in tools/labels/ (the shared data has none); age and expression
// distributions (docs/attributes.md).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "eval/attribute_eval.h"
#include "eval/face_animation.h"
#include "eval/face_picker.h"
#include "facekit/face_attributes.h"
#include "facekit/face_choice.h"
#include "facekit/face_mesh.h"
#include "image/image_internal.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

struct EvalAttributesOpts {
  std::string images, genders, people;
  std::string ages, expressions;  // label files (tools/labels/); empty = not scored
  double photo_year = 2003.0;     // mean date of the photos, for ages from birth years
  std::string age_gender_model, expression_model;  // manifest names; empty = the roles' defaults
  float threshold = 0.5f;
  float crop_scale = 0.f, expression_crop_scale = 0.f;
  int every = 1;
  int input_size = 0;
  bool json = false;
  bool eyes = false;        // also eye openness (face mesh)
  bool close_eyes = false;  // paint the eyelids shut first (a synthetic "closed" label)
  // How the eyes are judged: "iris" (the iris model on crops from the
  // detector's landmarks: what the server runs), "mesh-iris" (face mesh +
  // iris model), "mesh" (the face mesh's own eyelids).
  std::string eye_path = "iris";
  float eyes_threshold = kEyesOpenMinRatio;
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
  eval::AgeError age_error;                      // photos whose person has a birth year
  eval::ExpressionConfusion expression_confusion;  // photos with an expression label
  std::vector<double> eye_ratios;                // smaller eye aspect ratio per measured face
  int eyes_open = 0, mesh_not_face = 0;
  int no_face = 0, unreadable = 0;
  double ms = 0;
};

// The 1st, 5th, 10th, 50th and 90th percentiles of `v`.
json EyeQuantiles(std::vector<double> v) {
  json q = json::object();
  if (v.empty()) return q;
  std::sort(v.begin(), v.end());
  for (int p : {1, 5, 10, 50, 90}) {
    q["p" + std::to_string(p)] = v[static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5)];
  }
  return q;
}

// How many ratios of `v` reach each of a ladder of thresholds (for choosing one).
json OpenCounts(const std::vector<double>& v) {
  json counts = json::object();
  for (int k = 8; k <= 22; ++k) {
    const double at = k / 100.0;
    char key[16];
    std::snprintf(key, sizeof(key), "%.2f", at);
    counts[key] = std::count_if(v.begin(), v.end(), [at](double r) { return r >= at; });
  }
  return counts;
}

// null when no birth years were given.
json AgeErrorJson(const eval::AgeError& a, const EvalAttributesOpts& e) {
  if (e.ages.empty()) return nullptr;
  json decades = json::object();
  for (size_t d = 0; d < a.by_true_decade.size(); ++d) {
    const auto& b = a.by_true_decade[d];
    if (b.count == 0) continue;
    decades[std::to_string(d) + "0s"] = {{"photos", b.count}, {"mae", b.abs_sum / b.count}, {"bias", b.signed_sum / b.count}};
  }
  return {{"labels", e.ages},
          {"photo_year", e.photo_year},
          {"photos", a.count()},
          {"people", a.per_person.size()},
          {"mae_per_photo", a.mae()},
          {"mae_per_person", a.person_mae()},
          {"median_abs_error", a.median_abs()},
          {"bias", a.bias()},
          {"within_5_years", a.within(5)},
          {"within_10_years", a.within(10)},
          {"by_true_decade", decades}};
}

// null when no expression labels were given.
json ExpressionJson(const eval::ExpressionConfusion& c, int unclear, const EvalAttributesOpts& e) {
  if (e.expressions.empty()) return nullptr;
  json rows = json::array();
  for (const auto& row : c.counts) rows.push_back(json::array({row[0], row[1], row[2]}));
  return {{"labels", e.expressions},
          {"photos", c.total()},
          {"unclear_not_scored", unclear},
          {"accuracy", c.accuracy()},
          {"balanced_accuracy", c.balanced_accuracy()},
          {"confusion", {{"rows", "true happy, neutral, other"}, {"columns", "predicted happy, neutral, other"}, {"counts", rows}}},
          {"smile",
           {{"rule", "P(happy) >= 0.5 (the cloud's Expression >= 50)"},
            {"accuracy", c.smile_accuracy()},
            {"confusion",
             {{"rows", "true not happy, happy"},
              {"columns", "predicted no smile, smile"},
              {"counts", {{c.smile[0][0], c.smile[0][1]}, {c.smile[1][0], c.smile[1][1]}}}}}}}};
}

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
  std::map<std::string, int> birth_years;
  if (!e.ages.empty()) {
    auto text = ReadText(e.ages);
    if (!text.ok()) return Fail(text.status());
    auto parsed = eval::ParseBirthYears(*text);
    if (!parsed.ok()) return Fail(parsed.status());
    birth_years = std::move(*parsed);
  }
  std::map<std::string, eval::ExpressionClass> expression_truth;
  int expression_unclear = 0;
  if (!e.expressions.empty()) {
    auto text = ReadText(e.expressions);
    if (!text.ok()) return Fail(text.status());
    auto parsed = eval::ParseExpressionLabels(*text, &expression_unclear);
    if (!parsed.ok()) return Fail(parsed.status());
    expression_truth = std::move(*parsed);
  }
  auto engine = MakeEngine(g);
  if (!engine.ok()) return Fail(engine.status());
  FaceAttributeOptions ao;
  ao.models_dir = ResolveModelsDir(g);
  ao.num_threads = g.threads;
  ao.age_gender_crop_scale = e.crop_scale;
  ao.expression_crop_scale = e.expression_crop_scale;
  ao.age_gender_input_size = e.input_size;
  ao.age_gender_model = e.age_gender_model;
  ao.expression_model = e.expression_model;
  auto models = FaceAttributeModels::Create(ao);
  if (!models.ok()) return Fail(models.status());
  if (!(*models)->has_age_gender())
    return Fail(Status(StatusCode::kNotFound, "no age/gender model in the models folder"));
  const std::vector<std::string>& expression_labels = (*models)->expression_labels();
  // painter: the iris-refined mesh that paints the eyelids shut (always
  // the same, whatever judges the eyes afterwards).
  std::unique_ptr<FaceMesh> mesh, painter;
  std::unique_ptr<EyeLandmarks> eye_landmarks;
  const bool judge_eyes = e.eyes || e.close_eyes;
  for (bool refined : {true, false}) {
    if (!judge_eyes || (!refined && e.eye_path != "mesh")) continue;
    FaceMeshOptions mo;
    mo.models_dir = ao.models_dir;
    mo.num_threads = g.threads;
    mo.refine_eyes = refined;
    auto created = FaceMesh::Create(mo);
    if (!created.ok()) return Fail(created.status());
    (refined ? painter : mesh) = std::move(*created);
  }
  if (judge_eyes && e.eye_path == "iris") {
    EyeLandmarksOptions lo;
    lo.models_dir = ao.models_dir;
    lo.num_threads = g.threads;
    auto created = EyeLandmarks::Create(lo);
    if (!created.ok()) return Fail(created.status());
    eye_landmarks = std::move(*created);
  }
  if (judge_eyes && e.eye_path == "mesh-iris") mesh = std::move(painter);  // leaves painter empty
  FaceMesh* paint = painter ? painter.get() : mesh.get();

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
    int pick = CentralFace(*faces, image->original_width(), image->original_height());
    if (pick >= 0 && e.close_eyes) {
      // Shut the eyelids along the face's own mesh, then detect again.
      auto before = paint->Run(*image, (*faces)[static_cast<size_t>(pick)]);
      if (!before.ok()) return Fail(before.status());
      cv::Mat shut = AsMat(*image).clone();
      eval::CloseEyelids(shut, before->points, 1.f);
      *image = ImageFromMat(shut);
      faces = (*engine)->Detect(*image);
      if (!faces.ok()) return Fail(faces.status());
      pick = CentralFace(*faces, image->original_width(), image->original_height());
    }
    if (pick < 0) {
      ++t.no_face;
      continue;
    }
    if (eye_landmarks) {
      auto eyes = eye_landmarks->Run(*image, (*faces)[static_cast<size_t>(pick)]);
      if (!eyes.ok()) return Fail(eyes.status());
      const float ratio = std::min(eyes->right_ratio, eyes->left_ratio);
      t.eye_ratios.push_back(ratio);
      t.eyes_open += ratio >= e.eyes_threshold;
    } else if (mesh) {
      auto m = mesh->Run(*image, (*faces)[static_cast<size_t>(pick)]);
      if (!m.ok()) return Fail(m.status());
      if (m->confidence < mesh->min_confidence()) {
        ++t.mesh_not_face;
      } else {
        auto eyes = MeshEyeOpenness(m->points);
        if (!eyes.ok()) return Fail(eyes.status());
        const float ratio = std::min(eyes->right, eyes->left);
        t.eye_ratios.push_back(ratio);
        t.eyes_open += ratio >= e.eyes_threshold;
      }
    }
    auto attributes = (*models)->Run(*image, (*faces)[static_cast<size_t>(pick)]);
    if (!attributes.ok()) return Fail(attributes.status());
    t.ms += NowMs() - t0;
    t.gender.Add(l.male, *attributes->male_probability > e.threshold);
    t.age.Add(*attributes->age);
    (l.male ? t.age_male : t.age_female).Add(*attributes->age);
    const int top = attributes->TopExpression();
    if (top >= 0) ++t.expression[static_cast<size_t>(top)];
    if (auto born = birth_years.find(l.person); born != birth_years.end()) {
      t.age_error.Add(l.person, e.photo_year - born->second - 0.5, *attributes->age);
    }
    if (auto truth = expression_truth.find(l.image); truth != expression_truth.end() && top >= 0) {
      float p_happy = 0.f;
      for (size_t i = 0; i < expression_labels.size(); ++i)
        if (expression_labels[i] == "happy") p_happy = attributes->expression[i];
      t.expression_confusion.Add(truth->second, eval::ExpressionClassOf(expression_labels[static_cast<size_t>(top)]),
                                 p_happy >= 0.5f);
    }
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
               {{"mae", AgeErrorJson(t.age_error, e)},
                {"mean", t.age.mean()},
                {"median", t.age.median()},
                {"median_female", t.age_female.median()},
                {"median_male", t.age_male.median()},
                {"decades", t.age.decades}}},
              {"expression",
               {{"labelled", ExpressionJson(t.expression_confusion, expression_unclear, e)},
                {"top_class_counts", expr}}},
              {"ms_per_face", measured ? t.ms / measured : 0.0}};
    if (judge_eyes) {
      j["eyes"] = {{"painted_shut", e.close_eyes},
                   {"eye_path", e.eye_path},
                   {"threshold", e.eyes_threshold},
                   {"measured", t.eye_ratios.size()},
                   {"mesh_not_a_face", t.mesh_not_face},
                   {"judged_open", t.eyes_open},
                   {"ratio_quantiles", EyeQuantiles(t.eye_ratios)},
                   {"judged_open_at", OpenCounts(t.eye_ratios)}};
    }
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::printf("%d faces (%d images without a face, %d unreadable); models: ", measured, t.no_face, t.unreadable);
  for (const std::string& d : (*models)->model_descriptions()) std::printf("%s; ", d.c_str());
  std::printf("\ngender (male when p > %.2f): accuracy %.2f%%, balanced %.2f%%\n", static_cast<double>(e.threshold),
              100 * t.gender.accuracy(), 100 * t.gender.balanced_accuracy());
  std::printf("                predicted F  predicted M\n  true F      %11d  %11d\n  true M      %11d  %11d\n", c[0][0],
              c[0][1], c[1][0], c[1][1]);
  if (!e.ages.empty()) {
    const auto& a = t.age_error;
    std::printf("age error against birth years (%d photos of %zu people, photo year %.1f): MAE %.2f per photo, %.2f "
                "per person, median %.2f, bias %+.2f, within 5 years %.1f%%\n  by true decade:",
                a.count(), a.per_person.size(), e.photo_year, a.mae(), a.person_mae(), a.median_abs(), a.bias(),
                100 * a.within(5));
    for (size_t d = 0; d < a.by_true_decade.size(); ++d) {
      const auto& b = a.by_true_decade[d];
      if (b.count) std::printf(" %zu0s %d: MAE %.1f bias %+.1f;", d, b.count, b.abs_sum / b.count, b.signed_sum / b.count);
    }
    std::printf("\n");
  }
  if (!e.expressions.empty()) {
    const auto& ec = t.expression_confusion;
    std::printf("expression against labels (%d photos, %d unclear not scored): accuracy %.2f%%, balanced %.2f%%\n"
                "                 predicted happy  neutral  other\n",
                ec.total(), expression_unclear, 100 * ec.accuracy(), 100 * ec.balanced_accuracy());
    for (int r = 0; r < eval::kExpressionClasses; ++r) {
      std::printf("  true %-8s %15d %8d %6d\n", eval::ExpressionClassName(static_cast<eval::ExpressionClass>(r)),
                  ec.counts[static_cast<size_t>(r)][0], ec.counts[static_cast<size_t>(r)][1],
                  ec.counts[static_cast<size_t>(r)][2]);
    }
    std::printf("  smile (P(happy) >= 0.5) against happy: accuracy %.2f%% (missed %d, false %d)\n",
                100 * ec.smile_accuracy(), ec.smile[1][0], ec.smile[0][1]);
  }
  std::printf("age distribution: mean %.1f, median %.1f (true F %.1f, true M %.1f)\n  decades:",
              static_cast<double>(t.age.mean()), static_cast<double>(t.age.median()),
              static_cast<double>(t.age_female.median()), static_cast<double>(t.age_male.median()));
  for (size_t i = 0; i < t.age.decades.size(); ++i) std::printf(" %zu0s %d", i, t.age.decades[i]);
  std::printf("\nexpression (distribution of the top class):");
  for (size_t i = 0; i < expression_labels.size(); ++i)
    std::printf(" %s %d", expression_labels[i].c_str(), t.expression[i]);
  if (judge_eyes) {
    std::printf(
        "\neyes%s (%s): %d of %zu judged open (smaller eye aspect ratio >= %.3f; %d crops the mesh took for no face)"
        "\n  ratio quantiles: %s",
        e.close_eyes ? " (painted shut)" : "", e.eye_path.c_str(), t.eyes_open, t.eye_ratios.size(), static_cast<double>(e.eyes_threshold),
        t.mesh_not_face, EyeQuantiles(t.eye_ratios).dump().c_str());
  }
  std::printf("\n%.1f ms per face (detect + attributes%s)\n", measured ? t.ms / measured : 0.0,
              judge_eyes ? " + eyes" : "");
  return 0;
}

}  // namespace

void RegisterEvalAttributes(CLI::App* eval_app, const GlobalOptions& g, Action* run) {
  auto e = std::make_shared<EvalAttributesOpts>();
  CLI::App* ev = eval_app->add_subcommand(
      "attributes", "Gender accuracy and confusion matrix on labelled photos; age error and expression accuracy against label files");
  ev->add_option("--images", e->images, "Image folder (<Name>/<file>)")->required()->check(CLI::ExistingDirectory);
  ev->add_option("--genders", e->genders, "Gender labels: '<Name>/<file> F|M' per line")
      ->required()
      ->check(CLI::ExistingFile);
  ev->add_option("--people", e->people, "Only the people of this LFW people list (a held-out split)")
      ->check(CLI::ExistingFile);
  ev->add_option("--ages", e->ages,
                 "Birth years '<person> <year>' (tools/labels/lfw-birth-years.txt): score age error")
      ->check(CLI::ExistingFile);
  ev->add_option("--photo-year", e->photo_year, "Mean date of the photos, for ages from birth years")
      ->capture_default_str();
  ev->add_option("--expressions", e->expressions,
                 "Expression labels '<person>/<file> happy|neutral|other|unclear' "
                 "(tools/labels/lfw-devtest-expressions.txt): score expression")
      ->check(CLI::ExistingFile);
  ev->add_option("--threshold", e->threshold, "Male when the model's probability exceeds this")->capture_default_str();
  ev->add_option("--crop-scale", e->crop_scale, "Age/gender crop side over the box side (0 = manifest)");
  ev->add_option("--expression-crop-scale", e->expression_crop_scale, "Expression crop scale (0 = manifest)");
  ev->add_option("--input-size", e->input_size, "Age/gender network input side (0 = manifest; a multiple of 32)");
  ev->add_option("--age-gender-model", e->age_gender_model,
                 "Manifest model for age/gender (faceres, faceapi-age-gender; default: role attributes.age_gender)");
  ev->add_option("--expression-model", e->expression_model,
                 "Manifest model for expression (emotion, faceapi-expression, none; default: role attributes.expression)");
  ev->add_option("--every", e->every, "Take every N-th labelled image")->check(CLI::PositiveNumber);
  ev->add_flag("--eyes", e->eyes, "Also judge eye openness with the face mesh");
  ev->add_flag("--close-eyes", e->close_eyes,
               "Paint each face's eyelids shut first (synthetic closed eyes; implies --eyes)");
  ev->add_option("--eye-path", e->eye_path,
                 "How eyes are judged: iris (the iris model on crops from the detector's eye landmarks, as the "
                 "server does), mesh-iris (face mesh + iris model), mesh (the face mesh's own eyelids)")
      ->check(CLI::IsMember({"iris", "mesh-iris", "mesh"}));
  ev->add_option("--eyes-threshold", e->eyes_threshold, "Eyes open when the smaller eye aspect ratio is at least this")
      ->capture_default_str();
  ev->add_flag("--json", e->json, "Print one JSON object");
  ev->callback([e, &g, run] { *run = [e, &g] { return RunEvalAttributes(*e, g); }; });
}

}  // namespace facekit::cli
