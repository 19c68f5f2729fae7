// The action parameters of a decoded cloud request as one JSON tree, the
// same whatever form the request came in.
//
// WHAT THIS REPRESENTS
//   A JSON body (TC3 POST) is parsed and its top-level names checked against
//   the action's parameters in the request's version. Flat parameters (TC3
//   GET, multipart, V1) are typed by the action's schema (cloud_schema.h), the
//   way the SDKs flatten them (tencentcloud-sdk-nodejs mergeData):
//     Name=v                       a string or a number (decimal text)
//     Urls.0=a&Urls.1=b            a list of strings, indexes 0..n-1
//     Infos.0.Field=v              a list of objects, each field typed
//   A multipart part sent as bytes for Image, ImageA or ImageB is the image
//   itself and goes into the tree as its base64.
//   Errors: InvalidParameter (body not a JSON object, a number that is not
//   decimal, a list index missing or malformed, a list given without index),
//   UnknownParameter (a name the action does not have in this version).
//
// THREAD SAFETY
//   Pure function.
#pragma once

#include <nlohmann/json.hpp>

#include "server/cloud_request.h"
#include "server/cloud_schema.h"
#include "service/face_service.h"

namespace facekit::server {

/// Whether a flat parameter is a number: by the schema's type of its name
/// ("Infos.0.Index" is the item field's type); for a name the action does not
/// have, by its text (decimal or not).
bool IsNumberParam(const FlatParam& param, const ActionSchema& schema, ApiVersion version);

service::ApiResult<nlohmann::json> BuildParamTree(const CloudRequest& request, const ActionSchema& schema,
                                                  ApiVersion version);

}  // namespace facekit::server
