// facekit/face_choice.h - which face of a photo an operation takes.
//
// WHAT THIS REPRESENTS
//   Operations that need one face of a photo (compare, embed, enrol, search,
//   verify) choose it by a FaceChoice: the largest face (the cloud API's
//   rule), the face covering the photo's centre, a face by its position in
//   Detect's order (largest first, as `facekit detect` lists them), or "sole":
//   the largest face, refused when another face is nearly as large, so that a
//   photo of two people is not silently enrolled as one of them.
//
//   Two faces are "nearly as large" when the smaller box's side is at least
//   kAmbiguousSideRatio of the larger's: a bystander half as tall as the
//   subject is ambiguous, a face in the far background is not.
//
// THREAD SAFETY
//   Plain values and free functions.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "facekit/engine.h"
#include "facekit/status.h"

namespace facekit {

struct FaceChoice {
  /// kMostConfident: the detector's highest score (DetectFaceSimilarity's rule).
  enum class Rule { kLargest, kCentral, kIndex, kSole, kMostConfident };
  Rule rule = Rule::kLargest;
  int index = 0;  ///< with kIndex: 0-based position in Detect's order (largest first)
};

/// Side ratio at or above which a second face makes kSole refuse the photo.
inline constexpr float kAmbiguousSideRatio = 0.5f;

/// "largest", "central", "sole", "most-confident" or a 0-based index such as "1";
/// kInvalidArgument for anything else. The empty string is "largest".
Result<FaceChoice> ParseFaceChoice(std::string_view text);

/// "largest", "central", "sole", "most-confident" or the index as text.
std::string FaceChoiceName(const FaceChoice& choice);

/// The index into `faces` (Detect's order) of the chosen face. Errors:
/// kNoFace (no faces), kInvalidArgument (index past the last face),
/// kTooManyFaces (kSole and another face is nearly as large; the message
/// says how many and how to choose).
Result<int> ChooseFace(std::span<const FaceBox> faces, int image_width, int image_height, const FaceChoice& choice);

/// The box contains the image centre.
bool CoversCentre(const FaceBox& face, int image_width, int image_height);

/// Index of the largest face that covers the image centre, else of the
/// largest face; -1 when `faces` is empty.
int CentralFace(std::span<const FaceBox> faces, int image_width, int image_height);

/// Faces other than `chosen` whose box side is at least kAmbiguousSideRatio
/// of the chosen one's.
int NearlyAsLargeFaces(std::span<const FaceBox> faces, int chosen);

}  // namespace facekit
