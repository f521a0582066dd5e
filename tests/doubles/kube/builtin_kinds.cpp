#include "kube/builtin_kinds.h"

#include "common/time_format.h"
#include "kube/base64.h"
#include "kube/builtin_kind_support.h"
#include "kube/names.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};

const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const char* kAgeDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

std::shared_ptr<const StructuralSchema> schemaOf(const char* text) {
  auto compiled = StructuralSchema::compile(json::parse(text), "builtin");
  // Built-in schemas are fixed text in this file; a failure is a programming error.
  return compiled.ok() ? compiled.value() : nullptr;
}

std::string kindField(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

PrinterColumn column(const char* name, const char* description, const char* type = "string") {
  PrinterColumn c;
  c.name = name;
  c.type = type;
  c.description = description;
  return c;
}

// ---- Namespace --------------------------------------------------------------------------

const char* kNamespaceSchema = R"({
  "type": "object",
  "description": "Namespace provides a scope for Names.",
  "properties": {
    "spec": {"type": "object", "properties": {
      "finalizers": {"type": "array", "items": {"type": "string"}}}},
    "status": {"type": "object", "properties": {
      "phase": {"type": "string"},
      "conditions": {"type": "array", "items": {"type": "object",
        "x-kubernetes-preserve-unknown-fields": true}}}}
  }
})";

ResourceTypePtr namespaceType() {
  auto t = std::make_shared<ResourceType>();
  t->version = "v1";
  t->plural = "namespaces";
  t->singular = "namespace";
  t->kind = "Namespace";
  t->listKind = "NamespaceList";
  t->namespaced = false;
  t->verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  t->shortNames = {"ns"};
  t->storageVersionHash = "Q3oi5N2YM8M=";
  t->statusSubresource = true;
  t->deleteReturnsObject = true;
  t->storageKey = "namespaces";
  t->schema = schemaOf(kNamespaceSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->prepare = [](json& obj, const json* old) {
    std::string name = obj["metadata"].value("name", "");
    if (!name.empty()) {
      obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
    }
    if (old == nullptr) {
      if (!obj.contains("spec") || !obj["spec"].contains("finalizers")) {
        obj["spec"]["finalizers"] = json::array({"kubernetes"});
      }
      obj["status"] = json{{"phase", "Active"}};
    }
  };
  h->columns = {column("Status", "The status of the namespace")};
  h->cells = [](const json& obj) {
    return std::vector<json>{obj.contains("status") ? json(kindField(obj["status"], "phase"))
                                                    : json("")};
  };
  t->hooks = h;
  return t;
}

// ---- Secret -----------------------------------------------------------------------------

const char* kSecretSchema = R"({
  "type": "object",
  "description": "Secret holds secret data of a certain type.",
  "properties": {
    "data": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
    "stringData": {"type": "object", "additionalProperties": {"type": "string"}},
    "type": {"type": "string"},
    "immutable": {"type": "boolean"}
  }
})";

ResourceTypePtr secretType() {
  auto t = std::make_shared<ResourceType>();
  t->version = "v1";
  t->plural = "secrets";
  t->singular = "secret";
  t->kind = "Secret";
  t->listKind = "SecretList";
  t->verbs = kAllVerbs;
  t->storageVersionHash = "S6u1pOWzb84=";
  t->storageKey = "secrets";
  t->schema = schemaOf(kSecretSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->decode = [](const json& obj) -> std::optional<std::string> {
    auto data = obj.find("data");
    if (data != obj.end() && data->is_object()) {
      for (auto it = data->begin(); it != data->end(); ++it) {
        if (!it->is_string()) {
          return std::string("json: cannot unmarshal ") + it->type_name() +
                 " into Go struct field Secret.data of type []uint8";
        }
        size_t at = 0;
        if (!base64Decode(it->get<std::string>(), &at)) {
          return "illegal base64 data at input byte " + std::to_string(at);
        }
      }
    }
    return std::nullopt;
  };
  h->prepare = [](json& obj, const json*) {
    if (auto sd = obj.find("stringData"); sd != obj.end()) {
      if (sd->is_object()) {
        for (auto it = sd->begin(); it != sd->end(); ++it) {
          if (it->is_string()) {
            obj["data"][it.key()] = base64Encode(it->get<std::string>());
          }
        }
      }
      obj.erase("stringData");
    }
    if (!obj.contains("type") || obj["type"] == "") {
      obj["type"] = "Opaque";
    }
  };
  h->validate = [](const json& obj, const json* old) {
    FieldErrors errs;
    std::string type = kindField(obj, "type");
    if (old != nullptr) {
      std::string oldType = kindField(*old, "type");
      if (type != oldType) {
        errs.push_back({FieldErrorType::kInvalid, "type", goQuote(type), "field is immutable"});
      }
      if (old->value("immutable", false)) {
        if (obj.value("data", json::object()) != old->value("data", json::object())) {
          errs.push_back({FieldErrorType::kForbidden, "data", std::nullopt,
                          "field is immutable when `immutable` is set"});
        }
      }
    }
    json data = obj.value("data", json::object());
    for (auto it = data.begin(); it != data.end(); ++it) {
      for (const auto& msg : isConfigMapKey(it.key())) {
        errs.push_back(
            {FieldErrorType::kInvalid, "data[" + it.key() + "]", goQuote(it.key()), msg});
      }
    }
    auto requireKey = [&](const char* key) {
      if (!data.contains(key)) {
        errs.push_back(
            {FieldErrorType::kRequired, std::string("data[") + key + "]", std::nullopt, ""});
      }
    };
    if (type == "kubernetes.io/tls") {
      requireKey("tls.crt");
      requireKey("tls.key");
    } else if (type == "kubernetes.io/basic-auth") {
      // Either key may be absent in the real validation; nothing required.
    } else if (type == "kubernetes.io/dockerconfigjson") {
      requireKey(".dockerconfigjson");
    }
    return errs;
  };
  h->columns = {
      column("Type",
             "Used to facilitate programmatic handling of secret data. More info: "
             "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
      column("Data",
             "Data contains the secret data. Each key must consist of alphanumeric characters, "
             "'-', '_' or '.'. The serialized form of the secret data is a base64 encoded "
             "string, representing the arbitrary (possibly non-string) data value here. "
             "Described in https://tools.ietf.org/html/rfc4648#section-4")};
  h->cells = [](const json& obj) {
    size_t n = obj.contains("data") && obj["data"].is_object() ? obj["data"].size() : 0;
    return std::vector<json>{kindField(obj, "type"), n};
  };
  t->hooks = h;
  return t;
}

// ---- ConfigMap --------------------------------------------------------------------------

const char* kConfigMapSchema = R"({
  "type": "object",
  "description": "ConfigMap holds configuration data for pods to consume.",
  "properties": {
    "data": {"type": "object", "additionalProperties": {"type": "string"}},
    "binaryData": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"}},
    "immutable": {"type": "boolean"}
  }
})";

ResourceTypePtr configMapType() {
  auto t = std::make_shared<ResourceType>();
  t->version = "v1";
  t->plural = "configmaps";
  t->singular = "configmap";
  t->kind = "ConfigMap";
  t->listKind = "ConfigMapList";
  t->verbs = kAllVerbs;
  t->shortNames = {"cm"};
  t->storageVersionHash = "qFsyl6wFWjQ=";
  t->storageKey = "configmaps";
  t->schema = schemaOf(kConfigMapSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->validate = [](const json& obj, const json*) {
    FieldErrors errs;
    for (const char* field : {"data", "binaryData"}) {
      json data = obj.value(field, json::object());
      for (auto it = data.begin(); it != data.end(); ++it) {
        for (const auto& msg : isConfigMapKey(it.key())) {
          errs.push_back({FieldErrorType::kInvalid, std::string(field) + "[" + it.key() + "]",
                          goQuote(it.key()), msg});
        }
      }
    }
    return errs;
  };
  h->columns = {column("Data", "Data contains the configuration data.")};
  h->cells = [](const json& obj) {
    size_t n = (obj.contains("data") ? obj["data"].size() : 0) +
               (obj.contains("binaryData") ? obj["binaryData"].size() : 0);
    return std::vector<json>{n};
  };
  t->hooks = h;
  return t;
}

// ---- ServiceAccount ---------------------------------------------------------------------

const char* kServiceAccountSchema = R"({
  "type": "object",
  "description": "ServiceAccount binds together a name, a principal and a set of secrets.",
  "properties": {
    "secrets": {"type": "array", "items": {"type": "object",
      "x-kubernetes-preserve-unknown-fields": true}},
    "imagePullSecrets": {"type": "array", "items": {"type": "object", "properties": {
      "name": {"type": "string"}}}},
    "automountServiceAccountToken": {"type": "boolean"}
  }
})";

ResourceTypePtr serviceAccountType() {
  auto t = std::make_shared<ResourceType>();
  t->version = "v1";
  t->plural = "serviceaccounts";
  t->singular = "serviceaccount";
  t->kind = "ServiceAccount";
  t->listKind = "ServiceAccountList";
  t->verbs = kAllVerbs;
  t->shortNames = {"sa"};
  t->storageVersionHash = "pbx9ZvyFpBE=";
  t->storageKey = "serviceaccounts";
  t->schema = schemaOf(kServiceAccountSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->columns = {column("Secrets", "Secrets of the service account.")};
  h->cells = [](const json& obj) {
    return std::vector<json>{obj.contains("secrets") ? obj["secrets"].size() : 0};
  };
  t->hooks = h;
  return t;
}

// ---- Events -----------------------------------------------------------------------------

const char* kObjectReferenceProps = R"({
  "kind": {"type": "string"}, "namespace": {"type": "string"}, "name": {"type": "string"},
  "uid": {"type": "string"}, "apiVersion": {"type": "string"},
  "resourceVersion": {"type": "string"}, "fieldPath": {"type": "string"}})";

json eventSchemaCore() {
  json refProps = json::parse(kObjectReferenceProps);
  json ref = {{"type", "object"}, {"properties", refProps}};
  json series = {{"type", "object"},
                 {"properties",
                  {{"count", {{"type", "integer"}}}, {"lastObservedTime", {{"type", "string"}}}}}};
  return {
      {"type", "object"},
      {"description", "Event is a report of an event somewhere in the cluster."},
      {"properties",
       {{"involvedObject", ref},
        {"reason", {{"type", "string"}}},
        {"message", {{"type", "string"}}},
        {"source",
         {{"type", "object"},
          {"properties", {{"component", {{"type", "string"}}}, {"host", {{"type", "string"}}}}}}},
        {"firstTimestamp", {{"type", "string"}, {"nullable", true}}},
        {"lastTimestamp", {{"type", "string"}, {"nullable", true}}},
        {"count", {{"type", "integer"}}},
        {"type", {{"type", "string"}}},
        {"eventTime", {{"type", "string"}, {"nullable", true}}},
        {"series", series},
        {"action", {{"type", "string"}}},
        {"related", ref},
        {"reportingComponent", {{"type", "string"}}},
        {"reportingInstance", {{"type", "string"}}}}}};
}

json eventSchemaV1() {
  json refProps = json::parse(kObjectReferenceProps);
  json ref = {{"type", "object"}, {"properties", refProps}};
  json series = {{"type", "object"},
                 {"properties",
                  {{"count", {{"type", "integer"}}}, {"lastObservedTime", {{"type", "string"}}}}}};
  return {
      {"type", "object"},
      {"description", "Event is a report of an event somewhere in the cluster."},
      {"properties",
       {{"eventTime", {{"type", "string"}, {"nullable", true}}},
        {"series", series},
        {"reportingController", {{"type", "string"}}},
        {"reportingInstance", {{"type", "string"}}},
        {"action", {{"type", "string"}}},
        {"reason", {{"type", "string"}}},
        {"regarding", ref},
        {"related", ref},
        {"note", {{"type", "string"}}},
        {"type", {{"type", "string"}}},
        {"deprecatedSource",
         {{"type", "object"},
          {"properties", {{"component", {{"type", "string"}}}, {"host", {{"type", "string"}}}}}}},
        {"deprecatedFirstTimestamp", {{"type", "string"}, {"nullable", true}}},
        {"deprecatedLastTimestamp", {{"type", "string"}, {"nullable", true}}},
        {"deprecatedCount", {{"type", "integer"}}}}}};
}

// Decoding of metav1.Time / MicroTime fields: a malformed value is a 400, like Go's parser.
std::optional<std::string> checkTime(const json& obj, const char* field, bool micro) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    return std::nullopt;
  }
  if (!it->is_string()) {
    return std::string("json: cannot unmarshal ") + it->type_name() +
           " into Go value of type string";
  }
  std::string v = it->get<std::string>();
  if (micro) {
    if (common::isRfc3339Micro(v)) {
      return std::nullopt;
    }
    std::string layout = "2006-01-02T15:04:05.000000Z07:00";
    if (!common::parseRfc3339(v)) {
      return "parsing time " + goQuote(v) + " as " + goQuote(layout) + ": cannot parse " +
             goQuote(v) + " as \"2006\"";
    }
    std::string tail = v.substr(19);
    return "parsing time " + goQuote(v) + " as " + goQuote(layout) + ": cannot parse " +
           goQuote(tail) + " as \".000000\"";
  }
  if (!common::parseRfc3339(v)) {
    return "parsing time " + goQuote(v) + " as \"2006-01-02T15:04:05Z07:00\": cannot parse " +
           goQuote(v) + " as \"2006\"";
  }
  return std::nullopt;
}

void setIfAbsent(json& obj, const char* key, json value) {
  if (!obj.contains(key)) {
    obj[key] = std::move(value);
  }
}

// Go serialises some Event fields even when empty; the double shows them the same way.
void presentCoreEvent(json& e) {
  setIfAbsent(e, "involvedObject", json::object());
  setIfAbsent(e, "source", json::object());
  setIfAbsent(e, "firstTimestamp", nullptr);
  setIfAbsent(e, "lastTimestamp", nullptr);
  setIfAbsent(e, "eventTime", nullptr);
  setIfAbsent(e, "reportingComponent", "");
  setIfAbsent(e, "reportingInstance", "");
}

void copyField(const json& from, const char* fromKey, json& to, const char* toKey) {
  if (auto it = from.find(fromKey); it != from.end()) {
    to[toKey] = *it;
  }
}

ResourceTypePtr eventType(bool eventsGroup) {
  auto t = std::make_shared<ResourceType>();
  t->group = eventsGroup ? "events.k8s.io" : "";
  t->version = "v1";
  t->plural = "events";
  t->singular = "event";
  t->kind = "Event";
  t->listKind = "EventList";
  t->verbs = kAllVerbs;
  t->shortNames = {"ev"};
  t->storageVersionHash = "r2yiGXH7wu8=";
  t->storageKey = "events";
  auto compiled =
      StructuralSchema::compile(eventsGroup ? eventSchemaV1() : eventSchemaCore(), "builtin");
  t->schema = compiled.ok() ? compiled.value() : nullptr;
  auto h = std::make_shared<BuiltinHooks>();
  if (eventsGroup) {
    h->decode = [](const json& obj) -> std::optional<std::string> {
      if (auto e = checkTime(obj, "eventTime", true)) {
        return e;
      }
      if (auto e = checkTime(obj, "deprecatedFirstTimestamp", false)) {
        return e;
      }
      return checkTime(obj, "deprecatedLastTimestamp", false);
    };
    h->validate = [](const json& obj, const json*) {
      FieldErrors errs;
      if (!obj.contains("eventTime") || obj["eventTime"].is_null()) {
        errs.push_back({FieldErrorType::kRequired, "eventTime", std::nullopt, ""});
      }
      std::string controller = kindField(obj, "reportingController");
      if (controller.empty()) {
        errs.push_back({FieldErrorType::kRequired, "reportingController", std::nullopt, ""});
      }
      for (const auto& msg : isQualifiedName(controller)) {
        errs.push_back({FieldErrorType::kInvalid, "reportingController", goQuote(controller), msg});
      }
      if (kindField(obj, "reportingInstance").empty()) {
        errs.push_back({FieldErrorType::kRequired, "reportingInstance", std::nullopt, ""});
      }
      if (kindField(obj, "action").empty()) {
        errs.push_back({FieldErrorType::kRequired, "action", std::nullopt, ""});
      }
      if (kindField(obj, "reason").empty()) {
        errs.push_back({FieldErrorType::kRequired, "reason", std::nullopt, ""});
      }
      std::string type = kindField(obj, "type");
      if (type != "Normal" && type != "Warning") {
        errs.push_back(
            {FieldErrorType::kInvalid, "type", goQuote(type), "has invalid value: " + type});
      }
      return errs;
    };
    h->toExternal = [](const json& stored) { return eventToEventsV1(stored); };
    h->toInternal = [](const json& external) { return eventsV1ToEvent(external); };
  } else {
    h->toExternal = [](const json& stored) {
      json e = stored;
      presentCoreEvent(e);
      return e;
    };
    h->validate = [](const json& obj, const json*) {
      FieldErrors errs;
      const json& ref = obj.value("involvedObject", json::object());
      std::string ns = kindField(ref, "namespace");
      std::string own = obj.contains("metadata") ? kindField(obj["metadata"], "namespace") : "";
      if (!ns.empty() && ns != own) {
        errs.push_back({FieldErrorType::kInvalid, "involvedObject.namespace", goQuote(ns),
                        "does not match event.namespace"});
      }
      return errs;
    };
    h->decode = [](const json& obj) -> std::optional<std::string> {
      if (auto e = checkTime(obj, "eventTime", true)) {
        return e;
      }
      if (auto e = checkTime(obj, "firstTimestamp", false)) {
        return e;
      }
      return checkTime(obj, "lastTimestamp", false);
    };
  }
  h->columns = {column("Last Seen", "Time of the last occurrence"),
                column("Type", "Type of the event"), column("Reason", "Why the event happened"),
                column("Object", "What the event is about"),
                column("Message", "Human-readable description")};
  h->cells = [](const json& stored) {
    const json& ref = stored.value("involvedObject", json::object());
    std::string object = kindField(ref, "kind");
    for (auto& c : object) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    object += "/" + kindField(ref, "name");
    json last = stored.contains("lastTimestamp") && !stored["lastTimestamp"].is_null()
                    ? stored["lastTimestamp"]
                    : stored.value("eventTime", json(nullptr));
    return std::vector<json>{last, kindField(stored, "type"), kindField(stored, "reason"), object,
                             kindField(stored, "message")};
  };
  t->hooks = h;
  return t;
}

// ---- Lease ------------------------------------------------------------------------------

const char* kLeaseSchema = R"({
  "type": "object",
  "description": "Lease defines a lease concept.",
  "properties": {
    "spec": {"type": "object", "properties": {
      "holderIdentity": {"type": "string"},
      "leaseDurationSeconds": {"type": "integer"},
      "acquireTime": {"type": "string"},
      "renewTime": {"type": "string"},
      "leaseTransitions": {"type": "integer"},
      "strategy": {"type": "string"},
      "preferredHolder": {"type": "string"}}}
  }
})";

ResourceTypePtr leaseType() {
  auto t = std::make_shared<ResourceType>();
  t->group = "coordination.k8s.io";
  t->version = "v1";
  t->plural = "leases";
  t->singular = "lease";
  t->kind = "Lease";
  t->listKind = "LeaseList";
  t->verbs = kAllVerbs;
  t->storageVersionHash = "gqkMMb/YqFM=";
  t->storageKey = "leases";
  t->schema = schemaOf(kLeaseSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->decode = [](const json& obj) -> std::optional<std::string> {
    if (!obj.contains("spec") || !obj["spec"].is_object()) {
      return std::nullopt;
    }
    if (auto e = checkTime(obj["spec"], "acquireTime", true)) {
      return e;
    }
    return checkTime(obj["spec"], "renewTime", true);
  };
  h->validate = [](const json& obj, const json*) {
    FieldErrors errs;
    json spec = obj.value("spec", json::object());
    for (const char* field : {"leaseDurationSeconds", "leaseTransitions"}) {
      if (auto it = spec.find(field); it != spec.end() && it->is_number_integer()) {
        long long v = it->get<long long>();
        bool duration = std::string(field) == "leaseDurationSeconds";
        if (duration ? v <= 0 : v < 0) {
          errs.push_back(
              {FieldErrorType::kInvalid, std::string("spec.") + field, std::to_string(v),
               duration ? "must be greater than 0" : "must be greater than or equal to 0"});
        }
      }
    }
    return errs;
  };
  h->columns = {column("Holder", "The holder of the lease")};
  h->cells = [](const json& obj) {
    return std::vector<json>{kindField(obj.value("spec", json::object()), "holderIdentity")};
  };
  t->hooks = h;
  return t;
}

// ---- CustomResourceDefinition ------------------------------------------------------------

const char* kCrdSchema = R"({
  "type": "object",
  "description": "CustomResourceDefinition represents a resource that should be exposed on the API server.",
  "properties": {
    "spec": {"type": "object", "required": ["group", "names", "scope", "versions"], "properties": {
      "group": {"type": "string"},
      "names": {"type": "object", "properties": {
        "plural": {"type": "string"}, "singular": {"type": "string"},
        "shortNames": {"type": "array", "items": {"type": "string"}},
        "kind": {"type": "string"}, "listKind": {"type": "string"},
        "categories": {"type": "array", "items": {"type": "string"}}}},
      "scope": {"type": "string"},
      "versions": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "served": {"type": "boolean"}, "storage": {"type": "boolean"},
        "deprecated": {"type": "boolean"}, "deprecationWarning": {"type": "string"},
        "schema": {"type": "object", "properties": {
          "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
        "subresources": {"type": "object", "properties": {
          "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
          "scale": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
        "additionalPrinterColumns": {"type": "array", "items": {"type": "object", "properties": {
          "name": {"type": "string"}, "type": {"type": "string"}, "format": {"type": "string"},
          "description": {"type": "string"}, "priority": {"type": "integer"},
          "jsonPath": {"type": "string"}}}},
        "selectableFields": {"type": "array", "items": {"type": "object", "properties": {
          "jsonPath": {"type": "string"}}}}}}},
      "conversion": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "preserveUnknownFields": {"type": "boolean"}}},
    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
  }
})";

ResourceTypePtr crdType() {
  auto t = std::make_shared<ResourceType>();
  t->group = "apiextensions.k8s.io";
  t->version = "v1";
  t->plural = "customresourcedefinitions";
  t->singular = "customresourcedefinition";
  t->kind = "CustomResourceDefinition";
  t->listKind = "CustomResourceDefinitionList";
  t->namespaced = false;
  t->verbs = kAllVerbs;
  t->shortNames = {"crd", "crds"};
  t->categories = {"api-extensions"};
  t->storageVersionHash = "jfWCUB31mvA=";
  t->statusSubresource = true;
  t->hasGeneration = true;
  t->storageKey = "customresourcedefinitions";
  t->schema = schemaOf(kCrdSchema);
  auto h = std::make_shared<BuiltinHooks>();
  h->prepare = [](json& obj, const json* old) {
    json& spec = obj["spec"];
    if (!spec.is_object()) {
      return;
    }
    if (spec.contains("names") && spec["names"].is_object()) {
      json& names = spec["names"];
      if (!names.contains("listKind") && names.contains("kind") && names["kind"].is_string()) {
        names["listKind"] = names["kind"].get<std::string>() + "List";
      }
      if (!names.contains("singular") && names.contains("kind") && names["kind"].is_string()) {
        std::string s = names["kind"].get<std::string>();
        for (auto& c : s) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        names["singular"] = s;
      }
    }
    if (!spec.contains("conversion")) {
      spec["conversion"] = json{{"strategy", "None"}};
    }
    if (old == nullptr) {
      json stored = json::array();
      if (spec.contains("versions") && spec["versions"].is_array()) {
        for (const auto& v : spec["versions"]) {
          if (v.is_object() && v.value("storage", false) && v.contains("name")) {
            stored.push_back(v["name"]);
          }
        }
      }
      obj["status"] = json{{"conditions", nullptr},
                           {"acceptedNames", {{"plural", ""}, {"kind", ""}}},
                           {"storedVersions", stored}};
    }
  };
  h->columns = {column("Created At", "Creation time", "date")};
  h->ageColumn = false;
  h->cells = [](const json& obj) {
    return std::vector<json>{obj["metadata"].value("creationTimestamp", "")};
  };
  t->hooks = h;
  return t;
}

}  // namespace

json nameColumnDefinition() {
  return {{"name", "Name"},
          {"type", "string"},
          {"format", "name"},
          {"description", kNameDescription},
          {"priority", 0}};
}

json ageColumnDefinitionBuiltin() {
  return {{"name", "Age"},
          {"type", "string"},
          {"format", ""},
          {"description", kAgeDescription},
          {"priority", 0}};
}

json eventToEventsV1(const json& core) {
  json e = json::object();
  copyField(core, "apiVersion", e, "apiVersion");
  e["apiVersion"] = "events.k8s.io/v1";
  e["kind"] = "Event";
  copyField(core, "metadata", e, "metadata");
  e["eventTime"] = core.value("eventTime", json(nullptr));
  copyField(core, "series", e, "series");
  if (auto c = kindField(core, "reportingComponent"); !c.empty()) {
    e["reportingController"] = c;
  }
  if (auto c = kindField(core, "reportingInstance"); !c.empty()) {
    e["reportingInstance"] = c;
  }
  copyField(core, "action", e, "action");
  copyField(core, "reason", e, "reason");
  e["regarding"] = core.value("involvedObject", json::object());
  copyField(core, "related", e, "related");
  copyField(core, "message", e, "note");
  copyField(core, "type", e, "type");
  e["deprecatedSource"] = core.value("source", json::object());
  e["deprecatedFirstTimestamp"] = core.value("firstTimestamp", json(nullptr));
  e["deprecatedLastTimestamp"] = core.value("lastTimestamp", json(nullptr));
  if (auto c = core.find("count"); c != core.end() && c->is_number() && c->get<long long>() != 0) {
    e["deprecatedCount"] = *c;
  }
  return e;
}

json eventsV1ToEvent(const json& ev) {
  json e = json::object();
  e["apiVersion"] = "v1";
  e["kind"] = "Event";
  copyField(ev, "metadata", e, "metadata");
  copyField(ev, "eventTime", e, "eventTime");
  copyField(ev, "series", e, "series");
  copyField(ev, "reportingController", e, "reportingComponent");
  copyField(ev, "reportingInstance", e, "reportingInstance");
  copyField(ev, "action", e, "action");
  copyField(ev, "reason", e, "reason");
  copyField(ev, "regarding", e, "involvedObject");
  copyField(ev, "related", e, "related");
  copyField(ev, "note", e, "message");
  copyField(ev, "type", e, "type");
  copyField(ev, "deprecatedSource", e, "source");
  copyField(ev, "deprecatedFirstTimestamp", e, "firstTimestamp");
  copyField(ev, "deprecatedLastTimestamp", e, "lastTimestamp");
  copyField(ev, "deprecatedCount", e, "count");
  return e;
}

std::vector<ResourceTypePtr> builtinResourceTypes() {
  std::vector<ResourceTypePtr> types = {namespaceType(),      secretType(),     configMapType(),
                                        serviceAccountType(), eventType(false), eventType(true),
                                        leaseType(),          crdType()};
  for (auto& more : {rbacResourceTypes(), appResourceTypes()}) {
    types.insert(types.end(), more.begin(), more.end());
  }
  return types;
}

}  // namespace dbtoken::kubedouble
