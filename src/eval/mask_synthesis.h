// mask_synthesis.h - a drawn face mask over the lower face, for measuring
// what the embedder does with masked faces (docs/masked-faces.md).
//
// WHAT THIS REPRESENTS
//   MaskPolygon is the outline of a mask from a face mesh: from the face's
//   sides at the height of the nose bridge (mesh points 234 and 454) over
//   the nose bridge (197), then down the silhouette over the chin (152).
//   DrawSyntheticMask fills it with one of a few mask colours (surgical
//   blue, white, black, grey), a soft vertical shading and pleats, chosen
//   by `rng`: the same seed draws the same mask.
//
// THREAD SAFETY
//   Pure functions (the image and rng are the caller's).
#pragma once

#include <random>
#include <vector>

#include "facekit/engine.h"
#include "facekit/face_mesh.h"
#include "facekit/image.h"
#include "facekit/status.h"

namespace facekit::eval {

/// The mask's outline in the image's original pixels (kInvalidArgument for
/// a mesh without FaceMeshResult::kPoints points).
Result<std::vector<Point2f>> MaskPolygon(const FaceMeshResult& mesh);

/// Draws the mask of `mesh` on `image` (in place).
Status DrawSyntheticMask(Image& image, const FaceMeshResult& mesh, std::mt19937& rng);

}  // namespace facekit::eval
