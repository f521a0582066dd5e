#include "tokens/marker.h"

#include <regex>

namespace dbtoken::tokens {
namespace {

const std::regex& markerPattern() {
  static const std::regex kPattern(
      R"((^|\s)\[influxdb-token-operator cluster=([A-Za-z0-9._-]+) resource=([0-9a-fA-F-]{36})\]$)");
  return kPattern;
}

}  // namespace

std::string withMarker(const std::string& description, const Marker& marker) {
  std::string base = withoutMarker(description);
  std::string tag = "[influxdb-token-operator cluster=" + marker.clusterId +
                    " resource=" + marker.resourceUid + "]";
  return base.empty() ? tag : base + " " + tag;
}

std::optional<Marker> parseMarker(const std::string& description) {
  std::smatch m;
  if (!std::regex_search(description, m, markerPattern())) {
    return std::nullopt;
  }
  return Marker{m[2].str(), m[3].str()};
}

std::string withoutMarker(const std::string& description) {
  std::smatch m;
  if (!std::regex_search(description, m, markerPattern())) {
    return description;
  }
  return description.substr(0, static_cast<size_t>(m.position(0)));
}

}  // namespace dbtoken::tokens
