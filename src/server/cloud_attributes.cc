#include "server/cloud_attributes.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace facekit::server {

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 17> kTypes = {"none",      "age",  "beauty", "emotion",  "eye",  "eyebrow",
                                                     "gender",    "hair", "hat",    "headpose", "mask", "mouth",
                                                     "moustache", "nose", "shape",  "skin",     "smile"};

// The cloud's Emotion types by index, and the expression model's label for each.
constexpr std::array<std::string_view, 7> kEmotionTypes = {"neutral", "happy",   "surprise", "angry",
                                                           "sad",     "disgust", "fear"};

long Round(float v) { return std::lround(static_cast<double>(v)); }

json Pose(const service::FaceAttributesInfo& a) {
  return {{"Pitch", Round(a.pitch)}, {"Yaw", Round(a.yaw)}, {"Roll", Round(a.roll)}};
}

double Probability(float p) { return std::round(static_cast<double>(p) * 1000.0) / 1000.0; }

}  // namespace

json FaceAttributesInfoJson(const service::FaceAttributesInfo& a) {
  json j = Pose(a);
  if (a.male_probability) j["Gender"] = std::clamp(Round(100.f * *a.male_probability), 0L, 100L);
  if (a.age) j["Age"] = std::clamp(Round(*a.age), 0L, 100L);
  if (auto happy = a.Expression("happy")) j["Expression"] = std::clamp(Round(100.f * *happy), 0L, 100L);
  if (a.eyes_open) j["EyeOpen"] = *a.eyes_open;
  return j;
}

service::ApiResult<std::set<std::string>> ParseFaceAttributesType(std::string_view text) {
  std::set<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string name(text.substr(start, end - start));
    name.erase(std::remove_if(name.begin(), name.end(), [](unsigned char ch) { return std::isspace(ch) != 0; }),
               name.end());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (!name.empty()) {
      if (std::find(kTypes.begin(), kTypes.end(), name) == kTypes.end()) {
        return service::ApiError{"InvalidParameterValue",
                                 "FaceAttributesType: '" + name +
                                     "' is not one of None, Age, Beauty, Emotion, Eye, Eyebrow, Gender, Hair, Hat, "
                                     "Headpose, Mask, Mouth, Moustache, Nose, Shape, Skin, Smile"};
      }
      if (name != "none") out.insert(name);
    }
    start = end + 1;
  }
  return out;
}

service::AttributeSelection SelectionFor(const std::set<std::string>& types) {
  service::AttributeSelection s;
  s.age_gender = types.count("age") || types.count("gender");
  s.expression = types.count("emotion") || types.count("smile");
  s.eyes = types.count("eye") > 0;
  return s;
}

json FaceDetailAttributesJson(const service::FaceAttributesInfo& a, const std::set<std::string>& types) {
  json j = json::object();
  if (types.count("age") && a.age) j["Age"] = std::clamp(Round(*a.age), 0L, 65L);
  if (types.count("gender") && a.male_probability) {
    const float male = *a.male_probability;
    const bool is_male = male >= 0.5f;
    j["Gender"] = {{"Type", is_male ? 0 : 1}, {"Probability", Probability(is_male ? male : 1.f - male)}};
  }
  if (types.count("emotion") && !a.expression.empty()) {
    int best = -1;
    float best_p = -1.f;
    for (std::size_t t = 0; t < kEmotionTypes.size(); ++t) {
      const auto p = a.Expression(kEmotionTypes[t]);
      if (p && *p > best_p) {
        best = static_cast<int>(t);
        best_p = *p;
      }
    }
    if (best >= 0) j["Emotion"] = {{"Type", best}, {"Probability", Probability(best_p)}};
  }
  if (types.count("smile")) {
    if (auto happy = a.Expression("happy")) j["Smile"] = std::clamp(Round(100.f * *happy), 0L, 100L);
  }
  if (types.count("headpose")) j["HeadPose"] = Pose(a);
  if (types.count("eye") && a.eyes_open) j["Eye"] = {{"EyeOpen", {{"Type", *a.eyes_open ? 0 : 1}}}};
  return j;
}

}  // namespace facekit::server
