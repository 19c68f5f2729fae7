#include "facekit/face_attributes.h"

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "face/face_mesh_crop.h"
#include "image/image_internal.h"
#include "runtime/dnn_model.h"
#include "runtime/model_manifest.h"

namespace facekit {

namespace {

Status Bad(const std::string& what) { return {StatusCode::kModelInvalid, what}; }

// One attribute network and how it reads a face.
struct AttributeNet {
  std::unique_ptr<runtime::DnnModel> net;
  std::string description;
  std::vector<std::string> outputs;  // tensor names, in the order Run reads them
  int input_size = 0;
  float mean = 0.f, scale = 1.f;
  float crop_scale = 1.f;
  bool grey = false;
};

Result<AttributeNet> LoadNet(const runtime::ModelManifest& manifest, const runtime::ManifestModel& m,
                             const std::vector<std::string>& output_keys, float crop_override, int size_override) {
  AttributeNet a;
  for (const std::string& key : output_keys) {
    auto it = m.outputs.find(key);
    if (it == m.outputs.end()) return Bad(m.name + " lacks output '" + key + "'");
    a.outputs.push_back(it->second);
  }
  if (m.input_width <= 0 || m.input_width != m.input_height) return Bad(m.name + " needs a square input size");
  a.input_size = m.input_width;
  if (size_override > 0) {
    if (!m.dynamic_spatial || size_override % 32 != 0) {
      return Status(StatusCode::kInvalidArgument,
                    m.name +
                        ": the input size can only change for a graph imported with dynamic_spatial, "
                        "to a multiple of 32");
    }
    a.input_size = size_override;
  }
  a.mean = m.mean;
  a.scale = m.scale;
  a.grey = m.color == "GRAY";
  a.crop_scale = crop_override > 0 ? crop_override : static_cast<float>(m.Setting("crop_scale", 1.0));
  if (!(a.crop_scale > 0.f && a.crop_scale < 10.f)) {
    return Status(StatusCode::kInvalidArgument, m.name + ": crop_scale must be in (0, 10)");
  }
  a.description = m.name + " " + m.version;
  FACEKIT_ASSIGN_OR_RETURN(a.net, runtime::DnnModel::Load(manifest.FilePath(m.file)));
  return a;
}

// The network's input blob for `face`: the levelled square crop, resized,
// in the model's colour (RGB or grey) and normalisation.
cv::Mat InputBlob(const Image& image, const FaceBox& raster_face, const AttributeNet& a) {
  const face::MeshCrop crop = face::MeshCropFor(raster_face, a.crop_scale, /*level_eyes=*/true, a.input_size);
  cv::Mat patch;
  cv::warpAffine(AsMat(image), patch, crop.CropToImage(), cv::Size(a.input_size, a.input_size),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  if (a.grey) {
    cv::Mat grey;
    cv::cvtColor(patch, grey, cv::COLOR_BGR2GRAY);
    return cv::dnn::blobFromImage(grey, a.scale, cv::Size(), cv::Scalar::all(a.mean), false, false, CV_32F);
  }
  return cv::dnn::blobFromImage(patch, a.scale, cv::Size(), cv::Scalar::all(a.mean), /*swapRB=*/true, false, CV_32F);
}

std::vector<float> Values(const cv::Mat& m) {
  const float* p = m.ptr<float>();
  return std::vector<float>(p, p + m.total());
}

}  // namespace

struct FaceAttributeModels::Impl {
  std::optional<AttributeNet> age_gender;
  std::optional<AttributeNet> expression;
  std::vector<std::string> expression_labels;
};

FaceAttributeModels::FaceAttributeModels(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaceAttributeModels::~FaceAttributeModels() = default;

int FaceAttributeResult::TopExpression() const {
  if (expression.empty()) return -1;
  return static_cast<int>(std::max_element(expression.begin(), expression.end()) - expression.begin());
}

Result<float> AgeFromBins(const std::vector<float>& bins) {
  if (bins.empty()) return Status(StatusCode::kInvalidArgument, "no age bins");
  const size_t k = static_cast<size_t>(std::max_element(bins.begin(), bins.end()) - bins.begin());
  const float below = k > 0 ? bins[k - 1] : 0.f;
  const float above = k + 1 < bins.size() ? bins[k + 1] : 0.f;
  const float age = below > above ? static_cast<float>(k) - 10.f * below : static_cast<float>(k) + 10.f * above;
  return std::round(age * 10.f) / 10.f;
}

// The model for `role`: the one named `name` ("none" = no model; it must
// have a role under `role`), or the role's own when `name` is empty.
static Result<const runtime::ManifestModel*> Pick(const runtime::ModelManifest& manifest, const std::string& role,
                                           const std::string& name) {
  if (name.empty()) return manifest.FindRole(role);
  if (name == "none") return static_cast<const runtime::ManifestModel*>(nullptr);
  for (const runtime::ManifestModel& m : manifest.models) {
    if (m.name != name) continue;
    if (m.role != role && m.role.rfind(role + ".", 0) != 0) {
      return Status(StatusCode::kInvalidArgument, "model '" + name + "' has role " + m.role + ", not " + role);
    }
    return &m;
  }
  return Status(StatusCode::kNotFound, "the manifest has no model named '" + name + "'");
}

Result<std::unique_ptr<FaceAttributeModels>> FaceAttributeModels::Create(const FaceAttributeOptions& options) {
  FACEKIT_ASSIGN_OR_RETURN(runtime::ModelManifest manifest, runtime::ModelManifest::Load(options.models_dir));
  FACEKIT_ASSIGN_OR_RETURN(const runtime::ManifestModel* ag,
                           Pick(manifest, "attributes.age_gender", options.age_gender_model));
  FACEKIT_ASSIGN_OR_RETURN(const runtime::ManifestModel* ex,
                           Pick(manifest, "attributes.expression", options.expression_model));
  if (ag == nullptr && ex == nullptr) {
    return Status(StatusCode::kNotFound,
                  "the models folder has no model with role attributes.age_gender or attributes.expression");
  }
  runtime::DnnModel::SetThreads(options.num_threads);
  auto impl = std::make_unique<Impl>();
  if (ag != nullptr) {
    FACEKIT_ASSIGN_OR_RETURN(AttributeNet a, LoadNet(manifest, *ag, {"gender", "age"}, options.age_gender_crop_scale,
                                                     options.age_gender_input_size));
    impl->age_gender = std::move(a);
  }
  if (ex != nullptr) {
    FACEKIT_ASSIGN_OR_RETURN(AttributeNet a,
                             LoadNet(manifest, *ex, {"probabilities"}, options.expression_crop_scale, 0));
    if (ex->labels.empty()) return Bad(ex->name + " lacks labels");
    impl->expression_labels = ex->labels;
    impl->expression = std::move(a);
  }
  return std::unique_ptr<FaceAttributeModels>(new FaceAttributeModels(std::move(impl)));
}

Result<FaceAttributeResult> FaceAttributeModels::Run(const Image& image, const FaceBox& face,
                                                     const AttributeRequest& request) const {
  if (image.empty()) return Status(StatusCode::kImageEmpty, "empty image");
  if (!(face.width > 0 && face.height > 0)) return Status(StatusCode::kInvalidArgument, "empty face box");
  const FaceBox raster = FaceInRaster(image, face);
  FaceAttributeResult r;
  if (request.age_gender && impl_->age_gender) {
    AttributeNet& a = *impl_->age_gender;
    FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, a.net->Run(InputBlob(image, raster, a), a.outputs));
    // faceres: gender [1] sigmoid, age [100] bins; face-api: gender [2]
    // softmax (male first), age [1] in years.
    const size_t genders = out[0].total(), ages = out[1].total();
    if ((genders != 1 && genders != 2) || ages < 1) {
      return Status(StatusCode::kInternal, "age/gender model returned unexpected output shapes");
    }
    r.male_probability = out[0].ptr<float>()[0];
    if (ages == 1) {
      r.age = std::round(std::max(out[1].ptr<float>()[0], 0.f) * 10.f) / 10.f;
    } else {
      FACEKIT_ASSIGN_OR_RETURN(float age, AgeFromBins(Values(out[1])));
      r.age = age;
    }
  }
  if (request.expression && impl_->expression) {
    AttributeNet& a = *impl_->expression;
    FACEKIT_ASSIGN_OR_RETURN(std::vector<cv::Mat> out, a.net->Run(InputBlob(image, raster, a), a.outputs));
    if (out[0].total() != impl_->expression_labels.size()) {
      return Status(StatusCode::kInternal, "expression model returned " + std::to_string(out[0].total()) +
                                               " values for " + std::to_string(impl_->expression_labels.size()) +
                                               " labels");
    }
    r.expression = Values(out[0]);
  }
  return r;
}

bool FaceAttributeModels::has_age_gender() const { return impl_->age_gender.has_value(); }
bool FaceAttributeModels::has_expression() const { return impl_->expression.has_value(); }
const std::vector<std::string>& FaceAttributeModels::expression_labels() const { return impl_->expression_labels; }

std::vector<std::string> FaceAttributeModels::model_descriptions() const {
  std::vector<std::string> out;
  if (impl_->age_gender) out.push_back(impl_->age_gender->description);
  if (impl_->expression) out.push_back(impl_->expression->description);
  return out;
}

}  // namespace facekit
