// The built-in kinds the double serves — Namespace, Secret, ConfigMap, ServiceAccount, core/v1
// and events.k8s.io/v1 Event, coordination.k8s.io/v1 Lease and apiextensions.k8s.io/v1
// CustomResourceDefinition here; RBAC's four kinds, Service and Deployment (what an install
// applies) in builtin_rbac_kinds.cpp and builtin_app_kinds.cpp — each with a schema (for
// pruning, type checks and OpenAPI) and the hooks that carry its special rules. Both Event APIs
// read one storage (stored as core/v1).
#pragma once

#include <vector>

#include "kube/resource_type.h"

namespace dbtoken::kubedouble {

std::vector<ResourceTypePtr> builtinResourceTypes();

// Column definitions every Table starts with (Name) and built-in kinds end with (Age).
nlohmann::json nameColumnDefinition();
nlohmann::json ageColumnDefinitionBuiltin();

// Event conversions between the storage form (core/v1) and events.k8s.io/v1.
nlohmann::json eventToEventsV1(const nlohmann::json& core);
nlohmann::json eventsV1ToEvent(const nlohmann::json& ev);

}  // namespace dbtoken::kubedouble
