// TokenReconciler: makes InfluxDB agree with one DatabaseToken (DESIGN.md "Behaviour"): the
// finalizer first; the crash-safe create sequence (POST, then the Secret, then status — and the
// token revoked again if its Secret cannot be written); revocation on spec.revoked (the owned
// Secret deleted); deletion by policy (Revoke, or Retain which releases the token and keeps its
// Secret); drift from the inventory (permissions or description patched back; a token revoked
// or deleted outside Kubernetes, a deleted or edited Secret, or a changed expiry re-issued);
// never a Secret it does not own; the pause annotation; status written only when it changes; an
// event for every external action. Only resources of its own install (the instance annotation,
// set with the finalizer) are acted on. A Secret of the requested name that it does not own is
// never touched and no token is issued while it is there; it is watched, so its deletion brings
// the issue promptly. A changed spec.secretName moves the token into the new Secret. Every
// condition and Event message passes the redactor. Level-based: it never learns why it was called.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "influx/token_client.h"
#include "kube/api_client.h"
#include "runtime/controller.h"
#include "runtime/event_recorder.h"
#include "runtime/object_watches.h"
#include "runtime/store.h"
#include "tokens/database_token.h"
#include "tokens/inventory.h"
#include "tokens/marker.h"
#include "tokens/secret_builder.h"

namespace dbtoken::tokens {

kube::Resource databaseTokens();

struct ReconcilerOptions {
  Scope scope;  // cluster and install, for the ownership marker and the instance annotation
  // Scrubs every condition and Event message (server error texts may echo a secret).
  std::shared_ptr<const common::Redactor> redactor;
  std::string fieldManager = "influxdb-token-operator";
  // When the inventory has not loaded yet, look again after this long.
  std::chrono::milliseconds inventoryWait{500};
};

class TokenReconciler final : public runtime::Reconciler {
 public:
  TokenReconciler(kube::KubeApi& kube, influx::TokenClient& influx,
                  const runtime::ObjectReader& databaseTokens, const runtime::ObjectReader& secrets,
                  TokenInventory& inventory, runtime::EventRecorder& events,
                  runtime::ObjectWatches& foreignSecrets, const common::Clock& clock,
                  common::Logger logger, ReconcilerOptions options);

  common::Result<runtime::Action> reconcile(const kube::ObjectKey& key) override;

 private:
  struct Context;  // one reconcile's state

  common::Result<runtime::Action> finalize(Context& c);
  common::Result<runtime::Action> revoke(Context& c);
  common::Result<runtime::Action> ensure(Context& c);
  common::Result<runtime::Action> issue(Context& c, const std::string& previousId, const char* why);
  // Ready=False and Synced=False with reason InvalidSpec; nothing is sent to InfluxDB.
  common::Result<runtime::Action> invalidSpec(Context& c, const std::string& problem);

  // Adds the finalizer and the instance annotation (whichever is missing) in one write guarded
  // by the resourceVersion: of two installs, one takes the resource on, the other sees it taken.
  common::Status takeOn(Context& c);
  common::Status removeFinalizer(Context& c);
  common::Status writeSecret(Context& c, const std::string& tokenId,
                             const common::Secret& accessToken);
  // The Secret of the given name as the API has it now (the cache holds only labelled ones).
  common::Result<SecretState> readSecretLive(Context& c, const std::string& name);
  // Reports that a Secret the operator does not own holds the name; no token is issued.
  common::Result<runtime::Action> secretConflict(Context& c, const std::string& secretName);
  // Moves token `id` from the Secret named in status into the one spec.secretName names;
  // false (and nothing written) when the old Secret does not hold it intact any more.
  common::Result<bool> moveSecret(Context& c, const std::string& id);
  common::Status deleteOwnedSecret(Context& c);
  // Deletes a Secret this resource owns under a name it no longer uses (after a move).
  common::Status deleteOldSecret(Context& c);
  // Deletes the Secret `name` if it is still the one with `uid`; NotFound counts as done.
  common::Status deleteSecret(Context& c, const std::string& name, const std::string& uid,
                              const char* logLine);
  common::Status releaseSecret(Context& c);
  common::Status writeStatus(Context& c);
  // Revokes every token this resource owns except `keep`: status and Secret ids, recently
  // issued ones, and unrevoked tokens carrying its marker. NotFound counts as done.
  common::Status revokeAllBut(Context& c, const std::string& keep, bool& revokedSomething);
  common::Status revokeOne(Context& c, const std::string& id, bool& revoked);
  // Which API a failure came from: it names the reason, and decides how it is retried.
  enum class Source { kInflux, kKubernetes };
  // Records a failure in Synced (and Ready while there is no token) and hands it on to the
  // controller's error policy.
  common::Result<runtime::Action> failed(Context& c, const common::Status& status,
                                         const char* doing, Source source);

  Marker marker(const DatabaseToken& t) const;
  void event(Context& c, runtime::EventType type, const std::string& reason,
             const std::string& message);
  std::string scrub(const std::string& text) const;

  kube::KubeApi& kube_;
  influx::TokenClient& influx_;
  const runtime::ObjectReader& databaseTokens_;
  const runtime::ObjectReader& secrets_;
  TokenInventory& inventory_;
  runtime::EventRecorder& events_;
  runtime::ObjectWatches& foreignSecrets_;
  const common::Clock& clock_;
  common::Logger log_;
  ReconcilerOptions options_;
};

// Reason a failure is reported with (Synced=False): ApiUnavailable, Unauthorized, Forbidden...
std::string reasonFor(const common::Status& status, bool kubernetes);

}  // namespace dbtoken::tokens
