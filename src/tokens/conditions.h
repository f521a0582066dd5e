// metav1.Condition for DatabaseToken status: Ready (the token exists and its Secret is current),
// Synced (the last reconcile succeeded) and Revoked (terminal). Setting a condition keeps its
// lastTransitionTime unless its status changes, and reports whether anything changed, so the
// reconciler writes status only when it must.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/time_format.h"

namespace dbtoken::tokens {

inline constexpr const char* kConditionReady = "Ready";
inline constexpr const char* kConditionSynced = "Synced";
inline constexpr const char* kConditionRevoked = "Revoked";

struct Condition {
  std::string type;
  std::string status;   // "True", "False", "Unknown"
  std::string reason;   // CamelCase
  std::string message;  // a sentence; never a secret
  std::string lastTransitionTime;
  int64_t observedGeneration = 0;
  friend bool operator==(const Condition&, const Condition&) = default;
};

// Sets `update` (its lastTransitionTime is ignored) in `conditions`. Returns true when the list
// changed.
bool setCondition(std::vector<Condition>& conditions, const Condition& update,
                  common::WallTime now);
const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type);

Condition makeCondition(const char* type, bool status, std::string reason, std::string message,
                        int64_t generation);

nlohmann::json toJson(const Condition& c);
std::vector<Condition> parseConditions(const nlohmann::json& j);

}  // namespace dbtoken::tokens
