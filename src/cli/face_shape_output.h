// The cloud face contours (facekit/face_shape.h) as the CLI prints and draws
// them: `facekit detect --landmarks dense` and `facekit eval landmarks`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "facekit/engine.h"
#include "facekit/face_shape.h"
#include "facekit/image.h"

namespace facekit::cli {

/// {"FaceProfile": [[x, y], ...], "LeftEye": [...], ...}
nlohmann::json ShapeJson(const std::vector<ShapeGroup>& shape);

/// Draws each group of each face in its own colour (contours as lines,
/// one-point groups as rings) over the face box; `shapes[i]` belongs to
/// `faces[i]` and may be empty. Coordinates are the photo's own pixels.
Status DrawShapes(const Image& image, const std::vector<FaceBox>& faces,
                  const std::vector<std::vector<ShapeGroup>>& shapes, const std::string& path);

}  // namespace facekit::cli
