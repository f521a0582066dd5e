#include "tokens/inventory_reconciler.h"

#include <map>

#include "kube/object.h"
#include "tokens/database_token.h"
#include "tokens/marker.h"
#include "tokens/secret_builder.h"

namespace dbtoken::tokens {

using common::Code;
using common::Result;
using common::Status;
using nlohmann::json;

InventoryReconciler::InventoryReconciler(influx::TokenClient& influx, TokenInventory& inventory,
                                         const runtime::ObjectReader& databaseTokens,
                                         const runtime::ObjectReader& secrets,
                                         runtime::EventRecorder& events,
                                         std::function<void(const kube::ObjectKey&)> reconcileToken,
                                         common::Logger logger, InventoryOptions options)
    : influx_(influx),
      inventory_(inventory),
      databaseTokens_(databaseTokens),
      secrets_(secrets),
      events_(events),
      reconcileToken_(std::move(reconcileToken)),
      log_(std::move(logger)),
      options_(std::move(options)) {}

Result<runtime::Action> InventoryReconciler::reconcile(const kube::ObjectKey&) {
  // Read before listing: a refresh requested while the list is under way is not answered by it.
  const uint64_t answers = inventory_.refreshesRequested();
  inventory_.beginList();
  auto tokens = influx_.list();
  if (!tokens.ok()) {
    log_.warn("listing InfluxDB tokens failed", {{"error", tokens.status().message()}});
    return tokens.status();  // backoff, then try again
  }
  size_t count = tokens->size();
  inventory_.load(std::move(tokens).value(), answers);
  auto swept = sweep();
  if (!swept.ok()) {
    log_.warn("revoking orphaned tokens failed", {{"error", swept.status().message()}});
  }
  log_.info("token inventory loaded",
            {{"tokens", count}, {"orphansRevoked", swept.ok() ? *swept : 0}});
  for (const auto& object : databaseTokens_.list()) {
    reconcileToken_(kube::keyOf(*object));
  }
  if (!swept.ok()) {
    return swept.status();
  }
  return runtime::Action::requeueAfter(options_.resyncPeriod);
}

Result<int> InventoryReconciler::sweep() {
  if (!databaseTokens_.synced() || !secrets_.synced()) {
    return 0;  // without a full cache, "no resource" proves nothing
  }
  std::map<std::string, runtime::ObjectPtr> byUid;
  for (const auto& object : databaseTokens_.list()) {
    byUid[kube::uidOf(*object)] = object;
  }
  int revoked = 0;
  Status firstError;
  for (const auto& token : inventory_.all()) {
    if (token.isRevoked()) {
      continue;
    }
    auto marker = parseMarker(token.description);
    if (!marker || !options_.scope.judges(*marker)) {
      continue;  // not ours: another cluster's, another install's, or outside our namespaces
    }
    if (inventory_.busy(marker->resourceUid, token.id)) {
      continue;  // being created or just issued: the reconcile records it
    }
    runtime::ObjectPtr owner;
    if (auto it = byUid.find(marker->resourceUid); it != byUid.end()) {
      owner = it->second;
    }
    if (owner) {
      auto t = parseDatabaseToken(*owner);
      if (t.ok() && t->instance != options_.scope.instance) {
        continue;  // another install manages the resource (or none has taken it on yet)
      }
      if (t.ok()) {
        if (t->status.tokenId == token.id && t->status.revokedAt.empty()) {
          continue;  // its current token
        }
        SecretState secret =
            examineSecret(secrets_.get({t->ns, t->effectiveSecretName()}).get(), t->uid);
        if (secret.kind == SecretState::Kind::kOwned && secret.tokenId == token.id) {
          continue;  // named by its Secret: the status write is still to come
        }
      }
    }
    auto r = influx_.revoke(token.id);
    if (!r.ok()) {
      if (firstError.isOk()) {
        firstError = r.status();
      }
      continue;
    }
    inventory_.markRevoked(token.id);
    ++revoked;
    log_.info("revoked an orphaned token", {{"tokenId", token.id},
                                            {"resourceUid", marker->resourceUid},
                                            {"resourceExists", owner != nullptr}});
    if (owner) {
      events_.event(*owner, runtime::EventType::kWarning, "OrphanRevoked",
                    "Revoked token " + token.id +
                        ": it carried this resource's marker but was never recorded, so its "
                        "string is lost.");
    }
  }
  if (!firstError.isOk()) {
    return firstError;
  }
  return revoked;
}

}  // namespace dbtoken::tokens
