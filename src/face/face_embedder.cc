#include "face/face_embedder.h"

#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

namespace facekit::face {

void L2Normalize(std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += double{x} * x;
  n = std::sqrt(n);
  if (n <= 0) return;
  for (float& x : v) x = static_cast<float>(x / n);
}

Result<std::unique_ptr<FaceEmbedder>> FaceEmbedder::Create(const runtime::ModelManifest& manifest,
                                                           const std::string& role) {
  const runtime::ManifestModel* m = manifest.FindRole(role);
  if (m == nullptr) return Status(StatusCode::kModelInvalid, "manifest has no model with role " + role);
  if (!m->outputs.count("embedding")) return Status(StatusCode::kModelInvalid, m->name + " lacks output 'embedding'");
  if (m->input_width <= 0 || m->input_width != m->input_height) {
    return Status(StatusCode::kModelInvalid, m->name + " needs a square fixed input size");
  }
  if (m->embedding_dim <= 0) return Status(StatusCode::kModelInvalid, m->name + " lacks embedding_dim");
  if (m->alignment_template.size() != 5) return Status(StatusCode::kModelInvalid, m->name + " needs a 5-point alignment template");
  auto alignment = ParseChipAlignment(m->alignment);
  if (!alignment.ok()) return Status(StatusCode::kModelInvalid, m->name + ": " + alignment.status().message());
  if (!(m->alignment_padding >= 0 && m->alignment_padding < 2)) {
    return Status(StatusCode::kModelInvalid, m->name + ": alignment_padding must be in [0, 2)");
  }
  std::unique_ptr<FaceEmbedder> e(new FaceEmbedder());
  e->alignment_ = *alignment;
  FACEKIT_ASSIGN_OR_RETURN(e->model_, runtime::DnnModel::Load(manifest.FilePath(m->file)));
  e->info_ = *m;
  return e;
}

Result<std::vector<Embedding>> FaceEmbedder::RunBatch(const std::vector<cv::Mat>& chips) const {
  cv::Mat blob = cv::dnn::blobFromImages(chips, info_.scale, cv::Size(), cv::Scalar::all(info_.mean),
                                         /*swapRB=*/true, /*crop=*/false, CV_32F);
  FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, model_->Run(blob, {info_.outputs.at("embedding")}));
  const cv::Mat& e = out[0];
  if (e.dims != 2 || e.size[0] != static_cast<int>(chips.size()) || e.size[1] != info_.embedding_dim) {
    return Status(StatusCode::kModelInvalid, "embedder output shape does not match the manifest");
  }
  std::vector<Embedding> result;
  for (int i = 0; i < e.size[0]; ++i) {
    const float* p = e.ptr<float>(i);
    result.emplace_back(p, p + e.size[1]);
  }
  return result;
}

Result<std::vector<Embedding>> FaceEmbedder::Embed(const std::vector<cv::Mat>& chips, bool flip_augment) const {
  const cv::Size want(info_.input_width, info_.input_height);
  for (const cv::Mat& c : chips) {
    if (c.type() != CV_8UC3 || c.size() != want) {
      return Status(StatusCode::kInvalidArgument, "chips must be " + std::to_string(want.width) + "x" +
                                                      std::to_string(want.height) + " 8-bit BGR images");
    }
  }
  std::vector<Embedding> all;
  all.reserve(chips.size());
  for (size_t start = 0; start < chips.size(); start += kMaxBatch) {
    size_t end = std::min(chips.size(), start + kMaxBatch);
    std::vector<cv::Mat> batch(chips.begin() + static_cast<std::ptrdiff_t>(start),
                               chips.begin() + static_cast<std::ptrdiff_t>(end));
    FACEKIT_ASSIGN_OR_RETURN(std::vector<Embedding> emb, RunBatch(batch));
    if (flip_augment) {
      std::vector<cv::Mat> mirrored(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) cv::flip(batch[i], mirrored[i], 1);
      FACEKIT_ASSIGN_OR_RETURN(std::vector<Embedding> flipped, RunBatch(mirrored));
      for (size_t i = 0; i < emb.size(); ++i) {
        L2Normalize(emb[i]);
        L2Normalize(flipped[i]);
        for (size_t k = 0; k < emb[i].size(); ++k) emb[i][k] += flipped[i][k];
      }
    }
    for (Embedding& v : emb) {
      L2Normalize(v);
      all.push_back(std::move(v));
    }
  }
  return all;
}

}  // namespace facekit::face
