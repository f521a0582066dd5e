#include "kube/strategic_merge.h"

#include <algorithm>

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

const ListMergeRule* ruleFor(const std::vector<ListMergeRule>& rules, const std::string& path) {
  for (const auto& r : rules) {
    if (r.path == path) {
      return &r;
    }
  }
  return nullptr;
}

json mergeValue(const json& original, const json& patch, const std::string& path,
                const std::vector<ListMergeRule>& rules);

json mergeList(const json& original, const json& patch, const std::string& path,
               const std::vector<ListMergeRule>& rules) {
  const ListMergeRule* rule = ruleFor(rules, path);
  if (rule == nullptr || !original.is_array()) {
    json out = json::array();
    for (const auto& item : patch) {
      if (!(item.is_object() && item.contains("$patch"))) {
        out.push_back(item);
      }
    }
    return out;
  }
  json out = original;
  if (rule->mergeKey.empty()) {
    for (const auto& item : patch) {
      if (std::find(out.begin(), out.end(), item) == out.end()) {
        out.push_back(item);
      }
    }
    return out;
  }
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(rule->mergeKey)) {
      out.push_back(item);
      continue;
    }
    const json& key = item[rule->mergeKey];
    auto existing = std::find_if(out.begin(), out.end(), [&](const json& o) {
      return o.is_object() && o.contains(rule->mergeKey) && o[rule->mergeKey] == key;
    });
    std::string directive = item.value("$patch", "");
    if (directive == "delete") {
      if (existing != out.end()) {
        out.erase(existing);
      }
      continue;
    }
    if (existing != out.end()) {
      *existing = mergeValue(*existing, item, path + "[]", rules);
    } else {
      json clean = item;
      clean.erase("$patch");
      out.push_back(clean);
    }
  }
  return out;
}

json mergeValue(const json& original, const json& patch, const std::string& path,
                const std::vector<ListMergeRule>& rules) {
  if (!patch.is_object()) {
    if (patch.is_array() && original.is_array()) {
      return mergeList(original, patch, path, rules);
    }
    return patch;
  }
  std::string directive = patch.value("$patch", "");
  if (directive == "replace") {
    json out = patch;
    out.erase("$patch");
    return out;
  }
  if (directive == "delete") {
    return json();  // caller removes the key
  }
  json out = original.is_object() ? original : json::object();
  if (auto retain = patch.find("$retainKeys"); retain != patch.end() && retain->is_array()) {
    for (auto it = out.begin(); it != out.end();) {
      if (std::find(retain->begin(), retain->end(), it.key()) == retain->end()) {
        it = out.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& key = it.key();
    if (key == "$patch" || key == "$retainKeys" || key.rfind("$setElementOrder/", 0) == 0) {
      continue;
    }
    if (key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = key.substr(std::string("$deleteFromPrimitiveList/").size());
      if (out.contains(field) && out[field].is_array() && it->is_array()) {
        json kept = json::array();
        for (const auto& v : out[field]) {
          if (std::find(it->begin(), it->end(), v) == it->end()) {
            kept.push_back(v);
          }
        }
        out[field] = kept;
      }
      continue;
    }
    std::string childPath = path.empty() ? key : path + "." + key;
    if (it->is_null()) {
      out.erase(key);
      continue;
    }
    json merged = mergeValue(out.contains(key) ? out[key] : json(), *it, childPath, rules);
    if (merged.is_null() && it->is_object()) {
      out.erase(key);  // $patch: delete
    } else {
      out[key] = std::move(merged);
    }
  }
  return out;
}

}  // namespace

std::vector<ListMergeRule> defaultMergeRules() {
  return {{"metadata.finalizers", ""}, {"metadata.ownerReferences", "uid"}};
}

json strategicMerge(const json& original, const json& patch,
                    const std::vector<ListMergeRule>& rules) {
  return mergeValue(original, patch, "", rules);
}

}  // namespace dbtoken::kubedouble
