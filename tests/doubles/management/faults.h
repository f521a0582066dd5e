// Fault injection for the Management API double: rules that make the next N requests matching a
// method and a path pattern answer with a status, answer late, answer a raw body, or lose the
// connection before or after the work is done. A rule is used up after `times` matches.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dbtoken::doubles::management {

enum class FaultKind {
  kDelay,              // only the latency, then the normal answer
  kStatus,             // answer `status` with an error body, without doing the work
  kStatusAfterWork,    // do the work, then answer `status` with an error body
  kBody,               // answer `status` with `body` verbatim (not JSON, missing fields, ...)
  kDropBeforeWork,     // close the connection without doing anything
  kDropAfterWork,      // do the work, then close the connection without answering
  kTruncateAfterWork,  // do the work, send the head and half the body, then close
  kEcho,  // answer `status` with an error whose message echoes the whole request, headers
          // (the management token) and body included, as careless servers and proxies do
};

struct Fault {
  std::string method = "*";      // an HTTP method, or "*" for any
  std::string pathRegex = ".*";  // ECMAScript regular expression matched against the whole path
  int times = 1;
  FaultKind kind = FaultKind::kStatus;
  int status = 503;
  std::optional<int> retryAfterSeconds;  // adds Retry-After to kStatus answers
  std::string body;
  std::string contentType = "application/json";
  std::chrono::milliseconds latency{0};  // waited before anything else, with any kind
};

// {"method", "path", "times", "kind": "delay"|"status"|"statusAfterWork"|"body"|"dropBeforeWork"|
//  "dropAfterWork"|"truncateAfterWork"|"echo", "status", "retryAfter", "body", "contentType",
//  "latencyMs"}
common::Result<Fault> faultFromJson(const nlohmann::json& j);
const char* faultKindName(FaultKind kind);

// Thread-safe list of rules, first match wins.
class FaultTable {
 public:
  // InvalidArgument when the path pattern is not a valid regular expression.
  common::Status add(Fault fault);
  void clear();
  // The first rule matching, with one use taken from it.
  std::optional<Fault> take(const std::string& method, const std::string& path);
  size_t size() const;

 private:
  struct Rule {
    Fault fault;
    std::regex pattern;
  };
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
};

}  // namespace dbtoken::doubles::management
