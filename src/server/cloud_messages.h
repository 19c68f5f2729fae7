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

// The language of error messages a client asked for: `tc_language` (the
// cloud's X-TC-Language) when it is "zh-CN" or "en-US"; else the most
// preferred of zh (-> "zh-CN") and en (-> "en-US") in `accept_language` (an
// HTTP Accept-Language list: "zh-CN,zh;q=0.9,en;q=0.8"; q=0 excludes, "*"
// means `fallback`); else `fallback`.
std::string ErrorLanguage(std::string_view tc_language, std::string_view accept_language, std::string_view fallback);

}  // namespace facekit::server
