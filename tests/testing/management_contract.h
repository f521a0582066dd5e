// ContractChecker: watches every exchange the Management API double serves and checks it
// against the published OpenAPI document of its URL shape (Clustered or Cloud Dedicated): the
// client's request bodies and the double's answers. Injected faults are held only to the Error
// schema. Tests assert that violations() is empty.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "management/management_api.h"
#include "testing/openapi_schema.h"

namespace dbtoken::testing {

// The two documents, loaded once per process from tests/fixtures/management-api.
const OpenApiDocument& clusteredDocument();
const OpenApiDocument& dedicatedDocument();

class ContractChecker {
 public:
  // checkRequests=false for tests that send invalid requests on purpose.
  explicit ContractChecker(doubles::management::ManagementApi& api, bool checkRequests = true);
  ~ContractChecker();
  ContractChecker(const ContractChecker&) = delete;
  ContractChecker& operator=(const ContractChecker&) = delete;

  std::vector<std::string> violations() const;
  int exchanges() const;
  void check(const doubles::management::Exchange& exchange);

 private:
  doubles::management::ManagementApi& api_;
  bool checkRequests_;
  mutable std::mutex mu_;
  std::vector<std::string> violations_;
  int exchanges_ = 0;
};

}  // namespace dbtoken::testing
