#include "kube/faults.h"

namespace dbtoken::kubedouble {

void FaultInjector::add(FaultRule rule) {
  std::regex re(rule.pathPattern.empty() ? ".*" : rule.pathPattern, std::regex::ECMAScript);
  std::lock_guard lk(mu_);
  rules_.push_back({std::move(rule), std::move(re)});
}

void FaultInjector::clear() {
  std::lock_guard lk(mu_);
  rules_.clear();
}

std::optional<FaultRule> FaultInjector::take(const std::string& method, const std::string& target) {
  std::lock_guard lk(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!it->rule.method.empty() && it->rule.method != method) {
      continue;
    }
    if (!std::regex_search(target, it->re)) {
      continue;
    }
    FaultRule out = it->rule;
    if (--it->rule.remaining <= 0) {
      rules_.erase(it);
    }
    return out;
  }
  return std::nullopt;
}

nlohmann::json FaultInjector::describe() const {
  std::lock_guard lk(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : rules_) {
    out.push_back({{"method", a.rule.method},
                   {"path", a.rule.pathPattern},
                   {"remaining", a.rule.remaining},
                   {"status", a.rule.status},
                   {"delayMs", a.rule.delay.count()}});
  }
  return out;
}

void RequestCounters::count(const std::string& verb, const std::string& resource) {
  std::lock_guard lk(mu_);
  ++counts_[verb][resource];
}

nlohmann::json RequestCounters::snapshot() const {
  std::lock_guard lk(mu_);
  nlohmann::json out = nlohmann::json::object();
  long long writes = 0;
  for (const auto& [verb, byResource] : counts_) {
    for (const auto& [resource, n] : byResource) {
      out[verb][resource] = n;
      if (verb != "get" && verb != "list" && verb != "watch") {
        writes += n;
      }
    }
  }
  out["writes"] = writes;
  return out;
}

void RequestCounters::reset() {
  std::lock_guard lk(mu_);
  counts_.clear();
}

long long RequestCounters::writes() const {
  std::lock_guard lk(mu_);
  long long writes = 0;
  for (const auto& [verb, byResource] : counts_) {
    if (verb == "get" || verb == "list" || verb == "watch") {
      continue;
    }
    for (const auto& [resource, n] : byResource) {
      (void)resource;
      writes += n;
    }
  }
  return writes;
}

}  // namespace dbtoken::kubedouble
