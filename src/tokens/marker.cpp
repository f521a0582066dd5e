#include "tokens/marker.h"

#include <algorithm>
#include <regex>

namespace dbtoken::tokens {
namespace {

// Groups: 2 cluster, 4 instance, 5 namespace (both absent in the v0.1 form), 6 resource.
const std::regex& markerPattern() {
  static const std::regex kPattern(
      R"((^|\s)\[influxdb-token-operator cluster=([A-Za-z0-9._-]+)( instance=([a-z0-9.-]+) namespace=([a-z0-9-]+))? resource=([0-9a-fA-F-]{36})\]$)");
  return kPattern;
}

}  // namespace

std::string withMarker(const std::string& description, const Marker& marker) {
  std::string base = withoutMarker(description);
  std::string tag = "[influxdb-token-operator cluster=" + marker.clusterId;
  if (!marker.legacy()) {
    tag += " instance=" + marker.instance + " namespace=" + marker.ns;
  }
  tag += " resource=" + marker.resourceUid + "]";
  return base.empty() ? tag : base + " " + tag;
}

std::optional<Marker> parseMarker(const std::string& description) {
  std::smatch m;
  if (!std::regex_search(description, m, markerPattern())) {
    return std::nullopt;
  }
  return Marker{m[2].str(), m[4].str(), m[5].str(), m[6].str()};
}

std::string withoutMarker(const std::string& description) {
  std::smatch m;
  if (!std::regex_search(description, m, markerPattern())) {
    return description;
  }
  return description.substr(0, static_cast<size_t>(m.position(0)));
}

bool Scope::watches(const std::string& ns) const {
  return watchesAll() || std::find(namespaces.begin(), namespaces.end(), ns) != namespaces.end();
}

bool Scope::judges(const Marker& marker) const {
  if (marker.clusterId != clusterId) {
    return false;
  }
  if (marker.legacy()) {
    return watchesAll();
  }
  return marker.instance == instance && watches(marker.ns);
}

}  // namespace dbtoken::tokens
