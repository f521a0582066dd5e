// The ownership marker: what the operator appends to a token's description in InfluxDB so that
// it can find its own tokens again (after a crash between create and Secret, or when their
// resource is gone) without an idempotency key, and so that operators of two Kubernetes
// clusters sharing one InfluxDB never touch each other's tokens. Releasing a token (deletion
// policy Retain) removes the marker.
#pragma once

#include <optional>
#include <string>

namespace dbtoken::tokens {

struct Marker {
  std::string clusterId;    // names the Kubernetes cluster (the kube-system namespace UID)
  std::string resourceUid;  // the DatabaseToken the token was issued for
  friend bool operator==(const Marker&, const Marker&) = default;
};

// "Telegraf writer [influxdb-token-operator cluster=<id> resource=<uid>]"
std::string withMarker(const std::string& description, const Marker& marker);
std::optional<Marker> parseMarker(const std::string& description);
// The description without a trailing marker (what a released token keeps).
std::string withoutMarker(const std::string& description);

}  // namespace dbtoken::tokens
