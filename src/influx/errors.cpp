#include "influx/errors.h"

#include <nlohmann/json.hpp>

#include "http/retry_after.h"

namespace dbtoken::influx {
namespace {

using common::Code;
using common::Status;

constexpr size_t kMaxMessage = 300;

const char* reason(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// Keeps text printable and short: it ends up in conditions and log lines.
std::string sanitize(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= kMaxMessage) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

Code codeFor(Operation op, int status) {
  switch (status) {
    case 400:
    case 422:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 408:
      return Code::kDeadlineExceeded;
    case 409:
      return op == Operation::kCreate ? Code::kAlreadyExists : Code::kConflict;
    case 429:
      return Code::kUnavailable;
    default:
      break;
  }
  if (status >= 500 && status <= 599) {
    return Code::kUnavailable;
  }
  return Code::kInternal;  // a status the API does not use: nothing sensible to do but report it
}

}  // namespace

const char* operationName(Operation op) {
  switch (op) {
    case Operation::kList:
      return "list tokens";
    case Operation::kCreate:
      return "create token";
    case Operation::kGet:
      return "get token";
    case Operation::kUpdate:
      return "update token";
    case Operation::kRevoke:
      return "revoke token";
  }
  return "token request";
}

std::optional<std::string> errorMessageFromBody(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  auto it = j.find("message");
  if (it == j.end() || !it->is_string()) {
    return std::nullopt;
  }
  return sanitize(it->get<std::string>());
}

std::optional<std::chrono::milliseconds> parseRetryAfter(std::string_view value,
                                                         common::WallTime now) {
  return http::parseRetryAfter(value, now);
}

Status statusFromResponse(Operation op, int httpStatus, const http::Headers& headers,
                          std::string_view body, const common::Clock& clock) {
  std::string message = std::string(operationName(op)) + ": " + std::to_string(httpStatus);
  if (const char* r = reason(httpStatus); *r != '\0') {
    message += ' ';
    message += r;
  }
  if (auto apiMessage = errorMessageFromBody(body); apiMessage && !apiMessage->empty()) {
    message += ": " + *apiMessage;
  }
  Status status(codeFor(op, httpStatus), message);
  if (auto retryAfter = headers.get("Retry-After")) {
    if (auto d = parseRetryAfter(*retryAfter, clock.wallNow())) {
      status.withRetryAfter(*d);
    }
  }
  return status;
}

}  // namespace dbtoken::influx
