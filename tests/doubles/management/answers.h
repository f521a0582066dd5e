// Answers the Management API double gives on every surface: JSON with the API's {code, message}
// error body, 204, and the bearer token of a request. Internal to the double.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "http/server.h"

namespace dbtoken::doubles::management {

inline constexpr std::string_view kControlPrefix = "/_double/";

inline http::ServerResponse jsonResponse(int status, const nlohmann::json& body) {
  http::ServerResponse r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

inline http::ServerResponse errorResponse(int status, const std::string& message) {
  return jsonResponse(status, nlohmann::json{{"code", status}, {"message", message}});
}

inline http::ServerResponse noContent() {
  http::ServerResponse r;
  r.status = 204;
  return r;
}

// The token of "Authorization: Bearer <token>" (or "Token <token>" where the data plane allows it).
inline std::optional<std::string> bearer(const http::ServerRequest& request,
                                         bool allowTokenScheme) {
  auto h = request.headers.get("Authorization");
  if (!h) {
    return std::nullopt;
  }
  for (std::string_view scheme : {"Bearer ", "Token "}) {
    if (scheme == "Token " && !allowTokenScheme) {
      continue;
    }
    if (h->size() > scheme.size() && h->compare(0, scheme.size(), scheme) == 0) {
      return h->substr(scheme.size());
    }
  }
  return std::nullopt;
}

}  // namespace dbtoken::doubles::management
