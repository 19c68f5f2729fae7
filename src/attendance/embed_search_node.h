// attendance/embed_search_node.h - "EmbedSearch": who is each tracked face.
//
// Input "faces": Faces; output "faces": Faces with person_id / person_name /
// score set for recognised faces. A track is searched when it is new or due a
// re-check (tracker), and while unrecognised every retry_ms; in between it
// keeps its last result. Faces judged not live are not searched.
// The search is the gallery folder's SearchPersons (read-only use of a
// FaceKit data folder, service::OpenFaceService) on a crop around the face.
// Options: gallery (data folder, required), group (group id, required),
// threshold (70: minimum 0-100 search score; 70/80/90 = 1:N false alarm 1%,
// 0.1%, 0.01% against 10,000 faces), retry_ms (300), crop_margin (0.6).
// Identities of tracks unseen for 60 s of stream time are forgotten.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "attendance/engine_provider.h"
#include "attendance/faces.h"
#include "pipeline/node.h"
#include "service/face_service.h"

namespace facekit::attendance {

class EmbedSearchNode final : public pipeline::Node {
 public:
  explicit EmbedSearchNode(std::shared_ptr<EngineProvider> engines) : engines_(std::move(engines)) {}
  ~EmbedSearchNode() override;
  static pipeline::Contract GetContract() { return pipeline::Contract().Input<Faces>("faces").Output<Faces>("faces"); }
  Status Open(pipeline::NodeContext& ctx) override;
  Status Process(pipeline::NodeContext& ctx) override;

 private:
  struct Identity {
    std::string person_id, person_name;
    float score = 0;
    std::int64_t checked_ms = 0;
    std::int64_t seen_ms = 0;
  };
  Status Search(const media::Frame& frame, const FaceBox& box, Identity* id) const;

  std::shared_ptr<EngineProvider> engines_;
  std::shared_ptr<const FaceEngine> engine_;
  std::unique_ptr<service::FaceService> service_;
  std::string group_;
  double threshold_ = 70;
  std::int64_t retry_ms_ = 300;
  double margin_ = 0.6;
  std::map<int, Identity> identities_;  // by track id
};

}  // namespace facekit::attendance
