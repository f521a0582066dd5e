// Field ownership for server-side apply (metadata.managedFields), simplified to what kubectl and
// controllers rely on: maps are owned key by key, lists and scalars as a whole. Updates (PUT,
// PATCH) move ownership of what they change to their manager; an apply conflicts with other
// owners of a field it sets to a different value (unless forced) and removes fields only it
// applied before and no longer applies.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

using FieldPath = std::vector<std::string>;

struct ManagedEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string apiVersion;
  std::string subresource;  // "" or "status"
  std::string time;
  std::set<FieldPath> fields;
};

using ManagedFields = std::vector<ManagedEntry>;

// Which part of an object an operation may touch.
enum class FieldScope { kAll, kMainWithoutStatus, kStatusOnly };

std::set<FieldPath> fieldSetOf(const nlohmann::json& object, FieldScope scope);
std::string fieldPathText(const FieldPath& p);  // ".spec.description"

struct OperationContext {
  std::string manager;
  std::string apiVersion;
  std::string subresource;
  std::string time;
  FieldScope scope = FieldScope::kAll;
};

// Records an Update by ctx.manager that turned oldObject into newObject.
void recordUpdate(ManagedFields& managed, const nlohmann::json* oldObject,
                  const nlohmann::json& newObject, const OperationContext& ctx);

struct ApplyConflict {
  std::string manager;
  std::string operation;
  std::string apiVersion;
  FieldPath field;
};

struct ApplyOutcome {
  nlohmann::json object;
  ManagedFields managed;
  std::vector<ApplyConflict> conflicts;  // non-empty: refused (unless forced)
};

// Applies config (the apply body) to live (null when the object does not exist yet).
ApplyOutcome applyConfig(const nlohmann::json& live, const ManagedFields& managed,
                         const nlohmann::json& config, bool force, const OperationContext& ctx);

// metadata.managedFields as the apiserver renders it (FieldsV1).
nlohmann::json renderManagedFields(const ManagedFields& managed);

}  // namespace dbtoken::kubedouble
