#include "management/management_api.h"

#include "common/time_format.h"
#include "http/url.h"
#include "management/answers.h"

namespace dbtoken::doubles::management {
namespace {

using common::Code;
using common::Status;
using nlohmann::json;

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) {
      next = path.size();
    }
    out.push_back(http::percentDecode(path.substr(pos, next - pos)));
    pos = next + 1;
  }
  return out;
}

bool isUuid(const std::string& s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
    if (dash ? s[i] != '-' : !hex) {
      return false;
    }
  }
  return true;
}

// The API's validation of a permission list; the message names the field.
std::optional<std::string> parsePermissions(const json& j, std::vector<StoredPermission>& out) {
  if (!j.is_array()) {
    return "permissions must be an array";
  }
  for (size_t i = 0; i < j.size(); ++i) {
    std::string where = "permissions[" + std::to_string(i) + "]";
    const json& p = j[i];
    if (!p.is_object() || !p.contains("action") || !p.contains("resource")) {
      return where + " must be an object with action and resource";
    }
    if (!p["action"].is_string() || (p["action"] != "read" && p["action"] != "write")) {
      return where + ".action must be read or write";
    }
    if (!p["resource"].is_string()) {
      return where + ".resource must be a string";
    }
    auto resource = p["resource"].get<std::string>();
    if (resource != "*" && (resource.empty() || resource.size() > 64)) {
      return where + ".resource must be a database name of 1 to 64 characters or *";
    }
    out.push_back({p["action"].get<std::string>(), resource});
  }
  return std::nullopt;
}

}  // namespace

struct ManagementApi::Route {
  bool dedicated = false;
  bool wrongTenant = false;
  std::optional<std::string> tokenId;  // absent: the collection
};

ManagementApi::ManagementApi(ManagementApiOptions options)
    : clock_(options.clock != nullptr ? *options.clock : realClock_),
      accountId_(options.accountId.empty() ? newUuidV4() : options.accountId),
      clusterId_(options.clusterId.empty() ? newUuidV4() : options.clusterId),
      managementToken_(std::move(options.managementToken)),
      behaviour_(options.behaviour) {}

ManagementApi::~ManagementApi() {
  shutdown();
}

void ManagementApi::shutdown() {
  std::lock_guard lk(mu_);
  shutdown_ = true;
  wake_.notify_all();
}

std::string ManagementApi::dedicatedTokensPath() const {
  return "/api/v0/accounts/" + accountId_ + "/clusters/" + clusterId_ + "/tokens";
}

Behaviour ManagementApi::behaviour() const {
  std::lock_guard lk(mu_);
  return behaviour_;
}

void ManagementApi::setBehaviour(const Behaviour& behaviour) {
  std::lock_guard lk(mu_);
  behaviour_ = behaviour;
}

Status ManagementApi::addFault(Fault fault) {
  return faults_.add(std::move(fault));
}

void ManagementApi::clearFaults() {
  faults_.clear();
}

void ManagementApi::setManagementToken(std::string token) {
  std::lock_guard lk(mu_);
  managementToken_ = std::move(token);
}

void ManagementApi::setObserver(std::function<void(const Exchange&)> observer) {
  // Held while an observer runs: once this returns, the old observer is not running and never
  // will again, so its owner may be destroyed (a slow request can still be in flight).
  std::lock_guard lk(observerMu_);
  observer_ = std::move(observer);
}

void ManagementApi::setConnectionStats(std::function<http::ServerStats()> stats) {
  std::lock_guard lk(mu_);
  connectionStats_ = std::move(stats);
}

bool ManagementApi::sleepUnlessShutdown(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  return !wake_.wait_for(lk, d, [this] { return shutdown_; });
}

void ManagementApi::record(const http::ServerRequest& request, int status,
                           const std::string& fault) {
  std::lock_guard lk(mu_);
  calls_.push_back({request.method, request.path, status, clock_.wallNow(), fault});
}

http::ServerResponse ManagementApi::handle(http::ServerRequest& request) {
  const std::string& path = request.path;
  if (path.compare(0, kControlPrefix.size(), kControlPrefix) == 0) {
    return serveControl(request);
  }
  bool write = path == "/api/v2/write";
  bool dataPlane = write || path == "/api/v3/query_sql";
  std::optional<Route> route;
  if (!dataPlane) {
    auto seg = splitPath(path);
    if (seg.size() >= 3 && seg[0] == "api" && seg[1] == "v0" && seg[2] == "tokens" &&
        seg.size() <= 4) {
      route = Route{false, false, seg.size() == 4 ? std::optional(seg[3]) : std::nullopt};
    } else if (seg.size() >= 7 && seg.size() <= 8 && seg[0] == "api" && seg[1] == "v0" &&
               seg[2] == "accounts" && seg[4] == "clusters" && seg[6] == "tokens") {
      route = Route{true, seg[3] != accountId_ || seg[5] != clusterId_,
                    seg.size() == 8 ? std::optional(seg[7]) : std::nullopt};
    } else {
      record(request, 404, "");
      return errorResponse(404, "not found");
    }
  }

  auto fault = faults_.take(request.method, path);
  if (fault && fault->latency.count() > 0) {
    sleepUnlessShutdown(fault->latency);
  }
  http::ServerResponse response;
  bool injected = false;
  int recorded = 0;
  if (fault && (fault->kind == FaultKind::kStatus || fault->kind == FaultKind::kBody ||
                fault->kind == FaultKind::kDropBeforeWork || fault->kind == FaultKind::kEcho)) {
    injected = true;
    if (fault->kind == FaultKind::kEcho) {
      std::string echo = "cannot handle " + request.method + " " + request.target + ":";
      for (const auto& h : request.headers.all()) {
        echo += " " + h.name + ": " + h.value + ";";
      }
      echo += " body: " + request.body;
      response = errorResponse(fault->status, echo);
    } else if (fault->kind == FaultKind::kStatus) {
      response = errorResponse(fault->status, "injected fault");
      if (fault->retryAfterSeconds) {
        response.headers.set("Retry-After", std::to_string(*fault->retryAfterSeconds));
      }
    } else if (fault->kind == FaultKind::kBody) {
      response.status = fault->status;
      response.headers.set("Content-Type", fault->contentType);
      response.body = fault->body;
    } else {
      response.headers.set(kConnectionFaultHeader, "drop");
    }
  } else {
    response = dataPlane ? serveDataPlane(request, write) : serveApi(*route, request);
    if (fault && fault->kind == FaultKind::kStatusAfterWork) {
      injected = true;
      response = errorResponse(fault->status, "injected fault after the work was done");
    } else if (fault && fault->kind == FaultKind::kDropAfterWork) {
      injected = true;
      response.headers.set(kConnectionFaultHeader, "drop");
    } else if (fault && fault->kind == FaultKind::kTruncateAfterWork) {
      injected = true;
      response.headers.set(kConnectionFaultHeader, "truncate");
    }
  }
  bool dropped = response.headers.get(kConnectionFaultHeader) == std::optional<std::string>("drop");
  recorded = dropped ? 0 : response.status;
  record(request, recorded, fault ? faultKindName(fault->kind) : "");
  if (route) {
    std::lock_guard lk(observerMu_);
    if (observer_) {
      observer_(Exchange{route->dedicated, request.method, request.path, request.body,
                         response.status, response.body, injected});
    }
  }
  return response;
}

bool ManagementApi::authorizedForManagement(const http::ServerRequest& request, int& status) const {
  auto token = bearer(request, false);
  if (token && *token == managementToken_) {
    return true;
  }
  // A database token can't manage: known but the wrong kind is 403, anything else 401.
  status = token && store_.findByAccessToken(*token) != nullptr ? 403 : 401;
  return false;
}

json ManagementApi::tokenJson(const Route& route, const StoredToken& t) const {
  json j = json::object();
  if (route.dedicated) {
    j["accountId"] = accountId_;
    j["clusterId"] = clusterId_;
  }
  j["id"] = t.id;
  j["description"] = t.description;
  json perms = json::array();
  for (const auto& p : t.permissions) {
    perms.push_back({{"action", p.action}, {"resource", p.resource}});
  }
  j["permissions"] = perms;
  j["createdAt"] = common::formatRfc3339Millis(t.createdAt);
  if (t.expiresAt) {
    j["expiresAt"] = common::formatRfc3339Millis(*t.expiresAt);
  }
  if (t.revokedAt) {
    j["revokedAt"] = common::formatRfc3339Millis(*t.revokedAt);
  }
  return j;
}

http::ServerResponse ManagementApi::serveApi(const Route& route, http::ServerRequest& request) {
  std::lock_guard lk(mu_);
  int denied = 401;
  if (!authorizedForManagement(request, denied)) {
    return errorResponse(denied, denied == 401 ? "unauthorized" : "forbidden");
  }
  if (route.wrongTenant) {
    return errorResponse(404, "not found");
  }
  const std::string& method = request.method;
  json body;
  if (method == "POST" || method == "PATCH") {
    body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) {
      return errorResponse(400, "request body must be a JSON object");
    }
  }
  if (!route.tokenId) {
    if (method == "GET") {
      json out = json::array();
      for (const auto& t : store_.all()) {
        if (t.revokedAt && behaviour_.revokedInList == Behaviour::RevokedInList::kHidden) {
          continue;
        }
        out.push_back(tokenJson(route, t));
      }
      return jsonResponse(200, out);
    }
    if (method == "POST") {
      return createToken(route, body);
    }
    return errorResponse(405, "method not allowed");
  }
  const std::string& id = *route.tokenId;
  if (!isUuid(id)) {
    return errorResponse(400, "tokenId must be a UUID");
  }
  StoredToken* t = store_.find(id);
  if (t == nullptr) {
    return errorResponse(404, "not found");
  }
  if (method == "GET") {
    if (t->revokedAt && behaviour_.revokedGet == Behaviour::RevokedGet::kNotFound) {
      return errorResponse(404, "not found");
    }
    return jsonResponse(200, tokenJson(route, *t));
  }
  if (method == "PATCH") {
    return updateToken(route, id, body);
  }
  if (method == "DELETE") {
    if (t->revokedAt) {
      if (behaviour_.secondDelete == Behaviour::SecondDelete::kNotFound) {
        return errorResponse(404, "not found");
      }
      return noContent();
    }
    t->revokedAt = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_.wallNow());
    return noContent();
  }
  return errorResponse(405, "method not allowed");
}

http::ServerResponse ManagementApi::createToken(const Route& route, const json& body) {
  auto description = body.find("description");
  if (description == body.end() || description->is_null()) {
    return errorResponse(400, "description is required");
  }
  if (!description->is_string()) {
    return errorResponse(400, "description must be a string");
  }
  std::vector<StoredPermission> permissions;
  if (auto p = body.find("permissions"); p != body.end()) {
    if (auto error = parsePermissions(*p, permissions)) {
      return errorResponse(400, *error);
    }
  }
  std::optional<common::WallTime> expiresAt;
  if (auto e = body.find("expiresAt"); e != body.end() && !e->is_null()) {
    auto parsed = e->is_string() ? common::parseRfc3339(e->get<std::string>()) : std::nullopt;
    if (!parsed) {
      return errorResponse(400, "expiresAt must be an RFC 3339 date-time");
    }
    expiresAt = std::chrono::time_point_cast<std::chrono::milliseconds>(*parsed);
  }
  std::string text = description->get<std::string>();
  if (behaviour_.duplicateDescription == Behaviour::DuplicateDescription::kConflict &&
      store_.descriptionInUse(text, "")) {
    return errorResponse(409, "a token with this description already exists");
  }
  auto [token, access] =
      store_.create(std::move(text), std::move(permissions), expiresAt, clock_.wallNow());
  json out = tokenJson(route, token);
  out["accessToken"] = access;
  return jsonResponse(200, out);
}

http::ServerResponse ManagementApi::updateToken(const Route& route, const std::string& id,
                                                const json& body) {
  StoredToken* t = store_.find(id);
  if (body.contains("expiresAt")) {
    return errorResponse(400, "expiresAt cannot be changed");
  }
  auto description = body.find("description");
  auto permissions = body.find("permissions");
  if (description == body.end() && permissions == body.end()) {
    return errorResponse(400, "at least one of description and permissions is required");
  }
  std::optional<std::string> newDescription;
  if (description != body.end()) {
    if (!description->is_string()) {
      return errorResponse(400, "description must be a string");
    }
    newDescription = description->get<std::string>();
  }
  std::optional<std::vector<StoredPermission>> newPermissions;
  if (permissions != body.end()) {
    newPermissions.emplace();
    if (auto error = parsePermissions(*permissions, *newPermissions)) {
      return errorResponse(400, *error);
    }
  }
  if (t->revokedAt) {
    if (behaviour_.revokedPatch == Behaviour::RevokedPatch::kConflict) {
      return errorResponse(409, "the token is revoked");
    }
    if (behaviour_.revokedPatch == Behaviour::RevokedPatch::kNotFound) {
      return errorResponse(404, "not found");
    }
  }
  if (newDescription &&
      behaviour_.duplicateDescription == Behaviour::DuplicateDescription::kConflict &&
      store_.descriptionInUse(*newDescription, id)) {
    return errorResponse(409, "a token with this description already exists");
  }
  if (newDescription) {
    t->description = *newDescription;
  }
  if (newPermissions) {
    t->permissions = *newPermissions;  // replaces the list, as documented
  }
  return jsonResponse(200, tokenJson(route, *t));
}

}  // namespace dbtoken::doubles::management
