#include "cli/face_shape_output.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "image/image_internal.h"

namespace facekit::cli {

nlohmann::json ShapeJson(const std::vector<ShapeGroup>& shape) {
  nlohmann::json out = nlohmann::json::object();
  for (const ShapeGroup& g : shape) {
    nlohmann::json pts = nlohmann::json::array();
    for (const Point2f& p : g.points) pts.push_back({p.x, p.y});
    out[std::string(g.name)] = std::move(pts);
  }
  return out;
}

namespace {

// Closed contours versus open lines.
bool Closed(std::string_view name) {
  return name.find("Eye") != std::string_view::npos || name.find("Mouth") != std::string_view::npos;
}

// The separate lines of a group (face_shape.cc): AnalyzeFace's Mouth is the
// outer then the inner lip line, its Nose the bridge then the base; the
// dense Nose is the midline, then each wing.
struct Segment {
  std::size_t begin, end;
};
std::vector<Segment> Segments(std::string_view name, std::size_t n) {
  if (name == "Mouth" && n == 22) return {{0, 14}, {14, 22}};
  if (name == "Nose" && n == 13) return {{0, 6}, {6, 13}};
  if (name == "Nose" && n == 18) return {{0, 10}, {10, 14}, {14, 18}};
  return {{0, n}};
}

cv::Scalar Colour(std::size_t i) {
  static const cv::Scalar kColours[] = {{255, 255, 0}, {0, 255, 0},   {0, 200, 255}, {255, 0, 255}, {0, 0, 255},
                                        {255, 128, 0}, {128, 0, 255}, {0, 255, 255}, {255, 255, 255},
                                        {128, 255, 128}, {255, 128, 128}, {128, 128, 255}, {200, 200, 0},
                                        {0, 128, 255}};
  return kColours[i % std::size(kColours)];
}

}  // namespace

Status DrawShapes(const Image& image, const std::vector<FaceBox>& faces,
                  const std::vector<std::vector<ShapeGroup>>& shapes, const std::string& path) {
  Image canvas = image;
  cv::Mat m = AsMat(canvas);
  const float sx = static_cast<float>(1.0 / image.scale_x()), sy = static_cast<float>(1.0 / image.scale_y());
  const int thick = std::max(1, std::max(m.cols, m.rows) / 600);
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const FaceBox r = FaceInRaster(image, faces[f]);
    cv::rectangle(m, cv::Rect2f(r.x, r.y, r.width, r.height), cv::Scalar(0, 160, 0), thick, cv::LINE_AA);
    if (f >= shapes.size()) continue;
    for (std::size_t gi = 0; gi < shapes[f].size(); ++gi) {
      const ShapeGroup& g = shapes[f][gi];
      std::vector<cv::Point> pts;
      for (const Point2f& p : g.points) pts.emplace_back(cvRound(p.x * sx * 16), cvRound(p.y * sy * 16));
      const cv::Scalar c = Colour(gi);
      for (const Segment& seg : Segments(g.name, pts.size())) {
        const std::vector<cv::Point> line(pts.begin() + static_cast<std::ptrdiff_t>(seg.begin),
                                          pts.begin() + static_cast<std::ptrdiff_t>(seg.end));
        if (line.size() > 1) cv::polylines(m, line, Closed(g.name), c, thick, cv::LINE_AA, 4);
      }
      const int radius = pts.size() == 1 || pts.size() == 5 ? thick * 3 : thick + 1;
      for (const cv::Point& p : pts) cv::circle(m, p, radius * 16, c, thick, cv::LINE_AA, 4);
    }
  }
  return SaveImageFile(canvas, path);
}

}  // namespace facekit::cli
