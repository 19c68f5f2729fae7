#include "facekit/status.h"

namespace facekit {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "Ok";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kIoError: return "IoError";
    case StatusCode::kImageEmpty: return "ImageEmpty";
    case StatusCode::kImageTruncated: return "ImageTruncated";
    case StatusCode::kImageCorrupt: return "ImageCorrupt";
    case StatusCode::kImageUnsupportedFormat: return "ImageUnsupportedFormat";
    case StatusCode::kImageTooSmall: return "ImageTooSmall";
    case StatusCode::kImageTooLarge: return "ImageTooLarge";
    case StatusCode::kImageSizeExceeded: return "ImageSizeExceeded";
    case StatusCode::kNoFace: return "NoFace";
    case StatusCode::kTooManyFaces: return "TooManyFaces";
    case StatusCode::kModelInvalid: return "ModelInvalid";
    case StatusCode::kModelChecksumMismatch: return "ModelChecksumMismatch";
    case StatusCode::kAlreadyExists: return "AlreadyExists";
    case StatusCode::kLimitExceeded: return "LimitExceeded";
    case StatusCode::kFailedPrecondition: return "FailedPrecondition";
    case StatusCode::kDataCorrupt: return "DataCorrupt";
    case StatusCode::kInternal: return "Internal";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kDeadlineExceeded: return "DeadlineExceeded";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "Ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace facekit
