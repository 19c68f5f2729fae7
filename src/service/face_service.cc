#include "service/face_service.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

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

struct FaceService::IdSource {
  std::mutex mu;
  std::mt19937_64 rng{std::random_device{}()};
};

FaceService::FaceService(const FaceEngine& engine, std::unique_ptr<gallery::Gallery> gallery, ServiceOptions options)
    : engine_(engine), gallery_(std::move(gallery)), options_(std::move(options)), ids_(std::make_unique<IdSource>()) {
  if (options_.verify_match_score <= 0) options_.verify_match_score = engine_.match_rule().score;
  if (options_.mask_match_score <= 0) options_.mask_match_score = options_.verify_match_score;
}

FaceService::~FaceService() = default;

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
                                                                  bool measure_eyes) const {
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
    if (measure_eyes && mesh_ != nullptr) {
      auto mesh = Timed("mesh", [&] { return mesh_->Run(*decoded, b); });
      if (!mesh.ok()) return ImageError(mesh.status());
      if (mesh->confidence >= mesh_->min_confidence()) {
        auto eyes = MeshEyeOpenness(mesh->points);
        if (!eyes.ok()) return ImageError(eyes.status());
        f.eye_openness = std::min(eyes->right, eyes->left);
      }
    }
    out.push_back(std::move(f));
  }
  auto embeddings = Timed("embed", [&] { return engine_.Embed(chips); });
  if (!embeddings.ok()) return ImageError(embeddings.status());
  for (std::size_t i = 0; i < out.size(); ++i) out[i].embedding = std::move((*embeddings)[i]);
  return out;
}

ApiResult<FaceService::FaceInput> FaceService::ChosenFace(const std::vector<std::uint8_t>& image,
                                                          const FaceChoice& choice, int min_face_size,
                                                          bool measure_eyes) const {
  auto faces = Faces(image, 1, min_face_size, &choice, measure_eyes);
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
