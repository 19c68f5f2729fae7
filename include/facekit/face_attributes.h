// facekit/face_attributes.h - age, gender and facial expression of a face.
//
// WHAT THIS REPRESENTS
//   FaceAttributeModels runs the manifest's attribute models on one detected
//   face: role "attributes.age_gender" and role "attributes.expression" by
//   default, or the manifest models named in the options (evaluation and the
//   benchmark compare the candidates that way). Two families ship:
//   @vladmandic/human's faceres (a probability of male and a softmax over
//   ages 0-99) and emotion (mini-Xception on FER2013, 64 px grey), and
//   @vladmandic/face-api's age_gender (softmax [male, female], age in years)
//   and face_expression (112 px RGB); the age/gender outputs are read by
//   their shape (1 value: sigmoid / years; 2: softmax / 100: age bins). Each model sees a square crop centred on the detector's
//   box, side = its manifest crop_scale x the box's larger side, rotated so
//   that the detector's eyes are level, resized to the model's input.
//   Which model was picked, why, and what was measured: docs/attributes.md.
//
//   Either model may be missing from the models folder; the result then
//   leaves its fields empty (std::nullopt) rather than guessing.
//
//   Independent of FaceEngine: it loads only its own models.
//
// THREAD SAFETY
//   Run() is const and may be called from several threads; each network
//   serialises its own runs. cv::dnn's thread count is process-wide.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facekit/engine.h"
#include "facekit/image.h"
#include "facekit/status.h"

namespace facekit {

struct FaceAttributeOptions {
  std::string models_dir = "models";  ///< folder holding manifest.json and files/
  int num_threads = 1;                ///< cv::dnn threads (process-wide); 0 = OpenCV's default
  /// Crop side over the box's larger side for the age/gender model; <= 0 =
  /// the manifest's attributes.crop_scale (evaluation sweeps override it).
  float age_gender_crop_scale = 0.f;
  /// The same for the expression model.
  float expression_crop_scale = 0.f;
  /// Side of the age/gender model's input; <= 0 = the manifest's input
  /// size (the imported graph takes any multiple of 32).
  int age_gender_input_size = 0;
  /// Manifest model name to use for age/gender instead of the one with
  /// role attributes.age_gender (e.g. "faceres", "faceapi-age-gender");
  /// empty = the role's. "none" = no age/gender model.
  std::string age_gender_model;
  /// The same for expression ("emotion", "faceapi-expression", "none").
  std::string expression_model;
};

/// Which attributes to compute (each costs one network run).
struct AttributeRequest {
  bool age_gender = true;
  bool expression = true;
};

struct FaceAttributeResult {
  /// Estimated age in years: faceres' most likely one-year bin (0-99),
  /// moved towards its more likely neighbour as human does, or face-api's
  /// regressed age.
  std::optional<float> age;
  /// Probability that the face is male, in [0, 1] (faceres' sigmoid or
  /// face-api's softmax).
  std::optional<float> male_probability;
  /// One probability per expression_labels() entry (sums to 1).
  std::vector<float> expression;

  /// Index of the most likely expression, or -1 when none was computed.
  int TopExpression() const;
};

class FaceAttributeModels {
 public:
  /// Loads whichever attribute models the manifest lists. Errors: kNotFound
  /// (no manifest, or neither attribute role in it), kModelInvalid.
  static Result<std::unique_ptr<FaceAttributeModels>> Create(const FaceAttributeOptions& options);
  ~FaceAttributeModels();
  FaceAttributeModels(const FaceAttributeModels&) = delete;
  FaceAttributeModels& operator=(const FaceAttributeModels&) = delete;

  /// Attributes of `face` (a detector box with its 5 landmarks, original
  /// image pixels) in `image`. Fields whose model is absent or not requested
  /// stay empty. Errors: kImageEmpty, kInvalidArgument (empty box).
  Result<FaceAttributeResult> Run(const Image& image, const FaceBox& face, const AttributeRequest& request = {}) const;

  bool has_age_gender() const;
  bool has_expression() const;
  /// Names of the expression classes, in the model's output order.
  const std::vector<std::string>& expression_labels() const;
  /// "name version" of each loaded model.
  std::vector<std::string> model_descriptions() const;

 private:
  struct Impl;
  explicit FaceAttributeModels(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The age a 100-bin softmax says: the argmax bin k moved towards its larger
/// neighbour by 10 x that neighbour's probability, in tenths of a year (as
/// @vladmandic/human reads faceres). kInvalidArgument for an empty input.
Result<float> AgeFromBins(const std::vector<float>& bins);

}  // namespace facekit
