// The mappings between the error vocabularies of the API surfaces: the cloud
// API's error codes ("InvalidParameterValue.GroupIdNotExist"), gRPC status
// codes, and HTTP statuses for the REST gateway.
//
//   cloud error code                                   gRPC code            HTTP
//   ...NotExist, ResourceNotFound                      NOT_FOUND            404
//   ...AlreadyExist, FailedOperation.GroupPersonMapExist ALREADY_EXISTS     409
//   InvalidParameter*, MissingParameter*, UnknownParameter, InvalidAction,
//   NoSuchVersion, UnsupportedProtocol, FailedOperation.Image*/Face*,
//   FailedOperation.SearchFacesExceed                  INVALID_ARGUMENT     400
//   AuthFailure.UnauthorizedOperation                  PERMISSION_DENIED    403
//   AuthFailure.* (signature, SecretId, expiry)        UNAUTHENTICATED      401
//   RequestLimitExceeded, LimitExceeded, RequestSizeLimitExceeded
//                                                      RESOURCE_EXHAUSTED   429
//   capacity: InvalidParameterValue.GroupNumExceed, GroupFaceNumExceed,
//   PersonFaceNumExceed, GroupNumPerPersonExceed; other FailedOperation.*
//                                                      FAILED_PRECONDITION  400
//   UnsupportedOperation                               UNIMPLEMENTED        501
//   InternalError, FailedOperation.ServerError         INTERNAL             500
//   FailedOperation.ShardsUnavailable (cluster nodes)  UNAVAILABLE          503
//   anything else                                      UNKNOWN              500
//
// THREAD SAFETY
//   Pure functions.
#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

namespace facekit::server {

grpc::StatusCode GrpcCodeFor(std::string_view cloud_code);
// The HTTP status of a gRPC code (google.rpc / grpc-gateway convention, with
// FAILED_PRECONDITION as 400).
int HttpStatusFor(grpc::StatusCode code);
// "NOT_FOUND", "INVALID_ARGUMENT", ...
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace facekit::server
