// Retry-After (RFC 9110 §10.2.3): how long a server asked the client to wait, as delta-seconds
// or an HTTP-date. Shared by every client that honours it (Kubernetes and Management API).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/time_format.h"

namespace dbtoken::http {

// The delay a Retry-After value asks for, relative to now; nullopt when it does not parse.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         common::WallTime now);

}  // namespace dbtoken::http
