#include "runtime/model_manifest.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace facekit::runtime {
namespace {

using nlohmann::json;

Status Bad(const std::string& what) { return {StatusCode::kModelInvalid, "manifest: " + what}; }

template <typename T>
void Get(const json& j, const char* key, T* out) {
  if (j.contains(key) && !j[key].is_null()) *out = j[key].get<T>();
}

// `section`.score_points: (similarity, score) pairs, strictly increasing in similarity.
Status ScorePoints(const json& section, const std::string& name, std::vector<std::array<float, 2>>* out) {
  if (section.contains("score_points")) {
    for (const json& p : section["score_points"]) out->push_back({p[0].get<float>(), p[1].get<float>()});
  }
  for (size_t i = 1; i < out->size(); ++i) {
    if ((*out)[i][0] <= (*out)[i - 1][0]) return Bad(name + ".score_points must be increasing in similarity");
  }
  return Status::Ok();
}

}  // namespace

Result<ModelManifest> ModelManifest::Load(const std::string& models_dir) {
  std::string path = models_dir + "/manifest.json";
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, "no model manifest at " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), models_dir);
}

Result<ModelManifest> ModelManifest::Parse(const std::string& json_text, const std::string& models_dir) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("not valid JSON");
  ModelManifest m;
  m.dir = models_dir;
  try {
    Get(j, "format_version", &m.format_version);
    if (m.format_version != kFormatVersion) {
      return Bad("format_version " + std::to_string(m.format_version) + " is not supported (expected " +
                 std::to_string(kFormatVersion) + ")");
    }
    for (const json& p : j.value("packages", json::array())) {
      std::string pkg = p.at("name").get<std::string>() + "@" + p.at("version").get<std::string>();
      for (const json& f : p.value("files", json::array())) {
        ManifestFile mf;
        mf.package = pkg;
        Get(f, "path", &mf.path);
        Get(f, "file", &mf.file);
        Get(f, "sha256", &mf.sha256);
        Get(f, "bytes", &mf.bytes);
        if (mf.file.empty() || mf.sha256.size() != 64) return Bad("file entry of " + pkg + " lacks file/sha256");
        m.files.push_back(mf);
      }
    }
    for (const json& e : j.value("models", json::array())) {
      ManifestModel mm;
      Get(e, "name", &mm.name);
      Get(e, "version", &mm.version);
      Get(e, "role", &mm.role);
      Get(e, "file", &mm.file);
      Get(e, "provenance", &mm.provenance);
      Get(e, "embedding_dim", &mm.embedding_dim);
      if (mm.name.empty() || mm.role.empty() || mm.file.empty()) return Bad("model entry lacks name/role/file");
      if (e.contains("source")) {
        const json& s = e["source"];
        Get(s, "file", &mm.source_file);
        Get(s, "format", &mm.source_format);
        Get(s, "package", &mm.source_package);
        Get(s, "weights", &mm.source_weights);
      }
      if (e.contains("import")) {
        Get(e["import"], "dynamic_spatial", &mm.dynamic_spatial);
        Get(e["import"], "outputs", &mm.import_outputs);
      }
      if (!e.contains("input")) return Bad("model " + mm.name + " lacks input");
      const json& in = e["input"];
      Get(in, "name", &mm.input_name);
      Get(in, "color", &mm.color);
      Get(in, "mean", &mm.mean);
      Get(in, "scale", &mm.scale);
      if (in.contains("size") && in["size"].is_array() && in["size"].size() == 2) {
        mm.input_width = in["size"][0].get<int>();
        mm.input_height = in["size"][1].get<int>();
      }
      if (e.contains("outputs")) {
        for (const auto& [k, v] : e["outputs"].items()) mm.outputs[k] = v.get<std::string>();
      }
      for (const char* section : {"liveness", "objects", "landmarks", "attributes"}) {
        if (e.contains(section) && e[section].is_object()) {
          for (const auto& [k, v] : e[section].items()) mm.settings[k] = v.get<double>();
        }
      }
      Get(e, "labels", &mm.labels);
      // The 5-point template in the chip's pixels ("_112": the 112x112 chip's).
      for (const char* key : {"alignment_template_112", "alignment_template"}) {
        if (!e.contains(key)) continue;
        mm.alignment_template.clear();
        for (const json& p : e[key]) mm.alignment_template.push_back({p[0].get<float>(), p[1].get<float>()});
      }
      Get(e, "alignment", &mm.alignment);
      Get(e, "alignment_padding", &mm.alignment_padding);
      Get(e, "alignment_refine_eyes", &mm.alignment_refine_eyes);
      m.models.push_back(std::move(mm));
    }
    if (j.contains("detector")) {
      const json& d = j["detector"];
      DetectorConfig& c = m.detector;
      Get(d, "min_face_size", &c.min_face_size);
      Get(d, "pyramid_factor", &c.pyramid_factor);
      Get(d, "max_detect_side", &c.max_detect_side);
      Get(d, "pnet_threshold", &c.pnet_threshold);
      Get(d, "rnet_threshold", &c.rnet_threshold);
      c.rnet_isolated_threshold = c.rnet_threshold;
      Get(d, "rnet_isolated_threshold", &c.rnet_isolated_threshold);
      Get(d, "onet_threshold", &c.onet_threshold);
      Get(d, "pnet_nms_per_scale", &c.pnet_nms_per_scale);
      Get(d, "pnet_nms_across_scales", &c.pnet_nms_across_scales);
      Get(d, "rnet_nms", &c.rnet_nms);
      Get(d, "onet_nms_min", &c.onet_nms_min);
      if (c.pyramid_factor <= 0.f || c.pyramid_factor >= 1.f) return Bad("detector.pyramid_factor must be in (0,1)");
      if (c.rnet_isolated_threshold > c.rnet_threshold) {
        return Bad("detector.rnet_isolated_threshold must not exceed detector.rnet_threshold");
      }
    }
    if (j.contains("verification")) {
      const json& v = j["verification"];
      Get(v, "threshold", &m.verification.threshold);
      Get(v, "threshold_provenance", &m.verification.provenance);
      FACEKIT_RETURN_IF_ERROR(ScorePoints(v, "verification", &m.verification.score_points));
      Get(v, "match_score", &m.verification.match_score);
      Get(v, "match_provenance", &m.verification.match_provenance);
      if (!(m.verification.match_score > 0.f && m.verification.match_score <= 100.f)) {
        return Bad("verification.match_score must be in (0, 100]");
      }
    }
    if (j.contains("search")) {
      const json& v = j["search"];
      Get(v, "score_provenance", &m.search.provenance);
      FACEKIT_RETURN_IF_ERROR(ScorePoints(v, "search", &m.search.score_points));
    }
  } catch (const json::exception& e) {
    return Bad(std::string("wrong type or missing field: ") + e.what());
  }
  return m;
}

const ManifestModel* ModelManifest::FindRole(const std::string& role) const {
  for (const auto& m : models) {
    if (m.role == role) return &m;
  }
  return nullptr;
}

std::string ModelManifest::FilePath(const std::string& file) const { return dir + "/files/" + file; }

}  // namespace facekit::runtime
