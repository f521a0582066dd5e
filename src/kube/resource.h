// Resource: how the API client addresses one kind of object — API group, version, plural
// resource name, kind, and whether it lives in a namespace — and the REST paths that follow.
// Pure values; the client (api_client.h) does the I/O. The built-in kinds the runtime writes
// (Events, Leases) and reads (Secrets) are listed here; domain kinds are defined by their module.
#pragma once

#include <string>
#include <string_view>

namespace dbtoken::kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "secrets"
  std::string kind;     // "Secret"
  bool namespaced = true;

  // "v1" for the core group, "coordination.k8s.io/v1" otherwise.
  std::string apiVersion() const;
  // "secrets" or "leases.coordination.k8s.io": how kubectl and RBAC name it.
  std::string groupResource() const;
  // "/api/v1/namespaces/NS/secrets"; an empty namespace means all namespaces (and is the only
  // form for cluster-scoped resources).
  std::string collectionPath(std::string_view ns) const;
  // ".../secrets/NAME" and, with a subresource, ".../secrets/NAME/status".
  std::string objectPath(std::string_view ns, std::string_view name,
                         std::string_view subresource = {}) const;

  friend bool operator==(const Resource&, const Resource&) = default;
};

namespace resources {
Resource secrets();
Resource configMaps();
Resource namespaces();
Resource events();  // core/v1 Events (what `kubectl describe` shows)
Resource leases();  // coordination.k8s.io/v1
}  // namespace resources

}  // namespace dbtoken::kube
