#include "tokens/conditions.h"

#include <nlohmann/json.hpp>

namespace dbtoken::tokens {

bool setCondition(std::vector<Condition>& conditions, const Condition& update,
                  common::WallTime now) {
  for (auto& c : conditions) {
    if (c.type != update.type) {
      continue;
    }
    Condition next = update;
    next.lastTransitionTime =
        c.status == update.status ? c.lastTransitionTime : common::formatRfc3339(now);
    if (next == c) {
      return false;
    }
    c = std::move(next);
    return true;
  }
  Condition added = update;
  added.lastTransitionTime = common::formatRfc3339(now);
  conditions.push_back(std::move(added));
  return true;
}

const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const auto& c : conditions) {
    if (c.type == type) {
      return &c;
    }
  }
  return nullptr;
}

Condition makeCondition(const char* type, bool status, std::string reason, std::string message,
                        int64_t generation) {
  return Condition{type,      status ? "True" : "False", std::move(reason), std::move(message), "",
                   generation};
}

nlohmann::json toJson(const Condition& c) {
  return {{"type", c.type},
          {"status", c.status},
          {"reason", c.reason},
          {"message", c.message},
          {"lastTransitionTime", c.lastTransitionTime},
          {"observedGeneration", c.observedGeneration}};
}

std::vector<Condition> parseConditions(const nlohmann::json& j) {
  std::vector<Condition> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& c : j) {
    if (!c.is_object()) {
      continue;
    }
    Condition cond;
    cond.type = c.value("type", "");
    cond.status = c.value("status", "");
    cond.reason = c.value("reason", "");
    cond.message = c.value("message", "");
    cond.lastTransitionTime = c.value("lastTransitionTime", "");
    if (auto g = c.find("observedGeneration"); g != c.end() && g->is_number_integer()) {
      cond.observedGeneration = g->get<int64_t>();
    }
    if (!cond.type.empty()) {
      out.push_back(std::move(cond));
    }
  }
  return out;
}

}  // namespace dbtoken::tokens
