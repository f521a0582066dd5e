// The Kubernetes protobuf encoding of the built-in kinds the double serves: decodes the request
// bodies kubectl sends for them (kubectl create namespace/secret/configmap/...) and encodes
// answers for clients that accept nothing but protobuf — the "k8s\0" envelope around
// runtime.Unknown and the generated messages, mapped to and from their JSON form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dbtoken::kubedouble {

std::optional<nlohmann::json> decodeKubernetesProtobuf(std::string_view body, std::string& error);

// Whether encodeKubernetesProtobuf knows the kind (or the list kind "<Kind>List").
bool protobufKnows(const std::string& kind);
// The envelope and message for a JSON object whose kind protobufKnows() (Status included).
std::string encodeKubernetesProtobuf(const nlohmann::json& object);

}  // namespace dbtoken::kubedouble
