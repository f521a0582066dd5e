// Kubernetes test fixtures: the DatabaseToken CRD exactly as it was sent to the real
// kube-apiserver when the golden transcripts were recorded, and the Resource that addresses it.
#pragma once

#include <nlohmann/json.hpp>

#include "kube/resource.h"

namespace dbtoken::testing {

nlohmann::json databaseTokenCrd();
kube::Resource databaseTokens();
// A minimal valid DatabaseToken.
nlohmann::json databaseToken(const std::string& ns, const std::string& name);

}  // namespace dbtoken::testing
