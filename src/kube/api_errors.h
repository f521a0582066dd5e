// Typed errors from the Kubernetes API: a failed answer (or a watch's in-band ERROR event)
// becomes a common::Status whose code says what the caller does next — NotFound, AlreadyExists
// and Conflict (409, told apart by the Status body's reason), Gone (410: relist), Unavailable
// with the server's Retry-After (429, 5xx), InvalidArgument (400/422), PermissionDenied,
// Unauthenticated. Owns only the mapping; no transport, no retries.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time_format.h"
#include "http/message.h"

namespace dbtoken::kube {

// The fields of a metav1.Status the runtime cares about.
struct ApiStatus {
  int code = 0;         // HTTP status the server meant (also inside in-band watch errors)
  std::string reason;   // "AlreadyExists", "Conflict", "Expired", "TooManyRequests", ...
  std::string message;  // the server's sentence, made printable and short
  std::optional<int> retryAfterSeconds;  // details.retryAfterSeconds
};

// Parses a Status object; nullopt when the JSON is not one (kind != "Status" and no code).
std::optional<ApiStatus> parseApiStatus(const nlohmann::json& object);

// The code for an HTTP status and Status reason (the reason wins where it is more precise).
common::Code codeFor(int httpStatus, std::string_view reason);

// The Status for a non-2xx answer: "<what>: 409 AlreadyExists: secrets \"x\" already exists".
// Retry-After (header, else details.retryAfterSeconds) becomes the status's retry delay.
common::Status statusFromResponse(std::string_view what, int httpStatus,
                                  const http::Headers& headers, std::string_view body,
                                  common::WallTime now);

// The Status carried by a watch ERROR event (410 Expired → Gone).
common::Status statusFromWatchError(std::string_view what, const nlohmann::json& object);

}  // namespace dbtoken::kube
