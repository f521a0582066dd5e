#include "kube/object.h"

namespace dbtoken::kube {
namespace {

std::string metadataString(const nlohmann::json& object, const char* field) {
  if (!object.is_object()) {
    return {};
  }
  auto meta = object.find("metadata");
  if (meta == object.end()) {
    return {};
  }
  return stringField(*meta, field);
}

}  // namespace

std::string stringField(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) {
    return {};
  }
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return {};
  }
  return it->get<std::string>();
}

std::string ObjectKey::toString() const {
  return ns.empty() ? name : ns + "/" + name;
}

ObjectKey ObjectKey::parse(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) {
    return {"", std::string(key)};
  }
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

std::string nameOf(const nlohmann::json& object) {
  return metadataString(object, "name");
}

std::string namespaceOf(const nlohmann::json& object) {
  return metadataString(object, "namespace");
}

std::string uidOf(const nlohmann::json& object) {
  return metadataString(object, "uid");
}

std::string resourceVersionOf(const nlohmann::json& object) {
  return metadataString(object, "resourceVersion");
}

ObjectKey keyOf(const nlohmann::json& object) {
  return {namespaceOf(object), nameOf(object)};
}

std::vector<OwnerReference> ownerReferencesOf(const nlohmann::json& object) {
  std::vector<OwnerReference> out;
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return out;
  }
  const auto& meta = object["metadata"];
  auto refs = meta.find("ownerReferences");
  if (refs == meta.end() || !refs->is_array()) {
    return out;
  }
  for (const auto& r : *refs) {
    if (!r.is_object()) {
      continue;
    }
    OwnerReference ref;
    ref.apiVersion = stringField(r, "apiVersion");
    ref.kind = stringField(r, "kind");
    ref.name = stringField(r, "name");
    ref.uid = stringField(r, "uid");
    auto c = r.find("controller");
    ref.controller = c != r.end() && c->is_boolean() && c->get<bool>();
    out.push_back(std::move(ref));
  }
  return out;
}

std::optional<OwnerReference> controllerOf(const nlohmann::json& object) {
  for (auto& ref : ownerReferencesOf(object)) {
    if (ref.controller) {
      return ref;
    }
  }
  return std::nullopt;
}

}  // namespace dbtoken::kube
