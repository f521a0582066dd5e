// What the double knows about one served resource (a group/version/plural): names, scope,
// verbs, discovery facts, its schema, printer columns and the hooks of built-in kinds. Built-in
// types are fixed at start; custom ones come and go with their CustomResourceDefinitions.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/errors.h"
#include "kube/schema.h"

namespace dbtoken::kubedouble {

struct PrinterColumn {
  std::string name;
  std::string type;    // string, integer, number, boolean, date
  std::string format;  // e.g. "name"
  std::string description;
  std::string jsonPath;  // ".status.phase" (simple field paths)
  int priority = 0;
};

// Behaviour of a built-in kind beyond its schema.
struct BuiltinHooks {
  // Decoding problems a real apiserver reports as 400 "cannot be handled as a <Kind>"
  // (bad base64, malformed MicroTime, ...). Returns the message tail, or nullopt.
  std::function<std::optional<std::string>(const nlohmann::json& obj)> decode;
  // Normalisation before validation (Secret stringData -> data, Namespace status.phase, ...).
  std::function<void(nlohmann::json& obj, const nlohmann::json* old)> prepare;
  // Kind-specific validation (after ObjectMeta validation).
  std::function<FieldErrors(const nlohmann::json& obj, const nlohmann::json* old)> validate;
  // Server-side printed columns (Table) for the kind.
  std::function<std::vector<nlohmann::json>(const nlohmann::json& obj)> cells;
  std::vector<PrinterColumn> columns;
  bool ageColumn = true;  // built-in tables end with Age (CRDs show "Created At" instead)
  // Conversion between the stored form and what this group/version serves (Events share one
  // storage between core/v1 and events.k8s.io/v1). Unset: stored as served.
  std::function<nlohmann::json(const nlohmann::json& stored)> toExternal;
  std::function<nlohmann::json(const nlohmann::json& external)> toInternal;
  // Strategic-merge-patch list merge keys: path ("spec.containers") -> key ("name").
  std::vector<std::pair<std::string, std::string>> mergeKeys;
};

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string listKind;
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<std::string> shortNames;
  std::vector<std::string> categories;
  std::string storageVersionHash;
  bool custom = false;  // served from a CRD
  bool statusSubresource = false;
  bool hasGeneration = false;            // metadata.generation is maintained
  bool allowUnconditionalUpdate = true;  // PUT without resourceVersion
  bool deleteReturnsObject = false;      // Namespace: DELETE answers with the object
  std::string storageKey;  // objects read through several group/versions share it (Events)
  std::shared_ptr<const StructuralSchema> schema;
  std::vector<PrinterColumn> columns;  // CRD additionalPrinterColumns
  std::shared_ptr<const BuiltinHooks> hooks;
  std::string crdName;  // custom: the CRD that serves it

  std::string groupVersion() const { return group.empty() ? version : group + "/" + version; }
  // "databasetokens.tokens.influxdb.dev" / "configmaps"
  Qualified resource() const { return {group, plural}; }
  // "DatabaseToken.tokens.influxdb.dev" / "Secret"; events.k8s.io Events validate as the
  // internal (core) Event and are named without a group.
  Qualified kindName() const { return {kind == "Event" ? "" : group, kind}; }
};

using ResourceTypePtr = std::shared_ptr<const ResourceType>;

}  // namespace dbtoken::kubedouble
