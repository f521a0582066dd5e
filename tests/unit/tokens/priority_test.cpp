#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "runtime/controller.h"
#include "tokens/priority.h"

using namespace dbtoken;
using nlohmann::json;
using runtime::Priority;

namespace {

// A DatabaseToken as the informer caches it, changed by `patch` (a JSON merge patch).
json tokenObject(const std::string& name, const json& patch = json::object()) {
  json o = {{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
            {"kind", "DatabaseToken"},
            {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name}}},
            {"spec", {{"permissions", json::array()}}}};
  o.merge_patch(patch);
  return o;
}

}  // namespace

TEST_CASE("reconcilePriority: revocation and finalization are urgent, the rest is normal") {
  struct Row {
    const char* sentence;
    json patch;
    Priority expected;
  };
  const json deleting = {{"metadata", {{"deletionTimestamp", "2026-12-07T23:00:00Z"}}}};
  const Row rows[] = {
      {"a new resource waiting for its token is normal", json::object(), Priority::kNormal},
      {"an Active one is normal", {{"status", {{"phase", "Active"}}}}, Priority::kNormal},
      {"spec.revoked set while status is Active is urgent",
       {{"spec", {{"revoked", true}}}, {"status", {{"phase", "Active"}}}},
       Priority::kUrgent},
      {"spec.revoked set on one never issued (no status yet) is urgent",
       {{"spec", {{"revoked", true}}}},
       Priority::kUrgent},
      {"spec.revoked set while a failure shows Failed is urgent",
       {{"spec", {{"revoked", true}}}, {"status", {{"phase", "Failed"}}}},
       Priority::kUrgent},
      {"spec.revoked once status says Revoked is normal: the door is closed",
       {{"spec", {{"revoked", true}}}, {"status", {{"phase", "Revoked"}}}},
       Priority::kNormal},
      {"spec.revoked false is normal", {{"spec", {{"revoked", false}}}}, Priority::kNormal},
      {"spec.revoked that is not a boolean is normal (the reconciler reports InvalidSpec)",
       {{"spec", {{"revoked", "yes"}}}},
       Priority::kNormal},
      {"a resource being deleted is urgent", deleting, Priority::kUrgent},
      {"a resource being deleted is urgent even when already revoked",
       json::object({{"metadata", deleting["metadata"]},
                     {"spec", {{"revoked", true}}},
                     {"status", {{"phase", "Revoked"}}}}),
       Priority::kUrgent},
  };
  for (const Row& row : rows) {
    INFO(row.sentence);
    CHECK(tokens::reconcilePriority(tokenObject("writer", row.patch)) == row.expected);
  }
  CHECK(tokens::reconcilePriority(json::object()) == Priority::kNormal);
  CHECK(tokens::reconcilePriority(json::array()) == Priority::kNormal);
}

namespace {

class OrderReconciler final : public runtime::Reconciler {
 public:
  std::vector<std::string> order;
  common::Result<runtime::Action> reconcile(const kube::ObjectKey& key) override {
    order.push_back(key.name);
    return runtime::Action::awaitChange();
  }
};

}  // namespace

TEST_CASE(
    "DatabaseToken controller: with 1,000 issues queued, a revocation and a deletion are "
    "reconciled next") {
  common::FakeClock clock;
  OrderReconciler reconciler;
  runtime::ControllerOptions o;
  o.name = "databasetoken";
  o.clock = &clock;
  runtime::Controller controller(reconciler, std::move(o));
  // As operator/app.cpp watches the DatabaseToken informers.
  auto handlers = controller.eventHandlers(runtime::mapToSelf(), tokens::reconcilePriority);
  auto cached = [](json o) { return std::make_shared<const json>(std::move(o)); };
  for (int i = 0; i < 1000; ++i) {
    handlers.onAdd(cached(tokenObject("issue-" + std::to_string(i))));
  }
  REQUIRE(controller.processNext());
  json active = tokenObject("telegraf", {{"status", {{"phase", "Active"}}}});
  json revoked = tokenObject("telegraf", {{"spec", {{"revoked", true}}}});
  revoked.merge_patch({{"status", {{"phase", "Active"}}}});
  handlers.onUpdate(cached(active), cached(revoked));
  handlers.onUpdate(
      cached(tokenObject("issue-700")),
      cached(tokenObject("issue-700",
                         {{"metadata", {{"deletionTimestamp", "2026-12-07T23:00:00Z"}}}})));
  REQUIRE(controller.processNext());
  REQUIRE(controller.processNext());
  REQUIRE(controller.processNext());
  CHECK(reconciler.order ==
        std::vector<std::string>{"issue-0", "telegraf", "issue-700", "issue-1"});
}
