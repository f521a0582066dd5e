#include "kube/api_errors.h"

#include "http/retry_after.h"

namespace dbtoken::kube {
namespace {

using common::Code;
using common::Status;

constexpr size_t kMaxMessage = 400;

// Keeps text printable and short: it ends up in conditions, events and log lines.
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

std::string statusText(int httpStatus) {
  switch (httpStatus) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

Status build(std::string_view what, int httpStatus, const std::optional<ApiStatus>& api) {
  std::string reason = api && !api->reason.empty() ? api->reason : statusText(httpStatus);
  std::string message(what);
  message += ": " + std::to_string(httpStatus);
  if (!reason.empty()) {
    message += " " + reason;
  }
  if (api && !api->message.empty()) {
    message += ": " + api->message;
  }
  Status status(codeFor(httpStatus, reason), std::move(message));
  if (api && api->retryAfterSeconds && *api->retryAfterSeconds >= 0) {
    status.withRetryAfter(std::chrono::seconds(*api->retryAfterSeconds));
  }
  return status;
}

}  // namespace

std::optional<ApiStatus> parseApiStatus(const nlohmann::json& object) {
  if (!object.is_object()) {
    return std::nullopt;
  }
  auto kind = object.find("kind");
  bool isStatus = kind != object.end() && kind->is_string() && kind->get<std::string>() == "Status";
  auto code = object.find("code");
  bool hasCode = code != object.end() && code->is_number_integer();
  if (!isStatus && !hasCode) {
    return std::nullopt;
  }
  ApiStatus out;
  if (hasCode) {
    out.code = code->get<int>();
  }
  if (auto r = object.find("reason"); r != object.end() && r->is_string()) {
    out.reason = r->get<std::string>();
  }
  if (auto m = object.find("message"); m != object.end() && m->is_string()) {
    out.message = sanitize(m->get<std::string>());
  }
  if (auto d = object.find("details"); d != object.end() && d->is_object()) {
    if (auto ra = d->find("retryAfterSeconds"); ra != d->end() && ra->is_number_integer()) {
      out.retryAfterSeconds = ra->get<int>();
    }
  }
  return out;
}

Code codeFor(int httpStatus, std::string_view reason) {
  if (reason == "AlreadyExists") {
    return Code::kAlreadyExists;
  }
  if (reason == "Conflict") {
    return Code::kConflict;
  }
  if (reason == "Expired" || reason == "Gone") {
    return Code::kGone;
  }
  switch (httpStatus) {
    case 400:
    case 405:
    case 406:
    case 413:
    case 415:
    case 422:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kConflict;
    case 410:
      return Code::kGone;
    case 408:
    case 504:
      return Code::kDeadlineExceeded;
    case 429:
      return Code::kUnavailable;
    default:
      break;
  }
  if (httpStatus >= 500 && httpStatus <= 599) {
    return Code::kUnavailable;
  }
  return Code::kInternal;
}

Status statusFromResponse(std::string_view what, int httpStatus, const http::Headers& headers,
                          std::string_view body, common::WallTime now) {
  std::optional<ApiStatus> api;
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) {
    api = parseApiStatus(parsed);
  }
  Status status = build(what, httpStatus, api);
  if (auto retryAfter = headers.get("Retry-After")) {
    if (auto d = http::parseRetryAfter(*retryAfter, now)) {
      status.withRetryAfter(*d);
    }
  }
  return status;
}

Status statusFromWatchError(std::string_view what, const nlohmann::json& object) {
  auto api = parseApiStatus(object);
  int code = api && api->code != 0 ? api->code : 500;
  return build(what, code, api);
}

}  // namespace dbtoken::kube
