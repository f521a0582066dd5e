// InventoryReconciler: one GET /tokens per period, the orphan sweep (only this cluster's marked
// tokens, only when their resource is gone or never recorded them), and a reconcile asked for
// every DatabaseToken. Rows as in rows.h; `when` is the inventory reconcile unless said.
#include <algorithm>

#include <catch2/catch.hpp>

#include "rows.h"
#include "world.h"

namespace dbtoken::tokens::test {
namespace {

using common::Code;
using common::Status;
using Op = testing::FakeTokenClient::Op;

constexpr const char* kGoneUid = "11111111-1111-4111-8111-111111111111";
constexpr const char* kOtherCluster = "other-cluster";

// Ids not made by the fake, so they render as themselves in the timeline.
const std::string kOrphan = "aaaaaaaa-0000-4000-8000-000000000001";
const std::string kOrphan2 = "aaaaaaaa-0000-4000-8000-000000000002";
const std::string kOthers = "bbbbbbbb-0000-4000-8000-000000000001";
const std::string kUnmarked = "cccccccc-0000-4000-8000-000000000001";
const std::string kRevokedBefore = "dddddddd-0000-4000-8000-000000000001";

void put(World& w, const std::string& id, const std::string& description, bool revoked = false) {
  influx::Token t;
  t.id = id;
  t.description = description;
  t.permissions = {{"read", "*"}};
  t.createdAt = w.clock.wallNow();
  if (revoked) {
    t.revokedAt = w.clock.wallNow();
  }
  w.influx.put(t);
}

bool revoked(World& w, const std::string& id) {
  auto t = w.influx.token(id);
  REQUIRE(t);
  return t->isRevoked();
}

common::Result<runtime::Action> inventory(World& w) {
  return w.reconcileInventory();
}

TEST_CASE("InventoryReconciler: the orphan sweep") {
  runRows({
      {.sentence = "an unrevoked token with this cluster's marker whose resource no longer "
                   "exists is revoked; another cluster's, an unmarked and a revoked one are "
                   "never touched",
       .given =
           [](World& w) {
             w.issued();
             put(w, kOrphan, "old " + markerFor(kGoneUid));
             put(w, kOthers, "theirs " + markerFor(kGoneUid, kOtherCluster));
             put(w, kUnmarked, "hand-made");
             put(w, kRevokedBefore, "gone " + markerFor(kGoneUid), true);
           },
       .when = inventory,
       .timeline = {"api GET tokens", "api DELETE tokens/" + kOrphan},
       .next = "requeue after 600000ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(revoked(w, kOrphan));
             CHECK(!revoked(w, kOthers));
             CHECK(!revoked(w, kUnmarked));
             CHECK(!revoked(w, T(1)));
             CHECK(tokenOf(w, kOthers).description ==
                   "theirs " + markerFor(kGoneUid, kOtherCluster));
           }},
      {.sentence = "a token with a live resource's marker that neither its status nor its "
                   "Secret names is revoked, with a warning on the resource",
       .given =
           [](World& w) {
             w.issued();
             put(w, kOrphan, "Telegraf writer " + markerFor(w.uid()));
           },
       .when = inventory,
       .timeline = {"api GET tokens", "api DELETE tokens/" + kOrphan},
       .next = "requeue after 600000ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .events = {"OrphanRevoked"},
       .secret = "#1",
       .also = [](World& w) { CHECK(!revoked(w, T(1))); }},
      {.sentence = "a token named only by its Secret (its status write failed) is left alone",
       .given =
           [](World& w) {
             w.create();
             w.loadInventory();
             w.failKube("PATCH", "databasetokens/writer/status", 503, 2);
             REQUIRE(!w.reconcile().ok());
             w.restart();
             w.sync();
           },
       .when = inventory,
       .timeline = {"api GET tokens"},
       .next = "requeue after 600000ms",
       .secret = "#1",
       .also = [](World& w) { CHECK(!revoked(w, T(1))); }},
      {.sentence = "a token this process just issued is left alone while the caches do not show "
                   "it yet",
       .given =
           [](World& w) {
             w.create();
             w.loadInventory();
             REQUIRE(w.reconcile().ok());  // issued; the caches are not synced
           },
       .when = inventory,
       .timeline = {"api GET tokens"},
       .next = "requeue after 600000ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also = [](World& w) { CHECK(!revoked(w, T(1))); }},
      {.sentence = "before the caches have listed, nothing is swept: a missing resource proves "
                   "nothing yet",
       .given = [](World& w) { put(w, kOrphan, "old " + markerFor(kGoneUid)); },
       .when = inventory,
       .timeline = {"api GET tokens"},
       .next = "requeue after 600000ms",
       .phase = kDeleted,
       .also = [](World& w) { CHECK(!revoked(w, kOrphan)); }},
      {.sentence = "a revocation that fails in the sweep is an error to retry with backoff; the "
                   "other orphans are still revoked",
       .given =
           [](World& w) {
             w.issued();
             put(w, kOrphan, "old " + markerFor(kGoneUid));
             put(w, kOrphan2, "older " + markerFor(kGoneUid));
             w.influx.failNext(Op::kRevoke, Status(Code::kUnavailable, "503"));
           },
       .when = inventory,
       .timeline = {"api GET tokens", "api DELETE tokens/" + kOrphan + " → Unavailable",
                    "api DELETE tokens/" + kOrphan2},
       .next = "Unavailable, then retry with backoff",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(!revoked(w, kOrphan));
             CHECK(revoked(w, kOrphan2));
           }},
  });
}

const std::string kTheirs = "eeeeeeee-0000-4000-8000-000000000001";
const std::string kOtherNs = "eeeeeeee-0000-4000-8000-000000000002";
const std::string kV01 = "eeeeeeee-0000-4000-8000-000000000003";

TEST_CASE("InventoryReconciler: a process judges only the tokens in its scope") {
  runRows({
      {.sentence = "an install over one namespace never revokes a token of another namespace, "
                   "another install's, or a v0.1 one (it cannot know their resources are gone); "
                   "its own orphan in its namespace it does revoke",
       .given =
           [](World& w) {
             w.setScope(kInstance, {kNs});
             w.issued();
             put(w, kOrphan, "mine " + markerFor(kGoneUid));
             put(w, kOtherNs, "other ns " + markerFor(kGoneUid, kClusterId, kInstance, "teamb"));
             put(w, kTheirs, "theirs " + markerFor(kGoneUid, kClusterId, "green"));
             put(w, kV01, "v0.1 " + legacyMarkerFor(kGoneUid));
           },
       .when = inventory,
       .timeline = {"api GET tokens", "api DELETE tokens/" + kOrphan},
       .next = "requeue after 600000ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(revoked(w, kOrphan));
             CHECK(!revoked(w, kOtherNs));
             CHECK(!revoked(w, kTheirs));
             CHECK(!revoked(w, kV01));
           }},
      {.sentence = "an install over every namespace revokes a v0.1 orphan (no resource anywhere "
                   "has its UID), but never another install's",
       .given =
           [](World& w) {
             w.issued();
             put(w, kTheirs, "theirs " + markerFor(kGoneUid, kClusterId, "green"));
             put(w, kV01, "v0.1 " + legacyMarkerFor(kGoneUid));
           },
       .when = inventory,
       .timeline = {"api GET tokens", "api DELETE tokens/" + kV01},
       .next = "requeue after 600000ms",
       .phase = "Active",
       .tokenId = "#1",
       .conditions = kActive,
       .secret = "#1",
       .also =
           [](World& w) {
             CHECK(revoked(w, kV01));
             CHECK(!revoked(w, kTheirs));
           }},
      {.sentence = "a token of a resource another install has taken on is never judged, even "
                   "with this install's marker",
       .given =
           [](World& w) {
             w.create(World::defaultSpec(), kName, {{kInstanceAnnotation, "green"}});
             put(w, kOrphan, "stale " + markerFor(w.uid()));
           },
       .when = inventory,
       .timeline = {"api GET tokens"},
       .next = "requeue after 600000ms",
       .also = [](World& w) { CHECK(!revoked(w, kOrphan)); }},
  });
}

TEST_CASE("InventoryReconciler: refresh and drift") {
  runRows({
      {.sentence = "the inventory is listed again every resync period, and asks for every "
                   "DatabaseToken to be reconciled",
       .given =
           [](World& w) {
             w.create(World::defaultSpec(), "reader");
             w.create(World::defaultSpec(), kName);
           },
       .when = inventory,
       .timeline = {"api GET tokens"},
       .next = "requeue after 600000ms",
       .also =
           [](World& w) {
             CHECK(w.inventory().loaded());
             std::vector<std::string> keys;
             for (const auto& k : w.enqueued()) {
               keys.push_back(k.toString());
             }
             std::sort(keys.begin(), keys.end());
             CHECK(keys == std::vector<std::string>{"default/reader", "default/writer"});
           }},
      {.sentence = "a failed GET /tokens leaves the inventory unloaded and is retried with "
                   "backoff; meanwhile no token is issued",
       .given =
           [](World& w) {
             w.create();
             w.influx.failNext(Op::kList, Status(Code::kUnavailable, "connection refused"));
           },
       .when =
           [](World& w) {
             auto r = w.reconcileInventory();
             CHECK(!w.inventory().loaded());
             CHECK(outcome(w.reconcile()) == "requeue after 500ms");
             return r;
           },
       .timeline = {"api GET tokens → Unavailable", "k8s PATCH databasetokens/writer"},
       .next = "Unavailable, then retry with backoff"},
      {.sentence = "a token revoked outside Kubernetes is found by the next inventory, whose "
                   "reconcile re-issues it (knownGone)",
       .given =
           [](World& w) {
             w.issued();
             w.influx.revokeOutside(T(1));
           },
       .when =
           [](World& w) {
             REQUIRE(w.reconcileInventory().ok());
             CHECK(w.enqueued().size() == 1);
             return w.reconcile();
           },
       .timeline = {"api GET tokens", "api POST tokens", "k8s PUT secrets/writer",
                    "k8s PATCH databasetokens/writer/status"},
       .phase = "Active",
       .tokenId = "#2",
       .conditions = kActive,
       .events = {"TokenReissued"},
       .secret = "#2",
       .also =
           [](World& w) {
             CHECK(w.inventory().knownGone(T(1)));
             CHECK(!w.inventory().knownGone(T(2)));
           }},
  });
}

}  // namespace
}  // namespace dbtoken::tokens::test
