// The face-recognition service: every group, person, face, search and
// verification operation with the cloud API's validation, limits and error
// codes (../docs/gallery.md lists them), independent of any transport. The
// server translates requests into these calls and ApiError into its envelope.
//
// Images arrive as encoded bytes (the transport decodes base64 or downloads a
// URL). Each operation that takes an image detects faces and embeds the
// largest one (the cloud API's rule), or the one its FaceChoice names (a
// FaceKit extension: central, by index, or "sole", which refuses a photo
// of several people), or, for searches, up to MaxFaceNum of them.
//
// Thread safety: every method may be called concurrently; writes are
// serialised by the gallery, searches run in parallel with them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "facekit/engine.h"
#include "facekit/face_attributes.h"
#include "facekit/face_choice.h"
#include "facekit/face_mesh.h"
#include "facekit/face_shape.h"
#include "facekit/image.h"
#include "facekit/liveness_judge.h"
#include "facekit/objects.h"
#include "gallery/gallery.h"
#include "service/sharded_search.h"

namespace facekit::service {

// A cloud-API error: code such as "InvalidParameterValue.PersonIdNotExist"
// and an English message.
struct ApiError {
  std::string code;
  std::string message;
};

template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  ApiResult(ApiError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return value_.has_value(); }
  const ApiError& error() const { return error_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  ApiError error_;
};

struct Empty {};

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
};

struct ServiceOptions {
  // Model version the cloud API reports; FaceKit's scores follow its 3.0 semantics.
  std::string face_model_version = "3.0";
  // Every image is decoded with these: the pixel budget and the working
  // resolution (face rects are in original pixels regardless). The cloud
  // endpoint checks the cloud API's own limits before calling the service.
  ImageLimits image_limits;
  std::size_t max_groups = 100000;
  std::size_t max_faces_per_person = 5;
  std::size_t max_groups_per_person = 100;
  std::size_t max_images_per_call = 4;
  std::size_t max_search_groups = 100;
  std::size_t max_faces_per_group = 3000000;
  // Read-your-writes on nodes of one database (AwaitChangePosition): the
  // longest a request waits for this node to reach the position it asked for.
  int min_seq_wait_ms = 2000;
  // The 1:1 decision rule of VerifyFace / VerifyPerson (IsMatch) and
  // CompareFace: same person at or above this score. 0 = the engine's
  // match_rule() (60, the cloud API's fixed IsMatch threshold).
  float verify_match_score = 0;
  // CompareMaskFace's IsMatch-style rule (not in the cloud API's answer,
  // reported by REST/gRPC): 0 = verify_match_score. docs/masked-faces.md.
  float mask_match_score = 0;
  // UniquePersonControl levels 1..4: refuse when the best existing face scores
  // at least this much (1:1 scale; 40/50/60 = FAR 1e-3/1e-4/1e-5).
  float unique_person_scores[4] = {30, 40, 50, 60};
  // Attributes (docs/attributes.md): the attribute models and the face mesh
  // run on at most this many faces of an image, the largest (the cloud API's
  // "attributes of the 5 largest faces"); the others get the head pose only.
  std::size_t max_attribute_faces = 5;
  // Both eyes count as open when the smaller eye aspect ratio of the face
  // mesh is at least this (chosen in docs/attributes.md).
  float eyes_open_threshold = kEyesOpenMinRatio;
  // Enrolment (CreatePerson, CreateFace): a QualityControl at or above this
  // level also refuses faces whose eyes are closed, when the service has a
  // face mesh (SetAttributeModels); 0 = never.
  int eyes_open_quality_control = 3;
  // Milliseconds since the epoch (injectable for tests).
  std::function<std::int64_t()> now_ms;
};

// ---- groups ----
struct CreateGroupRequest {
  std::string group_id, group_name, tag, face_model_version;
  std::vector<std::string> group_ex_descriptions;
};
struct CreateGroupResponse {
  std::string face_model_version;
};
struct GroupInfo {
  std::string group_id, group_name, tag, face_model_version;
  std::vector<std::string> group_ex_descriptions;
  std::int64_t creation_timestamp = 0;
};
struct GetGroupListResponse {
  std::vector<GroupInfo> group_infos;
  std::size_t group_num = 0;
};
struct ModifyGroupRequest {
  std::string group_id;
  std::optional<std::string> group_name, tag;
  std::vector<std::pair<int, std::string>> group_ex_descriptions_infos;  // (index, new name)
};

// ---- persons ----
struct ExDescription {
  int index = 0;
  std::string description;
};
struct CreatePersonRequest {
  std::string group_id, person_name, person_id;
  int gender = 0;
  std::vector<ExDescription> person_ex_descriptions;
  std::vector<std::uint8_t> image;
  int unique_person_control = 0;
  int quality_control = 0;
  std::string source;  // recorded with the face (CLI enrolment), may be empty
  FaceChoice face_choice;  // which face of the image (default: the largest)
};
struct CreatePersonResponse {
  std::string face_id;
  Rect face_rect;
  int faces_in_photo = 0;  // faces of at least the minimum size in the image
  std::string similar_person_id;  // set (and nothing created) when UniquePersonControl refused
  std::string face_model_version;
};
struct PersonInfo {
  std::string person_name, person_id;
  int gender = 0;
  std::vector<std::string> person_ex_descriptions;
  std::vector<std::string> face_ids;
  std::int64_t creation_timestamp = 0;
};
struct GetPersonListResponse {
  std::vector<PersonInfo> person_infos;
  std::size_t person_num = 0, face_num = 0;
  std::string face_model_version;
};
struct PersonBaseInfo {
  std::string person_name;
  int gender = 0;
  std::vector<std::string> face_ids;
  std::vector<std::string> face_sources;  // parallel to face_ids ("" when none was recorded)
};
struct PersonGroupInfo {
  std::string group_id;
  std::vector<std::string> person_ex_descriptions;
};
struct GetPersonGroupInfoResponse {
  std::vector<PersonGroupInfo> person_group_infos;
  std::size_t group_num = 0;
  std::string face_model_version;
};
struct ModifyPersonBaseInfoRequest {
  std::string person_id;
  std::optional<std::string> person_name;
  std::optional<int> gender;
};
struct ModifyPersonGroupInfoRequest {
  std::string group_id, person_id;
  std::vector<ExDescription> person_ex_descriptions;
};
struct CopyPersonResponse {
  std::size_t suc_group_num = 0;
  std::vector<std::string> suc_group_ids;
};

// ---- faces ----
struct CreateFaceRequest {
  std::string person_id;
  std::vector<std::vector<std::uint8_t>> images;
  float face_match_threshold = 60;
  int quality_control = 0;
  std::vector<std::string> sources;  // optional, per image
  FaceChoice face_choice;             // which face of each image (default: the largest)
};
struct CreateFaceResponse {
  std::size_t suc_face_num = 0;
  std::vector<std::string> suc_face_ids;
  // per image: 0, -1101 no face, -1102 decode failed, -1103 several faces of
  // similar size (face_choice "sole" only), -1601 quality, -1604 mismatch
  std::vector<int> ret_code;
  std::vector<int> faces_in_photo;  // per image (0 when it did not decode)
  std::vector<std::size_t> suc_indexes;
  std::vector<Rect> suc_face_rects;
  std::string face_model_version;
};
struct DeleteFaceResponse {
  std::size_t suc_deleted_num = 0;
  std::vector<std::string> suc_face_ids;
};

// ---- search and verification ----
struct SearchRequest {
  std::vector<std::string> group_ids;
  std::vector<std::uint8_t> image;
  int max_face_num = 1;
  int min_face_size = 34;
  int max_person_num = 5;
  bool need_person_info = false;
  float face_match_threshold = 0;
  int quality_control = 0;
  FaceChoice face_choice;  // with max_face_num 1: the face searched (default: the largest)
  // Cluster nodes (docs/scale-out.md): answer without the shards that did
  // not answer (listed in SearchResponse::missing_shards) instead of failing
  // with FailedOperation.ShardsUnavailable. REST and gRPC only.
  bool allow_partial = false;
  // The caller's deadline (gRPC, or REST's Grpc-Timeout header): a sharded
  // search cut short by it fails with FailedOperation.RequestTimeout.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Read-your-writes (docs/scale-out.md): a change-log position the caller
  // was given (0: none). The transport has this node reach it first
  // (AwaitChangePosition); a sharded search asks the shards' owners for it too.
  std::int64_t min_seq = 0;
};
struct Candidate {
  std::string person_id, face_id;  // face_id empty for person searches
  float score = 0;
  float similarity = 0;  // raw cosine, for callers that calibrate themselves
  std::string group_id;  // a group where the match was found
  std::optional<std::string> person_name;
  std::optional<int> gender;
  std::vector<PersonGroupInfo> person_group_infos;  // with need_person_info
};
struct GroupCandidates {
  std::string group_id;
  std::vector<Candidate> candidates;
};
struct SearchResult {
  std::vector<Candidate> candidates;
  std::vector<GroupCandidates> by_group;  // ReturnsByGroup variants
  Rect face_rect;
  int ret_code = 0;  // 0, or -1601 when QualityControl rejected this face
};
struct SearchResponse {
  std::vector<SearchResult> results;  // one per face searched in the image
  std::size_t face_num = 0;           // faces held by the searched groups
  std::size_t person_num = 0;  // persons searched (SearchPersons)
  std::string face_model_version;
  std::size_t faces_in_photo = 0;  // faces of at least min_face_size in the image
  // Shards ("GROUP/SHARD") left out of a partial answer (allow_partial).
  std::vector<std::string> missing_shards;
};
struct VerifyResponse {
  float score = 0;
  bool is_match = false;  // score >= match_score
  std::string face_model_version;
  float match_score = 0;  // the decision rule applied
};
struct FaceQualityInfo {
  int score = 0;       // 25 x the QualityControl level reached (0..4): 0, 25, 50, 75, 100
  int sharpness = 0;   // 0..100: 100 * min(1, variance of Laplacian / 160); 50 = level 4's minimum
  int brightness = 0;  // 0..100: mean grey of the face core * 100 / 255
  int level = 0;       // the QualityControl level (0..4) the face passes
};
// The attributes of a face (docs/attributes.md): the head pose from the 5
// landmarks always; age, gender and expression from the attribute models and
// eye openness from the face mesh when the service has them
// (SetAttributeModels) and the request asked for them; glasses, hat, mask,
// beauty and hair are not computed and never set (not made up).
struct ExpressionScore {
  std::string label;  // the model's class name: angry, disgust, fear, happy, sad, surprise, neutral
  float probability = 0;
};
struct FaceAttributesInfo {
  float yaw = 0, pitch = 0, roll = 0;     // degrees, from the 5 landmarks
  std::optional<float> age;               // years (0-99)
  std::optional<float> male_probability;  // 0..1
  std::vector<ExpressionScore> expression;  // every class, the model's order
  std::optional<float> eye_openness;      // the smaller eye's aspect ratio (face mesh)
  std::optional<bool> eyes_open;          // both eyes open: eye_openness >= the service's threshold
  // The probability of `label`, or nullopt when the expression was not computed.
  std::optional<float> Expression(std::string_view label) const;
};
// Which attributes a request computes (each costs a network run).
struct AttributeSelection {
  bool age_gender = true;
  bool expression = true;
  bool eyes = true;
};
struct DetectedFace {
  Rect rect;
  // Left eye, right eye, nose, left and right mouth corners (left/right as
  // seen in the image), in the pixels of the decoded image, as `rect`.
  std::array<Point2f, 5> landmarks{};
  float yaw = 0, pitch = 0, roll = 0;  // degrees, from the 5 landmarks
  std::optional<FaceQualityInfo> quality;  // with need_quality
  std::optional<FaceAttributesInfo> attributes;  // with need_face_attributes
};
struct DetectFaceRequest {
  std::vector<std::uint8_t> image;
  int max_face_num = 1;  // 1..120
  int min_face_size = 34;
  bool need_quality = false;
  bool need_face_attributes = false;
  AttributeSelection attribute_selection;  // with need_face_attributes
};
struct DetectFaceResponse {
  int image_width = 0, image_height = 0;
  std::vector<DetectedFace> face_infos;  // largest first
  std::string face_model_version;
};
struct LivenessResponse {
  // 0..100, live above 87. With a LivenessJudge: 87 + 13 (1 - r) when live,
  // 87 / r otherwise, r = the largest decisive cue's value over its
  // threshold (how far the evidence is from the decision, not a probability).
  float score = 0;
  bool is_liveness = false;
  std::string face_model_version;
  std::string reason;  // what decided, in English (with a LivenessJudge)
};
struct CompareResponse {
  float score = 0;
  float similarity = 0;
  std::string face_model_version;
  bool is_match = false;  // score >= match_score (not in the cloud API's answer)
  float match_score = 0;  // the decision rule applied
};

// ---- face contours (AnalyzeFace, AnalyzeDenseLandmarks) ----
struct AnalyzeFaceRequest {
  std::vector<std::uint8_t> image;
  int mode = 0;        // 0 = every face (at most max_faces), 1 = the largest only
  bool dense = false;  // AnalyzeDenseLandmarks' groups instead of AnalyzeFace's
};
struct AnalyzedFace {
  Rect rect;
  std::vector<ShapeGroup> groups;  // facekit/face_shape.h: FaceShapeGroups() or DenseFaceShapeGroups()
  float mesh_confidence = 0;       // the mesh model's face probability
};
struct AnalyzeFaceResponse {
  int image_width = 0, image_height = 0;
  std::vector<AnalyzedFace> faces;  // largest first
  std::string face_model_version;
};
// The cloud API's limits: AnalyzeFace answers at most 10 faces,
// AnalyzeDenseLandmarks 5.
inline constexpr int kAnalyzeFaceMaxFaces = 10;
inline constexpr int kAnalyzeDenseMaxFaces = 5;

// ---- DetectFaceSimilarity ----
struct SimilarityResponse {
  // 0..100, 70 = the 1:1 score 50 (a false accept rate of 1e-4 as
  // calibrated): 1.4 x score up to 50, then 70 + 0.6 x (score - 50).
  float score = 0;
  float compare_score = 0;  // the 1:1 (CompareFace) score it came from
  float similarity = 0;
};
// DetectFaceSimilarity's fixed decision point and the 1:1 score it stands for.
inline constexpr float kSimilarityMatchScore = 70;
inline constexpr float kSimilarityAnchorCompareScore = 50;
// The map from the 1:1 score to DetectFaceSimilarity's scale (monotonic,
// 0 -> 0, 50 -> 70, 100 -> 100).
float SimilarityScoreOf(float compare_score);

// ---- face model versions (UpgradeGroupFaceModelVersion and its three siblings) ----
struct UpgradeJobInfo {
  std::string job_id, group_id, from_version, to_version;
  std::int64_t start_time = 0;     // ms since the epoch
  std::int64_t end_timestamp = 0;  // ms; 0 while running (the cloud: estimated end; we give none)
  int status = 0;                  // 0 upgrading, 1 upgraded, 2 reverted, 3 failed
  float progress = 0;              // 0..100: faces with a vector of to_version / faces of the group
  std::string failure;             // why it failed (status 3)
};
struct GetUpgradeJobListResponse {
  std::vector<UpgradeJobInfo> jobs;  // in start order
  std::size_t job_num = 0;
};

// ---- objects (FaceKit's own; the cloud face API has no such action) ----
struct DetectObjectsRequest {
  std::vector<std::uint8_t> image;
  std::vector<std::string> classes;  // class names to report; empty = all
  float min_score = 0;               // 0 = the model's threshold
  int max_objects = 0;               // 0 = all (highest score first)
};
struct ObjectInfo {
  Rect rect;  // in the photo's own pixels
  float score = 0;
  int class_id = 0;
  std::string label;
};
struct DetectObjectsResponse {
  int image_width = 0, image_height = 0;
  std::vector<ObjectInfo> objects;  // highest score first
  std::string model_version;
};

class FaceService {
 public:
  // `engine` must outlive the service.
  FaceService(const FaceEngine& engine, std::unique_ptr<gallery::Gallery> gallery, ServiceOptions options = {});
  ~FaceService();

  ApiResult<CreateGroupResponse> CreateGroup(const CreateGroupRequest& r);
  ApiResult<Empty> DeleteGroup(const std::string& group_id);
  // `visible`, when set, hides the groups it returns false for (keys restricted to some groups).
  using GroupFilter = std::function<bool(const std::string& group_id)>;
  ApiResult<GetGroupListResponse> GetGroupList(std::int64_t offset, std::int64_t limit,
                                               const GroupFilter& visible = {}) const;
  ApiResult<GroupInfo> GetGroupInfo(const std::string& group_id) const;
  ApiResult<Empty> ModifyGroup(const ModifyGroupRequest& r);

  ApiResult<CreatePersonResponse> CreatePerson(const CreatePersonRequest& r);
  ApiResult<Empty> DeletePerson(const std::string& person_id);
  ApiResult<Empty> DeletePersonFromGroup(const std::string& person_id, const std::string& group_id);
  ApiResult<GetPersonListResponse> GetPersonList(const std::string& group_id, std::int64_t offset,
                                                 std::int64_t limit) const;
  ApiResult<GetPersonListResponse> GetPersonListNum(const std::string& group_id) const;  // counts only
  ApiResult<PersonBaseInfo> GetPersonBaseInfo(const std::string& person_id) const;
  ApiResult<GetPersonGroupInfoResponse> GetPersonGroupInfo(const std::string& person_id, std::int64_t offset,
                                                           std::int64_t limit, const GroupFilter& visible = {}) const;
  // The ids of the groups a person belongs to; nullopt when the person does not exist.
  std::optional<std::vector<std::string>> PersonGroups(const std::string& person_id) const;
  ApiResult<Empty> ModifyPersonBaseInfo(const ModifyPersonBaseInfoRequest& r);
  ApiResult<Empty> ModifyPersonGroupInfo(const ModifyPersonGroupInfoRequest& r);
  ApiResult<CopyPersonResponse> CopyPerson(const std::string& person_id, const std::vector<std::string>& group_ids);

  ApiResult<CreateFaceResponse> CreateFace(const CreateFaceRequest& r);
  ApiResult<DeleteFaceResponse> DeleteFace(const std::string& person_id, const std::vector<std::string>& face_ids);
  // The person a face belongs to (InvalidParameterValue.FaceIdNotExist when
  // no face has that id), for the key's scope check before GetFaceCrop.
  ApiResult<std::string> FacePerson(const std::string& face_id) const;
  // The face's stored JPEG crop (docs/gallery.md#face-model-versions: the
  // region 2.2 x the face, the face at most 160 px). FaceIdNotExist, or
  // ResourceNotFound.FaceCropNotExist for a face enrolled before crops were
  // stored (gallery schema 1).
  ApiResult<std::vector<std::uint8_t>> GetFaceCrop(const std::string& face_id) const;

  // Face model versions (docs/gallery.md#face-model-versions): re-embeds the
  // group's faces with `version`'s model on the service's job thread while the
  // group keeps answering with its current vectors, then switches it in one
  // transaction. Returns the job id.
  ApiResult<std::string> UpgradeGroupFaceModelVersion(const std::string& group_id, const std::string& version);
  // Switches the group of an upgraded (status 1) job back to its old version.
  ApiResult<Empty> RevertGroupFaceModelVersion(const std::string& job_id);
  ApiResult<GetUpgradeJobListResponse> GetUpgradeJobList(std::int64_t offset, std::int64_t limit,
                                                         const GroupFilter& visible = {}) const;
  ApiResult<UpgradeJobInfo> GetUpgradeJobResult(const std::string& job_id) const;
  // Blocks until no job is running on the job thread (or it stopped).
  void WaitForModelJobs();
  // Tests: called before each batch of faces a job embeds with the number
  // done so far; returning false stops the job thread there, leaving the job
  // "running" in the store as a crash would. Set before the job starts.
  using ModelJobHook = std::function<bool(const std::string& job_id, std::size_t done)>;
  void SetModelJobHook(ModelJobHook hook);

  ApiResult<SearchResponse> SearchFaces(const SearchRequest& r, bool by_group = false) const;
  ApiResult<SearchResponse> SearchPersons(const SearchRequest& r, bool by_group = false) const;
  ApiResult<VerifyResponse> VerifyFace(const std::string& person_id, const std::vector<std::uint8_t>& image) const;
  ApiResult<VerifyResponse> VerifyPerson(const std::string& person_id, const std::vector<std::uint8_t>& image) const;
  ApiResult<DetectFaceResponse> DetectFace(const DetectFaceRequest& r) const;
  // Single-photo liveness of the largest face.
  ApiResult<LivenessResponse> DetectLiveFace(const std::vector<std::uint8_t>& image) const;
  ApiResult<CompareResponse> CompareFace(const std::vector<std::uint8_t>& image_a,
                                         const std::vector<std::uint8_t>& image_b) const;
  // CompareMaskFace: CompareFace with QualityControl (0-4) on both faces, the
  // same embedder and score scale, and the mask decision rule
  // (ServiceOptions::mask_match_score; docs/masked-faces.md).
  ApiResult<CompareResponse> CompareMaskFace(const std::vector<std::uint8_t>& image_a,
                                             const std::vector<std::uint8_t>& image_b, int quality_control) const;
  // DetectFaceSimilarity: the most confident face of each image, QualityControl
  // 0-4, the score on the cloud API's scale of that action (70 = FAR 1e-4).
  ApiResult<SimilarityResponse> DetectFaceSimilarity(const std::vector<std::uint8_t>& image_a,
                                                     const std::vector<std::uint8_t>& image_b,
                                                     int quality_control) const;
  // The contours of the faces in the image. UnsupportedOperation until
  // SetFaceMesh gave a mesh (the models folder has landmarks.mesh).
  ApiResult<AnalyzeFaceResponse> AnalyzeFace(const AnalyzeFaceRequest& r) const;
  // `mesh` (may be null) must outlive the service; set it before serving.
  void SetFaceMesh(const FaceMesh* mesh) { mesh_ = mesh; }

  // Objects of the COCO classes in the image. UnsupportedOperation until
  // SetObjectDetector gave a detector (the models folder has an object model).
  ApiResult<DetectObjectsResponse> DetectObjects(const DetectObjectsRequest& r) const;
  // `detector` (may be null) must outlive the service; set it before serving.
  void SetObjectDetector(const ObjectDetector* detector, std::string model_version);
  // DetectLiveFace decides with `judge` (the replay-medium decision,
  // docs/liveness.md) instead of the passive model alone; it must outlive
  // the service (may be null); set it before serving.
  void SetLivenessJudge(const LivenessJudge* judge) { liveness_ = judge; }
  // Cluster nodes: SearchFaces (and its ReturnsByGroup variant) find their
  // candidates through `router` (sharded_search.h) instead of the local
  // indexes; null = local. Must outlive the service; set before serving.
  void SetSearchRouter(const SearchRouter* router) { router_ = router; }
  // Age, gender and expression (`models`) and eye openness (`mesh`, the same
  // one as SetFaceMesh's: this sets it too; SetEyeLandmarks takes precedence
  // for eyes) for DetectFace's attributes and the enrolment rule; either may
  // be null. Both must outlive the service;
  // set them before serving.
  void SetAttributeModels(const FaceAttributeModels* models, const FaceMesh* mesh) {
    attribute_models_ = models;
    mesh_ = mesh;
  }
  const FaceAttributeModels* attribute_models() const { return attribute_models_; }
  const FaceMesh* face_mesh() const { return mesh_; }
  // Eye openness from the iris model on crops placed from the detector's
  // landmarks (cheaper than the mesh + iris; docs/attributes.md). When set,
  // DetectFace's eye attributes and the enrolment rule use it instead of the
  // mesh. Must outlive the service (may be null); set it before serving.
  void SetEyeLandmarks(const EyeLandmarks* eyes) { eyes_ = eyes; }

  // Called with the time of every model stage ("decode", "detect", "embed",
  // "liveness") of every request. Set it before serving; not thread-safe itself.
  using ModelObserver = std::function<void(std::string_view stage, double seconds)>;
  void SetModelObserver(ModelObserver observer);

  gallery::Gallery& gallery() { return *gallery_; }
  const FaceEngine& engine() const { return engine_; }

  // READ-YOUR-WRITES on nodes of one database (docs/scale-out.md): the
  // change-log position this node's answers reflect, at least that of every
  // write it acknowledged (0: a store with no change log, one node).
  std::int64_t ChangePosition() const { return gallery_->position(); }
  // Has this node reach `min_seq` (a position an answer of any node of the
  // database returned) before a request is answered: waits at most
  // options().min_seq_wait_ms, or until `deadline` when sooner. Errors:
  // InvalidParameterValue for a position the change log never had,
  // FailedOperation.RequestTimeout when not reached in time.
  std::optional<ApiError> AwaitChangePosition(std::int64_t min_seq,
                                              std::optional<std::chrono::steady_clock::time_point> deadline);
  const ServiceOptions& options() const { return options_; }

  // A face found in an image, embedded.
  struct FaceInput {
    FaceBox box;
    Embedding embedding;
    int quality_level = 0;
    int faces_in_photo = 0;  // faces of at least the minimum size in the image
    // The smaller eye aspect ratio (face mesh), when measure_eyes asked for it
    // and the service has a mesh that took the crop for a face.
    std::optional<float> eye_openness;
    // With EmbedExtras: embeddings of other face model versions, and the
    // face's crop (JPEG) with its landmarks in the crop's pixels.
    std::vector<std::pair<std::string, Embedding>> other_embeddings;
    std::vector<std::uint8_t> crop;
    std::vector<float> crop_landmarks;
  };
  struct EmbedExtras {
    std::vector<std::string> versions;  // besides the primary one
    bool crop = false;
  };
  // Decodes the image and embeds the face `choice` names among those of at
  // least `min_face_size` (errors as the cloud API's, and
  // FailedOperation.FaceAmbiguous / InvalidParameterValue.FaceIndexExceed for
  // the FaceKit choices).
  ApiResult<FaceInput> ChosenFace(const std::vector<std::uint8_t>& image, const FaceChoice& choice = {},
                                  int min_face_size = 0, bool measure_eyes = false,
                                  const EmbedExtras* extras = nullptr) const;
  // The enrolment rule (docs/attributes.md): whether a QualityControl of
  // `quality_control` also asks for open eyes, and the refusal of `face` when
  // its eyes are closed.
  bool EnrolmentChecksEyes(int quality_control) const;
  std::optional<ApiError> EnrolmentRefusal(const FaceInput& face) const;

 private:
  // A write's plan: the batch to commit, or the error that refuses it.
  using Plan = std::variant<store::Batch, ApiError>;
  // Plans under the gallery's writer lock and commits; the refusal, a store
  // failure (as an ApiError), or nullopt once the write is durable.
  std::optional<ApiError> Commit(const std::function<Plan(const gallery::Catalog&)>& plan);
  // The image's faces of at least `min_face_size`, largest first, the
  // first `max_faces` (or, with `choice`, the chosen one) embedded.
  ApiResult<std::vector<FaceInput>> Faces(const std::vector<std::uint8_t>& image, int max_faces, int min_face_size,
                                          const FaceChoice* choice = nullptr, bool measure_eyes = false,
                                          const EmbedExtras* extras = nullptr) const;
  // Embedding of `version` of one face of `image` (for the extras and the jobs).
  Result<Embedding> EmbedWith(const Image& image, const FaceBox& box, const std::string& version) const;
  // The 1:N (search) or 1:1 score of a similarity of two vectors of `version`.
  float ScoreOf(const std::string& version, float similarity, bool search) const;
  // UniquePersonControl: the person of the group's face nearest to `face`
  // when its 1:1 score reaches `need`, else "". A cluster node asks every
  // shard (SearchRouter; a shard without an answer is an error), one node its
  // own index.
  ApiResult<std::string> SimilarPerson(const std::string& group_id, const std::string& version, const FaceInput& face,
                                       float need) const;
  // Whether `version` is served: known and its embedder loaded (else the error).
  std::optional<ApiError> CheckVersionServed(const std::string& version) const;
  // The versions besides the primary whose vectors a face of these groups needs.
  std::vector<std::string> ExtraVersions(const gallery::Catalog& c, const std::vector<std::int64_t>& group_keys) const;
  // Refusal of a planned face lacking a vector one of the person's groups needs.
  std::optional<ApiError> CheckFaceVersions(const gallery::Catalog& c, const gallery::PersonState* person,
                                            std::int64_t new_group_key, const FaceInput& face) const;
  // The vectors of the primary version of a person's faces (memory or store):
  // 1:1 verification always compares MobileFaceNet vectors (every face has one).
  ApiResult<std::vector<std::vector<float>>> PrimaryVectors(const std::string& person_id) const;
  void StartModelJobs();
  void ModelJobLoop();
  // One job until switched, failed or stopped; false when the thread must stop.
  bool RunModelJob(const std::string& job_id);
  void FailModelJob(const std::string& job_id, const std::string& why);
  ApiResult<SearchResponse> Search(const SearchRequest& r, bool by_group, bool persons) const;
  std::int64_t Now() const;
  template <typename F>
  auto Timed(std::string_view stage, F&& run) const {
    if (!model_observer_) return run();
    const auto start = std::chrono::steady_clock::now();
    auto result = run();
    model_observer_(stage, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return result;
  }
  std::string NewFaceId();
  std::string NewJobId(const std::string& group_id);
  struct JobThread;
  std::unique_ptr<JobThread> jobs_;

  const FaceEngine& engine_;
  std::unique_ptr<gallery::Gallery> gallery_;
  ServiceOptions options_;
  struct IdSource;
  std::unique_ptr<IdSource> ids_;
  ModelObserver model_observer_;
  const ObjectDetector* objects_ = nullptr;
  const LivenessJudge* liveness_ = nullptr;
  const SearchRouter* router_ = nullptr;
  const FaceMesh* mesh_ = nullptr;
  const EyeLandmarks* eyes_ = nullptr;
  std::string objects_version_;
  const FaceAttributeModels* attribute_models_ = nullptr;
  // The attributes of `face` that `selection` asks for (pose always).
  ApiResult<FaceAttributesInfo> Attributes(const Image& image, const FaceBox& face, const FaceQuality& quality,
                                           const AttributeSelection& selection) const;
  // The smaller eye aspect ratio of `face` from eyes_ (else the mesh);
  // nullopt without either, or when the mesh takes the crop for no face.
  ApiResult<std::optional<float>> SmallerEyeRatio(const Image& image, const FaceBox& face) const;
};

// The cloud API's error for an engine/image Status (ImageDecodeFailed, ...).
ApiError ImageError(const Status& status);

}  // namespace facekit::service
