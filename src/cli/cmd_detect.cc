// facekit detect / compare / embed.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/commands.h"
#include "cli/face_shape_output.h"
#include "facekit/face_attributes.h"
#include "facekit/face_mesh.h"
#include "facekit/face_shape.h"
#include "facekit/image.h"
#include "image/image_internal.h"

namespace facekit::cli {
namespace {

using nlohmann::json;

json FaceJson(const FaceBox& f) {
  json lm = json::array();
  for (const Point2f& p : f.landmarks) lm.push_back({p.x, p.y});
  return {{"x", f.x}, {"y", f.y}, {"width", f.width}, {"height", f.height}, {"score", f.score}, {"landmarks", lm}};
}

Status DrawFaces(const Image& image, const std::vector<FaceBox>& faces, const std::string& path) {
  Image canvas = image;
  cv::Mat m = AsMat(canvas);
  int thick = std::max(1, std::max(m.cols, m.rows) / 400);
  static const cv::Scalar kColours[5] = {{255, 0, 0}, {0, 0, 255}, {0, 255, 0}, {255, 0, 255}, {0, 255, 255}};
  for (const FaceBox& face : faces) {
    const FaceBox r = FaceInRaster(image, face);  // drawn on the decoded raster
    cv::rectangle(m, cv::Rect2f(r.x, r.y, r.width, r.height), cv::Scalar(0, 255, 0), thick, cv::LINE_AA);
    for (size_t i = 0; i < 5; ++i) {
      cv::circle(m, cv::Point2f(r.landmarks[i].x, r.landmarks[i].y), thick * 2 + 1, kColours[i], cv::FILLED, cv::LINE_AA);
    }
    char label[16];
    std::snprintf(label, sizeof(label), "%.2f", static_cast<double>(r.score));
    cv::putText(m, label, cv::Point2f(r.x, std::max(12.f, r.y - 4.f)), cv::FONT_HERSHEY_SIMPLEX, 0.4 * thick,
                cv::Scalar(0, 255, 0), thick, cv::LINE_AA);
  }
  return SaveImageFile(canvas, path);
}

// Age, gender, expression and eye openness of each face, as JSON (fields
// whose model is not in the models folder are absent).
Result<std::vector<json>> MeasureAttributes(const GlobalOptions& g, const Image& image,
                                            const std::vector<FaceBox>& faces) {
  FaceAttributeOptions ao;
  ao.models_dir = ResolveModelsDir(g);
  ao.num_threads = g.threads;
  FACEKIT_ASSIGN_OR_RETURN(std::unique_ptr<FaceAttributeModels> models, FaceAttributeModels::Create(ao));
  EyeLandmarksOptions lo;
  lo.models_dir = ResolveModelsDir(g);
  lo.num_threads = g.threads;
  auto eye_landmarks = EyeLandmarks::Create(lo);  // optional: eye openness only
  std::vector<json> out;
  for (const FaceBox& f : faces) {
    FACEKIT_ASSIGN_OR_RETURN(FaceAttributeResult r, models->Run(image, f));
    json j = json::object();
    if (r.age) j["age"] = *r.age;
    if (r.male_probability) {
      j["male_probability"] = *r.male_probability;
      j["gender"] = *r.male_probability > 0.5f ? "male" : "female";
    }
    if (!r.expression.empty()) {
      json e = json::object();
      for (size_t k = 0; k < r.expression.size(); ++k) e[models->expression_labels()[k]] = r.expression[k];
      j["expression"] = e;
      j["expression_top"] = models->expression_labels()[static_cast<size_t>(r.TopExpression())];
    }
    if (eye_landmarks.ok()) {
      FACEKIT_ASSIGN_OR_RETURN(EyeLandmarksResult eyes, (*eye_landmarks)->Run(image, f));
      j["eye_openness"] = {{"right", eyes.right_ratio}, {"left", eyes.left_ratio}};
      j["eyes_open"] = std::min(eyes.right_ratio, eyes.left_ratio) >= kEyesOpenMinRatio;
    }
    out.push_back(std::move(j));
  }
  return out;
}

void PrintEmbedding(const Embedding& e) {
  for (size_t i = 0; i < e.size(); ++i) std::printf(i ? " %.6f" : "%.6f", static_cast<double>(e[i]));
  std::printf("\n");
}

}  // namespace

void RegisterDetect(CLI::App& app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string image, draw, landmarks = "five";
    bool json = false, quality = false, attributes = false;
    int min_face = 0, max_faces = 0;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand("detect", "Detect faces with 5 landmarks");
  c->add_flag("--quality", o->quality, "Also measure sharpness, brightness, size, pose and the QualityControl level (0-4)");
  c->add_flag("--attributes", o->attributes,
              "Also estimate age, gender, expression and eye openness (docs/attributes.md)");
  c->add_option("IMAGE", o->image, "Image file (JPEG, PNG, BMP, WebP)")->required();
  c->add_flag("--json", o->json, "Print JSON");
  c->add_option("--draw", o->draw, "Write the image with boxes and landmarks drawn (format from the extension)");
  c->add_option("--min-face", o->min_face, "Smallest face side in pixels (default from the manifest)")->check(CLI::NonNegativeNumber);
  c->add_option("--max-faces", o->max_faces, "Return at most N faces, largest first (0 = all)")->check(CLI::NonNegativeNumber);
  c->add_option("--landmarks", o->landmarks,
                "five (the detector's) or dense: also the face mesh and the cloud API's contours (AnalyzeFace's "
                "face_shape, AnalyzeDenseLandmarks' dense_face_shape; docs/face-shape.md), drawn with --draw")
      ->check(CLI::IsMember({"five", "dense"}));
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto image = LoadImageFile(o->image, ImageLimitsOf(g));
      if (!image.ok()) return Fail(image.status());
      DetectOptions d;
      d.min_face_size = o->min_face;
      d.max_faces = o->max_faces;
      auto faces = (*engine)->Detect(*image, d);
      if (!faces.ok()) return Fail(faces.status());
      // --landmarks dense: each face's mesh and its cloud contours.
      std::vector<std::vector<ShapeGroup>> shapes, dense;
      std::vector<float> mesh_confidence;
      if (o->landmarks == "dense") {
        FaceMeshOptions mo;
        mo.models_dir = ResolveModelsDir(g);
        mo.num_threads = g.threads;
        auto mesh = FaceMesh::Create(mo);
        if (!mesh.ok()) return Fail(mesh.status());
        for (const FaceBox& f : *faces) {
          auto m = (*mesh)->Run(*image, f);
          if (!m.ok()) return Fail(m.status());
          auto shape = MapFaceShape(*m);
          if (!shape.ok()) return Fail(shape.status());
          auto dense_shape = MapDenseFaceShape(*m);
          if (!dense_shape.ok()) return Fail(dense_shape.status());
          shapes.push_back(std::move(*shape));
          dense.push_back(std::move(*dense_shape));
          mesh_confidence.push_back(m->confidence);
        }
      }
      if (!o->draw.empty()) {
        Status st = o->landmarks == "dense" ? DrawShapes(*image, *faces, shapes, o->draw)
                                            : DrawFaces(*image, *faces, o->draw);
        if (!st.ok()) return Fail(st);
      }
      std::vector<FaceQuality> qualities;
      if (o->quality) {
        for (const FaceBox& f : *faces) {
          auto q = (*engine)->Quality(*image, f);
          if (!q.ok()) return Fail(q.status());
          qualities.push_back(std::move(*q));
        }
      }
      std::vector<json> attributes;
      if (o->attributes) {
        auto measured = MeasureAttributes(g, *image, *faces);
        if (!measured.ok()) return Fail(measured.status());
        attributes = std::move(*measured);
      }
      if (o->json) {
        // The original image's size: face coordinates are in its pixels.
        json out{{"width", image->original_width()}, {"height", image->original_height()}, {"faces", json::array()}};
        for (size_t i = 0; i < faces->size(); ++i) {
          json fj = FaceJson((*faces)[i]);
          if (o->quality) {
            const FaceQuality& q = qualities[i];
            fj["quality"] = {{"sharpness", q.sharpness}, {"brightness", q.brightness}, {"size", q.size},
                             {"yaw", q.yaw},             {"pitch", q.pitch},           {"roll", q.roll},
                             {"level", q.level},         {"limits", q.limits}};
          }
          if (o->landmarks == "dense") {
            fj["mesh_confidence"] = mesh_confidence[i];
            fj["face_shape"] = ShapeJson(shapes[i]);
            fj["dense_face_shape"] = ShapeJson(dense[i]);
          }
          if (o->attributes) fj["attributes"] = attributes[i];
          out["faces"].push_back(fj);
        }
        std::cout << out.dump() << "\n";
      } else {
        std::printf("%s: %dx%d, %zu face(s)\n", o->image.c_str(), image->original_width(), image->original_height(),
                    faces->size());
        for (size_t i = 0; i < faces->size(); ++i) {
          const FaceBox& f = (*faces)[i];
          std::printf("  box x=%.1f y=%.1f w=%.1f h=%.1f score=%.3f\n", static_cast<double>(f.x), static_cast<double>(f.y),
                      static_cast<double>(f.width), static_cast<double>(f.height), static_cast<double>(f.score));
          if (o->quality) {
            const FaceQuality& q = qualities[i];
            std::printf("    quality level %d: sharpness %.0f brightness %.0f size %.0f yaw %.0f pitch %.0f roll %.0f%s%s\n",
                        q.level, static_cast<double>(q.sharpness), static_cast<double>(q.brightness),
                        static_cast<double>(q.size), static_cast<double>(q.yaw), static_cast<double>(q.pitch),
                        static_cast<double>(q.roll), q.limits.empty() ? "" : "; next level needs: ",
                        q.limits.empty() ? "" : q.limits.front().c_str());
          }
          if (o->attributes) std::printf("    attributes %s\n", attributes[i].dump().c_str());
        }
      }
      return 0;
    };
  });
}

void RegisterCompare(CLI::App& app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string a, b;
    bool json = false, flip = false;
    float threshold = 0;
    FaceChoice face, face_a, face_b;
    bool face_a_given = false, face_b_given = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand(
      "compare", "Compare a face of each of two images (1:1 verification) with the product's decision rule");
  c->add_option("IMAGE_A", o->a, "First image")->required();
  c->add_option("IMAGE_B", o->b, "Second image")->required();
  c->add_flag("--json", o->json, "Print JSON");
  c->add_flag("--flip", o->flip, "Average each embedding with its mirror image's");
  c->add_option("--threshold", o->threshold,
                "Same person at or above this score (default: the decision rule, 60; 40/50/60 = false accept rates "
                "1e-3/1e-4/1e-5 on LFW)")
      ->check(CLI::Range(0.0, 100.0));
  AddFaceOption(c, &o->face, "largest, for both images");
  AddFaceOption(c, &o->face_a, "--face", "--face-a", &o->face_a_given);
  AddFaceOption(c, &o->face_b, "--face", "--face-b", &o->face_b_given);
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      const FaceChoice choices[2] = {o->face_a_given ? o->face_a : o->face, o->face_b_given ? o->face_b : o->face};
      EmbedOptions eo;
      eo.flip_augment = o->flip;
      Embedding e[2];
      PickedFace picked[2];
      const std::string* paths[2] = {&o->a, &o->b};
      for (int i = 0; i < 2; ++i) {
        auto image = LoadImageFile(*paths[i], ImageLimitsOf(g));
        if (!image.ok()) return Fail(image.status());
        auto face = PickFace(**engine, *image, choices[i], *paths[i]);
        if (!face.ok()) return Fail(face.status());
        auto chip = (*engine)->Align(*image, face->box);
        if (!chip.ok()) return Fail(chip.status());
        auto emb = (*engine)->Embed(std::span<const Image>(&*chip, 1), eo);
        if (!emb.ok()) return Fail(Status(emb.status().code(), *paths[i] + ": " + emb.status().message()));
        e[i] = std::move((*emb)[0]);
        picked[i] = *face;
      }
      const CompareResult r = (*engine)->Compare(e[0], e[1], o->threshold);
      if (o->json) {
        json faces = json::array();
        for (const PickedFace& p : picked) {
          faces.push_back({{"faces_in_photo", p.faces}, {"face_index", p.index}, {"face", FaceJson(p.box)}});
        }
        std::cout << json{{"similarity", r.similarity},
                          {"score", r.score},
                          {"same_person", r.same_person},
                          {"match_score", r.match_score},
                          {"match_similarity", (*engine)->SimilarityAtScore(r.match_score)},
                          {"faces", faces}}
                         .dump()
                  << "\n";
      } else {
        std::printf("similarity %.4f  score %.1f  %s\n  decision rule: %s\n", static_cast<double>(r.similarity),
                    static_cast<double>(r.score), r.same_person ? "same person" : "different people",
                    MatchRuleText(r.match_score).c_str());
      }
      return 0;
    };
  });
}

void RegisterEmbed(CLI::App& app, const GlobalOptions& g, Action* run) {
  struct Opts {
    std::string image;
    bool json = false, flip = false;
    FaceChoice face;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* c = app.add_subcommand("embed", "Print the embedding of a face (the largest unless --face says)");
  c->add_option("IMAGE", o->image, "Image file")->required();
  c->add_flag("--json", o->json, "Print JSON {\"dim\",\"embedding\",\"face\",\"face_index\",\"faces_in_photo\"}");
  c->add_flag("--flip", o->flip, "Average with the mirror image's embedding");
  AddFaceOption(c, &o->face);
  c->callback([&g, o, run] {
    *run = [&g, o] {
      auto engine = MakeEngine(g);
      if (!engine.ok()) return Fail(engine.status());
      auto image = LoadImageFile(o->image, ImageLimitsOf(g));
      if (!image.ok()) return Fail(image.status());
      auto face = PickFace(**engine, *image, o->face, o->image);
      if (!face.ok()) return Fail(face.status());
      auto chip = (*engine)->Align(*image, face->box);
      if (!chip.ok()) return Fail(chip.status());
      EmbedOptions eo;
      eo.flip_augment = o->flip;
      auto emb = (*engine)->Embed(std::span<const Image>(&*chip, 1), eo);
      if (!emb.ok()) return Fail(emb.status());
      const Embedding& e = (*emb)[0];
      if (o->json) {
        std::cout << json{{"dim", e.size()},
                          {"embedding", e},
                          {"face", FaceJson(face->box)},
                          {"face_index", face->index},
                          {"faces_in_photo", face->faces}}
                         .dump()
                  << "\n";
      } else {
        PrintEmbedding(e);
      }
      return 0;
    };
  });
}

}  // namespace facekit::cli
