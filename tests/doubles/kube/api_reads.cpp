// ApiServer reads: GET of one object, LIST with selectors, pagination and resourceVersion
// semantics (including snapshots of the past), WATCH streams, and Table / partial-metadata /
// YAML encodings.
#include <charconv>

#include "common/time_format.h"
#include "kube/api_internal.h"
#include "kube/base64.h"
#include "kube/builtin_kinds.h"
#include "kube/jsonpath.h"
#include "kube/protobuf_codec.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

std::string humanDuration(std::chrono::seconds d) {
  long long seconds = d.count();
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 120) {
    return std::to_string(seconds) + "s";
  }
  long long minutes = seconds / 60;
  if (minutes < 10) {
    long long s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m"
                  : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 180) {
    return std::to_string(minutes) + "m";
  }
  long long hours = seconds / 3600;
  if (hours < 8) {
    long long m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h"
                  : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) {
    return std::to_string(hours) + "h";
  }
  if (hours < 24 * 8) {
    long long h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d"
                  : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) {
    return std::to_string(hours / 24) + "d";
  }
  if (hours < 24 * 365 * 8) {
    long long dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

// Continue tokens: base64url of {"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}.
std::string encodeContinue(long long rv, const std::string& startKey) {
  json t = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", startKey + std::string(1, '\0')}};
  return base64UrlEncodeRaw(t.dump());
}

struct ContinueToken {
  long long rv = 0;
  std::string start;
};

std::optional<ContinueToken> decodeContinue(const std::string& token, std::string& error) {
  size_t at = 0;
  auto raw = base64UrlDecodeRaw(token, &at);
  if (!raw) {
    error = "continue key is not valid: illegal base64 data at input byte " + std::to_string(at);
    return std::nullopt;
  }
  auto j = json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    std::string shown;
    unsigned char c = raw->empty() ? 0 : static_cast<unsigned char>((*raw)[0]);
    char buf[16];
    if (c >= 0x20 && c < 0x7f) {
      std::snprintf(buf, sizeof buf, "'%c'", c);
    } else {
      std::snprintf(buf, sizeof buf, "'\\u%04x'", c);
    }
    error = std::string("continue key is not valid: invalid character ") + buf +
            " looking for beginning of value";
    return std::nullopt;
  }
  if (j.value("v", "") != "meta.k8s.io/v1" || !j.contains("rv") || !j.contains("start")) {
    error =
        "continue key is not valid: incorrect encoded start resourceVersion (version "
        "meta.k8s.io/v1)";
    return std::nullopt;
  }
  ContinueToken t;
  t.rv = j["rv"].get<long long>();
  t.start = j["start"].get<std::string>();
  if (!t.start.empty() && t.start.back() == '\0') {
    t.start.pop_back();
  }
  return t;
}

bool truthy(const std::optional<std::string>& v) {
  return v && (*v == "1" || *v == "true");
}

}  // namespace

json ApiServer::toExternal(const ResourceType& type, const StoredObject& stored) const {
  json out =
      type.hooks && type.hooks->toExternal ? type.hooks->toExternal(*stored.obj) : *stored.obj;
  out["apiVersion"] = type.groupVersion();
  out["kind"] = type.kind;
  if (!stored.managed.empty()) {
    out["metadata"]["managedFields"] = renderManagedFields(stored.managed);
  }
  return out;
}

bool ApiServer::matchesFields(const ResourceType& type, const json& external,
                              const FieldSelector& fields) const {
  (void)type;
  for (const auto& term : fields.terms()) {
    const json* v = lookupPath(external, term.field);
    std::string value;
    if (v != nullptr) {
      value = v->is_string() ? v->get<std::string>() : v->dump();
    }
    if ((value == term.value) == term.negate) {
      return false;
    }
  }
  return true;
}

json ApiServer::tableFor(const ResourceType& type, const std::vector<json>& objects,
                         const std::string& includeObject, const std::string& tableVersion,
                         bool withColumns) const {
  json columns = json::array({nameColumnDefinition()});
  std::vector<PrinterColumn> cols = type.columns;
  bool custom = type.custom;
  if (custom && cols.empty()) {
    PrinterColumn age;
    age.name = "Age";
    age.type = "date";
    age.jsonPath = ".metadata.creationTimestamp";
    cols.push_back(age);
  }
  if (custom) {
    for (const auto& c : cols) {
      columns.push_back(
          {{"name", c.name},
           {"type", c.type},
           {"format", c.format},
           {"description",
            c.description.empty()
                ? "Custom resource definition column (in JSONPath format): " + c.jsonPath
                : c.description},
           {"priority", c.priority}});
    }
  } else if (type.hooks) {
    for (const auto& c : type.hooks->columns) {
      columns.push_back({{"name", c.name},
                         {"type", c.type},
                         {"format", c.format},
                         {"description", c.description},
                         {"priority", c.priority}});
    }
    if (type.hooks->ageColumn) {
      columns.push_back(ageColumnDefinitionBuiltin());
    }
  }
  auto now = clock_->wallNow();
  auto ageOf = [&](const json& ts) -> json {
    if (!ts.is_string()) {
      return "<unknown>";
    }
    auto t = common::parseRfc3339(ts.get<std::string>());
    if (!t) {
      return "<unknown>";
    }
    return humanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
  };
  json rows = json::array();
  for (const auto& obj : objects) {
    json cells = json::array({obj["metadata"].value("name", "")});
    if (custom) {
      for (const auto& c : cols) {
        auto found = evaluateJsonPath(obj, c.jsonPath);
        const json* v = found.empty() ? nullptr : found.front();
        if (v == nullptr) {
          cells.push_back(nullptr);
        } else if (c.type == "date") {
          cells.push_back(ageOf(*v));
        } else {
          cells.push_back(*v);
        }
      }
    } else if (type.hooks) {
      json stored = obj;
      if (type.hooks->toInternal) {
        stored = type.hooks->toInternal(obj);
      }
      if (type.hooks->cells) {
        for (auto& c : type.hooks->cells(stored)) {
          cells.push_back(std::move(c));
        }
      }
      if (type.hooks->ageColumn) {
        cells.push_back(ageOf(obj["metadata"].value("creationTimestamp", json())));
      }
    }
    json row = {{"cells", cells}};
    if (includeObject == "None") {
      row["object"] = nullptr;
    } else if (includeObject == "Object") {
      row["object"] = obj;
    } else {
      row["object"] = partialMetadata(obj, tableVersion);
    }
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/" + tableVersion},
          {"metadata", json::object()},
          {"columnDefinitions", withColumns ? columns : json(nullptr)},
          {"rows", rows}};
}

ApiResponse ApiServer::encodeObject(int status, const json& external, const Target& t,
                                    const Accept& accept, bool includeManaged) {
  json obj = external;
  if (!includeManaged && obj.contains("metadata")) {
    obj["metadata"].erase("managedFields");
  }
  switch (accept.kind) {
    case Accept::Kind::kYaml: {
      ApiResponse r;
      r.status = status;
      r.contentType = "application/yaml";
      r.body = jsonToYaml(obj);
      return r;
    }
    case Accept::Kind::kTable:
      return ApiResponse::json(status, tableFor(*t.type, {obj}, "Metadata", accept.version, true));
    case Accept::Kind::kPartialMetadata:
    case Accept::Kind::kPartialMetadataList:
      return ApiResponse::json(status, partialMetadata(obj, accept.version));
    case Accept::Kind::kProtobuf: {
      ApiResponse r;
      r.status = status;
      r.contentType = "application/vnd.kubernetes.protobuf";
      r.body = encodeKubernetesProtobuf(obj);
      return r;
    }
    case Accept::Kind::kJson:
      break;
  }
  return ApiResponse::json(status, obj);
}

ApiResponse ApiServer::get(const ApiRequest& req, const Target& t, const Accept& accept) {
  (void)req;
  const StoredObject* stored = store_.get(t.type->storageKey, t.key());
  if (stored == nullptr) {
    return notFound(t.type->resource(), t.name);
  }
  json external = toExternal(*t.type, *stored);
  if (accept.kind == Accept::Kind::kTable) {
    std::string include = req.query.get("includeObject").value_or("Metadata");
    json table = tableFor(*t.type, {external}, include, accept.version, true);
    table["metadata"]["resourceVersion"] = external["metadata"].value("resourceVersion", "");
    return ApiResponse::json(200, table);
  }
  return encodeObject(200, external, t, accept);
}

ApiResponse ApiServer::list(const ApiRequest& req, const Target& t, const Accept& accept,
                            std::unique_lock<std::mutex>& lock) {
  const ResourceType& type = *t.type;
  ListOptions o;
  FieldErrors optionErrors;
  o.watch = truthy(req.query.get("watch"));
  o.allowBookmarks = truthy(req.query.get("allowWatchBookmarks"));
  auto sendInitial = req.query.get("sendInitialEvents");
  o.sendInitialEvents = truthy(sendInitial);
  o.resourceVersion = req.query.get("resourceVersion");
  o.resourceVersionMatch = req.query.get("resourceVersionMatch").value_or("");
  o.continueToken = req.query.get("continue").value_or("");
  o.includeObject = req.query.get("includeObject").value_or("");
  if (auto limit = req.query.get("limit")) {
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), o.limit);
    if (ec != std::errc() || p != limit->data() + limit->size()) {
      return badRequest(goParseIntError("ParseInt", *limit));
    }
  }
  if (auto timeout = req.query.get("timeoutSeconds")) {
    long long v = 0;
    auto [p, ec] = std::from_chars(timeout->data(), timeout->data() + timeout->size(), v);
    if (ec != std::errc() || p != timeout->data() + timeout->size()) {
      return badRequest(goParseIntError("ParseInt", *timeout));
    }
    o.timeoutSeconds = v;
  }
  const bool rvGiven = o.resourceVersion && !o.resourceVersion->empty();
  const std::string& match = o.resourceVersionMatch;
  if (o.watch) {
    if (sendInitial) {
      if (match != "NotOlderThan") {
        optionErrors.push_back({FieldErrorType::kForbidden, "resourceVersionMatch", std::nullopt,
                                "sendInitialEvents requires setting resourceVersionMatch to "
                                "NotOlderThan"});
      }
    }
    if (!match.empty()) {
      if (!sendInitial) {
        optionErrors.push_back({FieldErrorType::kForbidden, "resourceVersionMatch", std::nullopt,
                                "resourceVersionMatch is forbidden for watch unless "
                                "sendInitialEvents is provided"});
      }
      if (match != "NotOlderThan") {
        optionErrors.push_back({FieldErrorType::kNotSupported, "resourceVersionMatch",
                                goQuote(match), "supported values: \"NotOlderThan\""});
      }
    }
  } else {
    if (!match.empty()) {
      if (!rvGiven) {
        optionErrors.push_back({FieldErrorType::kForbidden, "resourceVersionMatch", std::nullopt,
                                "resourceVersionMatch is forbidden unless resourceVersion is "
                                "provided"});
      }
      if (!o.continueToken.empty()) {
        optionErrors.push_back({FieldErrorType::kForbidden, "resourceVersionMatch", std::nullopt,
                                "resourceVersionMatch is forbidden when continue is provided"});
      }
      if (match == "Exact" && o.resourceVersion == "0") {
        optionErrors.push_back({FieldErrorType::kForbidden, "resourceVersionMatch", std::nullopt,
                                "resourceVersionMatch \"exact\" is forbidden for resourceVersion "
                                "\"0\""});
      } else if (match != "Exact" && match != "NotOlderThan") {
        optionErrors.push_back({FieldErrorType::kNotSupported, "resourceVersionMatch",
                                goQuote(match),
                                "supported values: \"Exact\", \"NotOlderThan\", \"\""});
      }
    }
    if (sendInitial) {
      optionErrors.push_back({FieldErrorType::kForbidden, "sendInitialEvents", std::nullopt,
                              "sendInitialEvents is forbidden for list"});
    }
  }
  if (!optionErrors.empty()) {
    return invalid({"meta.k8s.io", "ListOptions"}, "", optionErrors);
  }
  o.labelSelectorText = req.query.get("labelSelector").value_or("");
  auto labels = LabelSelector::parse(o.labelSelectorText);
  if (!labels.ok()) {
    return badRequest(labels.status().message());
  }
  o.labels = std::move(labels).value();
  auto fields = FieldSelector::parse(req.query.get("fieldSelector").value_or(""));
  if (!fields.ok()) {
    return badRequest(fields.status().message());
  }
  o.fields = std::move(fields).value();
  for (const auto& term : o.fields.terms()) {
    bool supported = term.field == "metadata.name" || term.field == "metadata.namespace";
    if (!supported && type.kind == "Event") {
      static const char* kEventCore[] = {"involvedObject.kind",
                                         "involvedObject.namespace",
                                         "involvedObject.name",
                                         "involvedObject.uid",
                                         "involvedObject.apiVersion",
                                         "involvedObject.resourceVersion",
                                         "involvedObject.fieldPath",
                                         "reason",
                                         "reportingComponent",
                                         "source",
                                         "type"};
      static const char* kEventsV1[] = {"regarding.kind",       "regarding.namespace",
                                        "regarding.name",       "regarding.uid",
                                        "regarding.apiVersion", "regarding.resourceVersion",
                                        "regarding.fieldPath",  "reason",
                                        "reportingController",  "type"};
      if (type.group.empty()) {
        for (const char* f : kEventCore) {
          supported = supported || term.field == f;
        }
      } else {
        for (const char* f : kEventsV1) {
          supported = supported || term.field == f;
        }
      }
    }
    if (!supported && type.kind == "Secret") {
      supported = term.field == "type";
    }
    if (!supported && type.kind == "Namespace") {
      supported = term.field == "status.phase";
    }
    if (!supported) {
      return badRequest("field label not supported: " + term.field);
    }
  }
  if (o.watch) {
    return watch(req, t, accept, o);
  }

  // Which state to list: now, or a snapshot of the past.
  uint64_t current = store_.currentRv();
  uint64_t listRv = current;
  std::optional<Snapshot> snapshot;
  std::string startKey;
  bool ignoreLimit = false;
  if (!o.continueToken.empty()) {
    std::string error;
    auto token = decodeContinue(o.continueToken, error);
    if (!token) {
      return badRequest("invalid continue token: " + error);
    }
    startKey = t.prefix() + token->start;
    if (token->rv < 0) {
      listRv = current;  // an inconsistent continuation lists the present
    } else {
      listRv = static_cast<uint64_t>(token->rv);
      snapshot = store_.snapshotAt(type.storageKey, t.prefix(), listRv);
      if (!snapshot) {
        ApiResponse r = statusError(
            410, "Expired",
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter, or use the continue "
            "token in this response to retrieve the remainder of the results. Continuing with "
            "the provided token results in an inconsistent list - objects that were created, "
            "modified, or deleted between the time the first chunk was returned and now may "
            "show up in the list.");
        json body = json::parse(r.body);
        body["metadata"]["continue"] = encodeContinue(-1, token->start);
        return ApiResponse::json(410, body);
      }
    }
  } else if (rvGiven) {
    uint64_t want = 0;
    if (!parseUint(*o.resourceVersion, want)) {
      return statusError(500, "",
                         "resourceVersion: Invalid value: " + goQuote(*o.resourceVersion) + ": " +
                             goParseIntError("ParseUint", *o.resourceVersion));
    }
    if (want == 0) {
      ignoreLimit = true;  // served from the watch cache: everything, no continue
    } else if (match == "Exact" || (match.empty() && o.limit > 0)) {
      if (want > current) {
        return statusError(500, "", "etcdserver: mvcc: required revision is a future revision");
      }
      snapshot = store_.snapshotAt(type.storageKey, t.prefix(), want);
      if (!snapshot) {
        return statusError(410, "Expired", "The resourceVersion for the provided list is too old.");
      }
      listRv = want;
    } else if (want > current) {
      // NotOlderThan a version the server has not seen yet: wait for it a little.
      auto deadline = std::chrono::steady_clock::now() + options_.futureResourceVersionWait;
      cv_.wait_until(lock, deadline, [&] { return store_.currentRv() >= want || stopping_; });
      current = store_.currentRv();
      if (current < want) {
        ApiResponse r =
            statusError(504, "Timeout",
                        "Timeout: Too large resource version: " + std::to_string(want) +
                            ", current: " + std::to_string(current),
                        json{{"causes", json::array({{{"reason", "ResourceVersionTooLarge"},
                                                      {"message", "Too large resource version"}}})},
                             {"retryAfterSeconds", 1}});
        r.headers.emplace_back("Retry-After", "1");
        return r;
      }
      listRv = current;
    }
  }

  // Collect matching items in key order.
  std::vector<json> items;
  std::string nextKey;
  long long remaining = 0;
  bool selectors = !o.labels.empty() || !o.fields.empty();
  const long long limit = ignoreLimit ? 0 : o.limit;
  auto consider = [&](const std::string& key, const std::shared_ptr<const json>& objPtr,
                      const StoredObject* stored) {
    if (!startKey.empty() && key < startKey) {
      return;
    }
    StoredObject temp;
    if (stored == nullptr) {
      temp.obj = objPtr;
      stored = &temp;
    }
    json external = toExternal(type, *stored);
    if (!o.labels.matches(external["metadata"].value("labels", json()))) {
      return;
    }
    if (!matchesFields(type, external, o.fields)) {
      return;
    }
    if (limit > 0 && static_cast<long long>(items.size()) >= limit) {
      if (nextKey.empty()) {
        nextKey = key;
      }
      ++remaining;
      return;
    }
    items.push_back(std::move(external));
  };
  if (snapshot) {
    for (const auto& [key, obj] : *snapshot) {
      consider(key, obj, nullptr);
    }
  } else {
    store_.forEach(type.storageKey, t.prefix(), [&](const std::string& key, const StoredObject& s) {
      consider(key, s.obj, &s);
    });
  }

  json meta = json::object();
  meta["resourceVersion"] = std::to_string(listRv);
  std::string cont;
  if (!nextKey.empty()) {
    cont = encodeContinue(static_cast<long long>(listRv), nextKey.substr(t.prefix().size()));
  }
  if (accept.kind == Accept::Kind::kTable) {
    std::string include = o.includeObject.empty() ? "Metadata" : o.includeObject;
    json table = tableFor(type, items, include, accept.version, true);
    table["metadata"] = {{"resourceVersion", std::to_string(listRv)}};
    if (!cont.empty()) {
      table["metadata"]["continue"] = cont;
      if (!selectors) {
        table["metadata"]["remainingItemCount"] = remaining;
      }
    }
    return ApiResponse::json(200, table);
  }
  if (accept.kind == Accept::Kind::kPartialMetadata ||
      accept.kind == Accept::Kind::kPartialMetadataList) {
    json out = {{"kind", "PartialObjectMetadataList"},
                {"apiVersion", "meta.k8s.io/" + accept.version},
                {"metadata", meta},
                {"items", json::array()}};
    for (const auto& item : items) {
      out["items"].push_back(partialMetadata(item, accept.version));
    }
    if (!cont.empty()) {
      out["metadata"]["continue"] = cont;
    }
    return ApiResponse::json(200, out);
  }
  if (type.custom) {
    meta["continue"] = cont;
  } else if (!cont.empty()) {
    meta["continue"] = cont;
  }
  if (!cont.empty() && !selectors) {
    meta["remainingItemCount"] = remaining;
  }
  if (!type.custom) {
    for (auto& item : items) {
      item.erase("apiVersion");
      item.erase("kind");
    }
  }
  json out = {{"apiVersion", type.groupVersion()},
              {"kind", type.listKind},
              {"metadata", meta},
              {"items", std::move(items)}};
  if (accept.kind == Accept::Kind::kYaml) {
    ApiResponse r;
    r.contentType = "application/yaml";
    r.body = jsonToYaml(out);
    return r;
  }
  if (accept.kind == Accept::Kind::kProtobuf) {
    ApiResponse r;
    r.contentType = "application/vnd.kubernetes.protobuf";
    r.body = encodeKubernetesProtobuf(out);
    return r;
  }
  return ApiResponse::json(200, out);
}

}  // namespace dbtoken::kubedouble
