// The JSONPath subset CRD printer columns use: .field, ['field'], [n], [*] and filters
// [?(@.a.b=="v")] / [?(@.a!="v")]. Evaluates to every matching value, in document order; the
// apiserver prints the first one in a Table cell.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

std::vector<const nlohmann::json*> evaluateJsonPath(const nlohmann::json& root,
                                                    const std::string& path);
// False for syntax the subset does not cover (a CRD using it is refused).
bool isSupportedJsonPath(const std::string& path);

}  // namespace dbtoken::kubedouble
