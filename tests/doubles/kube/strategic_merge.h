// Strategic merge patch for the built-in kinds the double serves: maps merge (null deletes),
// lists merge by key where the Kubernetes type says so (ownerReferences by uid, finalizers as a
// set) and are replaced otherwise; the $patch (replace, delete), $retainKeys,
// $deleteFromPrimitiveList and $setElementOrder directives are honoured.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

struct ListMergeRule {
  std::string path;      // dotted path of the list, e.g. "metadata.ownerReferences"
  std::string mergeKey;  // "" for a list of primitives merged as a set
};

// The rules every object has (metadata.finalizers, metadata.ownerReferences) plus extra.
std::vector<ListMergeRule> defaultMergeRules();

nlohmann::json strategicMerge(const nlohmann::json& original, const nlohmann::json& patch,
                              const std::vector<ListMergeRule>& rules);

}  // namespace dbtoken::kubedouble
