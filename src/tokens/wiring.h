// What the operator watches, as one definition for operator/ and for the tests' World: the
// DatabaseToken informer, the informer of the operator's own Secrets (label-selected, data
// hashed), and what is kept of a foreign Secret watched by name. A test world built from these
// lists exactly what production lists.
#pragma once

#include <string>

#include "runtime/informer.h"

namespace dbtoken::tokens {

// The transforms on ingest: a cached object keeps only what some code path reads (issue 9,
// memory): apiVersion, kind, metadata name/namespace/uid/resourceVersion/generation/
// deletionTimestamp/finalizers/ownerReferences, the managed-by label and the operator's own
// annotations; spec and status of a DatabaseToken; the data of a Secret, hashed. Dropped:
// managedFields, other labels and annotations (a last-applied copy among them),
// creationTimestamp, a Secret's type. A field read from the cache must be added here.
nlohmann::json cachedDatabaseToken(nlohmann::json token);
nlohmann::json cachedSecret(nlohmann::json secret);

runtime::InformerOptions tokenInformerOptions(const std::string& ns);
// Only Secrets with the managed-by label: a Secret the operator did not label is never cached,
// so the reconciler asks the API before it issues into a name (reconciler.h).
runtime::InformerOptions secretInformerOptions(const std::string& ns);
// A Secret watched by name because it blocks a DatabaseToken: metadata only, no data.
nlohmann::json foreignSecretTransform(nlohmann::json secret);

}  // namespace dbtoken::tokens
