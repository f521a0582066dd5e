#include <catch2/catch.hpp>

#include "kube/api_errors.h"

using namespace dbtoken;
using common::Code;
using nlohmann::json;

namespace {

std::string statusBody(int code, const std::string& reason, const std::string& message,
                       json details = nullptr) {
  json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
            {"code", code},     {"reason", reason},   {"message", message}};
  if (!details.is_null()) {
    s["details"] = details;
  }
  return s.dump();
}

common::WallTime someTime() {
  return common::WallTime(std::chrono::seconds(1893456000));
}

}  // namespace

TEST_CASE("KubeErrors: each HTTP status and Status reason maps to the code that says what to do") {
  struct Row {
    const char* sentence;
    int http;
    const char* reason;
    Code code;
  };
  const Row rows[] = {
      {"a create of an existing name is AlreadyExists", 409, "AlreadyExists", Code::kAlreadyExists},
      {"a stale resourceVersion on update is Conflict (re-read)", 409, "Conflict", Code::kConflict},
      {"a 409 without a reason is Conflict", 409, "", Code::kConflict},
      {"a missing object is NotFound", 404, "NotFound", Code::kNotFound},
      {"an expired list continue token is Gone (relist)", 410, "Expired", Code::kGone},
      {"a schema violation is InvalidArgument", 422, "Invalid", Code::kInvalidArgument},
      {"a malformed request is InvalidArgument", 400, "BadRequest", Code::kInvalidArgument},
      {"an unsupported patch type is InvalidArgument", 415, "UnsupportedMediaType",
       Code::kInvalidArgument},
      {"a bad token is Unauthenticated", 401, "Unauthorized", Code::kUnauthenticated},
      {"RBAC refusing is PermissionDenied", 403, "Forbidden", Code::kPermissionDenied},
      {"too many requests is Unavailable (back off)", 429, "TooManyRequests", Code::kUnavailable},
      {"an internal error is Unavailable", 500, "InternalError", Code::kUnavailable},
      {"a 503 is Unavailable", 503, "ServiceUnavailable", Code::kUnavailable},
      {"a server timeout is DeadlineExceeded", 504, "Timeout", Code::kDeadlineExceeded},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    auto s = kube::statusFromResponse("create secrets in ns", row.http, {},
                                      statusBody(row.http, row.reason, "the message"), someTime());
    CHECK(s.code() == row.code);
  }
}

TEST_CASE(
    "KubeErrors: the message names the operation, the status, the reason and the server's "
    "sentence") {
  auto s = kube::statusFromResponse(
      "create secrets in telemetry", 409, {},
      statusBody(409, "AlreadyExists", "secrets \"writer\" already exists"), someTime());
  CHECK(s.message() ==
        "create secrets in telemetry: 409 AlreadyExists: secrets \"writer\" already exists");
}

TEST_CASE(
    "KubeErrors: a body that is not a Status (e.g. text 404 page) still gives a clear error") {
  auto s = kube::statusFromResponse("get x", 404, {}, "404 page not found\n", someTime());
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message() == "get x: 404 NotFound");
}

TEST_CASE("KubeErrors: Retry-After comes from the header, else from details.retryAfterSeconds") {
  http::Headers h;
  h.add("Retry-After", "1");
  auto fromHeader = kube::statusFromResponse(
      "list x", 429, h, statusBody(429, "TooManyRequests", "storage is (re)initializing"),
      someTime());
  REQUIRE(fromHeader.retryAfter());
  CHECK(*fromHeader.retryAfter() == std::chrono::seconds(1));
  CHECK(fromHeader.message().find("storage is (re)initializing") != std::string::npos);

  auto fromDetails = kube::statusFromResponse(
      "get x", 500, {},
      statusBody(500, "ServerTimeout", "try again", json{{"retryAfterSeconds", 3}}), someTime());
  REQUIRE(fromDetails.retryAfter());
  CHECK(*fromDetails.retryAfter() == std::chrono::seconds(3));
}

TEST_CASE("KubeErrors: an in-band watch ERROR with code 410 is Gone") {
  json object = json::parse(statusBody(410, "Expired", "too old resource version: 1 (42)"));
  auto s = kube::statusFromWatchError("watch secrets", object);
  CHECK(s.code() == Code::kGone);
  CHECK(s.advice() == common::RetryAdvice::kRelist);
}

TEST_CASE("KubeErrors: control characters in server messages are flattened and long ones cut") {
  std::string longMessage(2000, 'x');
  auto s = kube::statusFromResponse(
      "get x", 500, {}, statusBody(500, "InternalError", "a\nb\tc" + longMessage), someTime());
  CHECK(s.message().find('\n') == std::string::npos);
  CHECK(s.message().size() < 500);
}
