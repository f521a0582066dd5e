// Kubernetes objects as JSON: the key that names one (namespace/name) and read-only accessors
// for the metadata fields the runtime needs. Owns no storage and no I/O; objects are plain
// nlohmann::json values, typed structs are for the domain module's own resource only.
#pragma once

#include <compare>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::kube {

// What a reconcile is asked about: level-based, only the namespace and the name.
struct ObjectKey {
  std::string ns;  // empty for cluster-scoped objects
  std::string name;

  // "ns/name", or "name" for cluster-scoped objects (client-go's cache key).
  std::string toString() const;
  // The inverse of toString().
  static ObjectKey parse(std::string_view key);

  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

struct ObjectKeyHash {
  size_t operator()(const ObjectKey& k) const noexcept {
    return std::hash<std::string>()(k.ns) * 31 + std::hash<std::string>()(k.name);
  }
};

struct OwnerReference {
  std::string apiVersion;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};

// object[key] when it is a string, else "" (never throws, whatever the JSON holds).
std::string stringField(const nlohmann::json& object, const char* key);

// Metadata accessors: "" (or empty) when the field is absent or not a string.
std::string nameOf(const nlohmann::json& object);
std::string namespaceOf(const nlohmann::json& object);
std::string uidOf(const nlohmann::json& object);
std::string resourceVersionOf(const nlohmann::json& object);
ObjectKey keyOf(const nlohmann::json& object);
std::vector<OwnerReference> ownerReferencesOf(const nlohmann::json& object);
// The owner reference with controller: true, if there is one.
std::optional<OwnerReference> controllerOf(const nlohmann::json& object);

}  // namespace dbtoken::kube
