#include "service/face_service.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <mutex>
#include <random>

#include "facekit/image_ops.h"
#include "service/model_versions.h"
#include "service/service_internal.h"

namespace facekit::service {

using namespace internal;  // NOLINT(google-build-using-namespace)

ApiError ImageError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kImageEmpty:
      return Err("InvalidParameterValue.ImageEmpty", "the image is empty");
    case StatusCode::kImageTruncated:
    case StatusCode::kImageCorrupt:
    case StatusCode::kImageUnsupportedFormat:
      return Err("FailedOperation.ImageDecodeFailed", "image decode failed: " + s.message());
    case StatusCode::kImageTooSmall:
      return Err("FailedOperation.ImageResolutionTooSmall", s.message());
    case StatusCode::kImageTooLarge:
      return Err("FailedOperation.ImageResolutionExceed", s.message());
    case StatusCode::kImageSizeExceeded:
      return Err("FailedOperation.ImageSizeExceed", s.message());
    case StatusCode::kNoFace:
      return Err("InvalidParameterValue.NoFaceInPhoto", "no face in the image");
    default:
      return Err("FailedOperation.ServerError", s.ToString());
  }
}



void FaceService::SetModelObserver(ModelObserver observer) { model_observer_ = std::move(observer); }

std::int64_t FaceService::Now() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FaceService::NewFaceId() {
  std::lock_guard lock(ids_->mu);
  // 19 decimal digits, like the cloud API's face ids.
  std::uniform_int_distribution<std::uint64_t> d(1000000000000000000ull, 9999999999999999999ull);
  return std::to_string(d(ids_->rng));
}

std::optional<ApiError> FaceService::AwaitChangePosition(
    std::int64_t min_seq, std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (min_seq <= 0) return std::nullopt;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, options_.min_seq_wait_ms));
  if (deadline && *deadline < until) until = *deadline;
  const Status s = gallery_->WaitForPosition(min_seq, until);
  if (s.ok()) return std::nullopt;
  if (s.code() == StatusCode::kInvalidArgument) return Err(code::kInvalid, s.message());
  return Err(code::kRequestTimeout, s.message());
}

std::optional<ApiError> FaceService::Commit(const std::function<Plan(const gallery::Catalog&)>& plan) {
  std::optional<ApiError> refused;
  auto written = gallery_->Write([&](const gallery::Catalog& c) -> Result<store::Batch> {
    Plan planned = plan(c);
    if (auto* e = std::get_if<ApiError>(&planned)) {
      refused = std::move(*e);
      return store::Batch{};
    }
    return std::move(std::get<store::Batch>(planned));
  });
  if (refused) return refused;
  if (!written.ok()) return StoreError(written.status());
  return std::nullopt;
}

ApiResult<std::vector<FaceService::FaceInput>> FaceService::Faces(const std::vector<std::uint8_t>& image, int max_faces,
                                                                  int min_face_size, const FaceChoice* choice,
                                                                  bool measure_eyes, const EmbedExtras* extras) const {
  auto decoded = Timed("decode", [&] { return DecodeImage(image, options_.image_limits); });
  if (!decoded.ok()) return ImageError(decoded.status());
  auto boxes = Timed("detect", [&] { return engine_.Detect(*decoded); });
  if (!boxes.ok()) return ImageError(boxes.status());
  if (boxes->empty()) return ImageError(Status(StatusCode::kNoFace, "no face"));
  std::vector<FaceBox> sized;
  for (const FaceBox& b : *boxes) {
    if (std::max(b.width, b.height) >= static_cast<float>(min_face_size)) sized.push_back(b);
  }
  if (sized.empty()) {
    return Err(code::kFaceSizeTooSmall, "every face is smaller than MinFaceSize " + std::to_string(min_face_size));
  }
  std::vector<FaceBox> kept;
  if (choice != nullptr) {
    auto chosen = ChooseFace(sized, decoded->original_width(), decoded->original_height(), *choice);
    if (!chosen.ok()) {
      return Err(chosen.status().code() == StatusCode::kTooManyFaces ? code::kFaceAmbiguous : code::kFaceIndexExceed,
                 chosen.status().message());
    }
    kept.push_back(sized[static_cast<std::size_t>(*chosen)]);
  } else {
    const auto n = std::min(sized.size(), static_cast<std::size_t>(std::max(max_faces, 1)));
    kept.assign(sized.begin(), sized.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::vector<Image> chips;
  std::vector<FaceInput> out;
  for (const FaceBox& b : kept) {
    auto chip = engine_.Align(*decoded, b);
    if (!chip.ok()) return ImageError(chip.status());
    chips.push_back(std::move(*chip));
    FaceInput f;
    f.box = b;
    auto q = engine_.Quality(*decoded, b);
    f.quality_level = q.ok() ? q->level : 0;
    f.faces_in_photo = static_cast<int>(sized.size());
    if (measure_eyes) {
      auto ratio = SmallerEyeRatio(*decoded, b);
      if (!ratio.ok()) return ratio.error();
      f.eye_openness = ratio.value();
    }
    out.push_back(std::move(f));
  }
  auto embeddings = Timed("embed", [&] { return engine_.Embed(chips); });
  if (!embeddings.ok()) return ImageError(embeddings.status());
  for (std::size_t i = 0; i < out.size(); ++i) out[i].embedding = std::move((*embeddings)[i]);
  if (extras == nullptr) return out;
  for (FaceInput& f : out) {
    for (const std::string& version : extras->versions) {
      auto e = Timed("embed", [&] { return EmbedWith(*decoded, f.box, version); });
      if (!e.ok()) return ImageError(e.status());
      f.other_embeddings.emplace_back(version, std::move(*e));
    }
    if (extras->crop) {
      // The face's surroundings (2.2 x its larger side, what any chip
      // template reaches) in the raster's pixels (boxes are in the original
      // image's), the face at most kCropFaceSide px wide.
      constexpr double kCropFaceSide = 160;
      const double rx = decoded->scale_x(), ry = decoded->scale_y();
      const double side = std::max(f.box.width / rx, f.box.height / ry);
      const double scale = std::min(1.0, kCropFaceSide / std::max(side, 1.0));
      const double half = 1.1 * side;
      const double cx = (f.box.x + f.box.width / 2) / rx, cy = (f.box.y + f.box.height / 2) / ry;
      const int x0 = std::max(0, static_cast<int>(std::floor(cx - half)));
      const int y0 = std::max(0, static_cast<int>(std::floor(cy - half)));
      const int x1 = std::min(decoded->width, static_cast<int>(std::ceil(cx + half)));
      const int y1 = std::min(decoded->height, static_cast<int>(std::ceil(cy + half)));
      auto crop = CropScaled(*decoded, x0, y0, x1 - x0, y1 - y0, scale);
      if (!crop.ok()) return ImageError(crop.status());
      auto jpeg = EncodeJpeg(*crop, 92);
      if (!jpeg.ok()) return ImageError(jpeg.status());
      f.crop = std::move(*jpeg);
      const double sx = static_cast<double>(crop->width) / (x1 - x0);
      const double sy = static_cast<double>(crop->height) / (y1 - y0);
      for (const Point2f& p : f.box.landmarks) {
        f.crop_landmarks.push_back(static_cast<float>((p.x / rx - x0) * sx));
        f.crop_landmarks.push_back(static_cast<float>((p.y / ry - y0) * sy));
      }
    }
  }
  return out;
}

Result<Embedding> FaceService::EmbedWith(const Image& image, const FaceBox& box, const std::string& version) const {
  const ModelVersion* v = FindModelVersion(version);
  if (v == nullptr) return Status(StatusCode::kInvalidArgument, "unknown face model version " + version);
  EmbedOptions options;
  options.embedder = v->kind;
  return engine_.EmbedFace(image, box, options);
}

float FaceService::ScoreOf(const std::string& version, float similarity, bool search) const {
  const ModelVersion* v = FindModelVersion(version);
  const float s = v ? PrimaryEquivalentSimilarity(*v, similarity) : similarity;
  if (search) return engine_.SearchScore(s);
  // The 1:1 score of cosine s: Compare of two unit vectors at that cosine.
  const Embedding a = {1.f, 0.f};
  const Embedding b = {s, std::sqrt(std::max(0.f, 1.f - s * s))};
  return engine_.Compare(a, b).score;
}

std::optional<ApiError> FaceService::CheckVersionServed(const std::string& version) const {
  const ModelVersion* v = FindModelVersion(version);
  if (v == nullptr) {
    std::string known;
    for (const auto& m : ModelVersions()) known += std::string(known.empty() ? "" : ", ") + m.name;
    return Err(code::kModelVersionIllegal, "FaceModelVersion '" + version + "' is not offered; FaceKit serves " + known);
  }
  if (!engine_.has_embedder(v->kind)) {
    return Err(code::kUnsupported, "FaceModelVersion " + version + " needs the " + EmbedderName(v->kind) +
                                       " embedder, which this server did not load (docs/embedders.md)");
  }
  return std::nullopt;
}

ApiResult<std::vector<std::vector<float>>> FaceService::PrimaryVectors(const std::string& person_id) const {
  auto keys = gallery_->Read([&](const gallery::Catalog& c) -> std::optional<std::vector<std::int64_t>> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return std::nullopt;
    return p->faces;
  });
  if (!keys) return Err(code::kPersonIdNotExist, "PersonId " + person_id + " does not exist");
  auto got = gallery_->FaceVectors(*keys, options_.face_model_version);
  if (!got.ok()) return StoreError(got.status());
  std::vector<std::vector<float>> out;
  for (auto& [fk, v] : *got) out.push_back(std::move(v));
  return out;
}

std::vector<std::string> FaceService::ExtraVersions(const gallery::Catalog& c,
                                                    const std::vector<std::int64_t>& group_keys) const {
  std::vector<std::string> out;
  for (std::int64_t gk : group_keys) {
    const gallery::GroupState* g = c.GroupByKey(gk);
    if (!g || g->record.face_model_version == options_.face_model_version) continue;
    if (std::find(out.begin(), out.end(), g->record.face_model_version) == out.end()) {
      out.push_back(g->record.face_model_version);
    }
  }
  return out;
}

std::optional<ApiError> FaceService::CheckFaceVersions(const gallery::Catalog& c, const gallery::PersonState* person,
                                                       std::int64_t new_group_key, const FaceInput& face) const {
  std::vector<std::int64_t> groups;
  if (person) {
    for (const auto& [gk, m] : person->groups) groups.push_back(gk);
  }
  if (new_group_key != 0) groups.push_back(new_group_key);
  for (const std::string& v : ExtraVersions(c, groups)) {
    bool have = false;
    for (const auto& [ov, e] : face.other_embeddings) have = have || ov == v;
    if (!have) {
      return Err(code::kUnsupported, "a group of this person switched to FaceModelVersion " + v +
                                         " during the request; send it again");
    }
  }
  return std::nullopt;
}

ApiResult<FaceService::FaceInput> FaceService::ChosenFace(const std::vector<std::uint8_t>& image,
                                                          const FaceChoice& choice, int min_face_size,
                                                          bool measure_eyes, const EmbedExtras* extras) const {
  auto faces = Faces(image, 1, min_face_size, &choice, measure_eyes, extras);
  if (!faces.ok()) return faces.error();
  return std::move(faces.value().front());
}

std::optional<std::vector<std::string>> FaceService::PersonGroups(const std::string& person_id) const {
  return gallery_->Read([&](const gallery::Catalog& c) -> std::optional<std::vector<std::string>> {
    const gallery::PersonState* p = c.PersonById(person_id);
    if (!p) return std::nullopt;
    std::vector<std::string> ids;
    for (const auto& [gkey, m] : p->groups) ids.push_back(c.GroupByKey(gkey)->record.id);
    return ids;
  });
}


}  // namespace facekit::service
