// The request and response values of the Kubernetes API double: what its HTTP face decodes a
// request into and encodes an answer from, and what in-process callers use directly.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/url.h"

namespace dbtoken::kubedouble {

using json = nlohmann::json;

class WatchStream;

struct ApiRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // percent-decoded path, no query
  http::Query query;
  std::string contentType;  // as sent; empty when absent
  bool hasContentType = false;
  std::string accept;
  std::string body;
  std::string user = "system:admin";  // who the request is authenticated as
  std::string userAgent;
};

struct ApiResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Retry-After, Warning, Location
  std::shared_ptr<WatchStream> watch;                        // set for a streamed (watch) answer

  static ApiResponse json(int status, const nlohmann::json& body);
  static ApiResponse text(int status, std::string body);
  std::optional<nlohmann::json> parsedBody() const;
};

}  // namespace dbtoken::kubedouble
