#include <catch2/catch.hpp>

#include "tokens/conditions.h"
#include "tokens/database_token.h"
#include "tokens/marker.h"

using namespace dbtoken;
using namespace dbtoken::tokens;
using nlohmann::json;

TEST_CASE("Marker: the operator recognises its own tokens and only those") {
  Marker m{"3f8e1c2a-0000-4000-8000-000000000001", "blue", "telemetry",
           "6d1b9c1e-1111-4222-8333-444455556666"};
  std::string d = withMarker("Telegraf writer", m);
  CHECK(d ==
        "Telegraf writer [influxdb-token-operator cluster=3f8e1c2a-0000-4000-8000-"
        "000000000001 instance=blue namespace=telemetry "
        "resource=6d1b9c1e-1111-4222-8333-444455556666]");
  CHECK(parseMarker(d) == m);
  CHECK_FALSE(parseMarker(d)->legacy());
  CHECK(withoutMarker(d) == "Telegraf writer");
  CHECK(withMarker(d, m) == d);  // idempotent
  struct Row {
    const char* sentence;
    const char* description;
    bool ours;
  };
  const Row rows[] = {
      {"a plain description has no marker", "Telegraf writer", false},
      {"a marker in the middle is not ours",
       "x [influxdb-token-operator cluster=a "
       "resource=6d1b9c1e-1111-4222-8333-444455556666] y",
       false},
      {"a marker without a resource uid is not ours", "x [influxdb-token-operator cluster=a]",
       false},
      {"an empty description with only a marker is ours",
       "[influxdb-token-operator cluster=a resource=6d1b9c1e-1111-4222-8333-444455556666]", true},
      {"an instance without a namespace is not a marker",
       "[influxdb-token-operator cluster=a instance=b "
       "resource=6d1b9c1e-1111-4222-8333-444455556666]",
       false},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    CHECK(parseMarker(row.description).has_value() == row.ours);
  }
}

TEST_CASE("Marker: a v0.1 marker is still recognised, and re-marking it gives the current form") {
  std::string v01 =
      "Telegraf writer [influxdb-token-operator cluster=c1 "
      "resource=6d1b9c1e-1111-4222-8333-444455556666]";
  auto m = parseMarker(v01);
  REQUIRE(m);
  CHECK(m->legacy());
  CHECK(m->clusterId == "c1");
  CHECK(m->resourceUid == "6d1b9c1e-1111-4222-8333-444455556666");
  CHECK(withoutMarker(v01) == "Telegraf writer");
  Marker now{"c1", "blue", "telemetry", m->resourceUid};
  CHECK(withMarker(v01, now) ==
        "Telegraf writer [influxdb-token-operator cluster=c1 instance=blue namespace=telemetry "
        "resource=6d1b9c1e-1111-4222-8333-444455556666]");
}

TEST_CASE("Scope: a process judges only its cluster's, its install's, its namespaces' tokens") {
  const std::string uid = "6d1b9c1e-1111-4222-8333-444455556666";
  Scope clusterWide{"c1", "blue", {}};
  Scope teamb{"c1", "teamb", {"teamb"}};
  Scope blueOnTeamb{"c1", "blue", {"teamb"}};
  struct Row {
    const char* sentence;
    const Scope& scope;
    Marker marker;
    bool judges;
  };
  const Row rows[] = {
      {"a cluster-wide install judges its own tokens in any namespace",
       clusterWide,
       {"c1", "blue", "telemetry", uid},
       true},
      {"no install judges another cluster's tokens",
       clusterWide,
       {"c2", "blue", "telemetry", uid},
       false},
      {"no install judges another install's tokens",
       clusterWide,
       {"c1", "teamb", "teamb", uid},
       false},
      {"a namespaced install judges its own tokens in its namespace",
       teamb,
       {"c1", "teamb", "teamb", uid},
       true},
      {"a namespaced install never judges tokens of a namespace it does not watch",
       blueOnTeamb,
       {"c1", "blue", "telemetry", uid},
       false},
      {"a v0.1 token is judged by a process that watches every namespace",
       clusterWide,
       {"c1", "", "", uid},
       true},
      {"a v0.1 token is never judged by a namespaced install: it cannot know the resource is "
       "gone",
       teamb,
       {"c1", "", "", uid},
       false},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    CHECK(row.scope.judges(row.marker) == row.judges);
  }
}

TEST_CASE("Conditions: lastTransitionTime moves only when the status does; no change, no write") {
  std::vector<Condition> conds;
  auto t0 = common::WallTime(std::chrono::seconds(1893456000));
  auto t1 = t0 + std::chrono::minutes(5);
  CHECK(setCondition(conds, makeCondition(kConditionReady, false, "Pending", "Issuing.", 1), t0));
  CHECK(conds[0].lastTransitionTime == "2030-01-01T00:00:00Z");
  CHECK_FALSE(
      setCondition(conds, makeCondition(kConditionReady, false, "Pending", "Issuing.", 1), t1));
  CHECK(
      setCondition(conds, makeCondition(kConditionReady, false, "ApiUnavailable", "Down.", 1), t1));
  CHECK(conds[0].lastTransitionTime == "2030-01-01T00:00:00Z");  // still False
  CHECK(setCondition(conds, makeCondition(kConditionReady, true, "Created", "Ok.", 2), t1));
  CHECK(conds[0].lastTransitionTime == "2030-01-01T00:05:00Z");
  CHECK(conds[0].observedGeneration == 2);
  CHECK(parseConditions(json::array({toJson(conds[0])})) == conds);
}

TEST_CASE("DatabaseToken: a spec that slipped past the schema is InvalidSpec, named by field") {
  auto object = [](json spec) {
    return json{{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                {"kind", "DatabaseToken"},
                {"metadata", {{"name", "t"}, {"namespace", "ns"}, {"uid", "u"}, {"generation", 3}}},
                {"spec", spec}};
  };
  struct Row {
    const char* sentence;
    json spec;
    const char* problem;  // nullptr: valid
  };
  const Row rows[] = {
      {"a minimal spec is valid", {{"permissions", json::array()}}, nullptr},
      {"a missing permissions list is invalid", json::object(), "spec.permissions"},
      {"an unknown action is invalid",
       {{"permissions", {{{"action", "admin"}, {"database", "d"}}}}},
       "spec.permissions[0].action"},
      {"an empty database name is invalid",
       {{"permissions", {{{"action", "read"}, {"database", ""}}}}},
       "spec.permissions[0].database"},
      {"a 65-character database name is invalid",
       {{"permissions", {{{"action", "read"}, {"database", std::string(65, 'd')}}}}},
       "spec.permissions[0].database"},
      {"a bad secret name is invalid",
       {{"permissions", json::array()}, {"secretName", "Bad_Name"}},
       "spec.secretName"},
      {"an unknown deletion policy is invalid",
       {{"permissions", json::array()}, {"deletionPolicy", "Delete"}},
       "spec.deletionPolicy"},
      {"an expiry that is not a date-time is invalid",
       {{"permissions", json::array()}, {"expiresAt", "tomorrow"}},
       "spec.expiresAt"},
      {"revoked must be a boolean",
       {{"permissions", json::array()}, {"revoked", "yes"}},
       "spec.revoked"},
      {"a permission listed twice is invalid, at its second appearance",
       {{"permissions",
         {{{"action", "read"}, {"database", "d"}},
          {{"action", "write"}, {"database", "d"}},
          {{"action", "read"}, {"database", "d"}}}}},
       "spec.permissions[2]: Duplicate value: read on \"d\" is already spec.permissions[0]"},
      {"two \"*\" permissions with the same action are invalid",
       {{"permissions",
         {{{"action", "write"}, {"database", "*"}}, {{"action", "write"}, {"database", "*"}}}}},
       "spec.permissions[1]: Duplicate value"},
      {"one database for both actions, or one action on two databases, is valid",
       {{"permissions",
         {{{"action", "read"}, {"database", "d"}},
          {{"action", "write"}, {"database", "d"}},
          {{"action", "read"}, {"database", "*"}}}}},
       nullptr},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    auto t = parseDatabaseToken(object(row.spec));
    REQUIRE(t.ok());
    if (row.problem == nullptr) {
      CHECK_FALSE(t->invalidSpec);
    } else {
      REQUIRE(t->invalidSpec);
      CHECK(t->invalidSpec->rfind(row.problem, 0) == 0);
    }
  }
}

TEST_CASE("DatabaseToken: defaults for description and Secret name come from the object") {
  json obj = {{"metadata",
               {{"name", "writer"},
                {"namespace", "telemetry"},
                {"annotations", {{"tokens.influxdb.dev/paused", "true"}}},
                {"finalizers", {"tokens.influxdb.dev/revoke"}},
                {"deletionTimestamp", "2030-01-01T00:00:00Z"}}},
              {"spec", {{"permissions", {{{"action", "write"}, {"database", "*"}}}}}}};
  auto t = parseDatabaseToken(obj);
  REQUIRE(t.ok());
  CHECK(t->effectiveDescription() == "telemetry/writer");
  CHECK(t->effectiveSecretName() == "writer");
  CHECK(t->paused);
  CHECK(t->deleting);
  CHECK(t->hasFinalizer());
  CHECK(t->spec.deletionPolicy == DeletionPolicy::kRevoke);
  CHECK(apiPermissions(t->spec) == std::vector<influx::Permission>{{"write", "*"}});
}
