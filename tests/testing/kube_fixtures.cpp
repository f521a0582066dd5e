#include "testing/kube_fixtures.h"

#include <fstream>
#include <stdexcept>

namespace dbtoken::testing {

nlohmann::json databaseTokenCrd() {
  std::ifstream in(std::string(DBTOKEN_KUBE_FIXTURES_DIR) + "/02-crd-create-established.json");
  auto transcript = nlohmann::json::parse(in);
  for (const auto& step : transcript["steps"]) {
    if (step["request"]["method"] == "POST") {
      return step["request"]["body"];
    }
  }
  throw std::runtime_error("the CRD fixture has no POST");
}

kube::Resource databaseTokens() {
  return {"tokens.influxdb.dev", "v1alpha1", "databasetokens", "DatabaseToken", true};
}

nlohmann::json databaseToken(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
          {"kind", "DatabaseToken"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"permissions", {{{"action", "write"}, {"database", "sensors"}}}}}}};
}

}  // namespace dbtoken::testing
