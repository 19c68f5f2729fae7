#include "eval/face_picker.h"

#include <algorithm>

#include "facekit/face_choice.h"

namespace facekit::eval {

FaceBox CentredFallbackFace(int image_width, int image_height, float fraction,
                            const std::vector<std::array<float, 2>>& template_112) {
  float side = fraction * static_cast<float>(std::min(image_width, image_height));
  FaceBox f;
  f.x = (static_cast<float>(image_width) - side) * 0.5f;
  f.y = (static_cast<float>(image_height) - side) * 0.5f;
  f.width = f.height = side;
  f.score = 0.f;
  for (size_t i = 0; i < 5 && i < template_112.size(); ++i) {
    f.landmarks[i] = {f.x + template_112[i][0] / 112.f * side, f.y + template_112[i][1] / 112.f * side};
  }
  return f;
}

Result<FaceBox> CentralFaceOrFallback(const FaceEngine& engine, const Image& image, bool* detected, FacePick* pick) {
  FACEKIT_ASSIGN_OR_RETURN(std::vector<FaceBox> faces, engine.Detect(image));
  // Face boxes are in original pixels (the raster may be a reduced decode).
  const int w = image.original_width(), h = image.original_height();
  int idx = CentralFace(faces, w, h);
  *detected = idx >= 0;
  if (pick != nullptr) {
    pick->faces = static_cast<int>(faces.size());
    pick->covers_centre = idx >= 0 && CoversCentre(faces[static_cast<size_t>(idx)], w, h);
  }
  return idx >= 0 ? faces[static_cast<size_t>(idx)]
                  : CentredFallbackFace(w, h, kFallbackFaceFraction, engine.alignment_template());
}

Result<Embedding> EmbedCentralFace(const FaceEngine& engine, const Image& image, const EmbedOptions& options,
                                   bool* detected, FacePick* pick) {
  FACEKIT_ASSIGN_OR_RETURN(FaceBox face, CentralFaceOrFallback(engine, image, detected, pick));
  return engine.EmbedFace(image, face, options);
}

}  // namespace facekit::eval
