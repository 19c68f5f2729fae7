// facekit/status.h - errors as values.
//
// WHAT THIS REPRESENTS
//   Status is the outcome of an operation: ok, or a StatusCode plus a human
//   readable message. Result<T> holds either a T or a non-ok Status. Every
//   fallible public function returns one of the two; no exception crosses
//   the library boundary.
//
// THREAD SAFETY
//   Plain values; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace facekit {

/// Error categories. Each has a stable name (StatusCodeName) used in CLI
/// output and, later, translated to the cloud API's error codes.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,        ///< a parameter is out of range or malformed
  kNotFound,               ///< a file or named object does not exist
  kIoError,                ///< reading or writing a file failed
  kImageEmpty,             ///< zero bytes were given as an image
  kImageTruncated,         ///< the image data ends before the format says it should
  kImageCorrupt,           ///< the bytes claim a known format but cannot be decoded
  kImageUnsupportedFormat, ///< a recognised but unsupported format (GIF, TIFF...) or unknown bytes
  kImageTooSmall,          ///< short side below the configured minimum
  kImageTooLarge,          ///< more pixels than the pixel budget, or a long side above its format's limit
  kImageSizeExceeded,      ///< encoded size above the configured byte limit
  kNoFace,                 ///< no face was found where one is required
  kTooManyFaces,           ///< several faces where exactly one is required (liveness)
  kModelInvalid,           ///< a model file is malformed or uses something we cannot run
  kModelChecksumMismatch,  ///< a model file's SHA-256 differs from the manifest
  kAlreadyExists,          ///< an object with this id or name exists already
  kLimitExceeded,          ///< a count limit would be exceeded (faces per person, groups...)
  kFailedPrecondition,     ///< the operation is not allowed in the current state (last face)
  kDataCorrupt,            ///< stored data (database, snapshot) fails its own checks
  kInternal,               ///< a bug or an unexpected failure of a dependency
  kUnavailable,            ///< a node or shard needed for the answer did not answer (retry later)
  kDeadlineExceeded,       ///< the caller's deadline passed before the answer was complete
};

/// Stable machine-readable name, e.g. "ImageTruncated".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "ImageTruncated: JPEG data ends before its end-of-image marker".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "Result constructed from ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace facekit

/// Returns early from the enclosing function when `expr` (a Status) is not ok.
#define FACEKIT_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::facekit::Status facekit_status_ = (expr); \
    if (!facekit_status_.ok()) return facekit_status_; \
  } while (0)

#define FACEKIT_CONCAT_INNER_(a, b) a##b
#define FACEKIT_CONCAT_(a, b) FACEKIT_CONCAT_INNER_(a, b)
/// `FACEKIT_ASSIGN_OR_RETURN(auto x, MakeX());` unwraps a Result or returns its Status.
#define FACEKIT_ASSIGN_OR_RETURN(lhs, rexpr) \
  FACEKIT_ASSIGN_OR_RETURN_IMPL_(FACEKIT_CONCAT_(facekit_result_, __LINE__), lhs, rexpr)
#define FACEKIT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                   \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()
