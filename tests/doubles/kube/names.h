// Kubernetes name and key validation (apimachinery's util/validation), with the exact error
// texts the apiserver returns, so causes read the same as a real cluster's.
#pragma once

#include <string>
#include <vector>

namespace dbtoken::kubedouble {

// Each returns the list of problems (empty = valid), phrased like apimachinery.
std::vector<std::string> isDns1123Subdomain(const std::string& value);
std::vector<std::string> isDns1123Label(const std::string& value);
std::vector<std::string> isQualifiedName(const std::string& value);  // label/annotation keys
std::vector<std::string> isValidLabelValue(const std::string& value);
std::vector<std::string> isConfigMapKey(const std::string& value);

// The 5 random characters a generateName gets (lowercase consonants and digits, like k8s).
std::string randomSuffix(size_t n = 5);

}  // namespace dbtoken::kubedouble
