#include "kube/resource.h"

#include "http/url.h"

namespace dbtoken::kube {

std::string Resource::apiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string Resource::groupResource() const {
  return group.empty() ? plural : plural + "." + group;
}

std::string Resource::collectionPath(std::string_view ns) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) {
    path += "/namespaces/";
    path += http::percentEncode(ns);
  }
  path += '/';
  path += plural;
  return path;
}

std::string Resource::objectPath(std::string_view ns, std::string_view name,
                                 std::string_view subresource) const {
  std::string path = collectionPath(ns);
  path += '/';
  path += http::percentEncode(name);
  if (!subresource.empty()) {
    path += '/';
    path += subresource;
  }
  return path;
}

namespace resources {

Resource secrets() {
  return {"", "v1", "secrets", "Secret", true};
}
Resource configMaps() {
  return {"", "v1", "configmaps", "ConfigMap", true};
}
Resource namespaces() {
  return {"", "v1", "namespaces", "Namespace", false};
}
Resource events() {
  return {"", "v1", "events", "Event", true};
}
Resource leases() {
  return {"coordination.k8s.io", "v1", "leases", "Lease", true};
}

}  // namespace resources
}  // namespace dbtoken::kube
