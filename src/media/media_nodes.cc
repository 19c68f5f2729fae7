#include "media/media_nodes.h"

#include "media/crop_node.h"
#include "media/json_lines_sink.h"
#include "media/video_source.h"
#include "media/video_writer_sink.h"
#include "media/webhook_sink.h"

namespace facekit::media {

namespace {

template <typename T>
Status RegisterOnce(pipeline::NodeRegistry& registry, const std::string& name) {
  if (registry.Find(name) != nullptr) return Status::Ok();
  return registry.Register<T>(name);
}

}  // namespace

Status RegisterMediaNodes(pipeline::NodeRegistry& registry) {
  FACEKIT_RETURN_IF_ERROR(RegisterOnce<VideoSource>(registry, "VideoSource"));
  FACEKIT_RETURN_IF_ERROR(RegisterOnce<JsonLinesSink>(registry, "JsonLinesSink"));
  FACEKIT_RETURN_IF_ERROR(RegisterOnce<VideoWriterSink>(registry, "VideoWriterSink"));
  FACEKIT_RETURN_IF_ERROR(RegisterOnce<CentreCropNode>(registry, "CentreCrop"));
  FACEKIT_RETURN_IF_ERROR(RegisterOnce<WebhookSink>(registry, "WebhookSink"));
  return Status::Ok();
}

}  // namespace facekit::media
