// The double's control surface under /_double/ (switches, faults, call log, state dump, token
// rotation) and the accessors tests use in process. Never shows an access token.
#include "common/time_format.h"
#include "management/answers.h"
#include "management/management_api.h"

namespace dbtoken::doubles::management {

using nlohmann::json;

std::vector<CallRecord> ManagementApi::calls() const {
  std::lock_guard lk(mu_);
  return calls_;
}

void ManagementApi::clearCalls() {
  std::lock_guard lk(mu_);
  calls_.clear();
}

json ManagementApi::callsJson() const {
  json out = json::array();
  for (const auto& c : calls()) {
    out.push_back({{"method", c.method},
                   {"path", c.path},
                   {"status", c.status},
                   {"time", common::formatRfc3339Millis(c.time)},
                   {"fault", c.fault}});
  }
  return out;
}

std::vector<StoredToken> ManagementApi::tokens() const {
  std::lock_guard lk(mu_);
  return store_.all();
}

json ManagementApi::stateDump() const {
  std::lock_guard lk(mu_);
  return json{{"tokens", store_.dump()},
              {"behaviour", toJson(behaviour_)},
              {"accountId", accountId_},
              {"clusterId", clusterId_},
              {"faults", faults_.size()}};
}

http::ServerResponse ManagementApi::serveControl(http::ServerRequest& request) {
  {
    std::lock_guard lk(mu_);
    auto token = bearer(request, false);
    if (!token || *token != managementToken_) {
      return errorResponse(401, "unauthorized");
    }
  }
  std::string what = request.path.substr(kControlPrefix.size());
  const std::string& method = request.method;
  json body = json::parse(request.body.empty() ? "null" : request.body, nullptr, false);
  if (what == "state" && method == "GET") {
    return jsonResponse(200, stateDump());
  }
  if (what == "connections" && method == "GET") {
    std::function<http::ServerStats()> stats;
    {
      std::lock_guard lk(mu_);
      stats = connectionStats_;
    }
    http::ServerStats s = stats ? stats() : http::ServerStats{};
    return jsonResponse(200, json{{"tlsHandshakes", s.tlsHandshakes}, {"requests", s.requests}});
  }
  if (what == "calls" && method == "GET") {
    return jsonResponse(200, callsJson());
  }
  if (what == "calls" && method == "DELETE") {
    clearCalls();
    return noContent();
  }
  if (what == "behaviour" && method == "GET") {
    return jsonResponse(200, toJson(behaviour()));
  }
  if (what == "behaviour" && method == "PUT") {
    Behaviour b = behaviour();
    if (auto s = applyJson(b, body); !s.isOk()) {
      return errorResponse(400, s.message());
    }
    setBehaviour(b);
    return jsonResponse(200, toJson(b));
  }
  if (what == "faults" && method == "POST") {
    std::vector<json> items = body.is_array() ? body.get<std::vector<json>>() : std::vector{body};
    for (const auto& item : items) {
      auto fault = faultFromJson(item);
      if (!fault.ok()) {
        return errorResponse(400, fault.status().message());
      }
      if (auto s = addFault(std::move(fault).value()); !s.isOk()) {
        return errorResponse(400, s.message());
      }
    }
    return noContent();
  }
  if (what == "faults" && method == "DELETE") {
    clearFaults();
    return noContent();
  }
  if (what == "management-token" && method == "PUT") {
    if (!body.is_object() || !body.contains("token") || !body["token"].is_string() ||
        body["token"].get<std::string>().empty()) {
      return errorResponse(400, "body must be {\"token\": \"<new management token>\"}");
    }
    setManagementToken(body["token"].get<std::string>());
    return noContent();
  }
  return errorResponse(404, "no such control endpoint");
}

}  // namespace dbtoken::doubles::management
