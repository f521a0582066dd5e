#include <catch2/catch.hpp>

#include "kube/jsonpath.h"

using dbtoken::kubedouble::evaluateJsonPath;
using dbtoken::kubedouble::isSupportedJsonPath;
using nlohmann::json;

TEST_CASE("JSONPath of printer columns: fields, indexes, wildcards and filters") {
  json obj = json::parse(R"({"status": {"phase": "Active", "conditions": [
      {"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True"}]}})");
  struct Row {
    const char* path;
    json expected;  // the first match, or null
  };
  const Row rows[] = {
      {".status.phase", "Active"},
      {".status.missing", nullptr},
      {".status.conditions[1].type", "Ready"},
      {".status.conditions[-1].status", "True"},
      {".status.conditions[*].type", "Synced"},
      {R"(.status.conditions[?(@.type=="Ready")].status)", "True"},
      {R"(.status.conditions[?(@.type!="Ready")].type)", "Synced"},
      {R"({.status.phase})", "Active"},
      {".status['phase']", "Active"},
  };
  for (const auto& row : rows) {
    INFO(row.path);
    auto found = evaluateJsonPath(obj, row.path);
    json first = found.empty() ? json(nullptr) : *found.front();
    CHECK(first == row.expected);
  }
  CHECK_FALSE(isSupportedJsonPath("status.phase"));
  CHECK_FALSE(isSupportedJsonPath(".status[?(@.a<1)]"));
}
