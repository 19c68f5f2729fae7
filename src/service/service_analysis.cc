// FaceService: face contours (AnalyzeFace, AnalyzeDenseLandmarks) and the two
// comparisons of the analysis family (CompareMaskFace, DetectFaceSimilarity).
#include <algorithm>
#include <cmath>

#include "service/face_service.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace): the codes and checks of this service

float SimilarityScoreOf(float compare_score) {
  const float s = std::clamp(compare_score, 0.f, 100.f);
  constexpr float a = kSimilarityAnchorCompareScore, t = kSimilarityMatchScore;
  return s <= a ? s * t / a : t + (s - a) * (100.f - t) / (100.f - a);
}

ApiResult<AnalyzeFaceResponse> FaceService::AnalyzeFace(const AnalyzeFaceRequest& r) const {
  if (mesh_ == nullptr) {
    return Err("UnsupportedOperation", "this server has no face mesh model (models/manifest.json role "
                                       "\"landmarks.mesh\"; run the setup command)");
  }
  if (r.mode != 0 && r.mode != 1) {
    return Err(code::kInvalid, "Mode must be 0 (every face) or 1 (the largest face), not " + std::to_string(r.mode));
  }
  auto decoded = Timed("decode", [&] { return DecodeImage(r.image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto boxes = Timed("detect", [&] { return engine_.Detect(*decoded); });  // largest first
  if (!boxes.ok()) return ImageError(boxes.status());
  if (boxes->empty()) return ImageError(Status(StatusCode::kNoFace, "no face"));
  const int limit = r.mode == 1 ? 1 : r.dense ? kAnalyzeDenseMaxFaces : kAnalyzeFaceMaxFaces;
  AnalyzeFaceResponse out;
  out.image_width = decoded->original_width();
  out.image_height = decoded->original_height();
  out.face_model_version = options_.face_model_version;
  for (const FaceBox& b : *boxes) {
    if (static_cast<int>(out.faces.size()) >= limit) break;
    auto mesh = Timed("landmarks", [&] { return mesh_->Run(*decoded, b); });
    if (!mesh.ok()) return ImageError(mesh.status());
    // The mesh model's own check: a detection it does not take for a face
    // gets no contours (the detector's box is the only evidence then).
    if (mesh->confidence < mesh_->min_confidence()) continue;
    auto groups = r.dense ? MapDenseFaceShape(*mesh) : MapFaceShape(*mesh);
    if (!groups.ok()) return ImageError(groups.status());
    out.faces.push_back({ToRect(b), std::move(*groups), mesh->confidence});
  }
  if (out.faces.empty()) {
    return ImageError(Status(StatusCode::kNoFace, "the face mesh model found no face in the detected boxes"));
  }
  return out;
}

ApiResult<CompareResponse> FaceService::CompareMaskFace(const std::vector<std::uint8_t>& image_a,
                                                        const std::vector<std::uint8_t>& image_b,
                                                        int quality_control) const {
  if (quality_control < 0 || quality_control > 4) return Err(code::kQualityIllegal, "QualityControl must be 0 to 4");
  auto a = ChosenFace(image_a);
  if (!a.ok()) return a.error();
  auto b = ChosenFace(image_b);
  if (!b.ok()) return b.error();
  if (a->quality_level < quality_control || b->quality_level < quality_control) {
    return Err(code::kQualityNotQualified, "a face is below QualityControl " + std::to_string(quality_control));
  }
  const CompareResult cmp = engine_.Compare(a->embedding, b->embedding, options_.mask_match_score);
  return CompareResponse{cmp.score, cmp.similarity, options_.face_model_version, cmp.same_person, cmp.match_score};
}

ApiResult<SimilarityResponse> FaceService::DetectFaceSimilarity(const std::vector<std::uint8_t>& image_a,
                                                                const std::vector<std::uint8_t>& image_b,
                                                                int quality_control) const {
  if (quality_control < 0 || quality_control > 4) return Err(code::kQualityIllegal, "QualityControl must be 0 to 4");
  FaceChoice most_confident;
  most_confident.rule = FaceChoice::Rule::kMostConfident;
  auto a = ChosenFace(image_a, most_confident);
  if (!a.ok()) return a.error();
  auto b = ChosenFace(image_b, most_confident);
  if (!b.ok()) return b.error();
  if (a->quality_level < quality_control || b->quality_level < quality_control) {
    return Err(code::kQualityNotQualified, "a face is below QualityControl " + std::to_string(quality_control));
  }
  const CompareResult cmp = engine_.Compare(a->embedding, b->embedding);
  return SimilarityResponse{SimilarityScoreOf(cmp.score), cmp.score, cmp.similarity};
}

}  // namespace facekit::service
