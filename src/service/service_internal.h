// Shared by the FaceService operation files (service_*.cc): the cloud API's
// error codes and result codes, and the parameter checks every family of
// operations applies. Not part of the service's interface.
#pragma once

#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "service/face_service.h"

namespace facekit::service {

struct FaceService::IdSource {
  std::mutex mu;
  std::mt19937_64 rng{std::random_device{}()};
};

// The thread of the face-model-version jobs (service_model_jobs.cc).
struct FaceService::JobThread {
  std::mutex mu;  // guards the members below
  std::condition_variable cv;
  bool wake = false;
  bool running = false;
  bool stop = false;
  ModelJobHook hook;
  std::thread thread;
};

}  // namespace facekit::service

namespace facekit::service::internal {

namespace code {
inline constexpr const char* kMissing = "MissingParameter.ErrorParameterEmpty";
inline constexpr const char* kInvalid = "InvalidParameterValue";
inline constexpr const char* kInternal = "InternalError";
// A cluster node could not reach every shard of the searched groups
// (docs/scale-out.md: not in the cloud API's list; its nearest,
// FailedOperation.RequestTimeout, would hide refusals and dead nodes).
inline constexpr const char* kShardsUnavailable = "FailedOperation.ShardsUnavailable";
// The caller's deadline cut a sharded search short (gRPC DEADLINE_EXCEEDED, HTTP 504).
inline constexpr const char* kRequestTimeout = "FailedOperation.RequestTimeout";
inline constexpr const char* kGroupIdIllegal = "InvalidParameterValue.GroupIdIllegal";
inline constexpr const char* kGroupIdTooLong = "InvalidParameterValue.GroupIdTooLong";
inline constexpr const char* kGroupIdExists = "InvalidParameterValue.GroupIdAlreadyExist";
inline constexpr const char* kGroupIdNotExist = "InvalidParameterValue.GroupIdNotExist";
inline constexpr const char* kGroupIdsExceed = "InvalidParameterValue.GroupIdsExceed";
inline constexpr const char* kGroupNameExists = "InvalidParameterValue.GroupNameAlreadyExist";
inline constexpr const char* kGroupNameIllegal = "InvalidParameterValue.GroupNameIllegal";
inline constexpr const char* kGroupNameTooLong = "InvalidParameterValue.GroupNameTooLong";
inline constexpr const char* kGroupNumExceed = "InvalidParameterValue.GroupNumExceed";
inline constexpr const char* kGroupNumPerPersonExceed = "InvalidParameterValue.GroupNumPerPersonExceed";
inline constexpr const char* kGroupTagIllegal = "InvalidParameterValue.GroupTagIllegal";
inline constexpr const char* kGroupTagTooLong = "InvalidParameterValue.GroupTagTooLong";
inline constexpr const char* kGroupExExceed = "InvalidParameterValue.GroupExDescriptionsExceed";
inline constexpr const char* kGroupExIdentical = "InvalidParameterValue.GroupExDescriptionsNameIdentical";
inline constexpr const char* kGroupExIllegal = "InvalidParameterValue.GroupExDescriptionsNameIllegal";
inline constexpr const char* kGroupExTooLong = "InvalidParameterValue.GroupExDescriptionsNameTooLong";
inline constexpr const char* kGroupFaceNumExceed = "InvalidParameterValue.GroupFaceNumExceed";
inline constexpr const char* kModelVersionIllegal = "InvalidParameterValue.FaceModelVersionIllegal";
inline constexpr const char* kPersonIdIllegal = "InvalidParameterValue.PersonIdIllegal";
inline constexpr const char* kPersonIdTooLong = "InvalidParameterValue.PersonIdTooLong";
inline constexpr const char* kPersonIdExists = "InvalidParameterValue.PersonIdAlreadyExist";
inline constexpr const char* kPersonIdNotExist = "InvalidParameterValue.PersonIdNotExist";
inline constexpr const char* kFaceIdNotExist = "InvalidParameterValue.FaceIdNotExist";  // FaceKit's: GetFaceCrop
inline constexpr const char* kFaceCropNotExist = "ResourceNotFound.FaceCropNotExist";  // FaceKit's: GetFaceCrop
inline constexpr const char* kPersonNameIllegal = "InvalidParameterValue.PersonNameIllegal";
inline constexpr const char* kPersonNameTooLong = "InvalidParameterValue.PersonNameTooLong";
inline constexpr const char* kGenderIllegal = "InvalidParameterValue.PersonGenderIllegal";
inline constexpr const char* kPersonExExceed = "InvalidParameterValue.PersonExDescriptionInfosExceed";
inline constexpr const char* kPersonExIdentical = "InvalidParameterValue.PersonExDescriptionsNameIdentical";
inline constexpr const char* kPersonExIllegal = "InvalidParameterValue.PersonExDescriptionsNameIllegal";
inline constexpr const char* kPersonExTooLong = "InvalidParameterValue.PersonExDescriptionsNameTooLong";
inline constexpr const char* kPersonFaceNumExceed = "InvalidParameterValue.PersonFaceNumExceed";
inline constexpr const char* kDeleteFaceNumExceed = "InvalidParameterValue.DeleteFaceNumExceed";
inline constexpr const char* kUploadFaceNumExceed = "InvalidParameterValue.UploadFaceNumExceed";
inline constexpr const char* kThresholdIllegal = "InvalidParameterValue.FaceMatchThresholdIllegal";
inline constexpr const char* kQualityIllegal = "InvalidParameterValue.QualityControlIllegal";
inline constexpr const char* kUniqueIllegal = "InvalidParameterValue.UniquePersonControlIllegal";
inline constexpr const char* kLimitExceed = "InvalidParameterValue.LimitExceed";
inline constexpr const char* kOffsetExceed = "InvalidParameterValue.OffsetExceed";
inline constexpr const char* kNoFaceInGroups = "InvalidParameterValue.NoFaceInGroups";
inline constexpr const char* kSearchPersonsExceed = "InvalidParameterValue.SearchPersonsExceed";
inline constexpr const char* kSearchFacesExceed = "FailedOperation.SearchFacesExceed";
inline constexpr const char* kPersonInGroup = "FailedOperation.GroupPersonMapExist";
inline constexpr const char* kPersonNotInGroup = "FailedOperation.GroupPersonMapNotExist";
inline constexpr const char* kQualityNotQualified = "FailedOperation.FaceQualityNotQualified";
inline constexpr const char* kFaceSizeTooSmall = "FailedOperation.FaceSizeTooSmall";
// Face model versions (docs/gallery.md#face-model-versions).
inline constexpr const char* kUnsupported = "UnsupportedOperation";
inline constexpr const char* kJobNotFound = "ResourceNotFound";
inline constexpr const char* kGroupLostFaces = "FailedOperation.GroupLostFaces";
// FaceKit's own (face choices the cloud API does not have).
inline constexpr const char* kFaceAmbiguous = "FailedOperation.FaceAmbiguous";
inline constexpr const char* kFaceIndexExceed = "InvalidParameterValue.FaceIndexExceed";
inline constexpr const char* kObjectClassIllegal = "InvalidParameterValue.ObjectClassIllegal";
}  // namespace code

// CreateFace's per-image result codes.
inline constexpr int kRetNoFace = -1101;
inline constexpr int kRetDecodeFailed = -1102;
inline constexpr int kRetAmbiguous = -1103;  // FaceKit's: several faces of similar size with face choice "sole"
inline constexpr int kRetQuality = -1601;
inline constexpr int kRetMismatch = -1604;

inline ApiError Err(const char* c, std::string message) { return ApiError{c, std::move(message)}; }

// A store failure as the cloud API's error.
ApiError StoreError(const Status& s);
// A sharded search's failure (SearchRouter): FailedOperation.ShardsUnavailable
// naming the shards, RequestTimeout for the caller's deadline, else ServerError.
ApiError RouterError(const Status& s);
// GroupId / PersonId: 1..64 bytes of letters, digits and -%@#&_.
std::optional<ApiError> CheckId(const std::string& id, bool group);
// A name field: 1..max_chars characters (letters of any script, digits, '-', '_', '.', space).
std::optional<ApiError> CheckName(const std::string& v, const char* field, long max_chars, const char* too_long,
                                  const char* illegal, bool required = true);
// A person's descriptions in a group with `group_fields` description fields.
std::optional<ApiError> CheckPersonEx(const std::vector<ExDescription>& ex, std::size_t group_fields);
// Offset/Limit of a listing.
std::optional<ApiError> CheckWindow(std::int64_t offset, std::int64_t limit);
// [begin, end) of the page at `offset` of `limit` items out of `total`.
std::pair<std::size_t, std::size_t> Window(std::size_t total, std::int64_t offset, std::int64_t limit);
// A face box rounded to whole pixels.
Rect ToRect(const FaceBox& b);
// The person's description values in group `g`, one per field of the group.
std::vector<std::string> ExValues(const gallery::GroupState& g, const store::MembershipRecord& m);

}  // namespace facekit::service::internal
