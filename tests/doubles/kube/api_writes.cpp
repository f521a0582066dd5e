// ApiServer writes: create, update (PUT, also of /status), patch (merge, JSON, strategic,
// server-side apply), delete with preconditions, propagation and finalizers, deletecollection —
// with the admission pipeline (decode checks, normalisation, pruning, defaults, validation) and
// the apiserver's exact errors.
#include "common/time_format.h"
#include "kube/api_internal.h"
#include "kube/names.h"
#include "kube/protobuf_codec.h"
#include "kube/strategic_merge.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

constexpr size_t kMaxRequestBytes = 3 * 1024 * 1024;
constexpr size_t kMaxGrpcMessage = 2 * 1024 * 1024;
constexpr size_t kMaxEtcdRequest = 1536 * 1024;

std::string writeField(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool isStandardFinalizer(const std::string& f) {
  return f == "kubernetes" || f == "orphan" || f == "foregroundDeletion";
}

std::string fieldManagerFor(const ApiRequest& req) {
  if (auto m = req.query.get("fieldManager"); m && !m->empty()) {
    return *m;
  }
  std::string ua = req.userAgent.substr(0, req.userAgent.find('/'));
  return ua.empty() ? "unknown" : ua;
}

bool dryRun(const ApiRequest& req) {
  return req.query.get("dryRun") == "All";
}

std::string goPointer() {
  static std::atomic<unsigned long long> next{0xc000a1b2c0};
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", next.fetch_add(0x18));
  return buf;
}

std::string describeOwnerRefs(const json& refs) {
  std::string out = "[]v1.OwnerReference{";
  bool first = true;
  for (const auto& r : refs) {
    if (!first) {
      out += ", ";
    }
    first = false;
    out += "v1.OwnerReference{APIVersion:" + goQuote(writeField(r, "apiVersion")) +
           ", Kind:" + goQuote(writeField(r, "kind")) + ", Name:" + goQuote(writeField(r, "name")) +
           ", UID:" + goQuote(writeField(r, "uid")) + ", Controller:";
    out += r.contains("controller") ? "(*bool)(" + goPointer() + ")" : "(*bool)(nil)";
    out += ", BlockOwnerDeletion:";
    out += r.contains("blockOwnerDeletion") ? "(*bool)(" + goPointer() + ")" : "(*bool)(nil)";
    out += "}";
  }
  return out + "}";
}

// ObjectMeta validation (apimachinery ValidateObjectMeta / ValidateObjectMetaUpdate).
FieldErrors validateObjectMeta(const ResourceType& type, const json& obj, const json* old) {
  FieldErrors errs;
  const json& meta = obj.contains("metadata") ? obj["metadata"] : json::object();
  std::string name = writeField(meta, "name");
  if (name.empty()) {
    errs.push_back({FieldErrorType::kRequired, "metadata.name", std::nullopt,
                    "name or generateName is required"});
  } else if (type.kind == "Namespace") {
    for (const auto& m : isDns1123Label(name)) {
      errs.push_back({FieldErrorType::kInvalid, "metadata.name", goQuote(name), m});
    }
  } else if (type.kind == "CustomResourceDefinition") {
    // Checked with the CRD's names.
  } else {
    for (const auto& m : isDns1123Subdomain(name)) {
      errs.push_back({FieldErrorType::kInvalid, "metadata.name", goQuote(name), m});
    }
  }
  if (auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
    for (auto it = labels->begin(); it != labels->end(); ++it) {
      for (const auto& m : isQualifiedName(it.key())) {
        errs.push_back({FieldErrorType::kInvalid, "metadata.labels", goQuote(it.key()), m});
      }
      std::string v = it->is_string() ? it->get<std::string>() : "";
      for (const auto& m : isValidLabelValue(v)) {
        errs.push_back({FieldErrorType::kInvalid, "metadata.labels", goQuote(v), m});
      }
    }
  }
  if (auto ann = meta.find("annotations"); ann != meta.end() && ann->is_object()) {
    size_t total = 0;
    for (auto it = ann->begin(); it != ann->end(); ++it) {
      for (const auto& m : isQualifiedName(it.key())) {
        errs.push_back({FieldErrorType::kInvalid, "metadata.annotations", goQuote(it.key()), m});
      }
      total += it.key().size() + (it->is_string() ? it->get<std::string>().size() : 0);
    }
    if (total > 256 * 1024) {
      errs.push_back({FieldErrorType::kTooLong, "metadata.annotations", std::nullopt,
                      "may not be more than 262144 bytes"});
    }
  }
  if (auto refs = meta.find("ownerReferences"); refs != meta.end() && refs->is_array()) {
    int controllers = 0;
    std::vector<std::string> controllerNames;
    for (const auto& r : *refs) {
      for (const char* f : {"apiVersion", "kind", "name", "uid"}) {
        if (writeField(r, f).empty()) {
          std::string what = std::string(f) == "apiVersion" ? "version" : f;
          errs.push_back({FieldErrorType::kInvalid, std::string("metadata.ownerReferences.") + f,
                          goQuote(""), what + " must not be empty"});
        }
      }
      if (r.value("controller", false)) {
        ++controllers;
        controllerNames.push_back(writeField(r, "kind") + "/" + writeField(r, "name"));
      }
    }
    if (controllers > 1) {
      std::string names;
      for (size_t i = 0; i < controllerNames.size(); ++i) {
        names += (i == 0 ? "" : " and ") + controllerNames[i];
      }
      errs.push_back({FieldErrorType::kInvalid, "metadata.ownerReferences",
                      describeOwnerRefs(*refs),
                      "Only one reference can have Controller set to true. Found \"true\" in "
                      "references for " +
                          names});
    }
  }
  if (auto fins = meta.find("finalizers"); fins != meta.end() && fins->is_array()) {
    for (const auto& f : *fins) {
      std::string fin = f.is_string() ? f.get<std::string>() : "";
      auto problems = isQualifiedName(fin);
      for (const auto& m : problems) {
        errs.push_back({FieldErrorType::kInvalid, "metadata.finalizers", goQuote(fin), m});
      }
      if (problems.empty() && fin.find('/') == std::string::npos && !isStandardFinalizer(fin)) {
        errs.push_back({FieldErrorType::kInvalid, "metadata.finalizers", goQuote(fin),
                        "name is neither a standard finalizer name nor is it fully qualified"});
      }
    }
  }
  if (old != nullptr) {
    const json& oldMeta = (*old)["metadata"];
    bool terminating =
        oldMeta.contains("deletionTimestamp") && !oldMeta["deletionTimestamp"].is_null();
    if (terminating) {
      std::vector<std::string> added;
      json oldFins = oldMeta.value("finalizers", json::array());
      for (const auto& f : meta.value("finalizers", json::array())) {
        if (std::find(oldFins.begin(), oldFins.end(), f) == oldFins.end() && f.is_string()) {
          added.push_back(f.get<std::string>());
        }
      }
      if (!added.empty()) {
        std::string list = "[]string{";
        for (size_t i = 0; i < added.size(); ++i) {
          list += (i == 0 ? "" : ", ") + goQuote(added[i]);
        }
        list += "}";
        FieldError e{FieldErrorType::kForbidden, "metadata.finalizers", std::nullopt,
                     "no new finalizers can be added if the object is being deleted, found new "
                     "finalizers " +
                         list};
        // The apiserver validates this in two places and reports it twice.
        errs.push_back(e);
        errs.push_back(e);
      }
    }
  }
  return errs;
}

json specPart(const json& obj) {
  json copy = obj;
  copy.erase("metadata");
  copy.erase("status");
  copy.erase("apiVersion");
  copy.erase("kind");
  return copy;
}

json withoutVolatile(const json& obj) {
  json copy = obj;
  if (copy.contains("metadata")) {
    copy["metadata"].erase("managedFields");
    copy["metadata"].erase("resourceVersion");
  }
  return copy;
}

}  // namespace

ApiResponse ApiServer::admit(const ApiRequest& req, const ResourceType& type, json& external,
                             const json* oldExternal, std::vector<std::string>& warnings,
                             bool& failed) {
  failed = true;
  const std::string validation = req.query.get("fieldValidation").value_or("Warn");
  if (type.hooks && type.hooks->decode) {
    if (auto problem = type.hooks->decode(external)) {
      return badRequest(type.kind + " in version " + goQuote(type.version) +
                        " cannot be handled as a " + type.kind + ": " + *problem);
    }
  }
  std::vector<std::string> unknown;
  if (type.schema) {
    unknown = type.schema->prune(external);
  }
  if (validation == "Strict" && !unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) {
      list += (list.empty() ? "" : ", ") + std::string("unknown field ") + goQuote(u);
    }
    for (const auto& w : warnings) {
      list += ", " + w;
    }
    return badRequest(type.kind + " in version " + goQuote(type.version) +
                      " cannot be handled as a " + type.kind + ": strict decoding error: " + list);
  }
  if (validation == "Warn") {
    for (const auto& u : unknown) {
      warnings.push_back("unknown field " + goQuote(u));
    }
  } else {
    warnings.clear();
  }
  if (type.hooks && type.hooks->prepare) {
    type.hooks->prepare(external, oldExternal);
  }
  if (type.schema && type.custom) {
    type.schema->applyDefaults(external);
  }
  FieldErrors errs = validateObjectMeta(type, external, oldExternal);
  if (type.hooks && type.hooks->validate) {
    for (auto& e : type.hooks->validate(external, oldExternal)) {
      errs.push_back(std::move(e));
    }
  }
  if (type.schema) {
    if (type.custom) {
      errs = type.schema->validate(external, oldExternal, std::move(errs));
    } else {
      // Built-in kinds decode into typed structs: a wrong type is a 400, not a 422.
      FieldErrors typeErrs = type.schema->validate(external, nullptr);
      for (const auto& e : typeErrs) {
        if (e.type == FieldErrorType::kTypeInvalid) {
          return badRequest(type.kind + " in version " + goQuote(type.version) +
                            " cannot be handled as a " + type.kind + ": json: cannot unmarshal " +
                            (e.value ? *e.value : std::string("value")) + " into Go struct field " +
                            type.kind + "." + e.field + " of type " +
                            e.detail.substr(e.detail.rfind("type ") + 5));
        }
      }
    }
  }
  if (type.kind == "CustomResourceDefinition") {
    ApiResponse crdProblem = validateCrd(external, oldExternal);
    if (crdProblem.status != 200) {
      return crdProblem;
    }
  }
  if (!errs.empty()) {
    return invalid(type.kindName(), writeField(external["metadata"], "name"), errs);
  }
  failed = false;
  return {};
}

void ApiServer::commit(const ResourceType& type, const std::string& key, json storageObj,
                       ManagedFields managed) {
  // Go's ObjectMeta omits empty collections; so does the double.
  json& meta = storageObj["metadata"];
  for (const char* field : {"labels", "annotations", "finalizers", "ownerReferences"}) {
    if (auto it = meta.find(field); it != meta.end() && (it->is_null() || it->empty())) {
      meta.erase(it);
    }
  }
  const HistoryEvent& ev =
      store_.put(type.storageKey, key, std::move(storageObj), std::move(managed));
  notify(ev);
  cv_.notify_all();
}

void ApiServer::erase(const ResourceType& type, const std::string& key) {
  const HistoryEvent& ev = store_.remove(type.storageKey, key);
  notify(ev);
  cv_.notify_all();
}

namespace {

// Decodes a create/update body as the apiserver does, with its exact 400/415 errors.
std::optional<ApiResponse> decodeObjectBody(const ApiRequest& req, const ResourceType& type,
                                            json& out, std::vector<std::string>& warnings) {
  std::string ct = req.hasContentType ? req.contentType : "application/json";
  auto mts = parseMediaTypes(ct);
  std::string mt = mts.empty() ? "" : mts[0].type;
  std::optional<DecodedBody> decoded;
  std::string error;
  if (mt == "application/json") {
    decoded = decodeJson(req.body, error);
  } else if (mt == "application/yaml") {
    decoded = decodeYaml(req.body, error);
  } else if (mt == "application/vnd.kubernetes.protobuf" && !type.custom) {
    auto pb = decodeKubernetesProtobuf(req.body, error);
    if (!pb) {
      return badRequest("the object provided is unrecognized (must be of type " + type.kind +
                        "): " + error);
    }
    decoded = DecodedBody{std::move(*pb), {}};
  } else {
    return unsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf");
  }
  std::string prefix = "the object provided is unrecognized (must be of type " + type.kind + "): ";
  if (!decoded) {
    return badRequest(prefix + "couldn't get version/kind; json parse error: " + error + " (" +
                      summarizeData(req.body) + ")");
  }
  if (!decoded->value.is_object()) {
    std::string what = decoded->value.is_array()     ? "array"
                       : decoded->value.is_string()  ? "string"
                       : decoded->value.is_boolean() ? "bool"
                       : decoded->value.is_null()    ? "null"
                                                     : "number";
    if (decoded->value.is_null()) {
      return badRequest(prefix + "Object 'Kind' is missing in '" + req.body + "' (" +
                        summarizeData(req.body) + ")");
    }
    return badRequest(prefix +
                      "couldn't get version/kind; json parse error: json: cannot "
                      "unmarshal " +
                      what +
                      " into Go value of type struct { APIVersion string "
                      "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                      "\"json:\\\"kind,omitempty\\\"\" } (" +
                      summarizeData(req.body) + ")");
  }
  json& obj = decoded->value;
  if (!obj.contains("kind") || !obj["kind"].is_string() || obj["kind"].get<std::string>().empty()) {
    return badRequest(prefix + "Object 'Kind' is missing in '" + req.body + "' (" +
                      summarizeData(req.body) + ")");
  }
  std::string apiVersion = writeField(obj, "apiVersion");
  if (!apiVersion.empty() && apiVersion != type.groupVersion()) {
    return badRequest("the API version in the data (" + apiVersion +
                      ") does not match the expected API version (" + type.groupVersion() + ")");
  }
  if (obj["kind"].get<std::string>() != type.kind) {
    return badRequest("the kind in the data (" + obj["kind"].get<std::string>() +
                      ") does not match the expected kind (" + type.kind + ")");
  }
  obj["apiVersion"] = type.groupVersion();
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) {
    obj["metadata"] = json::object();
  }
  for (const auto& d : decoded->duplicates) {
    warnings.push_back("duplicate field " + goQuote(d));
  }
  out = std::move(obj);
  return std::nullopt;
}

ApiResponse withWarnings(ApiResponse r, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    r.headers.emplace_back("Warning", "299 - " + goQuote(w));
  }
  return r;
}

std::optional<ApiResponse> sizeCheck(const std::string& body) {
  if (body.size() > kMaxRequestBytes) {
    return statusError(413, "RequestEntityTooLarge",
                       "Request entity too large: limit is " + std::to_string(kMaxRequestBytes));
  }
  return std::nullopt;
}

std::optional<ApiResponse> storageSizeCheck(const json& obj, const std::string& key) {
  // Roughly what etcd's request framing adds to the stored JSON (key, lease, txn headers).
  size_t size = obj.dump().size() + key.size() + 64;
  if (size > kMaxGrpcMessage) {
    return statusError(500, "",
                       "rpc error: code = ResourceExhausted desc = trying to send message larger "
                       "than max (" +
                           std::to_string(size + 70) + " vs. " + std::to_string(kMaxGrpcMessage) +
                           ")");
  }
  if (size > kMaxEtcdRequest) {
    return statusError(500, "", "etcdserver: request is too large");
  }
  return std::nullopt;
}

}  // namespace

ApiResponse ApiServer::create(const ApiRequest& req, const Target& t, const Accept& accept) {
  const ResourceType& type = *t.type;
  if (auto tooBig = sizeCheck(req.body)) {
    return *tooBig;
  }
  json obj;
  std::vector<std::string> warnings;
  if (auto err = decodeObjectBody(req, type, obj, warnings)) {
    return *err;
  }
  if (req.query.get("fieldValidation") == "Strict" && !warnings.empty()) {
    std::string list;
    for (const auto& w : warnings) {
      list += (list.empty() ? "" : ", ") + w;
    }
    return badRequest(type.kind + " in version " + goQuote(type.version) +
                      " cannot be handled as a " + type.kind + ": strict decoding error: " + list);
  }
  json& meta = obj["metadata"];
  if (type.namespaced) {
    std::string bodyNs = writeField(meta, "namespace");
    if (!bodyNs.empty() && bodyNs != t.ns) {
      return badRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta["namespace"] = t.ns;
  } else {
    meta.erase("namespace");
  }
  if (!t.name.empty() && writeField(meta, "name").empty()) {
    meta["name"] = t.name;
  }
  if (meta.contains("resourceVersion") && !writeField(meta, "resourceVersion").empty()) {
    return internalError("resourceVersion should not be set on objects to be created");
  }
  if (writeField(meta, "name").empty() && !writeField(meta, "generateName").empty()) {
    meta["name"] = writeField(meta, "generateName") + randomSuffix();
  }
  // System-owned fields: whatever the client sent is replaced.
  meta["uid"] = uuid4();
  meta["creationTimestamp"] = common::formatRfc3339(clock_->wallNow());
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("managedFields");
  meta.erase("selfLink");
  meta.erase("resourceVersion");
  if (type.hasGeneration) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  if (type.statusSubresource) {
    obj.erase("status");
  }
  bool failed = false;
  ApiResponse problem = admit(req, type, obj, nullptr, warnings, failed);
  if (failed) {
    return problem;
  }
  std::string name = writeField(obj["metadata"], "name");
  if (type.namespaced) {
    const StoredObject* ns = store_.get("namespaces", t.ns);
    if (ns == nullptr) {
      return notFound({"", "namespaces"}, t.ns);
    }
    if ((*ns->obj)["metadata"].contains("deletionTimestamp")) {
      return forbidden(
          type.resource(), name,
          type.resource().text() + " " + goQuote(name) +
              " is forbidden: unable to create new content in namespace " + t.ns +
              " because it is being terminated",
          json{{"causes", json::array({{{"reason", "NamespaceTerminating"},
                                        {"message", "namespace " + t.ns + " is being terminated"},
                                        {"field", "metadata.namespace"}}})}});
    }
  }
  std::string key = objectKey(type, t.ns, name);
  if (store_.get(type.storageKey, key) != nullptr) {
    return alreadyExists(type.resource(), name);
  }
  if (auto tooBig = storageSizeCheck(obj, key)) {
    return *tooBig;
  }
  if (dryRun(req)) {
    return withWarnings(encodeObject(201, obj, t, accept), warnings);
  }
  json stored = type.hooks && type.hooks->toInternal ? type.hooks->toInternal(obj) : obj;
  ManagedFields managed;
  OperationContext ctx{fieldManagerFor(req), type.groupVersion(), "",
                       common::formatRfc3339(clock_->wallNow()), FieldScope::kAll};
  recordUpdate(managed, nullptr, obj, ctx);
  commit(type, key, std::move(stored), std::move(managed));
  if (type.kind == "CustomResourceDefinition") {
    // Served at once (answering 429 until its storage is ready), Established a little later.
    auto establishAt = clock_->now() + options_.crdEstablishDelay;
    crdsToEstablish_[name] = establishAt;
    registerCrd(obj);
    for (const auto& ct : customByCrd_[name]) {
      storageReadyAt_[ct->storageKey] = establishAt + options_.crdStorageInitDelay;
    }
    cv_.notify_all();
  }
  if (obj["metadata"].contains("ownerReferences")) {
    gcDue_["check:" + type.storageKey + "|" + key] = clock_->now() + options_.gcDelay;
    cv_.notify_all();
  }
  const StoredObject* now = store_.get(type.storageKey, key);
  return withWarnings(encodeObject(201, toExternal(type, *now), t, accept), warnings);
}

ApiResponse ApiServer::update(const ApiRequest& req, const Target& t, const Accept& accept) {
  const ResourceType& type = *t.type;
  if (auto tooBig = sizeCheck(req.body)) {
    return *tooBig;
  }
  json obj;
  std::vector<std::string> warnings;
  if (auto err = decodeObjectBody(req, type, obj, warnings)) {
    return *err;
  }
  json& meta = obj["metadata"];
  std::string bodyName = writeField(meta, "name");
  if (!bodyName.empty() && bodyName != t.name) {
    return badRequest("the name of the object (" + bodyName +
                      ") does not match the name on the URL (" + t.name + ")");
  }
  meta["name"] = t.name;
  if (type.namespaced) {
    std::string bodyNs = writeField(meta, "namespace");
    if (!bodyNs.empty() && bodyNs != t.ns) {
      return badRequest(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta["namespace"] = t.ns;
  }
  const StoredObject* current = store_.get(type.storageKey, t.key());
  if (current == nullptr) {
    return notFound(type.resource(), t.name);
  }
  std::string rv = writeField(meta, "resourceVersion");
  if (rv.empty()) {
    if (!type.allowUnconditionalUpdate || type.custom) {
      return invalid(type.resource(), t.name,
                     {{FieldErrorType::kInvalid, "metadata.resourceVersion", "0x0",
                       "must be specified for an update"}});
    }
  } else {
    uint64_t n = 0;
    if (!parseUint(rv, n)) {
      return internalError(goParseIntError("ParseUint", rv));
    }
    if (n != current->rv) {
      return conflict(type.resource(), t.name,
                      "the object has been modified; please apply your changes to the latest "
                      "version and try again");
    }
  }
  StoredObject snapshot = *current;
  return commitUpdate(req, t, accept, std::move(obj), snapshot, std::move(warnings), false,
                      nullptr);
}

ApiResponse ApiServer::commitUpdate(const ApiRequest& req, const Target& t, const Accept& accept,
                                    json external, const StoredObject& current,
                                    std::vector<std::string> warnings, bool isApply,
                                    const ManagedFields* applied) {
  const ResourceType& type = *t.type;
  json old = toExternal(type, current);
  old["metadata"].erase("managedFields");
  json& meta = external["metadata"];
  const json& oldMeta = old["metadata"];
  const bool statusWrite = t.subresource == "status";

  if (statusWrite) {
    // Only status moves through /status; everything else stays as stored.
    json merged = old;
    if (external.contains("status")) {
      merged["status"] = external["status"];
    } else {
      merged.erase("status");
    }
    external = std::move(merged);
  } else if (type.statusSubresource) {
    if (old.contains("status")) {
      external["status"] = old["status"];
    } else {
      external.erase("status");
    }
  }
  json& m = external["metadata"];
  (void)meta;
  std::string uid = writeField(m, "uid");
  if (!uid.empty() && uid != writeField(oldMeta, "uid")) {
    return invalid(
        type.kindName(), t.name,
        {{FieldErrorType::kInvalid, "metadata.uid", goQuote(uid), "field is immutable"}});
  }
  for (const char* field : {"uid", "creationTimestamp", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "generation"}) {
    if (oldMeta.contains(field)) {
      m[field] = oldMeta[field];
    } else {
      m.erase(field);
    }
  }
  m.erase("managedFields");
  m["resourceVersion"] = oldMeta.value("resourceVersion", "");
  bool failed = false;
  ApiResponse problem = admit(req, type, external, &old, warnings, failed);
  if (failed) {
    return problem;
  }
  if (type.hasGeneration && specPart(external) != specPart(old)) {
    external["metadata"]["generation"] = oldMeta.value("generation", 1) + 1;
  }
  std::string key = t.key();
  if (withoutVolatile(external) == withoutVolatile(old)) {
    // Nothing changed: no write, no new resourceVersion.
    return withWarnings(encodeObject(200, toExternal(type, current), t, accept), warnings);
  }
  if (auto tooBig = storageSizeCheck(external, key)) {
    return *tooBig;
  }
  if (dryRun(req)) {
    return withWarnings(encodeObject(200, external, t, accept), warnings);
  }
  const bool terminating = oldMeta.contains("deletionTimestamp");
  json finalizers = external["metadata"].value("finalizers", json::array());
  if (terminating && finalizers.empty()) {
    // The last finalizer is gone: this very request deletes the object, and answers with it
    // as it was written (the old resourceVersion).
    external["metadata"].erase("finalizers");
    json answer = external;
    finishDeletion(type, key);
    return withWarnings(encodeObject(200, answer, t, accept), warnings);
  }
  ManagedFields managed = current.managed;
  if (isApply && applied != nullptr) {
    managed = *applied;
  } else {
    OperationContext ctx{fieldManagerFor(req), type.groupVersion(), statusWrite ? "status" : "",
                         common::formatRfc3339(clock_->wallNow()),
                         statusWrite              ? FieldScope::kStatusOnly
                         : type.statusSubresource ? FieldScope::kMainWithoutStatus
                                                  : FieldScope::kAll};
    recordUpdate(managed, &old, external, ctx);
  }
  json stored = type.hooks && type.hooks->toInternal ? type.hooks->toInternal(external) : external;
  bool ownersChanged = oldMeta.value("ownerReferences", json()) !=
                       external["metadata"].value("ownerReferences", json());
  commit(type, key, std::move(stored), std::move(managed));
  if (type.kind == "CustomResourceDefinition") {
    registerCrd(external);
  }
  if (ownersChanged || terminating) {
    gcDue_["check:" + type.storageKey + "|" + key] = clock_->now() + options_.gcDelay;
    cv_.notify_all();
  }
  const StoredObject* now = store_.get(type.storageKey, key);
  return withWarnings(encodeObject(200, toExternal(type, *now), t, accept), warnings);
}

ApiResponse ApiServer::patch(const ApiRequest& req, const Target& t, const Accept& accept) {
  const ResourceType& type = *t.type;
  if (auto tooBig = sizeCheck(req.body)) {
    return *tooBig;
  }
  auto mts = parseMediaTypes(req.contentType);
  std::string mt = mts.empty() ? "" : mts[0].type;
  const bool smpAllowed = !type.custom;
  if (mt != "application/json-patch+json" && mt != "application/merge-patch+json" &&
      mt != "application/apply-patch+yaml" &&
      !(smpAllowed && mt == "application/strategic-merge-patch+json")) {
    return unsupportedMediaType(
        std::string("the body of the request was in an unknown format - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, ") +
        (smpAllowed ? "application/strategic-merge-patch+json, " : "") +
        "application/apply-patch+yaml");
  }
  const bool apply = mt == "application/apply-patch+yaml";
  if (apply && !req.query.get("fieldManager")) {
    return invalid(
        {"meta.k8s.io", "PatchOptions"}, "",
        {{FieldErrorType::kRequired, "fieldManager", std::nullopt, "is required for apply patch"}});
  }
  const StoredObject* current = store_.get(type.storageKey, t.key());
  if (current == nullptr && !apply) {
    return notFound(type.resource(), t.name);
  }
  std::vector<std::string> warnings;
  json result;
  ManagedFields appliedManaged;
  if (apply) {
    std::string error;
    auto body = decodeYaml(req.body, error);
    if (!body || !body->value.is_object()) {
      return badRequest("error decoding YAML: " + (error.empty() ? "not an object" : error));
    }
    json config = body->value;
    std::string kind = writeField(config, "kind");
    std::string apiVersion = writeField(config, "apiVersion");
    if (kind.empty() || apiVersion.empty()) {
      return badRequest("invalid object type: " + apiVersion + ", Kind=" + kind);
    }
    if (apiVersion != type.groupVersion() || kind != type.kind) {
      return badRequest("the API version in the data (" + apiVersion +
                        ") does not match the expected API version (" + type.groupVersion() + ")");
    }
    std::string cfgName = config.contains("metadata") ? writeField(config["metadata"], "name") : "";
    if (!cfgName.empty() && cfgName != t.name) {
      return badRequest("the name of the object (" + cfgName +
                        ") does not match the name on the URL (" + t.name + ")");
    }
    const bool statusWrite = t.subresource == "status";
    OperationContext ctx{req.query.get("fieldManager").value_or(""), type.groupVersion(),
                         statusWrite ? "status" : "", common::formatRfc3339(clock_->wallNow()),
                         statusWrite              ? FieldScope::kStatusOnly
                         : type.statusSubresource ? FieldScope::kMainWithoutStatus
                                                  : FieldScope::kAll};
    bool force = req.query.get("force") == "true";
    json live = nullptr;
    ManagedFields liveManaged;
    if (current != nullptr) {
      live = toExternal(type, *current);
      live["metadata"].erase("managedFields");
      liveManaged = current->managed;
    }
    ApplyOutcome outcome = applyConfig(live, liveManaged, config, force, ctx);
    if (!outcome.conflicts.empty()) {
      json causes = json::array();
      std::string summary;
      for (const auto& c : outcome.conflicts) {
        std::string who = "conflict with " + goQuote(c.manager);
        if (c.operation == "Update") {
          who += " using " + c.apiVersion;
        }
        causes.push_back({{"reason", "FieldManagerConflict"},
                          {"message", who},
                          {"field", fieldPathText(c.field)}});
        summary += (summary.empty() ? "" : "\n") + who + ": " + fieldPathText(c.field);
      }
      size_t n = outcome.conflicts.size();
      return statusError(409, "Conflict",
                         "Apply failed with " + std::to_string(n) + " conflict" +
                             (n == 1 ? "" : "s") + ": " + summary,
                         json{{"causes", causes}});
    }
    result = std::move(outcome.object);
    appliedManaged = std::move(outcome.managed);
    if (current == nullptr) {
      // Server-side apply of a missing object creates it.
      result["apiVersion"] = type.groupVersion();
      result["kind"] = type.kind;
      result["metadata"]["name"] = t.name;
      if (type.namespaced) {
        result["metadata"]["namespace"] = t.ns;
      }
      ApiRequest createReq = req;
      createReq.body = result.dump();
      createReq.contentType = "application/json";
      createReq.hasContentType = true;
      createReq.query = http::Query();
      for (const auto& [k, v] : req.query.items()) {
        if (k != "fieldManager" && k != "force") {
          createReq.query.add(k, v);
        }
      }
      createReq.query.add("fieldManager", ctx.manager);
      ApiResponse created = create(createReq, t, accept);
      if (created.status == 201) {
        // Ownership is the applier's, not an Update by the same manager.
        store_.setManaged(type.storageKey, t.key(), appliedManaged);
      }
      return created;
    }
  } else {
    json base = toExternal(type, *current);
    base["metadata"].erase("managedFields");
    std::string error;
    auto body = decodeJson(req.body, error);
    if (!body) {
      return badRequest("error decoding patch: " + error);
    }
    if (mt == "application/json-patch+json") {
      if (!body->value.is_array()) {
        return badRequest("error decoding patch: json: cannot unmarshal " +
                          std::string(body->value.type_name()) +
                          " into Go value of type []handlers.jsonPatchOp");
      }
      try {
        result = base.patch(body->value);
      } catch (const json::exception&) {
        return statusError(422, "Invalid",
                           "the server rejected our request due to an error in our request",
                           json::object());
      }
    } else if (mt == "application/merge-patch+json") {
      result = base;
      result.merge_patch(body->value);
    } else {
      std::vector<ListMergeRule> rules = defaultMergeRules();
      if (type.hooks) {
        for (const auto& [path, k] : type.hooks->mergeKeys) {
          rules.push_back({path, k});
        }
      }
      result = strategicMerge(base, body->value, rules);
    }
  }
  if (!result.is_object()) {
    return badRequest("the object provided is unrecognized (must be of type " + type.kind + ")");
  }
  if (!result.contains("metadata") || !result["metadata"].is_object() ||
      writeField(result["metadata"], "name").empty()) {
    return badRequest("the name of the object (" + t.name +
                      " based on URL) was undeterminable: name must be provided");
  }
  std::string patchedName = writeField(result["metadata"], "name");
  if (patchedName != t.name) {
    return badRequest("the name of the object (" + patchedName +
                      ") does not match the name on the URL (" + t.name + ")");
  }
  std::string rv = writeField(result["metadata"], "resourceVersion");
  if (!rv.empty()) {
    uint64_t n = 0;
    if (!parseUint(rv, n)) {
      return internalError(goParseIntError("ParseUint", rv));
    }
    if (n != current->rv) {
      return conflict(type.resource(), t.name,
                      "the object has been modified; please apply your changes to the latest "
                      "version and try again");
    }
  }
  if (type.hooks && type.hooks->toExternal && !type.custom) {
    result["apiVersion"] = type.groupVersion();
    result["kind"] = type.kind;
  }
  StoredObject snapshot = *current;
  return commitUpdate(req, t, accept, std::move(result), snapshot, std::move(warnings), apply,
                      apply ? &appliedManaged : nullptr);
}

void ApiServer::finishDeletion(const ResourceType& type, const std::string& key) {
  const StoredObject* current = store_.get(type.storageKey, key);
  if (current == nullptr) {
    return;
  }
  std::string uid = (*current->obj)["metadata"].value("uid", "");
  std::string crdName =
      type.kind == "CustomResourceDefinition" ? (*current->obj)["metadata"].value("name", "") : "";
  erase(type, key);
  if (!uid.empty()) {
    gcDue_["owner:" + uid] = clock_->now() + options_.gcDelay;
    cv_.notify_all();
  }
  if (!crdName.empty()) {
    unregisterCrd(crdName);
  }
}

ApiResponse ApiServer::deleteObject(const ResourceType& type, const std::string& key,
                                    const StoredObject& current, const std::string& propagation,
                                    bool dry, bool& deletedNow) {
  deletedNow = false;
  json obj = *current.obj;
  json& meta = obj["metadata"];
  Target t;
  t.type = findType(type.group, type.version, type.plural);
  auto external = [&](const json& o) {
    StoredObject s{std::make_shared<const json>(o), current.rv, current.managed};
    return toExternal(type, s);
  };
  if (meta.contains("deletionTimestamp")) {
    return ApiResponse::json(200, toExternal(type, current));  // already terminating
  }
  json finalizers = meta.value("finalizers", json::array());
  auto addFinalizer = [&](const char* f) {
    if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) {
      finalizers.push_back(f);
    }
  };
  if (propagation == "Orphan") {
    addFinalizer("orphan");
  } else if (propagation == "Foreground") {
    addFinalizer("foregroundDeletion");
  }
  if (type.kind == "Namespace") {
    meta["deletionTimestamp"] = common::formatRfc3339(clock_->wallNow());
    obj["status"]["phase"] = "Terminating";
    if (dry) {
      return ApiResponse::json(200, external(obj));
    }
    commit(type, key, obj, current.managed);
    namespacesDue_[meta.value("name", "")] = clock_->now() + options_.namespaceSyncDelay;
    cv_.notify_all();
    return ApiResponse::json(200, toExternal(type, *store_.get(type.storageKey, key)));
  }
  if (!finalizers.empty()) {
    meta["finalizers"] = finalizers;
    meta["deletionTimestamp"] = common::formatRfc3339(clock_->wallNow());
    meta["deletionGracePeriodSeconds"] = 0;
    if (type.hasGeneration) {
      meta["generation"] = meta.value("generation", 1) + 1;
    }
    if (dry) {
      return ApiResponse::json(200, external(obj));
    }
    commit(type, key, obj, current.managed);
    std::string uid = meta.value("uid", "");
    gcDue_["owner:" + uid] = clock_->now() + options_.gcDelay;
    cv_.notify_all();
    return ApiResponse::json(200, toExternal(type, *store_.get(type.storageKey, key)));
  }
  json details = {{"name", meta.value("name", "")}};
  if (!type.group.empty()) {
    details["group"] = type.group;
  }
  details["kind"] = type.plural;
  details["uid"] = meta.value("uid", "");
  json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", json::object()},
                 {"status", "Success"},
                 {"details", details}};
  if (!dry) {
    finishDeletion(type, key);
    deletedNow = true;
  }
  return ApiResponse::json(200, status);
}

namespace {

struct DeleteOptions {
  std::string propagation;
  bool orphanSet = false;
  bool orphan = false;
  std::optional<std::string> preconditionUid;
  std::optional<std::string> preconditionRv;
};

std::optional<ApiResponse> parseDeleteOptions(const ApiRequest& req, DeleteOptions& o) {
  json body = json::object();
  if (!req.body.empty()) {
    std::string error;
    auto decoded = decodeJson(req.body, error);
    if (!decoded || !decoded->value.is_object()) {
      return badRequest("the object provided is unrecognized (must be of type DeleteOptions)");
    }
    body = decoded->value;
  }
  o.propagation = writeField(body, "propagationPolicy");
  if (auto q = req.query.get("propagationPolicy")) {
    o.propagation = *q;
  }
  if (body.contains("orphanDependents") && body["orphanDependents"].is_boolean()) {
    o.orphanSet = true;
    o.orphan = body["orphanDependents"].get<bool>();
  }
  if (auto q = req.query.get("orphanDependents")) {
    o.orphanSet = true;
    o.orphan = *q == "true";
  }
  if (auto p = body.find("preconditions"); p != body.end() && p->is_object()) {
    if (p->contains("uid") && (*p)["uid"].is_string()) {
      o.preconditionUid = (*p)["uid"].get<std::string>();
    }
    if (p->contains("resourceVersion") && (*p)["resourceVersion"].is_string()) {
      o.preconditionRv = (*p)["resourceVersion"].get<std::string>();
    }
  }
  FieldErrors errs;
  if (o.orphanSet && !o.propagation.empty()) {
    errs.push_back({FieldErrorType::kInvalid, "propagationPolicy", goQuote(o.propagation),
                    "orphanDependents and deletionPropagation cannot be both set"});
  }
  if (!o.propagation.empty() && o.propagation != "Foreground" && o.propagation != "Background" &&
      o.propagation != "Orphan") {
    errs.push_back({FieldErrorType::kNotSupported, "propagationPolicy", goQuote(o.propagation),
                    "supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""});
  }
  if (!errs.empty()) {
    return invalid({"meta.k8s.io", "DeleteOptions"}, "", errs);
  }
  if (o.orphanSet && o.propagation.empty()) {
    o.propagation = o.orphan ? "Orphan" : "Background";
  }
  return std::nullopt;
}

}  // namespace

ApiResponse ApiServer::remove(const ApiRequest& req, const Target& t, const Accept& accept) {
  (void)accept;
  const ResourceType& type = *t.type;
  DeleteOptions o;
  if (auto err = parseDeleteOptions(req, o)) {
    return *err;
  }
  const StoredObject* current = store_.get(type.storageKey, t.key());
  if (current == nullptr) {
    return notFound(type.resource(), t.name);
  }
  const json& meta = (*current->obj)["metadata"];
  if (o.preconditionUid && *o.preconditionUid != meta.value("uid", "")) {
    return conflict(type.kindName(), t.name,
                    "the UID in the precondition (" + *o.preconditionUid +
                        ") does not match the UID in record (" + meta.value("uid", "") +
                        "). The object might have been deleted and then recreated");
  }
  if (o.preconditionRv && *o.preconditionRv != meta.value("resourceVersion", "")) {
    return conflict(type.kindName(), t.name,
                    "the ResourceVersion in the precondition (" + *o.preconditionRv +
                        ") does not match the ResourceVersion in record (" +
                        meta.value("resourceVersion", "") +
                        "). The object might have been modified");
  }
  bool deletedNow = false;
  StoredObject snapshot = *current;
  return deleteObject(type, t.key(), snapshot, o.propagation, dryRun(req), deletedNow);
}

ApiResponse ApiServer::removeCollection(const ApiRequest& req, const Target& t,
                                        const Accept& accept) {
  (void)accept;
  const ResourceType& type = *t.type;
  DeleteOptions o;
  if (auto err = parseDeleteOptions(req, o)) {
    return *err;
  }
  auto labels = LabelSelector::parse(req.query.get("labelSelector").value_or(""));
  if (!labels.ok()) {
    return badRequest(labels.status().message());
  }
  auto fields = FieldSelector::parse(req.query.get("fieldSelector").value_or(""));
  if (!fields.ok()) {
    return badRequest(fields.status().message());
  }
  std::vector<std::pair<std::string, StoredObject>> matched;
  std::vector<json> before;
  store_.forEach(type.storageKey, t.prefix(), [&](const std::string& key, const StoredObject& s) {
    json external = toExternal(type, s);
    if (labels->matches(external["metadata"].value("labels", json())) &&
        matchesFields(type, external, *fields)) {
      matched.emplace_back(key, s);
      before.push_back(std::move(external));
    }
  });
  uint64_t listRv = store_.currentRv();
  for (auto& [key, stored] : matched) {
    bool deletedNow = false;
    deleteObject(type, key, stored, o.propagation, dryRun(req), deletedNow);
  }
  json meta = {{"resourceVersion", std::to_string(listRv)}};
  if (type.custom) {
    meta["continue"] = "";
  } else {
    for (auto& item : before) {
      item.erase("apiVersion");
      item.erase("kind");
    }
  }
  return ApiResponse::json(200, {{"apiVersion", type.groupVersion()},
                                 {"kind", type.listKind},
                                 {"metadata", meta},
                                 {"items", before}});
}

}  // namespace dbtoken::kubedouble
