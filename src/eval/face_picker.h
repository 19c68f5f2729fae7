// face_picker.h - which face of a photo is "the" face, and what to do when
// the detector finds none (used by evaluation and batch tools).
#pragma once

#include <span>

#include "facekit/engine.h"
#include "facekit/face_choice.h"

namespace facekit::eval {

// CentralFace (facekit/face_choice.h) picks the labelled person of datasets
// such as LFW, which centre the subject in group photos.

/// A face box for the centred square of side `fraction` * short side, with
/// the embedder template's landmarks scaled into it: the fallback for
/// images in which nothing was detected.
FaceBox CentredFallbackFace(int image_width, int image_height, float fraction,
                            const std::vector<std::array<float, 2>>& template_112);

/// Fraction of the short side used for the centred fallback face.
inline constexpr float kFallbackFaceFraction = 0.45f;

/// How EmbedCentralFace chose its face.
struct FacePick {
  int faces = 0;               ///< faces detected in the image
  bool covers_centre = false;  ///< the chosen face covers the image centre (else: the largest face, or the fallback)
};

/// The evaluation protocol's face of a dataset photo: the CentralFace if one
/// is detected (*detected = true), else the CentredFallbackFace.
Result<FaceBox> CentralFaceOrFallback(const FaceEngine& engine, const Image& image, bool* detected,
                                      FacePick* pick = nullptr);

/// The evaluation protocol's embedding of a dataset photo: the CentralFace
/// if one is detected (*detected = true), else the CentredFallbackFace.
/// `pick`, when given, receives the face count and whether the choice
/// covered the centre.
Result<Embedding> EmbedCentralFace(const FaceEngine& engine, const Image& image, const EmbedOptions& options,
                                   bool* detected, FacePick* pick = nullptr);

}  // namespace facekit::eval
