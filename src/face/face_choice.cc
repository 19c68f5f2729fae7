#include "facekit/face_choice.h"

#include <algorithm>
#include <charconv>

namespace facekit {

Result<FaceChoice> ParseFaceChoice(std::string_view text) {
  FaceChoice c;
  if (text.empty() || text == "largest") return c;
  if (text == "central") {
    c.rule = FaceChoice::Rule::kCentral;
    return c;
  }
  if (text == "sole") {
    c.rule = FaceChoice::Rule::kSole;
    return c;
  }
  if (text == "most-confident") {
    c.rule = FaceChoice::Rule::kMostConfident;
    return c;
  }
  int index = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
  if (ec != std::errc() || end != text.data() + text.size() || index < 0) {
    return Status(StatusCode::kInvalidArgument,
                  "face choice '" + std::string(text) + "' is not largest, central, sole or a face index (0, 1, ...)");
  }
  c.rule = FaceChoice::Rule::kIndex;
  c.index = index;
  return c;
}

std::string FaceChoiceName(const FaceChoice& choice) {
  switch (choice.rule) {
    case FaceChoice::Rule::kLargest:
      return "largest";
    case FaceChoice::Rule::kCentral:
      return "central";
    case FaceChoice::Rule::kSole:
      return "sole";
    case FaceChoice::Rule::kMostConfident:
      return "most-confident";
    case FaceChoice::Rule::kIndex:
      break;
  }
  return std::to_string(choice.index);
}

bool CoversCentre(const FaceBox& f, int image_width, int image_height) {
  const float cx = static_cast<float>(image_width) * 0.5f, cy = static_cast<float>(image_height) * 0.5f;
  return cx >= f.x && cx <= f.x + f.width && cy >= f.y && cy <= f.y + f.height;
}

int CentralFace(std::span<const FaceBox> faces, int image_width, int image_height) {
  int best = -1;
  float best_area = -1.f;
  for (size_t i = 0; i < faces.size(); ++i) {
    const FaceBox& f = faces[i];
    const float area = f.width * f.height;
    if (CoversCentre(f, image_width, image_height) && area > best_area) {
      best_area = area;
      best = static_cast<int>(i);
    }
  }
  return best >= 0 ? best : LargestFace(faces);
}

int NearlyAsLargeFaces(std::span<const FaceBox> faces, int chosen) {
  if (chosen < 0 || static_cast<size_t>(chosen) >= faces.size()) return 0;
  const auto side = [](const FaceBox& f) { return std::max(f.width, f.height); };
  const float limit = kAmbiguousSideRatio * side(faces[static_cast<size_t>(chosen)]);
  int n = 0;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (static_cast<int>(i) != chosen && side(faces[i]) >= limit) ++n;
  }
  return n;
}

Result<int> ChooseFace(std::span<const FaceBox> faces, int image_width, int image_height, const FaceChoice& choice) {
  if (faces.empty()) return Status(StatusCode::kNoFace, "no face in the image");
  switch (choice.rule) {
    case FaceChoice::Rule::kLargest:
      return LargestFace(faces);
    case FaceChoice::Rule::kCentral:
      return CentralFace(faces, image_width, image_height);
    case FaceChoice::Rule::kIndex:
      if (choice.index < 0 || static_cast<size_t>(choice.index) >= faces.size()) {
        return Status(StatusCode::kInvalidArgument, "face " + std::to_string(choice.index) + " was asked for; the image has " +
                                                        std::to_string(faces.size()) + " face(s), numbered from 0, largest first");
      }
      return choice.index;
    case FaceChoice::Rule::kMostConfident: {
      const auto best = std::max_element(faces.begin(), faces.end(),
                                         [](const FaceBox& a, const FaceBox& b) { return a.score < b.score; });
      return static_cast<int>(best - faces.begin());
    }
    case FaceChoice::Rule::kSole:
      break;
  }
  const int largest = LargestFace(faces);
  if (const int others = NearlyAsLargeFaces(faces, largest); others > 0) {
    return Status(StatusCode::kTooManyFaces,
                  "the image holds " + std::to_string(faces.size()) + " faces, " + std::to_string(others + 1) +
                      " of them of similar size; say which one to use (largest, central, or its index 0.." +
                      std::to_string(faces.size() - 1) + " in `facekit detect` order)");
  }
  return largest;
}

}  // namespace facekit
