// Base64 (RFC 4648, standard alphabet, padded) as Kubernetes uses it for Secret data and for
// the *-data fields of a kubeconfig. Pure functions; no knowledge of what is encoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dbtoken::common {

std::string base64Encode(std::string_view bytes);
// nullopt when the text is not valid padded base64 (whitespace and newlines are skipped, as in
// PEM-wrapped values).
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace dbtoken::common
