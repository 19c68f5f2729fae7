#include "server/cloud_shapes.h"

#include <cmath>

namespace facekit::server {

nlohmann::json AnalyzeFaceJson(const service::AnalyzeFaceResponse& r, bool dense) {
  using nlohmann::json;
  json set = json::array();
  for (const service::AnalyzedFace& f : r.faces) {
    json face = json::object();
    if (dense) face = {{"X", f.rect.x}, {"Y", f.rect.y}, {"Width", f.rect.width}, {"Height", f.rect.height}};
    for (const ShapeGroup& g : f.groups) {
      json points = json::array();
      for (const Point2f& p : g.points) points.push_back({{"X", std::lround(p.x)}, {"Y", std::lround(p.y)}});
      face[std::string(g.name)] = std::move(points);
    }
    set.push_back(std::move(face));
  }
  return json{{"ImageWidth", r.image_width},
              {"ImageHeight", r.image_height},
              {dense ? "DenseFaceShapeSet" : "FaceShapeSet", std::move(set)},
              {"FaceModelVersion", r.face_model_version}};
}

}  // namespace facekit::server
