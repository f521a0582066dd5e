// ApiServer: construction, request entry (faults, counters, anonymous access), routing of
// paths to discovery, OpenAPI or a resource, and the verb dispatch for resources.
#include "kube/api_server.h"

#include <thread>

#include "common/time_format.h"
#include "kube/api_internal.h"
#include "kube/builtin_kinds.h"
#include "kube/protobuf_codec.h"

namespace dbtoken::kubedouble {

using nlohmann::json;

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> segs;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) {
      slash = path.size();
    }
    if (slash > pos) {
      segs.push_back(path.substr(pos, slash - pos));
    }
    pos = slash + 1;
  }
  return segs;
}

// The default (suggested) FlowSchemas of a v1.32 apiserver that the double's users fall into,
// with the priority level each one names.
struct FlowClassification {
  const char* flowSchemaUid;
  const char* priorityLevelUid;
};
constexpr FlowClassification kExemptFlow{
    // FlowSchema exempt (system:masters) -> exempt
    "d0b1e000-0000-4000-8000-00000000e001", "d0b1e000-0000-4000-8000-00000000a001"};
constexpr FlowClassification kProbesFlow{
    // FlowSchema probes (/healthz, /livez, /readyz)
    "d0b1e000-0000-4000-8000-00000000e002", "d0b1e000-0000-4000-8000-00000000a001"};
constexpr FlowClassification kServiceAccountsFlow{
    // service-accounts -> workload-low
    "d0b1e000-0000-4000-8000-00000000e003", "d0b1e000-0000-4000-8000-00000000a002"};
constexpr FlowClassification kGlobalDefaultFlow{
    // global-default -> global-default
    "d0b1e000-0000-4000-8000-00000000e004", "d0b1e000-0000-4000-8000-00000000a003"};

const FlowClassification& classifyFlow(const ApiRequest& req) {
  if (req.path == "/healthz" || req.path == "/livez" || req.path == "/readyz") {
    return kProbesFlow;
  }
  if (req.user == "system:admin") {
    return kExemptFlow;
  }
  if (req.user == "system:serviceaccount") {
    return kServiceAccountsFlow;
  }
  return kGlobalDefaultFlow;
}

ApiResponse faultResponse(const FaultRule& rule) {
  std::string message = rule.message;
  switch (rule.status) {
    case 409:
      return statusError(
          409, "Conflict",
          message.empty() ? "the object has been modified (injected fault)" : message);
    case 429: {
      ApiResponse r =
          tooManyRequests(message.empty() ? "Too many requests, please try again later." : message,
                          rule.retryAfterSeconds > 0 ? rule.retryAfterSeconds : 1);
      return r;
    }
    case 500:
      return statusError(500, "InternalError",
                         message.empty() ? "Internal error occurred: injected fault" : message);
    case 503: {
      ApiResponse r = statusError(503, "ServiceUnavailable",
                                  message.empty() ? "the server is currently unable to handle "
                                                    "the request (injected fault)"
                                                  : message);
      if (rule.retryAfterSeconds > 0) {
        r.headers.emplace_back("Retry-After", std::to_string(rule.retryAfterSeconds));
      }
      return r;
    }
    case 504:
      return statusError(504, "Timeout", message.empty() ? "Timeout: injected fault" : message);
    default:
      return statusError(rule.status, "", message.empty() ? "injected fault" : message);
  }
}

std::string verbFor(const ApiRequest& req, bool hasName) {
  if (req.method == "GET") {
    auto w = req.query.get("watch");
    if (w && (*w == "1" || *w == "true")) {
      return "watch";
    }
    return hasName ? "get" : "list";
  }
  if (req.method == "POST") {
    return "create";
  }
  if (req.method == "PUT") {
    return "update";
  }
  if (req.method == "PATCH") {
    return "patch";
  }
  if (req.method == "DELETE") {
    return hasName ? "delete" : "deletecollection";
  }
  return req.method;
}

}  // namespace

ApiServer::ApiServer(ApiServerOptions options, std::shared_ptr<const common::Clock> clock)
    : options_(std::move(options)),
      priorityAndFairness_(options_.priorityAndFairness),
      clock_(clock ? std::move(clock) : std::make_shared<common::RealClock>()),
      store_(options_.historyLimit) {
  builtins_ = builtinResourceTypes();
  for (const auto& t : builtins_) {
    store_.resetWindow(t->storageKey);
  }
  // The namespaces every cluster starts with.
  ResourceTypePtr ns;
  for (const auto& t : builtins_) {
    if (t->kind == "Namespace") {
      ns = t;
    }
  }
  for (const auto& name : options_.initialNamespaces) {
    json obj = {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata",
                 {{"name", name},
                  {"uid", uuid4()},
                  {"creationTimestamp", common::formatRfc3339(clock_->wallNow())},
                  {"labels", {{"kubernetes.io/metadata.name", name}}}}},
                {"spec", {{"finalizers", json::array({"kubernetes"})}}},
                {"status", {{"phase", "Active"}}}};
    if (name == "kube-system") {
      kubeSystemUid_ = obj["metadata"]["uid"];
    }
    store_.put(ns->storageKey, name, std::move(obj), {});
  }
  for (const auto& t : builtins_) {
    store_.resetWindow(t->storageKey);
  }
  if (options_.backgroundControllers) {
    controllerThread_ = std::thread([this] { controllerLoop(); });
  }
}

ApiServer::~ApiServer() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (controllerThread_.joinable()) {
    controllerThread_.join();
  }
  closeAllWatches();
}

uint64_t ApiServer::resourceVersion() const {
  std::lock_guard lk(mu_);
  return store_.currentRv();
}

size_t ApiServer::openWatches() const {
  std::lock_guard lk(mu_);
  size_t n = 0;
  for (const auto& w : watchers_) {
    n += w->stream->closed() ? 0 : 1;
  }
  return n;
}

bool ApiServer::acceptsToken(const std::string& token) const {
  std::lock_guard lk(mu_);
  auto it = issuedTokens_.find(token);
  return it != issuedTokens_.end() && clock_->wallNow() < it->second;
}

ApiResponse ApiServer::issueToken(const ApiRequest& req, const Target& t) {
  const StoredObject* sa = store_.get(t.type->storageKey, t.key());
  if (sa == nullptr) {
    return notFound(t.type->resource(), t.name);
  }
  json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (!body.is_object()) {
    return badRequest("the object provided is unrecognized (must be of type TokenRequest)");
  }
  json spec = body.value("spec", json::object());
  long long seconds = spec.value("expirationSeconds", 3600LL);
  if (seconds < 600) {
    return invalid({"authentication.k8s.io", "TokenRequest"}, t.name,
                   {{FieldErrorType::kInvalid, "spec.expirationSeconds", std::to_string(seconds),
                     "may not specify a duration less than 10 minutes"}});
  }
  std::string token = "double-sa-" + uuid4();
  auto expires = clock_->wallNow() + std::chrono::seconds(seconds);
  issuedTokens_[token] = expires;
  json out = {
      {"kind", "TokenRequest"},
      {"apiVersion", "authentication.k8s.io/v1"},
      {"metadata",
       {{"name", t.name},
        {"namespace", t.ns},
        {"creationTimestamp", common::formatRfc3339(clock_->wallNow())}}},
      {"spec",
       {{"audiences", spec.value("audiences", json::array({"https://kubernetes.default.svc"}))},
        {"expirationSeconds", seconds},
        {"boundObjectRef", spec.value("boundObjectRef", json(nullptr))}}},
      {"status", {{"token", token}, {"expirationTimestamp", common::formatRfc3339(expires)}}}};
  return ApiResponse::json(201, out);
}

std::string ApiServer::kubeSystemUid() const {
  std::lock_guard lk(mu_);
  return kubeSystemUid_;
}

void ApiServer::closeAllWatches() {
  std::list<std::shared_ptr<Watcher>> all;
  {
    std::lock_guard lk(mu_);
    all.swap(watchers_);
  }
  for (auto& w : all) {
    w->stream->close();
  }
}

void ApiServer::expireHistory() {
  std::lock_guard lk(mu_);
  store_.compact();
}

ApiResponse ApiServer::handle(const ApiRequest& req) {
  std::string target = req.path;
  if (!req.query.empty()) {
    target += "?" + req.query.encode();
  }
  ApiResponse answer;
  auto fault = faults_.take(req.method, target);
  if (fault && fault->delay.count() > 0) {
    std::this_thread::sleep_for(fault->delay);
  }
  if (fault && fault->status != 0) {
    counters_.count("fault", std::to_string(fault->status));
    answer = faultResponse(*fault);
  } else {
    answer = dispatch(req);
  }
  if (priorityAndFairness_.load()) {
    // The filter runs after authentication, before authorization: 403s carry the headers too
    // (a 401 never reaches it: the HTTP face answers those). The UIDs are fixed per object, as
    // the default FlowSchemas and priority levels of one cluster keep theirs.
    const FlowClassification& c = classifyFlow(req);
    answer.headers.emplace_back("X-Kubernetes-PF-FlowSchema-UID", c.flowSchemaUid);
    answer.headers.emplace_back("X-Kubernetes-PF-PriorityLevel-UID", c.priorityLevelUid);
  }
  return answer;
}

ApiResponse ApiServer::dispatch(const ApiRequest& req) {
  const std::vector<std::string> segs = splitPath(req.path);
  const bool anonymous = req.user == "system:anonymous";
  if (segs.size() == 1 && (segs[0] == "healthz" || segs[0] == "readyz" || segs[0] == "livez")) {
    if (req.method != "GET") {
      return pageNotFound();
    }
    return ApiResponse::text(200, "ok");
  }
  if (segs.size() == 1 && segs[0] == "version") {
    json v = {{"major", "1"},
              {"minor", "32"},
              {"gitVersion", "v1.32.6"},
              {"gitCommit", "e52b13b59e910bfa409eaa1e5280c4160b687bf8"},
              {"gitTreeState", "clean"},
              {"buildDate", "2025-06-17T00:00:00Z"},
              {"goVersion", "go1.23.5"},
              {"compiler", "gc"},
              {"platform", "linux/amd64"}};
    nlohmann::ordered_json ordered;
    for (const char* k : {"major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate",
                          "goVersion", "compiler", "platform"}) {
      ordered[k] = v[k];
    }
    ApiResponse r;
    r.body = ordered.dump(2);
    return r;
  }
  if (anonymous) {
    // RBAC grants system:anonymous nothing but the public info endpoints above.
    bool resource =
        (segs.size() >= 3 && segs[0] == "api") || (segs.size() >= 4 && segs[0] == "apis");
    if (!resource) {
      return statusError(
          403, "Forbidden",
          "forbidden: User \"system:anonymous\" cannot get path \"" + req.path + "\"",
          json::object());
    }
  }
  if (!segs.empty() && segs[0] == "openapi") {
    counters_.count("get", "openapi");
    return openapi(req, segs);
  }
  if (!segs.empty() && (segs[0] == "api" || segs[0] == "apis")) {
    bool handled = false;
    ApiResponse r = discovery(req, segs, handled);
    if (handled) {
      if (anonymous) {
        return statusError(
            403, "Forbidden",
            "forbidden: User \"system:anonymous\" cannot get path \"" + req.path + "\"",
            json::object());
      }
      counters_.count("get", "discovery");
      return r;
    }
    if (segs[0] == "api" && segs.size() >= 3 && segs[1] == "v1") {
      return routeResource(req, "", "v1", {segs.begin() + 2, segs.end()});
    }
    if (segs[0] == "apis" && segs.size() >= 4) {
      return routeResource(req, segs[1], segs[2], {segs.begin() + 3, segs.end()});
    }
  }
  return pageNotFound();
}

bool ApiServer::groupServed(const std::string& group) const {
  for (const auto& t : builtins_) {
    if (t->group == group) {
      return true;
    }
  }
  for (const auto& [crd, types] : customByCrd_) {
    (void)crd;
    for (const auto& t : types) {
      if (t->group == group) {
        return true;
      }
    }
  }
  return false;
}

bool ApiServer::groupVersionServed(const std::string& group, const std::string& version) const {
  for (const auto& t : builtins_) {
    if (t->group == group && t->version == version) {
      return true;
    }
  }
  for (const auto& [crd, types] : customByCrd_) {
    (void)crd;
    for (const auto& t : types) {
      if (t->group == group && t->version == version) {
        return true;
      }
    }
  }
  return false;
}

ResourceTypePtr ApiServer::findType(const std::string& group, const std::string& version,
                                    const std::string& plural) const {
  for (const auto& t : builtins_) {
    if (t->group == group && t->version == version && t->plural == plural) {
      return t;
    }
  }
  for (const auto& [crd, types] : customByCrd_) {
    (void)crd;
    for (const auto& t : types) {
      if (t->group == group && t->version == version && t->plural == plural) {
        return t;
      }
    }
  }
  return nullptr;
}

ApiResponse ApiServer::routeResource(const ApiRequest& req, const std::string& group,
                                     const std::string& version,
                                     const std::vector<std::string>& rest) {
  std::unique_lock lock(mu_);
  const bool core = group.empty();
  auto unknown = [&]() {
    if (core) {
      return statusError(404, "NotFound", "the server could not find the requested resource",
                         json::object());
    }
    return pageNotFound();
  };
  if (!groupVersionServed(group, version)) {
    return pageNotFound();
  }
  Target t;
  // namespaces/<ns>/<resource>[/<name>[/<sub>]] addresses namespaced resources; anything else
  // is <resource>[/<name>[/<sub>]] (cluster-scoped, or a namespaced resource across namespaces).
  bool namespacedForm = false;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    ResourceTypePtr candidate = findType(group, version, rest[2]);
    if (candidate && candidate->namespaced) {
      namespacedForm = true;
    } else if (!(core && rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
      return unknown();  // /api/v1/namespaces/<ns>/<unknown resource>
    }
  }
  if (namespacedForm) {
    t.ns = rest[1];
    t.type = findType(group, version, rest[2]);
    if (rest.size() >= 4) {
      t.name = rest[3];
    }
    if (rest.size() >= 5) {
      t.subresource = rest[4];
    }
    if (rest.size() > 5) {
      return unknown();
    }
  } else {
    t.type = findType(group, version, rest[0]);
    if (!t.type) {
      return unknown();
    }
    if (rest.size() >= 2) {
      t.name = rest[1];
    }
    if (rest.size() >= 3) {
      t.subresource = rest[2];
    }
    if (rest.size() > 3) {
      return unknown();
    }
    if (t.type->namespaced && !t.name.empty()) {
      return unknown();  // a namespaced object needs its namespace in the path
    }
    if (t.type->namespaced && req.method != "GET") {
      return pageNotFound();  // no cluster-wide create/delete for namespaced resources
    }
  }
  const ResourceType& type = *t.type;
  std::string verb = verbFor(req, !t.name.empty());

  if (req.user == "system:anonymous") {
    std::string where = type.namespaced && !t.ns.empty() ? " in the namespace " + goQuote(t.ns)
                                                         : " at the cluster scope";
    std::string msg = type.resource().text() + (t.name.empty() ? "" : " " + goQuote(t.name)) +
                      " is forbidden: User \"system:anonymous\" cannot " + verb + " resource " +
                      goQuote(type.plural) + " in API group " + goQuote(type.group) + where;
    return forbidden(type.resource(), t.name, msg);
  }

  // A custom resource whose storage is still initialising answers 429, like a real server.
  if (auto it = storageReadyAt_.find(type.storageKey); it != storageReadyAt_.end()) {
    if (clock_->now() < it->second) {
      return tooManyRequests("storage is (re)initializing", 1);
    }
    storageReadyAt_.erase(it);
  }

  if (!t.subresource.empty()) {
    bool known = t.subresource == "status" && type.statusSubresource;
    if (type.kind == "Namespace" && t.subresource == "finalize") {
      known = true;
    }
    if (type.kind == "ServiceAccount" && t.subresource == "token") {
      if (req.method != "POST") {
        return methodNotSupported(type.resource());
      }
      counters_.count("create", "serviceaccounts/token");
      return issueToken(req, t);
    }
    if (!known) {
      // An undefined subresource reads as a missing object named by the URL.
      return notFound(type.resource(), t.name);
    }
  }

  // Content negotiation for everything that returns objects.
  Accept accept;
  if (!req.accept.empty()) {
    accept.acceptable = false;
    bool protobufOffered = false;
    for (const auto& mt : parseMediaTypes(req.accept)) {
      if (mt.type == "application/vnd.kubernetes.protobuf") {
        protobufOffered = true;
        continue;
      }
      auto as = mt.params.find("as");
      if (mt.type == "application/json" && as != mt.params.end()) {
        auto g = mt.params.find("g");
        auto v = mt.params.find("v");
        std::string ver = v != mt.params.end() ? v->second : "";
        bool meta = g != mt.params.end() && g->second == "meta.k8s.io";
        if (meta && (ver == "v1" || ver == "v1beta1") &&
            (as->second == "Table" || as->second == "PartialObjectMetadata" ||
             as->second == "PartialObjectMetadataList") &&
            req.method == "GET") {
          accept.kind = as->second == "Table" ? Accept::Kind::kTable
                        : as->second == "PartialObjectMetadata"
                            ? Accept::Kind::kPartialMetadata
                            : Accept::Kind::kPartialMetadataList;
          accept.version = ver;
          accept.acceptable = true;
          break;
        }
        continue;
      }
      if (mt.type == "application/json" || mt.type == "*/*" || mt.type == "application/*") {
        accept.kind = Accept::Kind::kJson;
        accept.acceptable = true;
        break;
      }
      if (mt.type == "application/yaml") {
        accept.kind = Accept::Kind::kYaml;
        accept.acceptable = true;
        break;
      }
    }
    if (!accept.acceptable && protobufOffered && !type.custom && protobufKnows(type.kind) &&
        req.method == "GET") {
      accept.kind = Accept::Kind::kProtobuf;
      accept.acceptable = true;
    }
    if (!accept.acceptable) {
      ApiResponse r = notAcceptable(
          "only the following media types are accepted: application/json, application/yaml, "
          "application/vnd.kubernetes.protobuf");
      if (protobufOffered) {
        // The client reads nothing but protobuf, so the refusal is protobuf too.
        r.contentType = "application/vnd.kubernetes.protobuf";
        r.body = encodeKubernetesProtobuf(json::parse(r.body));
      }
      return r;
    }
  }

  counters_.count(verb, type.resource().text());
  if (req.method == "GET") {
    if (t.name.empty()) {
      return list(req, t, accept, lock);
    }
    return get(req, t, accept);
  }
  if (req.method == "POST") {
    if (!t.subresource.empty()) {
      return methodNotSupported(type.resource());
    }
    return create(req, t, accept);
  }
  if (req.method == "PUT") {
    if (t.name.empty()) {
      return badRequest("name must be provided");
    }
    return update(req, t, accept);
  }
  if (req.method == "PATCH") {
    if (t.name.empty()) {
      return badRequest("name must be provided");
    }
    return patch(req, t, accept);
  }
  if (req.method == "DELETE") {
    if (t.name.empty()) {
      return removeCollection(req, t, accept);
    }
    return remove(req, t, accept);
  }
  return methodNotSupported(type.resource());
}

}  // namespace dbtoken::kubedouble
