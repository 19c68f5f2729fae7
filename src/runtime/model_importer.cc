#include "runtime/model_importer.h"

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "runtime/faceapi_classifier_to_onnx.h"
#include "runtime/faceapi_resnet_to_onnx.h"
#include "runtime/tfjs_model.h"
#include "runtime/tfjs_weights.h"
#include "runtime/tfjs_to_onnx.h"
#include "runtime/tflite_model.h"
#include "runtime/tflite_to_onnx.h"

namespace facekit::runtime {
namespace fs = std::filesystem;

Result<std::string> Sha256File(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status(StatusCode::kInternal, "OpenSSL SHA-256 init failed");
  }
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof(buf));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount()));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

namespace {

// Checks `file` (under models/files/) against the manifest's SHA-256.
Result<std::string> CheckedSha(const ModelManifest& manifest, const ManifestModel& mm, const std::string& file) {
  const ManifestFile* expected = nullptr;
  for (const auto& f : manifest.files) {
    if (f.file == file) expected = &f;
  }
  if (expected == nullptr) {
    return Status(StatusCode::kModelInvalid, "model " + mm.name + ": source " + file + " is not listed in packages");
  }
  std::string path = manifest.FilePath(file);
  FACEKIT_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
  if (sha != expected->sha256) {
    return Status(StatusCode::kModelChecksumMismatch, path + " has SHA-256 " + sha + ", manifest says " + expected->sha256);
  }
  return sha;
}

// The ONNX bytes of a TFLite or TF.js source; fills the report fields of `im`.
Result<std::string> Convert(const ManifestModel& mm, const std::string& source,
                            const std::vector<std::pair<std::string, std::string>>& metadata, ImportedModel* im) {
  if (mm.source_format == "faceapi-resnet") {
    FACEKIT_ASSIGN_OR_RETURN(auto weights, LoadTfjsWeightsManifest(source));
    FaceApiResnetOptions opt;
    if (mm.input_width > 0) opt.input_size = mm.input_width;
    if (!mm.input_name.empty()) opt.input_name = mm.input_name;
    if (mm.outputs.count("embedding")) opt.output_name = mm.outputs.at("embedding");
    opt.metadata = metadata;
    FaceApiResnetReport rep;
    FACEKIT_ASSIGN_OR_RETURN(std::string bytes, ConvertFaceApiResnetToOnnx(weights, opt, &rep));
    im->source_ops = rep.conv_layers;
    im->onnx_nodes = rep.onnx_nodes;
    return bytes;
  }
  if (mm.source_format == "faceapi-age-gender" || mm.source_format == "faceapi-expression") {
    FACEKIT_ASSIGN_OR_RETURN(auto weights, LoadTfjsWeightsManifest(source));
    FaceApiClassifierOptions opt;
    if (mm.input_width > 0) opt.input_size = mm.input_width;
    if (!mm.input_name.empty()) opt.input_name = mm.input_name;
    if (mm.outputs.count("age")) opt.age_output = mm.outputs.at("age");
    if (mm.outputs.count("gender")) opt.gender_output = mm.outputs.at("gender");
    if (mm.outputs.count("probabilities")) opt.probabilities_output = mm.outputs.at("probabilities");
    opt.metadata = metadata;
    FaceApiClassifierReport rep;
    FACEKIT_ASSIGN_OR_RETURN(std::string bytes,
                             ConvertFaceApiClassifierToOnnx(mm.source_format == "faceapi-age-gender"
                                                                ? FaceApiClassifier::kAgeGender
                                                                : FaceApiClassifier::kExpression,
                                                            weights, opt, &rep));
    im->source_ops = rep.conv_layers;
    im->onnx_nodes = rep.onnx_nodes;
    return bytes;
  }
  if (mm.source_format == "tfjs") {
    FACEKIT_ASSIGN_OR_RETURN(TfjsModel tfjs, TfjsModel::Load(source));
    TfjsToOnnxOptions opt;
    opt.dynamic_spatial = mm.dynamic_spatial;
    opt.outputs = mm.import_outputs;
    opt.metadata = metadata;
    TfjsToOnnxReport rep;
    FACEKIT_ASSIGN_OR_RETURN(std::string bytes, ConvertTfjsToOnnx(tfjs, opt, &rep));
    im->source_ops = rep.imported_ops;
    im->onnx_nodes = rep.onnx_nodes;
    im->fused_hard_swish = rep.fused_hard_swish;
    return bytes;
  }
  FACEKIT_ASSIGN_OR_RETURN(TfliteModel tfl, TfliteModel::Load(source));
  TfliteToOnnxOptions opt;
  opt.dynamic_spatial = mm.dynamic_spatial;
  opt.outputs = mm.import_outputs;
  opt.metadata = metadata;
  TfliteToOnnxReport rep;
  FACEKIT_ASSIGN_OR_RETURN(std::string bytes, ConvertTfliteToOnnx(tfl, opt, &rep));
  im->source_ops = rep.tflite_ops;
  im->onnx_nodes = rep.onnx_nodes;
  im->fused_prelu = rep.fused_prelu;
  im->fused_softmax = rep.fused_softmax;
  return bytes;
}

}  // namespace

Result<std::vector<ImportedModel>> ImportModels(const ModelManifest& manifest, bool force) {
  std::vector<ImportedModel> done;
  for (const ManifestModel& mm : manifest.models) {
    ImportedModel im;
    im.name = mm.name;
    im.onnx_path = manifest.FilePath(mm.file);
    std::string source = manifest.FilePath(mm.source_file);
    FACEKIT_ASSIGN_OR_RETURN(std::string sha, CheckedSha(manifest, mm, mm.source_file));
    for (const std::string& shard : mm.source_weights) {
      FACEKIT_ASSIGN_OR_RETURN(std::string shard_sha, CheckedSha(manifest, mm, shard));
    }
    if (mm.source_format == "onnx") {
      done.push_back(im);
      continue;
    }
    if (mm.source_format != "tflite" && mm.source_format != "tfjs" && mm.source_format != "faceapi-resnet" &&
        mm.source_format != "faceapi-age-gender" && mm.source_format != "faceapi-expression") {
      return Status(StatusCode::kModelInvalid, "model " + mm.name + ": unknown source format '" + mm.source_format + "'");
    }
    std::error_code ec;
    if (!force && fs::exists(im.onnx_path, ec) &&
        fs::last_write_time(im.onnx_path, ec) >= fs::last_write_time(source, ec) && !ec) {
      done.push_back(im);
      continue;
    }
    FACEKIT_ASSIGN_OR_RETURN(std::string bytes, Convert(mm, source,
                                                        {{"facekit.model", mm.name},
                                                         {"facekit.source_package", mm.source_package},
                                                         {"facekit.source_file", mm.source_file},
                                                         {"facekit.source_sha256", sha}},
                                                        &im));
    std::string tmp = im.onnx_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      out.flush();
      if (!out) return Status(StatusCode::kIoError, "cannot write " + tmp);
    }
    fs::rename(tmp, im.onnx_path, ec);
    if (ec) return Status(StatusCode::kIoError, "cannot rename " + tmp + ": " + ec.message());
    im.converted = true;
    done.push_back(im);
  }
  return done;
}

}  // namespace facekit::runtime
