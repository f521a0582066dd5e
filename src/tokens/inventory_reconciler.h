// InventoryReconciler: keeps the TokenInventory current with one GET /tokens — at start-up,
// after any create whose outcome is unknown, and every resync period — then sweeps for orphans
// and asks for every DatabaseToken to be reconciled (drift is found from the list, never by one
// call per token). An orphan is an unrevoked token carrying a marker this process judges (its
// cluster, its install, a namespace it watches: tokens.h Scope) whose resource no longer exists,
// or which neither its resource's status nor its Secret names (the operator crashed between the
// create and the Secret): its string is lost, so it is revoked. A token whose resource another
// install manages is never judged. Runs as a controller of one key, so only the leader sweeps
// and the work queue paces retries.
#pragma once

#include <functional>
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "influx/token_client.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/store.h"
#include "tokens/inventory.h"
#include "tokens/marker.h"

namespace dbtoken::tokens {

struct InventoryOptions {
  Scope scope;
  std::chrono::milliseconds resyncPeriod{10 * 60 * 1000};
};

class InventoryReconciler final : public runtime::Reconciler {
 public:
  // The one key this reconciler is asked about.
  static kube::ObjectKey key() { return {"", "inventory"}; }

  InventoryReconciler(influx::TokenClient& influx, TokenInventory& inventory,
                      const runtime::ObjectReader& databaseTokens,
                      const runtime::ObjectReader& secrets, runtime::EventRecorder& events,
                      std::function<void(const kube::ObjectKey&)> reconcileToken,
                      common::Logger logger, InventoryOptions options);

  common::Result<runtime::Action> reconcile(const kube::ObjectKey& key) override;

  // Revokes the orphans of the inventory in hand; returns how many were revoked.
  common::Result<int> sweep();

 private:
  influx::TokenClient& influx_;
  TokenInventory& inventory_;
  const runtime::ObjectReader& databaseTokens_;
  const runtime::ObjectReader& secrets_;
  runtime::EventRecorder& events_;
  std::function<void(const kube::ObjectKey&)> reconcileToken_;
  common::Logger log_;
  InventoryOptions options_;
};

}  // namespace dbtoken::tokens
