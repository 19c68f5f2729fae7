// Error messages in the languages the cloud API offers (X-TC-Language).
#pragma once

#include <string>
#include <string_view>

namespace facekit::server {

// en-US: the English message as is. zh-CN: the error code's Chinese
// description followed by the English detail in parentheses (the detail
// names the parameter or id at fault); codes without a Chinese description
// keep the English message.
std::string LocalisedMessage(std::string_view code, const std::string& english, std::string_view language);

}  // namespace facekit::server
