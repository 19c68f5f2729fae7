// gallery_backend.h - where the `facekit gallery` commands read and write:
// a data folder opened in this process, or a running server (--server).
//
// WHAT THIS REPRESENTS
//   A data folder has one writer (store/data_folder_lock.h). OpenBackend
//   gives a command what it may use:
//     * --server URL --key ID:SECRET: the server's REST API, whoever owns the
//       folder (writes are the server's, so its state stays whole);
//     * a writing command on a folder: the folder's lock, then the service in
//       this process; refused, naming the owner and what to do, when another
//       process holds it;
//     * a reading command: the service opened read-only, beside any owner;
//     * --store postgres://...: the service on that shared database, no data
//       folder and no folder lock (PostgreSQL serialises the writers of all
//       nodes; running servers on it apply the change from its change log).
//   The operations are the service's (service/face_service.h) with its
//   request and response types; the remote one maps them onto /v1/... calls.
//
// THREAD SAFETY
//   One thread.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "cli/cli_common.h"
#include "service/face_service.h"

namespace facekit::cli {

/// A person as enrolment sees it.
struct EnrolState {
  bool in_group = false;            ///< member of the group being enrolled
  std::size_t faces = 0;            ///< faces stored
  std::set<std::string> sources;    ///< the faces' recorded sources
};

class GalleryBackend {
 public:
  virtual ~GalleryBackend() = default;
  template <typename T>
  using R = service::ApiResult<T>;

  virtual R<service::CreateGroupResponse> CreateGroup(const service::CreateGroupRequest& r) = 0;
  virtual R<service::GroupInfo> GetGroupInfo(const std::string& group_id) = 0;
  virtual R<service::GetGroupListResponse> GetGroupList(std::int64_t offset, std::int64_t limit) = 0;
  virtual R<service::GetPersonListResponse> GetPersonList(const std::string& group_id, std::int64_t offset,
                                                          std::int64_t limit) = 0;
  virtual R<service::GetPersonListResponse> GetPersonListNum(const std::string& group_id) = 0;
  /// nullopt when the person does not exist.
  virtual R<std::optional<EnrolState>> PersonState(const std::string& person_id, const std::string& group_id) = 0;
  virtual R<service::CreatePersonResponse> CreatePerson(const service::CreatePersonRequest& r) = 0;
  virtual R<service::CreateFaceResponse> CreateFace(const service::CreateFaceRequest& r) = 0;
  virtual R<service::CopyPersonResponse> CopyPerson(const std::string& person_id, const std::string& group_id) = 0;
  virtual R<service::SearchResponse> Search(const service::SearchRequest& r, bool persons) = 0;
  virtual R<service::Empty> DeleteGroup(const std::string& group_id) = 0;
  virtual R<service::Empty> DeletePerson(const std::string& person_id) = 0;
  virtual R<service::Empty> DeletePersonFromGroup(const std::string& person_id, const std::string& group_id) = 0;
  /// Local: writes index snapshots of changed groups (restarts load them).
  virtual Status Finish() = 0;
  /// "data folder D" or "server URL", for messages.
  virtual std::string Describe() const = 0;
  /// Through a server on a shared store: the highest change-log position its
  /// answers gave (X-FaceKit-Seq), which another command passes as --min-seq
  /// to read these writes through any node at once. 0: none (local, or a
  /// server without a change log).
  virtual std::int64_t Position() const { return 0; }
};

/// How a command reaches its gallery.
struct BackendOptions {
  std::string data;    ///< --data
  std::string server;  ///< --server (wins over data and store)
  std::string store;   ///< --store postgres://... (instead of data)
  std::string key;     ///< --key SecretId:SecretKey
  std::int64_t min_seq = 0;  ///< --min-seq (with --server): X-FaceKit-Min-Seq on every request
  bool writes = false;  ///< the command changes the gallery
  std::string command;  ///< e.g. "facekit gallery enroll", recorded as the folder's owner
};

/// Adds --data, --store, --server, --key and --min-seq to a gallery subcommand.
void AddBackendOptions(CLI::App* cmd, BackendOptions* o);

/// Opens what `o` names (see the top of this file). The engine is loaded for
/// a local folder only (`engine` keeps it alive).
Result<std::unique_ptr<GalleryBackend>> OpenBackend(const GlobalOptions& g, const BackendOptions& o,
                                                    std::unique_ptr<FaceEngine>* engine);

/// "facekit: error CODE: message" on stderr; returns 1.
int FailApi(const service::ApiError& e);

}  // namespace facekit::cli
