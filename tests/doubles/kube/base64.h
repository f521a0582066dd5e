// Standard base64 as Go's encoding/base64 StdEncoding does it, including its error text
// ("illegal base64 data at input byte N"), which the apiserver passes on for Secret data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dbtoken::kubedouble {

std::string base64Encode(std::string_view data);
// On failure, errorOffset is the input byte Go would name.
std::optional<std::string> base64Decode(std::string_view text, size_t* errorOffset = nullptr);
std::string base64UrlEncodeRaw(std::string_view data);
std::optional<std::string> base64UrlDecodeRaw(std::string_view text, size_t* errorOffset = nullptr);

}  // namespace dbtoken::kubedouble
