#include <catch2/catch.hpp>

#include "common/status.h"

using namespace dbtoken::common;

TEST_CASE("Status: each code tells the caller what to do next") {
  struct Row {
    const char* sentence;
    Code code;
    RetryAdvice advice;
  };
  const Row rows[] = {
      {"success needs nothing", Code::kOk, RetryAdvice::kNone},
      {"an unavailable server is retried with backoff", Code::kUnavailable, RetryAdvice::kBackoff},
      {"a timeout is retried with backoff", Code::kDeadlineExceeded, RetryAdvice::kBackoff},
      {"an unknown outcome is retried with backoff (after a sweep)", Code::kOutcomeUnknown,
       RetryAdvice::kBackoff},
      {"a conflict is re-read and retried", Code::kConflict, RetryAdvice::kReread},
      {"an expired resource version needs a relist", Code::kGone, RetryAdvice::kRelist},
      {"an invalid argument is not retried", Code::kInvalidArgument, RetryAdvice::kStop},
      {"a permission problem is not retried", Code::kPermissionDenied, RetryAdvice::kStop},
      {"bad credentials are not retried", Code::kUnauthenticated, RetryAdvice::kStop},
      {"a failed precondition is not retried", Code::kFailedPrecondition, RetryAdvice::kStop},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      Status s(row.code, "x");
      CHECK(s.advice() == row.advice);
      CHECK(s.retryable() ==
            (row.advice != RetryAdvice::kNone && row.advice != RetryAdvice::kStop));
    }
  }
}

TEST_CASE("Status: toString names the code and keeps the message; annotate adds context") {
  Status s(Code::kNotFound, "secret \"x\" not found");
  CHECK(s.toString() == "NotFound: secret \"x\" not found");
  s.withRetryAfter(std::chrono::milliseconds(1500));
  Status a = s.annotate("reading secret");
  CHECK(a.code() == Code::kNotFound);
  CHECK(a.message() == "reading secret: secret \"x\" not found");
  REQUIRE(a.retryAfter());
  CHECK(a.retryAfter()->count() == 1500);
  CHECK(Status::ok().toString() == "OK");
}

TEST_CASE("Result: holds either a value or the error that explains its absence") {
  Result<int> good = 42;
  REQUIRE(good.ok());
  CHECK(*good == 42);
  CHECK(good.status().isOk());

  Result<int> bad = Status(Code::kUnavailable, "down");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kUnavailable);
  CHECK(bad.valueOr(7) == 7);

  Result<std::string> moved = std::string("abc");
  std::string taken = std::move(moved).value();
  CHECK(taken == "abc");
}
