// Test controls of the double: injected failures (the next N requests matching a method and
// path answer with a chosen status, or are delayed) and request counters by verb and resource,
// so tests can assert "no writes in steady state". Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

struct FaultRule {
  std::string method;         // "" = any
  std::string pathPattern;    // ECMAScript regex over the path (with query), "" = any
  int remaining = 1;          // how many matching requests it applies to
  int status = 0;             // 0 = no status change (delay only)
  int retryAfterSeconds = 0;  // for 429/503
  std::chrono::milliseconds delay{0};
  std::string message;  // Status message; defaults per code
};

class FaultInjector {
 public:
  void add(FaultRule rule);
  void clear();
  // The rule that applies to this request (consuming one use), if any.
  std::optional<FaultRule> take(const std::string& method, const std::string& target);
  nlohmann::json describe() const;

 private:
  struct Active {
    FaultRule rule;
    std::regex re;
  };
  mutable std::mutex mu_;
  std::vector<Active> rules_;
};

class RequestCounters {
 public:
  // verb: get, list, watch, create, update, patch, delete, deletecollection;
  // resource: "databasetokens.tokens.influxdb.dev", "secrets", ... ("" for non-resource paths)
  void count(const std::string& verb, const std::string& resource);
  nlohmann::json snapshot() const;  // {"<verb>": {"<resource>": n}}, plus "writes" total
  void reset();
  long long writes() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, long long>> counts_;
};

}  // namespace dbtoken::kubedouble
