// ManagementApi: the InfluxDB 3 Management API double's semantics behind one handle(request)
// function, serving both URL shapes (Clustered /api/v0/tokens, Cloud Dedicated
// /api/v0/accounts/{a}/clusters/{c}/tokens), a data plane (/api/v2/write, /api/v3/query_sql)
// that honours revocation, expiry and activation delay, and a control surface under /_double/.
// The same object is the in-process face (direct accessors) and what the HTTP server runs.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "http/server.h"
#include "management/behaviour.h"
#include "management/faults.h"
#include "management/token_store.h"

namespace dbtoken::doubles::management {

// Set on a response to ask the server front to cut the connection instead of answering it
// ("drop") or after half of the body ("truncate"). See support/fault_front.h.
inline constexpr const char* kConnectionFaultHeader = "X-Double-Connection-Fault";

struct ManagementApiOptions {
  std::string managementToken;  // the bearer token management calls must carry
  std::string accountId;        // Cloud Dedicated ids; random UUIDs when empty
  std::string clusterId;
  Behaviour behaviour;
  const common::Clock* clock = nullptr;  // RealClock when null
};

// One request as the call log keeps it: never a header, never a body.
struct CallRecord {
  std::string method;
  std::string path;  // without the query
  int status = 0;    // 0: the connection was dropped
  common::WallTime time;
  std::string fault;  // the injected fault's kind, "" when none
};

// What the observer sees of each management API exchange (for schema checks in tests).
struct Exchange {
  bool dedicated = false;
  std::string method;
  std::string path;
  std::string requestBody;
  int status = 0;
  std::string responseBody;
  bool injected = false;  // the answer was shaped by a fault, not by the API's semantics
};

class ManagementApi {
 public:
  explicit ManagementApi(ManagementApiOptions options);
  ~ManagementApi();
  ManagementApi(const ManagementApi&) = delete;
  ManagementApi& operator=(const ManagementApi&) = delete;

  http::ServerResponse handle(http::ServerRequest& request);
  http::Handler handler() {
    return [this](http::ServerRequest& r) { return handle(r); };
  }
  // Wakes requests waiting out an injected latency; later latencies are skipped. Call before
  // stopping the server that runs handle().
  void shutdown();

  const std::string& accountId() const { return accountId_; }
  const std::string& clusterId() const { return clusterId_; }
  std::string clusteredTokensPath() const { return "/api/v0/tokens"; }
  std::string dedicatedTokensPath() const;

  Behaviour behaviour() const;
  void setBehaviour(const Behaviour& behaviour);
  common::Status addFault(Fault fault);
  void clearFaults();
  void setManagementToken(std::string token);

  std::vector<CallRecord> calls() const;
  void clearCalls();
  nlohmann::json callsJson() const;
  // Every token with the hash of its access string, never the string.
  std::vector<StoredToken> tokens() const;
  nlohmann::json stateDump() const;
  // The data-plane check, without HTTP.
  DataPlaneAnswer authorize(std::string_view accessToken, std::string_view database,
                            bool write) const;

  void setObserver(std::function<void(const Exchange&)> observer);
  // What GET /_double/connections answers: the public socket's TLS handshakes and requests.
  void setConnectionStats(std::function<http::ServerStats()> stats);

 private:
  struct Route;
  http::ServerResponse serveApi(const Route& route, http::ServerRequest& request);
  http::ServerResponse serveDataPlane(const http::ServerRequest& request, bool write);
  http::ServerResponse serveControl(http::ServerRequest& request);
  http::ServerResponse createToken(const Route& route, const nlohmann::json& body);
  http::ServerResponse updateToken(const Route& route, const std::string& id,
                                   const nlohmann::json& body);
  nlohmann::json tokenJson(const Route& route, const StoredToken& token) const;
  bool sleepUnlessShutdown(std::chrono::milliseconds d);
  bool authorizedForManagement(const http::ServerRequest& request, int& status) const;
  void record(const http::ServerRequest& request, int status, const std::string& fault);

  const common::RealClock realClock_;
  const common::Clock& clock_;
  std::string accountId_;
  std::string clusterId_;
  FaultTable faults_;

  mutable std::mutex mu_;
  std::string managementToken_;
  Behaviour behaviour_;
  TokenStore store_;
  std::vector<CallRecord> calls_;
  std::mutex observerMu_;  // not mu_: an observer may read the double's state
  std::function<void(const Exchange&)> observer_;
  std::function<http::ServerStats()> connectionStats_;  // under mu_
  bool shutdown_ = false;
  std::condition_variable wake_;
};

}  // namespace dbtoken::doubles::management
