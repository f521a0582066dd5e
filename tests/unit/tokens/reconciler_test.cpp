// TokenReconciler against the Kubernetes API double and a fake Management API: every item of
// DESIGN.md "Behaviour", one sentence per row (rows.h says what a row checks).
#include <catch2/catch.hpp>

#include "common/base64.h"
#include "rows.h"
#include "world.h"

namespace dbtoken::tokens::test {
namespace {

using common::Code;
using common::Status;
using nlohmann::json;
using Op = testing::FakeTokenClient::Op;

const std::vector<std::string> kIssue = {"k8s PATCH databasetokens/writer", "api POST tokens",
                                         "k8s POST secrets/writer",
                                         "k8s PATCH databasetokens/writer/status"};
const char* kStatusPatch = "k8s PATCH databasetokens/writer/status";

// A DatabaseToken created, with the inventory loaded: the first reconcile will issue.
void fresh(World& w, json spec = World::defaultSpec()) {
  w.create(std::move(spec));
  w.loadInventory();
}

void issued(World& w) {
  w.issued();
}

json withField(json spec, const std::string& field, json value) {
  spec[field] = std::move(value);
  return spec;
}

json status(World& w) {
  auto o = w.object();
  REQUIRE(o);
  return (*o).value("status", json::object());
}

bool revoked(World& w, int n) {
  auto t = w.influx.token(T(n));
  REQUIRE(t);
  return t->isRevoked();
}

TEST_CASE("TokenReconciler: issuing a token") {
  runRows({
      {.sentence = "a new DatabaseToken gets the finalizer first, then one token from the "
                   "Management API, its Secret, and an Active status",
       .given = [](World& w) { fresh(w); },
       .timeline = kIssue,
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"Created"},
       .secret = "#1",
       .also =
           [](World& w) {
             auto calls = w.influx.calls();
             REQUIRE(calls.size() == 1);
             REQUIRE(calls[0].create);
             CHECK(calls[0].create->description == "Telegraf writer " + markerFor(w.uid()));
             CHECK(calls[0].create->permissions ==
                   std::vector<influx::Permission>{{"write", "sensors"}, {"read", "*"}});
             CHECK(calls[0].create->expiresAt ==
                   common::parseRfc3339("2031-01-01T00:00:00Z").value());
             json s = status(w);
             CHECK(s["observedGeneration"] == 1);
             CHECK(s["secretName"] == "writer");
             CHECK(s["createdAt"] == "2030-01-01T00:00:00Z");
             CHECK(s["expiresAt"] == "2031-01-01T00:00:00Z");
             auto o = w.object();
             CHECK((*o)["metadata"]["finalizers"] == json::array({kFinalizer}));
           }},
      {.sentence = "the description defaults to <namespace>/<name>, and spec.secretName names "
                   "the Secret",
       .given =
           [](World& w) {
             fresh(w, {{"permissions", {{{"action", "read"}, {"database", "*"}}}},
                       {"secretName", "writer-token"}});
           },
       .timeline = {"k8s PATCH databasetokens/writer", "api POST tokens",
                    "k8s POST secrets/writer-token", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"Created"},
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(tokenOf(w, T(1)).description == "default/writer " + markerFor(w.uid()));
             CHECK(!tokenOf(w, T(1)).expiresAt);
             CHECK(status(w)["secretName"] == "writer-token");
           },
       .secretName = "writer-token"},
      {.sentence = "no token is issued before the inventory has loaded: the finalizer is added "
                   "and the reconcile looks again shortly",
       .given = [](World& w) { w.create(); },
       .timeline = {"k8s PATCH databasetokens/writer"},
       .next = "requeue after 500ms"},
      {.sentence = "a paused DatabaseToken is only told so (Synced=False Paused), with no call "
                   "to InfluxDB",
       .given =
           [](World& w) {
             w.create(World::defaultSpec(), kName, {{kPausedAnnotation, "true"}});
             w.loadInventory();
           },
       .timeline = {kStatusPatch},
       .conditions = "Synced=False Paused"},
      {.sentence = "a Secret of that name that the operator does not own is never overwritten: "
                   "Ready=False SecretConflict, a warning, and no token",
       .given =
           [](World& w) {
             w.putSecret({{"apiVersion", "v1"},
                          {"kind", "Secret"},
                          {"metadata", {{"name", kName}, {"namespace", kNs}}},
                          {"data", {{"token", common::base64Encode("someone else's")}}}});
             fresh(w);
           },
       .timeline = {"k8s PATCH databasetokens/writer", kStatusPatch},
       .phase = "Pending",
       .conditions = "Ready=False SecretConflict, Synced=False SecretConflict",
       .events = {"SecretConflict"},
       .secret = "foreign",
       .also =
           [](World& w) {
             CHECK(w.influx.calls().empty());
             CHECK((*w.secret())["data"]["token"] == common::base64Encode("someone else's"));
           }},
  });
}

TEST_CASE("TokenReconciler: steady state") {
  runRows({
      {.sentence = "a second reconcile of an issued token makes no write and no API call",
       .given =
           [](World& w) {
             fresh(w);
             REQUIRE(w.reconcile().ok());
             w.sync();
           },
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1"},
      {.sentence = "a new inventory that shows the token unchanged changes nothing: one GET for "
                   "all tokens, then no write",
       .given = issued,
       .when =
           [](World& w) {
             REQUIRE(w.reconcileInventory().ok());
             return w.reconcile();
           },
       .timeline = {"api GET tokens"},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1"},
  });
}

TEST_CASE("TokenReconciler: crash safety") {
  runRows({
      {.sentence = "if the Secret write fails after the token was created, that token is "
                   "revoked at once: no orphan",
       .given =
           [](World& w) {
             fresh(w);
             w.failKube("POST", "/secrets", 503);
           },
       .timeline = {"k8s PATCH databasetokens/writer", "api POST tokens",
                    "k8s POST secrets/writer → Unavailable", "api DELETE tokens/#1", kStatusPatch},
       .next = "Unavailable, then retry with backoff",
       .phase = "Pending",
       .conditions = "Synced=False KubernetesUnavailable, Ready=False KubernetesUnavailable",
       .events = {"KubernetesUnavailable"},
       .also = [](World& w) { CHECK(revoked(w, 1)); }},
      {.sentence = "after a failed Secret write, the retry issues one new token, reported as "
                   "Created (not as a re-issue)",
       .given =
           [](World& w) {
             fresh(w);
             w.failKube("POST", "/secrets", 503);
             REQUIRE(!w.reconcile().ok());
             w.sync();
           },
       .timeline = {"api POST tokens", "k8s POST secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = "Synced=True Synced, Ready=True TokenReady, Revoked=False NotRevoked",
       .events = {"Created"},
       .secret = "#2"},
      {.sentence = "if the status write fails after the Secret was written, a new process adopts "
                   "the token from the Secret annotation and issues none",
       .given =
           [](World& w) {
             fresh(w);
             w.failKube("PATCH", "databasetokens/writer/status", 503, 2);
             REQUIRE(!w.reconcile().ok());
             w.restart();
             w.sync();
             w.loadInventory();
           },
       .timeline = {kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 1); }},
      {.sentence = "a create whose answer was lost blocks issuing until a new inventory; its "
                   "sweep revokes the lost token, then exactly one token is issued",
       .given =
           [](World& w) {
             fresh(w);
             w.influx.failNext(Op::kCreate, Status(Code::kOutcomeUnknown, "connection reset"), 1,
                               true);
           },
       .when =
           [](World& w) {
             CHECK(outcome(w.reconcile()) == "OutcomeUnknown, then retry with backoff");
             CHECK(w.refreshRequests() == 1);
             w.sync();
             CHECK(outcome(w.reconcile()) == "requeue after 500ms");
             REQUIRE(w.reconcileInventory().ok());
             w.sync();
             return w.reconcile();
           },
       .timeline = {"k8s PATCH databasetokens/writer", "api POST tokens → OutcomeUnknown",
                    kStatusPatch, "api GET tokens", "api DELETE tokens/#1", "api POST tokens",
                    "k8s POST secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = "Synced=True Synced, Ready=True TokenReady, Revoked=False NotRevoked",
       .events = {"ApiOutcomeUnknown", "OrphanRevoked", "Created"},
       .secret = "#2",
       .also = [](World& w) { CHECK(revoked(w, 1)); }},
      {.sentence = "a token left by a process that died between POST and Secret is revoked by "
                   "the next process's first inventory, before it issues another",
       .given =
           [](World& w) {
             fresh(w);
             w.influx.failNext(Op::kCreate, Status(Code::kOutcomeUnknown, "connection reset"), 1,
                               true);
             REQUIRE(!w.reconcile().ok());
             w.sync();
             w.restart();
           },
       .when =
           [](World& w) {
             CHECK(outcome(w.reconcile()) == "requeue after 500ms");
             REQUIRE(w.reconcileInventory().ok());
             return w.reconcile();
           },
       .timeline = {"api GET tokens", "api DELETE tokens/#1", "api POST tokens",
                    "k8s POST secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = "Synced=True Synced, Ready=True TokenReady, Revoked=False NotRevoked",
       .events = {"OrphanRevoked", "Created"},
       .secret = "#2"},
      {.sentence = "a reconcile that runs before the caches show the token just issued issues "
                   "nothing more",
       .given =
           [](World& w) {
             w.create();
             REQUIRE(w.reconcile().ok());  // the finalizer; the inventory is not loaded yet
             w.sync();
             w.loadInventory();
             REQUIRE(w.reconcile().ok());  // issues; the caches do not show it yet
           },
       .next = "requeue after 500ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 1); }},
      {.sentence = "a reconcile that runs before the caches show a re-issue issues no third token",
       .given =
           [](World& w) {
             w.issued();
             w.editSecretData(kName, "tampered");
             w.sync();
             REQUIRE(w.reconcile().ok());  // re-issues #2; the caches still show #1
           },
       .next = "requeue after 500ms",
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .secret = "#2",
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 2); }},
  });
}

TEST_CASE("TokenReconciler: the Secret changed by someone else") {
  runRows({
      {.sentence = "a deleted Secret cannot be read back: a new token goes into a new Secret, "
                   "then the old token is revoked",
       .given =
           [](World& w) {
             w.issued();
             w.deleteSecret();
             w.sync();
           },
       .timeline = {"api POST tokens", "k8s POST secrets/writer", kStatusPatch,
                    "api DELETE tokens/#1"},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued", "Revoked"},
       .secret = "#2",
       .also = [](World& w) { CHECK(revoked(w, 1)); }},
      {.sentence = "an edited Secret is replaced with a new token, then the old token is revoked",
       .given =
           [](World& w) {
             w.issued();
             w.editSecretData(kName, "tampered");
             w.sync();
           },
       .timeline = {"api POST tokens", "k8s PUT secrets/writer", kStatusPatch,
                    "api DELETE tokens/#1"},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued", "Revoked"},
       .secret = "#2",
       .also = [](World& w) { CHECK(revoked(w, 1)); }},
  });
}

TEST_CASE("TokenReconciler: spec changes and drift") {
  runRows({
      {.sentence = "changed permissions are patched onto the same token",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"permissions", {{{"action", "read"}, {"database", "sensors"}}}}});
             w.sync();
           },
       .timeline = {"api PATCH tokens/#1", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"PermissionsUpdated"},
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(tokenOf(w, T(1)).permissions ==
                   std::vector<influx::Permission>{{"read", "sensors"}});
             CHECK(status(w)["observedGeneration"] == 2);
           }},
      {.sentence = "a changed description is patched onto the same token, the marker kept",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"description", "Telegraf writer, rack 2"}});
             w.sync();
           },
       .timeline = {"api PATCH tokens/#1", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"DescriptionUpdated"},
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(tokenOf(w, T(1)).description == "Telegraf writer, rack 2 " + markerFor(w.uid()));
           }},
      {.sentence = "a changed spec.expiresAt re-issues the token (the API cannot change an "
                   "expiry), then revokes the old one",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"expiresAt", "2032-01-01T00:00:00Z"}});
             w.sync();
           },
       .timeline = {"api POST tokens", "k8s PUT secrets/writer", kStatusPatch,
                    "api DELETE tokens/#1"},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued", "Revoked"},
       .secret = "#2",
       .also =
           [](World& w) {
             CHECK(status(w)["expiresAt"] == "2032-01-01T00:00:00Z");
             CHECK(status(w)["observedGeneration"] == 2);
           }},
      {.sentence = "permissions changed in InfluxDB outside Kubernetes are patched back, with no "
                   "status write",
       .given =
           [](World& w) {
             w.issued();
             influx::UpdateRequest change;
             change.permissions = std::vector<influx::Permission>{{"write", "*"}};
             w.influx.editOutside(T(1), change);
             w.loadInventory();
           },
       .timeline = {"api PATCH tokens/#1"},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"PermissionsUpdated"},
       .secret = "#1"},
      {.sentence = "a token revoked outside Kubernetes is re-issued and its Secret updated",
       .given =
           [](World& w) {
             w.issued();
             w.influx.revokeOutside(T(1));
             w.loadInventory();
           },
       .timeline = {"api POST tokens", "k8s PUT secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued"},
       .secret = "#2"},
      {.sentence = "a token deleted outside Kubernetes (absent from a later inventory) is "
                   "re-issued; revoking the old one answers 404, which is done",
       .given =
           [](World& w) {
             w.issued();
             w.influx.deleteOutside(T(1));
             w.clock.advance(std::chrono::minutes(2));
             w.loadInventory();
           },
       .timeline = {"api POST tokens", "k8s PUT secrets/writer", kStatusPatch,
                    "api DELETE tokens/#1"},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued"},
       .secret = "#2"},
      {.sentence = "after a restart, a token in status that the first inventory does not show "
                   "(an API that hides revoked tokens) is gone: it is re-issued at once",
       .given =
           [](World& w) {
             w.issued();
             w.influx.deleteOutside(T(1));
             w.restart();
             w.clock.advance(std::chrono::seconds(1));
             w.loadInventory();
           },
       .timeline = {"api POST tokens", "k8s PUT secrets/writer", kStatusPatch,
                    "api DELETE tokens/#1"},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued"},
       .secret = "#2"},
      {.sentence = "a token missing from a list begun no later than this process learnt of it "
                   "is not taken for gone: the list may predate it",
       .given =
           [](World& w) {
             w.issued();
             w.influx.deleteOutside(T(1));
             w.loadInventory();
           },
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1"},
      {.sentence = "an expired token is reported Ready=False Expired, and no token is issued "
                   "until spec.expiresAt moves",
       .given =
           [](World& w) {
             w.issued();
             w.clock.setWall(common::parseRfc3339("2031-01-02T00:00:00Z").value());
           },
       .timeline = {kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = "Ready=False Expired, Synced=True Synced, Revoked=False NotRevoked",
       .secret = "#1"},
  });
}

TEST_CASE("TokenReconciler: revocation") {
  auto revokedSpec = [](World& w) {
    w.editSpec({{"revoked", true}});
    w.sync();
  };
  const char* kRevoked = "Ready=False Revoked, Synced=True Synced, Revoked=True Revoked";
  runRows({
      {.sentence = "spec.revoked: true revokes the token, deletes its Secret, and reports phase "
                   "Revoked with revokedAt",
       .given =
           [&](World& w) {
             w.issued();
             revokedSpec(w);
           },
       .timeline = {"api DELETE tokens/#1", "k8s DELETE secrets/writer", kStatusPatch},
       .phase = "Revoked",
       .tokenId = "#1",
       .conditions = kRevoked,
       .events = {"Revoked"},
       .also =
           [](World& w) {
             CHECK(revoked(w, 1));
             CHECK(status(w)["revokedAt"] == "2030-01-01T00:00:00Z");
           }},
      {.sentence = "a revoked DatabaseToken stays revoked: later inventories and reconciles make "
                   "no call and no write",
       .given =
           [&](World& w) {
             w.issued();
             revokedSpec(w);
             REQUIRE(w.reconcile().ok());
             w.sync();
           },
       .when =
           [](World& w) {
             REQUIRE(w.reconcileInventory().ok());
             return w.reconcile();
           },
       .timeline = {"api GET tokens"},
       .phase = "Revoked",
       .tokenId = "#1",
       .conditions = kRevoked},
      {.sentence = "a DatabaseToken that was never issued a token is marked Revoked without any "
                   "API call",
       .given = [](World& w) { fresh(w, withField(World::defaultSpec(), "revoked", true)); },
       .timeline = {"k8s PATCH databasetokens/writer", kStatusPatch},
       .phase = "Revoked",
       .conditions = "Revoked=True Revoked, Ready=False Revoked, Synced=True Synced",
       .also = [](World& w) { CHECK(w.influx.calls().empty()); }},
      {.sentence = "a revocation answered 404 (the token is already gone) counts as done",
       .given =
           [&](World& w) {
             w.issued();
             w.influx.deleteOutside(T(1));
             revokedSpec(w);
           },
       .timeline = {"api DELETE tokens/#1", "k8s DELETE secrets/writer", kStatusPatch},
       .phase = "Revoked",
       .tokenId = "#1",
       .conditions = kRevoked},
      {.sentence = "a revocation the API fails keeps the token's Secret and phase, reports "
                   "Synced=False, and is retried with backoff",
       .given =
           [&](World& w) {
             w.issued();
             revokedSpec(w);
             w.influx.failNext(Op::kRevoke, Status(Code::kUnavailable, "503 Service Unavailable"));
           },
       .timeline = {"api DELETE tokens/#1 → Unavailable", kStatusPatch},
       .next = "Unavailable, then retry with backoff",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = "Ready=True TokenReady, Synced=False ApiUnavailable, Revoked=False NotRevoked",
       .events = {"ApiUnavailable"},
       .secret = "#1"},
      {.sentence = "a revocation answered 503 with Retry-After: 30 returns at once (no worker "
                   "waits) and is retried through the queue, not before 30 s",
       .given =
           [&](World& w) {
             w.issued();
             revokedSpec(w);
             w.influx.failNext(Op::kRevoke, Status(Code::kUnavailable, "503 Service Unavailable")
                                                .withRetryAfter(std::chrono::seconds(30)));
           },
       .when =
           [](World& w) {
             const auto before = w.clock.now();
             auto result = w.reconcile();
             CHECK(w.clock.now() == before);  // nothing slept on the worker
             return result;
           },
       .timeline = {"api DELETE tokens/#1 → Unavailable", kStatusPatch},
       .next = "Unavailable, then retry with backoff, not before 30000ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = "Ready=True TokenReady, Synced=False ApiUnavailable, Revoked=False NotRevoked",
       .events = {"ApiUnavailable"},
       .secret = "#1"},
      {.sentence = "spec.revoked set back to false (an old CRD without the CEL rule) is refused: "
                   "the token stays revoked and none is issued",
       .given =
           [&](World& w) {
             w.useCrdWithoutValidation();
             w.issued();
             revokedSpec(w);
             REQUIRE(w.reconcile().ok());
             w.sync();
             w.editSpec({{"revoked", false}});
             w.sync();
           },
       .timeline = {kStatusPatch},
       .phase = "Revoked",
       .tokenId = "#1",
       .conditions = "Ready=False Revoked, Synced=False UnrevokeRefused, Revoked=True Revoked",
       .events = {"UnrevokeRefused"},
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 1); }},
  });
}

TEST_CASE("TokenReconciler: deletion") {
  auto deleted = [](World& w) {
    w.deleteResource();
    w.sync();
  };
  runRows({
      {.sentence = "deleting a DatabaseToken revokes its token, then removes the finalizer; the "
                   "Secret goes with its owner",
       .given =
           [&](World& w) {
             w.issued();
             deleted(w);
           },
       .timeline = {"api DELETE tokens/#1", "k8s PATCH databasetokens/writer"},
       .phase = kDeleted,
       .events = {"Revoked"},
       .also = [](World& w) { CHECK(revoked(w, 1)); }},
      {.sentence = "while the API does not confirm the revocation, the finalizer stays",
       .given =
           [&](World& w) {
             w.issued();
             deleted(w);
             w.influx.failNext(Op::kRevoke, Status(Code::kUnavailable, "503 Service Unavailable"));
           },
       .timeline = {"api DELETE tokens/#1 → Unavailable", kStatusPatch},
       .next = "Unavailable, then retry with backoff",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = "Ready=True TokenReady, Synced=False ApiUnavailable, Revoked=False NotRevoked",
       .events = {"ApiUnavailable"},
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK((*w.object())["metadata"]["finalizers"] == json::array({kFinalizer}));
             CHECK(!revoked(w, 1));
           }},
      {.sentence = "deletionPolicy Retain releases the token: its marker removed, the Secret "
                   "kept without owner, the finalizer removed, nothing revoked",
       .given =
           [&](World& w) {
             w.issued(withField(World::defaultSpec(), "deletionPolicy", "Retain"));
             deleted(w);
           },
       .timeline = {"api PATCH tokens/#1", "k8s PATCH secrets/writer",
                    "k8s PATCH databasetokens/writer"},
       .phase = kDeleted,
       .events = {"Released"},
       .secret = "foreign",
       .also =
           [](World& w) {
             CHECK(!revoked(w, 1));
             CHECK(tokenOf(w, T(1)).description == "Telegraf writer");
             CHECK((*w.secret())["data"]["token"] ==
                   common::base64Encode(testing::FakeTokenClient::accessTokenOf(1)));
           }},
      {.sentence = "a DatabaseToken deleted before it was issued a token goes without any API "
                   "call",
       .given =
           [&](World& w) {
             w.create();
             REQUIRE(w.reconcile().ok());  // the finalizer only: no inventory yet
             w.sync();
             deleted(w);
             w.loadInventory();
           },
       .timeline = {"k8s PATCH databasetokens/writer"},
       .phase = kDeleted,
       .also = [](World& w) { CHECK(w.influx.calls().empty()); }},
  });
}

TEST_CASE("TokenReconciler: Management API errors") {
  auto failingCreate = [](Status s) {
    return [s](World& w) {
      fresh(w);
      w.influx.failNext(Op::kCreate, s);
    };
  };
  const std::vector<std::string> kFailedCreate = {"k8s PATCH databasetokens/writer",
                                                  "api POST tokens → Unavailable", kStatusPatch};
  runRows({
      {.sentence = "Unavailable on create: Pending, Ready and Synced False ApiUnavailable, a "
                   "warning, retried with backoff",
       .given = failingCreate(Status(Code::kUnavailable, "connection refused")),
       .timeline = kFailedCreate,
       .next = "Unavailable, then retry with backoff",
       .phase = "Pending",
       .conditions = "Synced=False ApiUnavailable, Ready=False ApiUnavailable",
       .events = {"ApiUnavailable"}},
      {.sentence = "429 with Retry-After on create: retried after the server's delay",
       .given = failingCreate(Status(Code::kUnavailable, "429 Too Many Requests")
                                  .withRetryAfter(std::chrono::seconds(30))),
       .timeline = kFailedCreate,
       .next = "Unavailable, then retry with backoff, not before 30000ms",
       .phase = "Pending",
       .conditions = "Synced=False ApiUnavailable, Ready=False ApiUnavailable",
       .events = {"ApiUnavailable"}},
      {.sentence = "the retry after an outage issues exactly one token",
       .given =
           [](World& w) {
             fresh(w);
             w.influx.failNext(Op::kCreate, Status(Code::kUnavailable, "connection refused"));
             REQUIRE(!w.reconcile().ok());
             w.sync();
           },
       .timeline = {"api POST tokens", "k8s POST secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = "Synced=True Synced, Ready=True TokenReady, Revoked=False NotRevoked",
       .events = {"Created"},
       .secret = "#1",
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 1); }},
      {.sentence = "400 on create is not retried until something changes: Ready=False "
                   "ApiRejected",
       .given = failingCreate(Status(Code::kInvalidArgument, "unknown database")),
       .timeline = {"k8s PATCH databasetokens/writer", "api POST tokens → InvalidArgument",
                    kStatusPatch},
       .next = "InvalidArgument, then wait for a change",
       .phase = "Pending",
       .conditions = "Synced=False ApiRejected, Ready=False ApiRejected",
       .events = {"ApiRejected"}},
      {.sentence = "403 on create reads Forbidden and is retried with backoff, since credentials "
                   "recover by themselves",
       .given = failingCreate(Status(Code::kPermissionDenied, "forbidden")),
       .timeline = {"k8s PATCH databasetokens/writer", "api POST tokens → PermissionDenied",
                    kStatusPatch},
       .next = "Unavailable, then retry with backoff",
       .phase = "Pending",
       .conditions = "Synced=False Forbidden, Ready=False Forbidden",
       .events = {"Forbidden"}},
      {.sentence = "401 on create reads Unauthorized and is retried with backoff",
       .given = failingCreate(Status(Code::kUnauthenticated, "bad management token")),
       .timeline = {"k8s PATCH databasetokens/writer", "api POST tokens → Unauthenticated",
                    kStatusPatch},
       .next = "Unavailable, then retry with backoff",
       .phase = "Pending",
       .conditions = "Synced=False Unauthorized, Ready=False Unauthorized",
       .events = {"Unauthorized"}},
      {.sentence = "a failing permissions PATCH keeps Ready=True, sets Synced=False "
                   "ApiUnavailable, and is retried",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"permissions", {{{"action", "read"}, {"database", "sensors"}}}}});
             w.sync();
             w.influx.failNext(Op::kUpdate, Status(Code::kUnavailable, "502 Bad Gateway"));
           },
       .timeline = {"api PATCH tokens/#1 → Unavailable", kStatusPatch},
       .next = "Unavailable, then retry with backoff",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = "Ready=True TokenReady, Synced=False ApiUnavailable, Revoked=False NotRevoked",
       .events = {"ApiUnavailable"},
       .secret = "#1"},
      {.sentence = "a PATCH answered 404 (the token went since the inventory) re-issues the "
                   "token instead of waiting for the next inventory",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"permissions", {{{"action", "read"}, {"database", "sensors"}}}}});
             w.sync();
             w.influx.deleteOutside(T(1));
           },
       .timeline = {"api PATCH tokens/#1 → NotFound", "api POST tokens", "k8s PUT secrets/writer",
                    kStatusPatch},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued"},
       .secret = "#2",
       .also =
           [](World& w) {
             CHECK(tokenOf(w, T(2)).permissions ==
                   std::vector<influx::Permission>{{"read", "sensors"}});
           }},
  });
}

TEST_CASE("TokenReconciler: Kubernetes errors and invalid input") {
  runRows({
      {.sentence = "a 409 on the status write is retried after a re-read, and the retry adopts "
                   "the token from its Secret instead of issuing another",
       .given =
           [](World& w) {
             fresh(w);
             w.failKube("PATCH", "databasetokens/writer/status", 409);
             CHECK(outcome(w.reconcile()) == "Conflict, then retry with backoff");
             w.sync();
           },
       .timeline = {kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 1); }},
      {.sentence = "a stale cache makes the finalizer write a conflict to retry quietly (no "
                   "Warning, no status write), and never overwrites the newer status",
       .given =
           [](World& w) {
             fresh(w);
             REQUIRE(w.reconcile().ok());  // issues; the caches do not show the finalizer yet
           },
       .timeline = {"k8s PATCH databasetokens/writer → Conflict"},
       .next = "Conflict, then retry with backoff",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also = [](World& w) { CHECK(w.influx.tokens().size() == 1); }},
      {.sentence = "an invalid spec that got past an old CRD is reported InvalidSpec, phase "
                   "Failed, and never sent to InfluxDB",
       .given =
           [](World& w) {
             w.useCrdWithoutValidation();
             fresh(w, {{"permissions", {{{"action", "admin"}, {"database", "sensors"}}}}});
           },
       .timeline = {kStatusPatch},
       .phase = "Failed",
       .conditions = "Ready=False InvalidSpec, Synced=False InvalidSpec",
       .events = {"InvalidSpec"},
       .also =
           [](World& w) {
             CHECK(w.influx.calls().empty());
             CHECK(findCondition(parseConditions(status(w)["conditions"]), kConditionReady)
                       ->message.find("spec.permissions[0].action") != std::string::npos);
           }},
      {.sentence = "a revocation is never blocked by an invalid spec: revoked set on a resource "
                   "whose permissions repeat (stored under an older CRD) revokes its token",
       .given =
           [](World& w) {
             w.useCrdWithoutValidation();
             w.issued();
             w.editSpec({{"revoked", true},
                         {"permissions",
                          {{{"action", "read"}, {"database", "d"}},
                           {{"action", "read"}, {"database", "d"}}}}});
             w.sync();
           },
       .timeline = {"api DELETE tokens/#1", "k8s DELETE secrets/writer", kStatusPatch},
       .phase = "Revoked",
       .tokenId = "#1",
       .conditions = "Ready=False Revoked, Synced=True Synced, Revoked=True Revoked",
       .events = {"Revoked"},
       .also = [](World& w) { CHECK(revoked(w, 1)); }},
      {.sentence = "a spec without permissions is InvalidSpec too",
       .given =
           [](World& w) {
             w.useCrdWithoutValidation();
             fresh(w, {{"description", "no permissions"}});
           },
       .timeline = {kStatusPatch},
       .phase = "Failed",
       .conditions = "Ready=False InvalidSpec, Synced=False InvalidSpec",
       .events = {"InvalidSpec"},
       .also = [](World& w) { CHECK(w.influx.calls().empty()); }},
  });
}

// A Secret nobody labelled, with the name a DatabaseToken asks for (kubectl create secret).
json handmadeSecret(const std::string& name = kName) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", kNs}}},
          {"type", "Opaque"},
          {"data", {{"token", common::base64Encode("x")}}}};
}

const char* kConflictConditions = "Ready=False SecretConflict, Synced=False SecretConflict";

TEST_CASE("TokenReconciler: a Secret it does not own holds the name") {
  runRows({
      {.sentence = "a hand-made Secret with the requested name (invisible to the labelled "
                   "cache): no token is issued, SecretConflict says what to do, and that Secret "
                   "is watched by name",
       .given =
           [](World& w) {
             fresh(w);
             w.putSecret(handmadeSecret());
             w.sync();
             REQUIRE(!w.secretCache.get({kNs, kName}));  // as the production informer lists
           },
       .timeline = {"k8s PATCH databasetokens/writer", kStatusPatch},
       .phase = "Pending",
       .conditions = kConflictConditions,
       .events = {"SecretConflict"},
       .secret = "foreign",
       .also =
           [](World& w) {
             CHECK(w.influx.calls().empty());
             CHECK(w.foreignSecrets.describe() == "default/writer for default/writer");
             CHECK(findCondition(parseConditions(status(w)["conditions"]), kConditionReady)
                       ->message.find("Delete it or choose another spec.secretName") !=
                   std::string::npos);
           }},
      {.sentence = "reconciled again while the hand-made Secret stays: nothing written, nothing "
                   "issued",
       .given =
           [](World& w) {
             fresh(w);
             w.putSecret(handmadeSecret());
             w.sync();
             REQUIRE(w.reconcile().ok());
             w.sync();
           },
       .timeline = {},
       .phase = "Pending",
       .conditions = kConflictConditions,
       .secret = "foreign",
       .also = [](World& w) { CHECK(w.influx.calls().empty()); }},
      {.sentence = "once the hand-made Secret is deleted, the reconcile its watch brings issues "
                   "the token, and the watch ends",
       .given =
           [](World& w) {
             fresh(w);
             w.putSecret(handmadeSecret());
             w.sync();
             REQUIRE(w.reconcile().ok());
             w.sync();
             w.deleteSecret();
             w.sync();
           },
       .timeline = {"api POST tokens", "k8s POST secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"Created"},
       .secret = "#1",
       .also = [](World& w) { CHECK(w.foreignSecrets.describe() == "nothing"); }},
  });
}

TEST_CASE("TokenReconciler: installs and their scope") {
  runRows({
      {.sentence = "a new resource is taken on with the finalizer and this install's name, in "
                   "one write guarded by its resourceVersion",
       .given = [](World& w) { fresh(w); },
       .timeline = kIssue,
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"Created"},
       .secret = "#1",
       .also =
           [](World& w) {
             auto o = w.object();
             CHECK((*o)["metadata"]["annotations"].value(kInstanceAnnotation, "") == kInstance);
             CHECK(tokenOf(w, T(1)).description == "Telegraf writer " + markerFor(w.uid()));
           }},
      {.sentence = "a resource another install has taken on is left alone: no write, no call",
       .given =
           [](World& w) {
             w.create(World::defaultSpec(), kName, {{kInstanceAnnotation, "green"}});
             w.loadInventory();
           },
       .timeline = {},
       .also = [](World& w) { CHECK(w.influx.calls().empty()); }},
      {.sentence = "a v0.1 resource (finalizer, no install named) whose token has the v0.1 "
                   "marker is taken on and its token re-marked in place: no new token",
       .given =
           [](World& w) {
             w.issued();
             w.removeAnnotation(kInstanceAnnotation);
             influx::UpdateRequest v01;
             v01.description = "Telegraf writer " + legacyMarkerFor(w.uid());
             w.influx.editOutside(T(1), v01);
             w.loadInventory();
             w.sync();
           },
       .timeline = {"k8s PATCH databasetokens/writer", "api PATCH tokens/#1"},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"DescriptionUpdated"},
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(tokenOf(w, T(1)).description == "Telegraf writer " + markerFor(w.uid()));
             CHECK(w.events.events().back().message.find("Re-marked token") != std::string::npos);
             CHECK(w.influx.tokens().size() == 1);
           }},
  });
}

TEST_CASE("TokenReconciler: the edges of spec changes") {
  runRows({
      {.sentence = "a PATCH answered 409 because the token was revoked outside: a new token is "
                   "issued at once, not retried",
       .given =
           [](World& w) {
             w.issued();
             w.influx.revokeOutside(T(1));  // the inventory still shows it live
             w.editSpec({{"permissions", {{{"action", "read"}, {"database", "sensors"}}}}});
             w.sync();
           },
       .timeline = {"api PATCH tokens/#1 → Conflict", "api GET tokens/#1", "api POST tokens",
                    "k8s PUT secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued"},
       .secret = "#2",
       .also =
           [](World& w) {
             CHECK(statusField(*w.object(), "observedGeneration") == "2");
             CHECK(tokenOf(w, T(2)).permissions ==
                   std::vector<influx::Permission>{{"read", "sensors"}});
           }},
      {.sentence = "a changed spec.secretName moves the same token into the new Secret and "
                   "deletes the old one: no new token",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"secretName", "moved"}});
             w.sync();
           },
       .timeline = {"k8s POST secrets/moved", "k8s DELETE secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"SecretMoved"},
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(!w.secret(kName));
             CHECK(statusField(*w.object(), "secretName") == "moved");
             CHECK(w.influx.tokens().size() == 1);
             CHECK(!revoked(w, 1));
           },
       .secretName = "moved"},
      {.sentence = "a move interrupted after the new Secret was written ends without a new "
                   "token",
       .given =
           [](World& w) {
             w.issued();
             w.editSpec({{"secretName", "moved"}});
             w.sync();
             w.failKube("DELETE", "secrets/writer", 503);
             REQUIRE(!w.reconcile().ok());
             w.sync();
           },
       .timeline = {"k8s DELETE secrets/writer", kStatusPatch},
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(!w.secret(kName));
             CHECK(w.influx.tokens().size() == 1);
           },
       .secretName = "moved"},
      {.sentence = "an expiresAt in the past is InvalidSpec: no token dead on arrival is issued",
       .given =
           [](World& w) {
             fresh(w, withField(World::defaultSpec(), "expiresAt", "2001-01-01T00:00:00Z"));
           },
       .timeline = {"k8s PATCH databasetokens/writer", kStatusPatch},
       .phase = "Failed",
       .conditions = "Ready=False InvalidSpec, Synced=False InvalidSpec",
       .events = {"InvalidSpec"},
       .also =
           [](World& w) {
             CHECK(w.influx.calls().empty());
             CHECK(findCondition(parseConditions(status(w)["conditions"]), kConditionReady)
                       ->message.find("spec.expiresAt") != std::string::npos);
           }},
  });
}

TEST_CASE(
    "TokenReconciler: server error text that echoes a secret never reaches a condition "
    "or an Event") {
  World w;
  w.create();
  w.loadInventory();
  w.influx.failNext(Op::kCreate,
                    Status(Code::kInvalidArgument,
                           std::string("bad request POST /tokens Authorization: Bearer ") +
                               kManagementToken + " body={...}"));
  REQUIRE(!w.reconcile().ok());
  std::string conditions = status(w)["conditions"].dump();
  CHECK(conditions.find(kManagementToken) == std::string::npos);
  CHECK(conditions.find("[REDACTED]") != std::string::npos);
  REQUIRE(!w.events.events().empty());
  for (const auto& e : w.events.events()) {
    CHECK(e.message.find(kManagementToken) == std::string::npos);
  }
  CHECK(w.events.events().back().message.find("[REDACTED]") != std::string::npos);
}

TEST_CASE("TokenReconciler: no token string ever appears in a log line, an event or a status") {
  World w;
  w.issued();
  w.editSecretData(kName, "tampered");  // a re-issue
  w.sync();
  REQUIRE(w.reconcile().ok());
  w.sync();
  w.failKube("POST", "/secrets", 503);  // a re-issue whose Secret write fails
  w.deleteSecret();
  w.sync();
  REQUIRE(!w.reconcile().ok());
  w.sync();
  REQUIRE(w.reconcile().ok());
  w.sync();
  w.editSpec({{"revoked", true}});
  w.sync();
  REQUIRE(w.reconcile().ok());
  w.sync();

  auto strings = w.influx.accessTokens();
  REQUIRE(strings.size() >= 3);
  std::string logs;
  for (const auto& line : w.logLines()) {
    logs += line + "\n";
  }
  REQUIRE(!logs.empty());
  std::string events;
  for (const auto& e : w.events.events()) {
    events += e.reason + " " + e.message + "\n";
  }
  REQUIRE(!events.empty());
  std::string status = w.object()->dump();
  for (const auto& s : strings) {
    for (const std::string& form : {s, common::base64Encode(s)}) {
      INFO(form);
      CHECK(logs.find(form) == std::string::npos);
      CHECK(events.find(form) == std::string::npos);
      CHECK(status.find(form) == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace dbtoken::tokens::test
