// The ownership marker: what the operator appends to a token's description in InfluxDB so that
// it can find its own tokens again (after a crash between create and Secret, or when their
// resource is gone) without an idempotency key. It names the Kubernetes cluster (operators of
// two clusters sharing one InfluxDB never touch each other's tokens), the install (two installs
// over the same cluster never judge each other's tokens), and the resource's namespace and UID
// (an install judges only tokens whose resource lies in a namespace it watches). Releasing a
// token (deletion policy Retain) removes the marker.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dbtoken::tokens {

struct Marker {
  std::string clusterId;    // names the Kubernetes cluster (the kube-system namespace UID)
  std::string instance;     // names the install (--instance); "" in a v0.1 (legacy) marker
  std::string ns;           // the resource's namespace; "" in a v0.1 (legacy) marker
  std::string resourceUid;  // the DatabaseToken the token was issued for
  // Written by v0.1, before installs and namespaces were named: recognised, and re-marked in
  // place by the resource's reconcile.
  bool legacy() const { return instance.empty(); }
  friend bool operator==(const Marker&, const Marker&) = default;
};

// "Telegraf writer [influxdb-token-operator cluster=<id> instance=<name> namespace=<ns>
// resource=<uid>]"
std::string withMarker(const std::string& description, const Marker& marker);
// Both the current and the v0.1 form ("[influxdb-token-operator cluster=<id> resource=<uid>]").
std::optional<Marker> parseMarker(const std::string& description);
// The description without a trailing marker (what a released token keeps).
std::string withoutMarker(const std::string& description);

// What one operator process may judge: its cluster, its install, and the namespaces it watches
// (empty: all of them).
struct Scope {
  std::string clusterId;
  std::string instance;
  std::vector<std::string> namespaces;

  bool watchesAll() const { return namespaces.empty(); }
  bool watches(const std::string& ns) const;
  // A token with this marker is this process's to sweep as an orphan when its resource is
  // missing: this cluster, this install, a namespace it watches. A v0.1 marker names neither
  // install nor namespace, so only a process that watches every namespace can know its
  // resource is gone.
  bool judges(const Marker& marker) const;
};

}  // namespace dbtoken::tokens
