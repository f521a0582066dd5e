// A slow or failing Management API no longer holds a worker (DESIGN.md "Revocations first"): the
// whole chain — HttpTokenClient over the Management API double, the TokenReconciler, the
// Controller and its work queue — on the World's fake clock, which only the test moves.
#include <catch2/catch.hpp>

#include "influx/http_token_client.h"
#include "management/in_process_transport.h"
#include "management/management_api.h"
#include "rows.h"
#include "runtime/controller.h"
#include "testing/temp_dir.h"
#include "tokens/priority.h"

using namespace dbtoken;
using namespace dbtoken::tokens::test;
using doubles::management::Fault;
using doubles::management::FaultKind;

TEST_CASE(
    "A revocation answered 503 with Retry-After: 30 leaves the worker at once and comes "
    "back through the queue after 30 s, ahead of queued issues") {
  World w;
  w.issued();
  // The Management API from here on: the HTTP client over the double, the same fake clock.
  doubles::management::ManagementApi api(
      doubles::management::ManagementApiOptions{kManagementToken, "", "", {}, &w.clock});
  testing::TempDir dir;
  influx::HttpTokenClientOptions o;
  o.url = "https://management.test";
  o.managementTokenFile = dir.write("management-token", kManagementToken);
  o.clock = &w.clock;
  auto client = influx::HttpTokenClient::make(
      o, std::make_unique<doubles::management::InProcessTransport>(api.handler()));
  REQUIRE(client.ok());
  w.useTokenClient(**client);
  w.loadInventory();
  Fault fault;
  fault.method = "DELETE";
  fault.pathRegex = ".*/tokens/.*";
  fault.kind = FaultKind::kStatus;
  fault.status = 503;
  fault.retryAfterSeconds = 30;
  REQUIRE(api.addFault(fault).isOk());

  runtime::ControllerOptions co;
  co.name = "databasetoken";
  co.clock = &w.clock;
  runtime::Controller controller(w.reconciler(), std::move(co));
  w.editSpec({{"revoked", true}});
  w.sync();
  auto writer = std::make_shared<const nlohmann::json>(*w.object());
  auto handlers = controller.eventHandlers(runtime::mapToSelf(), tokens::reconcilePriority);
  handlers.onUpdate(writer, writer);
  for (int i = 0; i < 100; ++i) {
    controller.queue().add({kNs, "issue-" + std::to_string(i)});  // none exists: quick no-ops
  }

  const auto before = w.clock.now();
  REQUIRE(controller.processNext());
  CHECK(w.clock.now() == before);  // the worker slept nowhere
  CHECK(api.calls().size() == 1);  // one DELETE, answered 503
  CHECK(controller.queue().waiting() == 1);
  CHECK_FALSE(controller.queue().isProcessing({kNs, kName}));
  // The worker is free for other keys meanwhile.
  for (int i = 0; i < 100; ++i) {
    REQUIRE(controller.processNext());
  }
  CHECK_FALSE(controller.processNext());
  CHECK(controller.queue().nextReadyAt() == before + std::chrono::seconds(30));
  for (int i = 0; i < 10; ++i) {
    controller.queue().add({kNs, "late-issue-" + std::to_string(i)});
  }
  w.sync();  // the informers have seen the failure recorded in status
  w.clock.advance(std::chrono::seconds(30));
  REQUIRE(controller.processNext());  // the revocation first: it kept its priority
  CHECK(api.calls().size() == 2);
  CHECK(api.calls().back().method == "DELETE");
  w.sync();
  CHECK(statusField(*w.object(), "phase") == "Revoked");
}
