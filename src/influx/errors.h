// Turns a Management API answer that is not a success into a Status: the HTTP status picks the
// code (so the caller knows whether to retry), the API's {code, message} body gives the text,
// and Retry-After becomes the status's retry delay. Owns no transport or retry logic.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "common/time_format.h"
#include "http/message.h"

namespace dbtoken::influx {

// What the request was meant to do; decides what 409 means (a create's AlreadyExists versus an
// update's Conflict).
enum class Operation { kList, kCreate, kGet, kUpdate, kRevoke };

const char* operationName(Operation op);

// The Status for a non-2xx answer. The message reads "create token: 409 Conflict: <API
// message>" and never exceeds a few hundred characters.
common::Status statusFromResponse(Operation op, int httpStatus, const http::Headers& headers,
                                  std::string_view body, const common::Clock& clock);

// The API's {"code": int, "message": string} error body, when the body is one.
std::optional<std::string> errorMessageFromBody(std::string_view body);

// Retry-After as delta-seconds or an HTTP-date, relative to the clock's wall time.
std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         common::WallTime now);

}  // namespace dbtoken::influx
