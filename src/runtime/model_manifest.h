// model_manifest.h - the models folder's manifest.json, parsed.
//
// WHAT THIS REPRESENTS
//   Which model files the engine uses and every constant that belongs to a
//   model rather than to code: source package and SHA-256, input size and
//   normalisation, output tensor names, detector thresholds, the alignment
//   template and the verification threshold. The engine reads these values
//   instead of hard-coding them, so a different model is a manifest change.
//
// THREAD SAFETY
//   Immutable value after Load.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "facekit/status.h"

namespace facekit::runtime {

struct ManifestFile {
  std::string package;  ///< "name@version"
  std::string path;     ///< path inside the package tarball
  std::string file;     ///< file name under models/files/
  std::string sha256;
  int64_t bytes = 0;
};

struct ManifestModel {
  std::string name;
  std::string version;
  std::string role;  ///< "detector.pnet", "embedder", ...
  std::string file;  ///< ONNX file name under models/files/
  std::string source_file;
  std::string source_format;  ///< "tflite", "tfjs" or "onnx"
  std::vector<std::string> source_weights;  ///< TF.js weight shards (files under models/files/)
  std::string source_package;
  std::string provenance;
  bool dynamic_spatial = false;
  std::vector<std::string> import_outputs;  ///< graph outputs to export instead of the model's
  std::vector<std::string> labels;          ///< class names by output index (detectors)
  std::string input_name;
  int input_width = 0, input_height = 0;  ///< 0 = any size
  std::string color;  ///< input colour as the manifest says it ("RGB", "GRAY", ...)
  float mean = 127.5f;
  float scale = 1.f / 128.f;
  std::map<std::string, std::string> outputs;  ///< meaning -> tensor name
  int embedding_dim = 0;
  std::vector<std::array<float, 2>> alignment_template;
  /// Embedders: how the chip is aligned ("alignment": "detector5" (default,
  /// the template above), "mesh68" or "mesh5"; face/mesh_alignment.h).
  std::string alignment;
  /// mesh68: dlib's padding of the mean face ("alignment_padding").
  double alignment_padding = 0.25;
  /// mesh alignments: run the iris model on the eyes ("alignment_refine_eyes").
  bool alignment_refine_eyes = true;
  /// Numeric settings of the model's own section ("liveness", "objects", "landmarks").
  std::map<std::string, double> settings;
  /// settings[key], or `fallback` when the manifest does not set it.
  double Setting(const std::string& key, double fallback) const {
    auto it = settings.find(key);
    return it == settings.end() ? fallback : it->second;
  }
};

struct DetectorConfig {
  int min_face_size = 20;
  float pyramid_factor = 0.709f;
  int max_detect_side = 1280;
  float pnet_threshold = 0.6f, rnet_threshold = 0.7f, onet_threshold = 0.7f;
  /// R-Net candidates scoring in [rnet_isolated_threshold, rnet_threshold)
  /// go to O-Net in a second pass where the first found no face (a face
  /// R-Net is unsure of, away from the ones found). Equal to
  /// rnet_threshold = off.
  float rnet_isolated_threshold = 0.7f;
  float pnet_nms_per_scale = 0.5f, pnet_nms_across_scales = 0.7f, rnet_nms = 0.7f, onet_nms_min = 0.7f;
};

struct VerificationConfig {
  /// The accuracy-maximising cosine threshold on LFW View 1 DevTrain (the
  /// LFW protocol's reference; not the decision rule).
  float threshold = 0.f;
  std::string provenance;
  /// The decision rule: same person when the 1:1 score is at least this.
  float match_score = 60.f;
  std::string match_provenance;
  /// Piecewise-linear map from cosine similarity to a 0-100 score,
  /// as (similarity, score) points in increasing order.
  std::vector<std::array<float, 2>> score_points;
};

struct SearchConfig {
  /// Piecewise-linear map from a 1:N search similarity to a 0-100 score.
  std::vector<std::array<float, 2>> score_points;
  std::string provenance;
};

struct ModelManifest {
  int format_version = 0;
  std::string dir;  ///< the models folder
  std::vector<ManifestFile> files;
  std::vector<ManifestModel> models;
  DetectorConfig detector;
  VerificationConfig verification;
  SearchConfig search;

  static constexpr int kFormatVersion = 1;

  /// Reads DIR/manifest.json. Fails with kNotFound / kModelInvalid.
  static Result<ModelManifest> Load(const std::string& models_dir);
  static Result<ModelManifest> Parse(const std::string& json_text, const std::string& models_dir);

  /// The model with the given role, or nullptr.
  const ManifestModel* FindRole(const std::string& role) const;
  /// Absolute path of a file under DIR/files/.
  std::string FilePath(const std::string& file) const;
};

}  // namespace facekit::runtime
