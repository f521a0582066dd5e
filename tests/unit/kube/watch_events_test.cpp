#include <catch2/catch.hpp>

#include "kube/watch_events.h"

using namespace dbtoken;
using common::Code;

TEST_CASE("WatchEvents: each event type decodes with its object") {
  struct Row {
    const char* type;
    kube::WatchEventType expected;
  };
  for (const Row& row : {Row{"ADDED", kube::WatchEventType::kAdded},
                         Row{"MODIFIED", kube::WatchEventType::kModified},
                         Row{"DELETED", kube::WatchEventType::kDeleted},
                         Row{"BOOKMARK", kube::WatchEventType::kBookmark},
                         Row{"ERROR", kube::WatchEventType::kError}}) {
    INFO(row.type);
    std::string line = std::string("{\"type\":\"") + row.type +
                       "\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}";
    auto ev = kube::parseWatchEvent(line);
    REQUIRE(ev.ok());
    CHECK(ev->type == row.expected);
    CHECK(ev->object["metadata"]["resourceVersion"] == "7");
    CHECK(std::string(kube::watchEventTypeName(ev->type)) == row.type);
  }
}

TEST_CASE("WatchEvents: malformed lines are Internal errors that never echo the line") {
  const std::string secret = "c2VjcmV0LXRva2VuLXZhbHVl";
  const char* lines[] = {
      "{\"type\":\"ADDED\",\"object\":{\"data\":{\"token\":\"c2VjcmV0LXRva2VuLXZhbHVl\"",  // cut
      "not json at all c2VjcmV0LXRva2VuLXZhbHVl",
      "[\"c2VjcmV0LXRva2VuLXZhbHVl\"]",
      "{\"object\":{\"data\":\"c2VjcmV0LXRva2VuLXZhbHVl\"}}",
      "{\"type\":\"ADDED\",\"object\":\"c2VjcmV0LXRva2VuLXZhbHVl\"}",
  };
  for (const char* line : lines) {
    INFO(line);
    auto ev = kube::parseWatchEvent(line);
    REQUIRE_FALSE(ev.ok());
    CHECK(ev.status().code() == Code::kInternal);
    CHECK(ev.status().message().find(secret) == std::string::npos);
  }
}

TEST_CASE("WatchEvents: an unknown event type is reported by name") {
  auto ev = kube::parseWatchEvent("{\"type\":\"RESYNC\",\"object\":{}}");
  REQUIRE_FALSE(ev.ok());
  CHECK(ev.status().message() == "unknown watch event type \"RESYNC\"");
}
