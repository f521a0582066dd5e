#include "testing/management_contract.h"

#include <cstdlib>
#include <iostream>

namespace dbtoken::testing {
namespace {

OpenApiDocument loadOrDie(const std::string& name) {
  auto doc = OpenApiDocument::load(std::string(DBTOKEN_MANAGEMENT_API_DIR) + "/" + name);
  if (!doc.ok()) {
    std::cerr << doc.status().toString() << "\n";
    std::abort();  // the fixtures are part of the repository: a broken checkout
  }
  return std::move(doc).value();
}

}  // namespace

const OpenApiDocument& clusteredDocument() {
  static const OpenApiDocument doc = loadOrDie("clustered-management-api.yml");
  return doc;
}

const OpenApiDocument& dedicatedDocument() {
  static const OpenApiDocument doc = loadOrDie("cloud-dedicated-management-api.yml");
  return doc;
}

ContractChecker::ContractChecker(doubles::management::ManagementApi& api, bool checkRequests)
    : api_(api), checkRequests_(checkRequests) {
  api_.setObserver([this](const doubles::management::Exchange& e) { check(e); });
}

ContractChecker::~ContractChecker() {
  api_.setObserver(nullptr);
}

void ContractChecker::check(const doubles::management::Exchange& e) {
  const OpenApiDocument& doc = e.dedicated ? dedicatedDocument() : clusteredDocument();
  std::vector<std::string> found;
  if (e.injected) {
    // A fault's answer: only an error body the API could have sent is held to the contract.
    auto body = nlohmann::json::parse(e.responseBody, nullptr, false);
    if (!body.is_discarded() && body.is_object() && body.contains("code")) {
      found = doc.validateAgainst("#/components/schemas/Error", body);
    }
  } else {
    if (checkRequests_) {
      found = doc.checkRequest(e.method, e.path, e.requestBody);
    }
    for (auto& v : doc.checkResponse(e.method, e.path, e.status, e.responseBody)) {
      found.push_back(std::move(v));
    }
  }
  std::lock_guard lk(mu_);
  ++exchanges_;
  for (auto& v : found) {
    violations_.push_back(std::move(v));
  }
}

std::vector<std::string> ContractChecker::violations() const {
  std::lock_guard lk(mu_);
  return violations_;
}

int ContractChecker::exchanges() const {
  std::lock_guard lk(mu_);
  return exchanges_;
}

}  // namespace dbtoken::testing
