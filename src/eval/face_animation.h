// eval/face_animation.h - synthetic face motion for test videos: eyelids
// closed and the head turned, painted into a real photo from its face mesh.
//
// WHAT THIS REPRESENTS
//   Two image operations that make a still photo of a face look like frames
//   of a live person. They are synthetic: no real blink or head turn is
//   recorded; docs/liveness-video.md says how they look and what that means
//   for the measured figures.
//
//   CloseEyelids: per eye, in the eye's own frame (u along the corner-to-
//   corner axis, v across it), the upper lid's contour vU(u) and the lower
//   lid's vL(u) are read from the mesh (MediaPipe indices: the person's
//   right eye 33-246-161-160-159-158-157-173-133 above, 33-7-163-144-145-
//   153-154-155-133 below; the left eye 263-466-388-387-386-385-384-398-362
//   and 263-249-390-373-374-380-381-382-362). The band of upper-lid skin of
//   height h (1.2 x the eye's largest opening) above vU is stretched down
//   so that the lash line moves from vU to vU + t (vL - vU): at t = 1 the
//   lid skin covers the eye to the lower lid. Only pixels of the photo are
//   moved; none are invented.
//
//   TurnHead: the 468 mesh points (with their depth) are rotated about a
//   vertical axis behind the face (at the mean depth plus half the face
//   width) and projected orthographically; the photo is warped triangle by
//   triangle (Delaunay triangles of the mesh points and 12 fixed points on
//   a rectangle twice the face's size), the farthest triangles first, so the
//   near side covers the far one. Hair, ears and background stretch.
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <opencv2/core.hpp>
#include <span>

#include "facekit/face_mesh.h"

namespace facekit::eval {

/// Closes both eyes of `bgr` (in place) by fraction t in [0, 1] (0 = as is,
/// 1 = shut), using `mesh` (468 points in bgr's pixels).
void CloseEyelids(cv::Mat& bgr, std::span<const Point3f> mesh, float t);

/// `bgr` with the face turned by `yaw_deg` (> 0: to the person's left, the
/// nose moving right in the image; the sign of MeshPose::yaw).
cv::Mat TurnHead(const cv::Mat& bgr, std::span<const Point3f> mesh, float yaw_deg);

}  // namespace facekit::eval
