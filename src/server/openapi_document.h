// The OpenAPI (Swagger 2.0) document of the REST routes: generated from
// proto/facekit/v1/facekit.proto (its google.api.http annotations, comments
// and openapiv2_swagger options) by protoc-gen-swagger at build time and
// compiled into the binary (CMakeLists.txt, cmake/embed_file.cmake). The
// server answers it at GET /v1/openapi.json.
#pragma once

#include <string_view>

namespace facekit::server {

// The document's JSON text; valid for the life of the program.
std::string_view OpenApiDocument();

// Where the server serves it.
inline constexpr std::string_view kOpenApiPath = "/v1/openapi.json";

}  // namespace facekit::server
