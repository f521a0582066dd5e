// The double's data plane: enough of /api/v2/write and /api/v3/query_sql to prove that a
// database token works, or stops working once revoked, expired or before it is active.
#include "http/url.h"
#include "management/answers.h"
#include "management/management_api.h"

namespace dbtoken::doubles::management {

using nlohmann::json;

DataPlaneAnswer ManagementApi::authorize(std::string_view accessToken, std::string_view database,
                                         bool write) const {
  std::lock_guard lk(mu_);
  return store_.authorize(accessToken, database, write, clock_.wallNow(),
                          behaviour_.activationDelay);
}

http::ServerResponse ManagementApi::serveDataPlane(const http::ServerRequest& request, bool write) {
  if ((write && request.method != "POST") ||
      (!write && request.method != "GET" && request.method != "POST")) {
    return errorResponse(405, "method not allowed");
  }
  auto token = bearer(request, true);
  auto db = http::Query::parse(request.rawQuery).get("db");
  if (!db || db->empty()) {
    return errorResponse(400, "missing db parameter");
  }
  DataPlaneAnswer answer = token ? authorize(*token, *db, write) : DataPlaneAnswer::kUnknownToken;
  http::ServerResponse r;
  switch (answer) {
    case DataPlaneAnswer::kAllowed:
      if (write) {
        return noContent();
      }
      return jsonResponse(200, json::array());
    case DataPlaneAnswer::kDenied:
      r = errorResponse(403, "forbidden");
      break;
    default:
      r = errorResponse(401, "unauthorized");
      break;
  }
  // Real servers don't say why; tests want to know.
  r.headers.set("X-Double-Reason", dataPlaneAnswerName(answer));
  return r;
}

}  // namespace dbtoken::doubles::management
