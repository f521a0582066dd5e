#include <catch2/catch.hpp>

#include "influx/errors.h"

using namespace dbtoken;
using common::Code;
using influx::Operation;

TEST_CASE("Errors: each HTTP status becomes the code that tells the caller what to do") {
  struct Row {
    const char* sentence;
    Operation op;
    int status;
    Code code;
  };
  const std::vector<Row> rows = {
      {"400 is a request that can never succeed", Operation::kCreate, 400, Code::kInvalidArgument},
      {"422 likewise", Operation::kUpdate, 422, Code::kInvalidArgument},
      {"401 means the management token is wrong", Operation::kList, 401, Code::kUnauthenticated},
      {"403 means it lacks the right", Operation::kList, 403, Code::kPermissionDenied},
      {"404 is NotFound", Operation::kGet, 404, Code::kNotFound},
      {"409 on a create means it already exists", Operation::kCreate, 409, Code::kAlreadyExists},
      {"409 on an update is a conflict to re-read", Operation::kUpdate, 409, Code::kConflict},
      {"429 is the API asking to back off", Operation::kList, 429, Code::kUnavailable},
      {"500 is transient", Operation::kGet, 500, Code::kUnavailable},
      {"503 is transient", Operation::kRevoke, 503, Code::kUnavailable},
      {"408 is a timeout", Operation::kGet, 408, Code::kDeadlineExceeded},
      {"a status the API never uses is Internal", Operation::kGet, 418, Code::kInternal},
  };
  common::FakeClock clock;
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      auto s = influx::statusFromResponse(row.op, row.status, {}, "", clock);
      CHECK(s.code() == row.code);
      CHECK_THAT(s.message(), Catch::StartsWith(influx::operationName(row.op)));
    }
  }
}

TEST_CASE("Errors: the API's {code, message} body gives the text") {
  common::FakeClock clock;
  auto s = influx::statusFromResponse(Operation::kCreate, 409, {},
                                      R"({"code":409,"message":"conflict"})", clock);
  CHECK(s.message() == "create token: 409 Conflict: conflict");
  auto notJson =
      influx::statusFromResponse(Operation::kGet, 502, {}, "<html>bad gateway</html>", clock);
  CHECK(notJson.message() == "get token: 502 Bad Gateway");
}

TEST_CASE("Errors: a long or multi-line API message is cut and flattened") {
  common::FakeClock clock;
  std::string body = R"({"code":400,"message":")" + std::string(1000, 'x') + R"(\nnext"})";
  auto s = influx::statusFromResponse(Operation::kCreate, 400, {}, body, clock);
  CHECK(s.message().size() < 400);
  CHECK(s.message().find('\n') == std::string::npos);
}

TEST_CASE("Errors: Retry-After in seconds or as a date becomes the retry delay") {
  common::FakeClock clock;  // 2030-01-01T00:00:00Z
  http::Headers seconds;
  seconds.add("Retry-After", "3");
  auto s = influx::statusFromResponse(Operation::kList, 429, seconds, "", clock);
  REQUIRE(s.retryAfter());
  CHECK(*s.retryAfter() == std::chrono::seconds(3));

  http::Headers date;
  date.add("Retry-After", "Tue, 01 Jan 2030 00:00:10 GMT");
  auto d = influx::statusFromResponse(Operation::kList, 503, date, "", clock);
  REQUIRE(d.retryAfter());
  CHECK(*d.retryAfter() == std::chrono::seconds(10));

  CHECK_FALSE(influx::parseRetryAfter("soon", clock.wallNow()).has_value());
  CHECK_FALSE(influx::parseRetryAfter("-1", clock.wallNow()).has_value());
  CHECK(influx::parseRetryAfter("Mon, 01 Jan 2029 00:00:00 GMT", clock.wallNow()) ==
        std::chrono::milliseconds(0));
}
