// The client against the live double with faults injected over real HTTPS connections:
// retries for idempotent calls, never a blind second POST, unknown outcomes that leave the
// token in the double's state, timeouts, truncated and malformed answers.
#include <catch2/catch.hpp>

#include <thread>

#include "live_double.h"

using namespace dbtoken;
using common::Code;
using doubles::management::Fault;
using doubles::management::FaultKind;
using influx::CreateRequest;
using influx::UpdateRequest;
using testing::countCalls;

namespace {

CreateRequest request(const std::string& description) {
  return CreateRequest{description, {{"read", "sensors"}}, std::nullopt};
}

Fault fault(const char* method, FaultKind kind, int status = 503, int times = 1) {
  Fault f;
  f.method = method;
  f.pathRegex = ".*/tokens.*";
  f.kind = kind;
  f.status = status;
  f.times = times;
  return f;
}

bool waitForTokens(doubles::management::ManagementApi& api, size_t n) {
  for (int i = 0; i < 200 && api.tokens().size() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return api.tokens().size() == n;
}

// The double records a call after it has done the work: wait for the record too.
bool waitForCalls(doubles::management::ManagementApi& api, const std::string& method, int n) {
  for (int i = 0; i < 200 && countCalls(api, method) < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return countCalls(api, method) == n;
}

}  // namespace

TEST_CASE(
    "Faults over HTTPS: GET, PATCH and DELETE answered 500, 503 or 429 come back at once, "
    "retryable, and the caller's retry goes through") {
  testing::LiveDouble live;
  auto client = live.client();
  REQUIRE(client.ok());
  auto created = (*client)->create(request("retry target"));
  REQUIRE(created.ok());
  live.remember(created->accessToken);
  const std::string id = created->token.id;
  for (int status : {500, 503, 429}) {
    INFO("status " << status);
    live.api().clearCalls();
    REQUIRE(live.api().addFault(fault("GET", FaultKind::kStatus, status, 1)).isOk());
    auto failed = (*client)->get(id);
    CHECK(failed.status().code() == Code::kUnavailable);
    CHECK(failed.status().retryAfter().has_value());
    CHECK((*client)->get(id).ok());
    CHECK(countCalls(live.api(), "GET") == 2);
    REQUIRE(live.api().addFault(fault("PATCH", FaultKind::kStatus, status, 1)).isOk());
    CHECK_FALSE((*client)->update(id, UpdateRequest{"renamed " + std::to_string(status), {}}).ok());
    CHECK((*client)->update(id, UpdateRequest{"renamed " + std::to_string(status), {}}).ok());
    CHECK(countCalls(live.api(), "PATCH") == 2);
  }
  REQUIRE(live.api().addFault(fault("DELETE", FaultKind::kStatus, 503, 1)).isOk());
  CHECK((*client)->revoke(id).status().code() == Code::kUnavailable);
  CHECK((*client)->revoke(id).ok());
  CHECK(countCalls(live.api(), "DELETE") == 2);
  CHECK(live.contract().violations().empty());
  CHECK_FALSE(live.secretLeaked());
}

TEST_CASE("Faults over HTTPS: a POST is never retried after it may have reached the server") {
  struct Row {
    const char* sentence;
    FaultKind kind;
    int status;
    Code code;
    size_t tokensAfter;
  };
  const std::vector<Row> rows = {
      {"answered 500: the token may exist", FaultKind::kStatusAfterWork, 500, Code::kOutcomeUnknown,
       1},
      {"answered 503 without doing anything: still unknown to the client", FaultKind::kStatus, 503,
       Code::kOutcomeUnknown, 0},
      {"refused with 429: nothing was created", FaultKind::kStatus, 429, Code::kUnavailable, 0},
      {"the connection dropped after the work", FaultKind::kDropAfterWork, 0, Code::kOutcomeUnknown,
       1},
      {"the connection dropped before the work", FaultKind::kDropBeforeWork, 0,
       Code::kOutcomeUnknown, 0},
      {"the answer was cut halfway", FaultKind::kTruncateAfterWork, 0, Code::kOutcomeUnknown, 1},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      testing::LiveDouble live;
      auto client = live.client();
      REQUIRE(client.ok());
      // A pooled connection first: cpprestsdk would silently resend a POST on it.
      REQUIRE((*client)->list().ok());
      REQUIRE(
          live.api().addFault(fault("POST", row.kind, row.status == 0 ? 503 : row.status)).isOk());
      auto created = (*client)->create(request("only once"));
      REQUIRE_FALSE(created.ok());
      CHECK(created.status().code() == row.code);
      CHECK(countCalls(live.api(), "POST") == 1);
      CHECK(live.api().tokens().size() == row.tokensAfter);
      CHECK(live.contract().violations().empty());
      CHECK_FALSE(live.secretLeaked());
    }
  }
}

TEST_CASE("Faults over HTTPS: the orphan of a lost POST can be found by its description") {
  testing::LiveDouble live;
  auto client = live.client();
  REQUIRE(client.ok());
  REQUIRE(live.api().addFault(fault("POST", FaultKind::kDropAfterWork)).isOk());
  auto created = (*client)->create(request("owner=uid-1234"));
  REQUIRE(created.status().code() == Code::kOutcomeUnknown);
  auto listed = (*client)->list();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().description == "owner=uid-1234");
  CHECK(live.api().tokens().front().id == listed->front().id);
  CHECK((*client)->revoke(listed->front().id).ok());
}

TEST_CASE(
    "Faults over HTTPS: lost and cut answers to idempotent calls are sent again at once, once") {
  testing::LiveDouble live;
  auto client = live.client();
  REQUIRE(client.ok());
  auto created = (*client)->create(request("x"));
  REQUIRE(created.ok());
  live.remember(created->accessToken);
  for (auto kind :
       {FaultKind::kDropAfterWork, FaultKind::kDropBeforeWork, FaultKind::kTruncateAfterWork}) {
    REQUIRE(live.api().addFault(fault("GET", kind, 503, 1)).isOk());
    CHECK((*client)->list().ok());
  }
  REQUIRE(live.api().addFault(fault("GET", FaultKind::kDropAfterWork, 503, 20)).isOk());
  auto exhausted = (*client)->list();
  REQUIRE_FALSE(exhausted.ok());
  CHECK(exhausted.status().code() == Code::kUnavailable);
  live.api().clearFaults();
  REQUIRE(live.api().addFault(fault("DELETE", FaultKind::kDropAfterWork)).isOk());
  CHECK((*client)->revoke(created->token.id).ok());  // the retry sees 204 or 404: done
}

TEST_CASE(
    "Faults over HTTPS: an answer slower than the timeout is DeadlineExceeded, or unknown for a "
    "POST") {
  testing::LiveDouble live;
  auto slowFault = [](const char* method) {
    Fault f = fault(method, FaultKind::kDelay);
    f.latency = std::chrono::milliseconds(700);
    return f;
  };
  auto patient = live.client(influx::UrlShape::kClustered,
                             [](auto& o) { o.timeout = std::chrono::milliseconds(250); });
  auto single = live.client(influx::UrlShape::kClustered, [](auto& o) {
    o.timeout = std::chrono::milliseconds(250);
    o.retry.maxAttempts = 1;
  });
  REQUIRE(patient.ok());
  REQUIRE(single.ok());

  // A timeout has used the call's time: no resend on the worker; the caller's retry is fast.
  REQUIRE(live.api().addFault(slowFault("GET")).isOk());
  CHECK((*patient)->list().status().code() == Code::kDeadlineExceeded);
  CHECK((*patient)->list().ok());

  REQUIRE(live.api().addFault(slowFault("GET")).isOk());
  auto timedOut = (*single)->list();
  CHECK(timedOut.status().code() == Code::kDeadlineExceeded);

  REQUIRE(live.api().addFault(slowFault("POST")).isOk());
  auto created = (*patient)->create(request("slow"));
  CHECK(created.status().code() == Code::kOutcomeUnknown);
  CHECK(waitForTokens(live.api(), 1));  // the server finished the work after the client gave up
  CHECK(waitForCalls(live.api(), "POST", 1));
}

TEST_CASE(
    "Faults over HTTPS: answers that are not JSON, miss fields or carry wrong types are typed "
    "errors") {
  struct Row {
    const char* sentence;
    std::string body;
    const char* contentType;
  };
  const std::vector<Row> rows = {
      {"an HTML page", "<html><body>502 Bad Gateway</body></html>", "text/html"},
      {"JSON cut in the middle", R"({"id":"5555)", "application/json"},
      {"a token without createdAt",
       R"({"id":"55555555-5555-4555-8555-555555555555","description":"d","permissions":[]})",
       "application/json"},
      {"fields of the wrong type",
       R"({"id":"55555555-5555-4555-8555-555555555555","description":7,"permissions":[],"createdAt":"2024-01-01T00:00:00Z"})",
       "application/json"},
      {"an empty body", "", "application/json"},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      testing::LiveDouble live;
      auto client = live.client();
      REQUIRE(client.ok());
      auto existing = (*client)->create(request("existing"));
      REQUIRE(existing.ok());
      live.remember(existing->accessToken);
      for (const char* method : {"GET", "POST", "PATCH"}) {
        Fault f = fault(method, FaultKind::kBody, 200);
        f.body = row.body;
        f.contentType = row.contentType;
        REQUIRE(live.api().addFault(f).isOk());
      }
      auto got = (*client)->get(existing->token.id);
      CHECK(got.status().code() == Code::kInternal);
      auto created = (*client)->create(request("garbled"));
      CHECK(created.status().code() == Code::kOutcomeUnknown);
      auto updated = (*client)->update(existing->token.id, UpdateRequest{"y", std::nullopt});
      CHECK(updated.status().code() == Code::kInternal);
      CHECK_FALSE(live.secretLeaked());
    }
  }
}
