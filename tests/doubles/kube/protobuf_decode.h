// Decodes the Kubernetes protobuf request bodies kubectl sends for built-in kinds (kubectl
// create namespace/secret/configmap/...): the "k8s\0" envelope around runtime.Unknown, and the
// generated messages of the kinds the double serves, into their JSON form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

std::optional<nlohmann::json> decodeKubernetesProtobuf(std::string_view body, std::string& error);

}  // namespace dbtoken::kubedouble
