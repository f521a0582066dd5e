// core/v1 Service and apps/v1 Deployment: what an installer applies next to its RBAC. Stored
// with the apiserver's defaults (a Service gets a cluster IP, TCP ports and a target port; a
// Deployment gets one replica, a RollingUpdate strategy and its pod defaults) and its
// validation of what must be there (ports, a selector that matches the template's labels,
// containers with a name and an image; immutable selector and cluster IP). The pod template
// keeps fields the schema does not list (no strict check below spec.template.spec). No
// controller runs: a Deployment's status stays empty and its /scale is not served.
#include <atomic>

#include "kube/builtin_kind_support.h"
#include "kube/errors.h"
#include "kube/names.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

// ---- Service ----------------------------------------------------------------------------

const char* kServiceSchema = R"({
  "type": "object",
  "description": "Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.",
  "properties": {
    "spec": {"type": "object", "properties": {
      "type": {"type": "string"},
      "selector": {"type": "object", "additionalProperties": {"type": "string"}},
      "ports": {"type": "array", "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["port", "protocol"],
        "x-kubernetes-patch-merge-key": "port", "x-kubernetes-patch-strategy": "merge",
        "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "protocol": {"type": "string"},
        "appProtocol": {"type": "string"}, "port": {"type": "integer"},
        "targetPort": {"x-kubernetes-int-or-string": true}, "nodePort": {"type": "integer"}}}},
      "clusterIP": {"type": "string"},
      "clusterIPs": {"type": "array", "items": {"type": "string"}},
      "externalIPs": {"type": "array", "items": {"type": "string"}},
      "externalName": {"type": "string"},
      "externalTrafficPolicy": {"type": "string"},
      "internalTrafficPolicy": {"type": "string"},
      "healthCheckNodePort": {"type": "integer"},
      "ipFamilies": {"type": "array", "items": {"type": "string"}},
      "ipFamilyPolicy": {"type": "string"},
      "loadBalancerIP": {"type": "string"},
      "loadBalancerClass": {"type": "string"},
      "loadBalancerSourceRanges": {"type": "array", "items": {"type": "string"}},
      "allocateLoadBalancerNodePorts": {"type": "boolean"},
      "publishNotReadyAddresses": {"type": "boolean"},
      "sessionAffinity": {"type": "string"},
      "sessionAffinityConfig": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "trafficDistribution": {"type": "string"}}},
    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
  }
})";

// Cluster IPs from 10.96.0.0/12 after the kubernetes Service's 10.96.0.1, one per Service.
std::string allocateClusterIp() {
  static std::atomic<unsigned> next{10};
  unsigned n = next++;
  return "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
}

void prepareService(json& obj, const json* old) {
  json& spec = obj["spec"];
  if (!spec.is_object()) {
    spec = json::object();
  }
  if (!spec.contains("type")) {
    spec["type"] = "ClusterIP";
  }
  if (!spec.contains("sessionAffinity")) {
    spec["sessionAffinity"] = "None";
  }
  const bool external = spec["type"] == "ExternalName";
  if (!external) {
    if (!spec.contains("internalTrafficPolicy")) {
      spec["internalTrafficPolicy"] = "Cluster";
    }
    const json* oldSpec = old != nullptr && old->contains("spec") ? &(*old)["spec"] : nullptr;
    if (!spec.contains("clusterIP") && oldSpec != nullptr && oldSpec->contains("clusterIP")) {
      spec["clusterIP"] = (*oldSpec)["clusterIP"];  // an update that omits it keeps it
    }
    if (!spec.contains("clusterIP")) {
      spec["clusterIP"] = allocateClusterIp();
    }
    spec["clusterIPs"] = json::array({spec["clusterIP"]});
    if (!spec.contains("ipFamilies") && spec["clusterIP"] != "None") {
      spec["ipFamilies"] = json::array({"IPv4"});
    }
    if (!spec.contains("ipFamilyPolicy")) {
      spec["ipFamilyPolicy"] = "SingleStack";
    }
  }
  if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& port : spec["ports"]) {
      if (!port.is_object()) {
        continue;
      }
      if (!port.contains("protocol")) {
        port["protocol"] = "TCP";
      }
      if (!port.contains("targetPort") && port.contains("port")) {
        port["targetPort"] = port["port"];
      }
    }
  }
  if (old == nullptr || !obj.contains("status")) {
    obj["status"] = json{{"loadBalancer", json::object()}};
  }
}

FieldErrors validateService(const json& obj, const json* old) {
  FieldErrors errs;
  const json spec = obj.value("spec", json::object());
  const std::string type = builtin::stringAt(spec, "type");
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    errs.push_back({FieldErrorType::kNotSupported, "spec.type", goQuote(type),
                    "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
                    "\"NodePort\""});
  }
  const json ports = spec.value("ports", json::array());
  const bool headless = builtin::stringAt(spec, "clusterIP") == "None";
  if (ports.empty() && type != "ExternalName" && !headless) {
    errs.push_back({FieldErrorType::kRequired, "spec.ports", std::nullopt, ""});
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    const json& p = ports[i];
    const std::string path = "spec.ports[" + std::to_string(i) + "]";
    const std::string name = builtin::stringAt(p, "name");
    if (ports.size() > 1 && name.empty()) {
      errs.push_back({FieldErrorType::kRequired, path + ".name", std::nullopt, ""});
    } else if (!name.empty()) {
      for (const auto& msg : isDns1123Label(name)) {
        errs.push_back({FieldErrorType::kInvalid, path + ".name", goQuote(name), msg});
      }
      if (std::find(names.begin(), names.end(), name) != names.end()) {
        errs.push_back({FieldErrorType::kDuplicate, path + ".name", goQuote(name), ""});
      }
      names.push_back(name);
    }
    long long port = p.value("port", 0LL);
    if (port < 1 || port > 65535) {
      errs.push_back({FieldErrorType::kInvalid, path + ".port", std::to_string(port),
                      "must be between 1 and 65535, inclusive"});
    }
    const std::string protocol = builtin::stringAt(p, "protocol");
    if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      errs.push_back({FieldErrorType::kNotSupported, path + ".protocol", goQuote(protocol),
                      "supported values: \"SCTP\", \"TCP\", \"UDP\""});
    }
  }
  if (old != nullptr) {
    const json oldSpec = old->value("spec", json::object());
    if (oldSpec.contains("clusterIP") && oldSpec["clusterIP"] != spec.value("clusterIP", json())) {
      errs.push_back({FieldErrorType::kInvalid, "spec.clusterIPs[0]",
                      goQuote(builtin::stringAt(spec, "clusterIP")), "may not change once set"});
    }
  }
  return errs;
}

std::vector<json> serviceCells(const json& obj) {
  const json spec = obj.value("spec", json::object());
  std::string ports;
  for (const auto& p : spec.value("ports", json::array())) {
    ports += (ports.empty() ? "" : ",") + std::to_string(p.value("port", 0LL)) + "/" +
             p.value("protocol", std::string("TCP"));
  }
  std::string externalIps;
  for (const auto& ip : spec.value("externalIPs", json::array())) {
    externalIps += (externalIps.empty() ? "" : ",") + ip.get<std::string>();
  }
  return {builtin::stringAt(spec, "type"), builtin::stringAt(spec, "clusterIP"),
          externalIps.empty() ? "<none>" : externalIps, ports.empty() ? "<none>" : ports};
}

ResourceTypePtr serviceType() {
  auto t = std::make_shared<ResourceType>();
  t->version = "v1";
  t->plural = "services";
  t->singular = "service";
  t->kind = "Service";
  t->listKind = "ServiceList";
  t->verbs = builtin::allVerbs();
  t->shortNames = {"svc"};
  t->categories = {"all"};
  t->storageVersionHash = "0/CO1lhkEBI=";
  t->storageKey = "services";
  t->statusSubresource = true;
  t->schema = builtin::compiledSchema(kServiceSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->prepare = prepareService;
  h->validate = validateService;
  h->columns = {builtin::printerColumn("Type", ""), builtin::printerColumn("Cluster-IP", ""),
                builtin::printerColumn("External-IP", ""), builtin::printerColumn("Port(s)", "")};
  h->cells = serviceCells;
  h->mergeKeys = {{"spec.ports", "port"}};
  t->hooks = h;
  return t;
}

// ---- Deployment -------------------------------------------------------------------------

const char* kDeploymentSchema = R"({
  "type": "object",
  "description": "Deployment enables declarative updates for Pods and ReplicaSets.",
  "properties": {
    "spec": {"type": "object", "properties": {
      "replicas": {"type": "integer"},
      "selector": {"type": "object", "properties": {
        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "matchExpressions": {"type": "array", "items": {"type": "object",
          "x-kubernetes-preserve-unknown-fields": true}}}},
      "template": {"type": "object", "properties": {
        "metadata": {"type": "object", "properties": {
          "name": {"type": "string"}, "namespace": {"type": "string"},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
          "finalizers": {"type": "array", "items": {"type": "string"}},
          "creationTimestamp": {"type": "string", "nullable": true}}},
        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {
          "containers": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
            "properties": {
              "name": {"type": "string"}, "image": {"type": "string"},
              "imagePullPolicy": {"type": "string"},
              "args": {"type": "array", "items": {"type": "string"}},
              "command": {"type": "array", "items": {"type": "string"}},
              "env": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge",
                "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
              "ports": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["containerPort", "protocol"],
                "x-kubernetes-patch-merge-key": "containerPort",
                "x-kubernetes-patch-strategy": "merge",
                "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
              "volumeMounts": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["mountPath"],
                "x-kubernetes-patch-merge-key": "mountPath",
                "x-kubernetes-patch-strategy": "merge",
                "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}},
          "volumes": {"type": "array", "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "x-kubernetes-patch-merge-key": "name",
            "x-kubernetes-patch-strategy": "merge,retainKeys",
            "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
          "serviceAccountName": {"type": "string"},
          "terminationGracePeriodSeconds": {"type": "integer"}}}}},
      "strategy": {"type": "object", "properties": {
        "type": {"type": "string"},
        "rollingUpdate": {"type": "object", "properties": {
          "maxUnavailable": {"x-kubernetes-int-or-string": true},
          "maxSurge": {"x-kubernetes-int-or-string": true}}}}},
      "minReadySeconds": {"type": "integer"},
      "revisionHistoryLimit": {"type": "integer"},
      "paused": {"type": "boolean"},
      "progressDeadlineSeconds": {"type": "integer"}}},
    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
  }
})";

void setDefault(json& obj, const char* key, json value) {
  if (!obj.contains(key)) {
    obj[key] = std::move(value);
  }
}

void prepareDeployment(json& obj, const json* old) {
  json& spec = obj["spec"];
  if (!spec.is_object()) {
    spec = json::object();
  }
  setDefault(spec, "replicas", 1);
  setDefault(spec, "revisionHistoryLimit", 10);
  setDefault(spec, "progressDeadlineSeconds", 600);
  setDefault(spec, "strategy", json{{"type", "RollingUpdate"}});
  if (spec["strategy"].is_object() && spec["strategy"].value("type", "") == "RollingUpdate") {
    json& rolling = spec["strategy"]["rollingUpdate"];
    if (!rolling.is_object()) {
      rolling = json::object();
    }
    setDefault(rolling, "maxUnavailable", "25%");
    setDefault(rolling, "maxSurge", "25%");
  }
  json& tmpl = spec["template"];
  if (!tmpl.is_object()) {
    tmpl = json::object();
  }
  json& pod = tmpl["spec"];
  if (!pod.is_object()) {
    pod = json::object();
  }
  setDefault(tmpl["metadata"], "creationTimestamp", nullptr);
  setDefault(pod, "restartPolicy", "Always");
  setDefault(pod, "terminationGracePeriodSeconds", 30);
  setDefault(pod, "dnsPolicy", "ClusterFirst");
  setDefault(pod, "schedulerName", "default-scheduler");
  setDefault(pod, "securityContext", json::object());
  if (pod.contains("containers") && pod["containers"].is_array()) {
    for (auto& c : pod["containers"]) {
      if (!c.is_object()) {
        continue;
      }
      setDefault(c, "terminationMessagePath", "/dev/termination-log");
      setDefault(c, "terminationMessagePolicy", "File");
      setDefault(c, "resources", json::object());
      // No tag (or :latest) pulls always; the tag follows the last '/'.
      const std::string image = builtin::stringAt(c, "image");
      const std::string last =
          image.substr(image.rfind('/') == std::string::npos ? 0 : image.rfind('/') + 1);
      const bool latest =
          last.find('@') == std::string::npos &&
          (last.find(':') == std::string::npos || last.substr(last.find(':')) == ":latest");
      setDefault(c, "imagePullPolicy", latest ? "Always" : "IfNotPresent");
      if (c.contains("ports") && c["ports"].is_array()) {
        for (auto& p : c["ports"]) {
          if (p.is_object()) {
            setDefault(p, "protocol", "TCP");
          }
        }
      }
    }
  }
  if (old == nullptr) {
    obj["status"] = json::object();
  }
}

std::string goLabelMap(const json& labels) {
  std::string out = "map[string]string{";
  bool first = true;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    out += (first ? "" : ", ") + goQuote(it.key()) + ":" +
           goQuote(it->is_string() ? it->get<std::string>() : "");
    first = false;
  }
  return out + "}";
}

FieldErrors validateDeployment(const json& obj, const json* old) {
  FieldErrors errs;
  const json spec = obj.value("spec", json::object());
  if (spec.contains("replicas") && spec["replicas"].is_number_integer() &&
      spec["replicas"].get<long long>() < 0) {
    errs.push_back({FieldErrorType::kInvalid, "spec.replicas",
                    std::to_string(spec["replicas"].get<long long>()),
                    "must be greater than or equal to 0"});
  }
  const json selector = spec.value("selector", json());
  const json matchLabels =
      selector.is_object() ? selector.value("matchLabels", json::object()) : json::object();
  const json tmplLabels = spec.value("template", json::object())
                              .value("metadata", json::object())
                              .value("labels", json::object());
  if (!selector.is_object()) {
    errs.push_back({FieldErrorType::kRequired, "spec.selector", std::nullopt, ""});
  } else if (matchLabels.empty() && selector.value("matchExpressions", json::array()).empty()) {
    errs.push_back({FieldErrorType::kInvalid, "spec.selector",
                    "v1.LabelSelector{MatchLabels:map[string]string(nil), "
                    "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
                    "empty selector is invalid for deployment"});
  } else {
    bool matches = true;
    for (auto it = matchLabels.begin(); it != matchLabels.end(); ++it) {
      auto found = tmplLabels.find(it.key());
      matches = matches && found != tmplLabels.end() && *found == *it;
    }
    if (!matches) {
      errs.push_back({FieldErrorType::kInvalid, "spec.template.metadata.labels",
                      goLabelMap(tmplLabels), "`selector` does not match template `labels`"});
    }
  }
  const json pod = spec.value("template", json::object()).value("spec", json::object());
  const json containers = pod.value("containers", json::array());
  if (containers.empty()) {
    errs.push_back({FieldErrorType::kRequired, "spec.template.spec.containers", std::nullopt, ""});
  }
  for (size_t i = 0; i < containers.size(); ++i) {
    const std::string path = "spec.template.spec.containers[" + std::to_string(i) + "]";
    const std::string name = builtin::stringAt(containers[i], "name");
    if (name.empty()) {
      errs.push_back({FieldErrorType::kRequired, path + ".name", std::nullopt, ""});
    } else {
      for (const auto& msg : isDns1123Label(name)) {
        errs.push_back({FieldErrorType::kInvalid, path + ".name", goQuote(name), msg});
      }
    }
    if (builtin::stringAt(containers[i], "image").empty()) {
      errs.push_back({FieldErrorType::kRequired, path + ".image", std::nullopt, ""});
    }
  }
  const std::string restart = builtin::stringAt(pod, "restartPolicy");
  if (restart != "Always") {
    errs.push_back({FieldErrorType::kNotSupported, "spec.template.spec.restartPolicy",
                    goQuote(restart), "supported values: \"Always\""});
  }
  if (old != nullptr && old->value("spec", json::object()).value("selector", json()) != selector) {
    errs.push_back({FieldErrorType::kInvalid, "spec.selector", std::nullopt, "field is immutable"});
  }
  return errs;
}

std::vector<json> deploymentCells(const json& obj) {
  const json spec = obj.value("spec", json::object());
  const json status = obj.value("status", json::object());
  auto count = [&](const char* key) { return status.value(key, 0LL); };
  return {
      std::to_string(count("readyReplicas")) + "/" + std::to_string(spec.value("replicas", 0LL)),
      count("updatedReplicas"), count("availableReplicas")};
}

ResourceTypePtr deploymentType() {
  auto t = std::make_shared<ResourceType>();
  t->group = "apps";
  t->version = "v1";
  t->plural = "deployments";
  t->singular = "deployment";
  t->kind = "Deployment";
  t->listKind = "DeploymentList";
  t->verbs = builtin::allVerbs();
  t->shortNames = {"deploy"};
  t->categories = {"all"};
  t->storageVersionHash = "8aSe+NMegvE=";
  t->storageKey = "deployments";
  t->statusSubresource = true;
  t->hasGeneration = true;
  t->schema = builtin::compiledSchema(kDeploymentSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->prepare = prepareDeployment;
  h->validate = validateDeployment;
  h->columns = {builtin::printerColumn("Ready", "Number of the pod with ready state"),
                builtin::printerColumn("Up-to-date",
                                       "Total number of non-terminated pods "
                                       "targeted by this deployment that have the "
                                       "desired template spec.",
                                       "integer"),
                builtin::printerColumn("Available",
                                       "Total number of available pods (ready for "
                                       "at least minReadySeconds) targeted by this "
                                       "deployment.",
                                       "integer")};
  h->cells = deploymentCells;
  h->mergeKeys = {{"spec.template.spec.containers", "name"},
                  {"spec.template.spec.volumes", "name"},
                  {"spec.template.spec.containers[].ports", "containerPort"},
                  {"spec.template.spec.containers[].env", "name"},
                  {"spec.template.spec.containers[].volumeMounts", "mountPath"}};
  t->hooks = h;
  return t;
}

}  // namespace

std::vector<ResourceTypePtr> appResourceTypes() {
  return {serviceType(), deploymentType()};
}

}  // namespace dbtoken::kubedouble
