#include "tokens/wiring.h"

#include "tokens/database_token.h"
#include "tokens/reconciler.h"
#include "tokens/secret_builder.h"

namespace dbtoken::tokens {
namespace {

using nlohmann::json;

// Moves the listed keys of `from` (those present) into a new object.
json keep(json& from, std::initializer_list<const char*> keys) {
  json out = json::object();
  if (!from.is_object()) {
    return out;
  }
  for (const char* k : keys) {
    if (auto it = from.find(k); it != from.end()) {
      out[k] = std::move(*it);
    }
  }
  return out;
}

// What every cached object keeps of its metadata: identity, version, life cycle.
json keptMetadata(json& object) {
  json& meta = object["metadata"];
  json out = keep(meta, {"name", "namespace", "uid", "resourceVersion", "generation",
                         "deletionTimestamp", "finalizers", "ownerReferences"});
  if (auto labels = meta.find("labels"); labels != meta.end()) {
    json kept = keep(*labels, {kManagedByLabel});
    if (!kept.empty()) {
      out["labels"] = std::move(kept);
    }
  }
  if (auto annotations = meta.find("annotations"); annotations != meta.end()) {
    json kept = keep(*annotations, {kPausedAnnotation, kInstanceAnnotation, kTokenIdAnnotation,
                                    kTokenHashAnnotation});
    if (!kept.empty()) {
      out["annotations"] = std::move(kept);
    }
  }
  return out;
}

}  // namespace

json cachedDatabaseToken(json token) {
  if (!token.is_object() || !token.contains("metadata") || !token["metadata"].is_object()) {
    return token;  // the reconciler reports it as malformed
  }
  json out = keep(token, {"apiVersion", "kind", "spec", "status"});
  out["metadata"] = keptMetadata(token);
  return out;
}

json cachedSecret(json secret) {
  if (!secret.is_object() || !secret.contains("metadata") || !secret["metadata"].is_object()) {
    return runtime::hashSecretData(std::move(secret));
  }
  json out = keep(secret, {"apiVersion", "kind", "data"});
  out["metadata"] = keptMetadata(secret);
  return runtime::hashSecretData(std::move(out));
}

runtime::InformerOptions tokenInformerOptions(const std::string& ns) {
  runtime::InformerOptions o;
  o.resource = databaseTokens();
  o.ns = ns;
  o.transform = cachedDatabaseToken;
  return o;
}

runtime::InformerOptions secretInformerOptions(const std::string& ns) {
  runtime::InformerOptions o;
  o.resource = kube::resources::secrets();
  o.ns = ns;
  o.labelSelector = std::string(kManagedByLabel) + "=" + kManagedByValue;
  o.transform = cachedSecret;
  return o;
}

json foreignSecretTransform(json secret) {
  json meta = secret.value("metadata", json::object());
  meta.erase("managedFields");
  meta.erase("annotations");  // may hold a last-applied copy of the data
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", std::move(meta)}};
}

}  // namespace dbtoken::tokens
