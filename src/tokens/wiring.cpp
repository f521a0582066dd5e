#include "tokens/wiring.h"

#include "tokens/reconciler.h"
#include "tokens/secret_builder.h"

namespace dbtoken::tokens {

using nlohmann::json;

runtime::InformerOptions tokenInformerOptions(const std::string& ns) {
  runtime::InformerOptions o;
  o.resource = databaseTokens();
  o.ns = ns;
  o.transform = runtime::stripManagedFields;
  return o;
}

runtime::InformerOptions secretInformerOptions(const std::string& ns) {
  runtime::InformerOptions o;
  o.resource = kube::resources::secrets();
  o.ns = ns;
  o.labelSelector = std::string(kManagedByLabel) + "=" + kManagedByValue;
  o.transform = [](json secret) {
    return runtime::hashSecretData(runtime::stripManagedFields(std::move(secret)));
  };
  return o;
}

json foreignSecretTransform(json secret) {
  json meta = secret.value("metadata", json::object());
  meta.erase("managedFields");
  meta.erase("annotations");  // may hold a last-applied copy of the data
  return {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", std::move(meta)}};
}

}  // namespace dbtoken::tokens
