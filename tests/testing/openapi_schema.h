// A small OpenAPI 3.1 validator for tests: loads a document (YAML) and checks request and
// response bodies of its operations against their schemas. It knows the keywords the Management
// API's token schemas use: $ref (with siblings), type, required, properties, items, enum,
// format uuid/date-time, minLength/maxLength, minimum/maximum, minProperties, anyOf/allOf/oneOf,
// additionalProperties. Everything else is ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dbtoken::testing {

class OpenApiDocument {
 public:
  // serverPath: the path of the document's server URL ("/api/v0"), stripped from request paths.
  static common::Result<OpenApiDocument> load(const std::string& yamlFile,
                                              std::string serverPath = "/api/v0");

  // Violations, empty when the exchange matches the document. `path` is the concrete request
  // path ("/api/v0/tokens/5555..."); bodies are raw text.
  std::vector<std::string> checkRequest(const std::string& method, const std::string& path,
                                        const std::string& body) const;
  std::vector<std::string> checkResponse(const std::string& method, const std::string& path,
                                         int status, const std::string& body) const;
  // Checks a value against a schema of this document ("#/components/schemas/Error" style refs).
  std::vector<std::string> validate(const nlohmann::json& schema, const nlohmann::json& value,
                                    const std::string& where = "$") const;
  std::vector<std::string> validateAgainst(const std::string& ref,
                                           const nlohmann::json& value) const;

  const nlohmann::json& root() const { return root_; }
  // (template path, method, operation) of every operation whose path contains `pathPart`.
  struct Operation {
    std::string path;
    std::string method;
    const nlohmann::json* op;
  };
  std::vector<Operation> operations(const std::string& pathPart) const;

 private:
  struct Match {
    std::string templatePath;
    const nlohmann::json* op = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
  };
  std::optional<Match> find(const std::string& method, const std::string& path,
                            std::vector<std::string>& errors, bool checkParams) const;
  const nlohmann::json& resolve(const nlohmann::json& node) const;
  void check(const nlohmann::json& schema, const nlohmann::json& value, const std::string& where,
             std::vector<std::string>& errors, int depth) const;

  nlohmann::json root_;
  std::string serverPath_;
};

// YAML to JSON, with plain scalars typed as YAML 1.2's core schema does (int, float, bool, null).
common::Result<nlohmann::json> yamlFileToJson(const std::string& file);

}  // namespace dbtoken::testing
