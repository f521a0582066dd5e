// LiveDouble: a Management API double served over real HTTP(S) on 127.0.0.1 with a generated
// CA, a management token file, captured logs and the OpenAPI contract checker, and a factory for
// HttpTokenClients pointed at it. Shared by the integration tests of the influx module.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "http/transport.h"
#include "influx/http_token_client.h"
#include "management/double_server.h"
#include "testing/management_contract.h"

namespace dbtoken::testing {

inline const std::string kLiveManagementToken = "mgmt_live_double_5f2b9c0e7a14d3";

class LiveDouble {
 public:
  explicit LiveDouble(doubles::management::Behaviour behaviour = {}, bool tls = true);
  ~LiveDouble();

  doubles::management::ManagementApi& api() { return server_->api(); }
  doubles::management::ManagementDoubleServer& server() { return *server_; }
  ContractChecker& contract() { return *contract_; }
  const std::string& tokenFile() const { return tokenFile_; }
  void writeManagementToken(const std::string& token) const;

  // Options for a client of this double; adjust before build().
  influx::HttpTokenClientOptions options(influx::UrlShape shape = influx::UrlShape::kClustered);
  common::Result<std::unique_ptr<influx::HttpTokenClient>> client(
      influx::UrlShape shape = influx::UrlShape::kClustered,
      const std::function<void(influx::HttpTokenClientOptions&)>& adjust = nullptr);

  // The data plane as a client would use it: POST /api/v2/write?db=... with a database token.
  int writeStatus(const common::Secret& accessToken, const std::string& database);

  // Remembers an access token so secretLeaked() looks for it too.
  void remember(const common::Secret& accessToken) { secrets_.push_back(accessToken); }
  // True when a captured log line contains the management token or a remembered access token.
  bool secretLeaked() const;
  std::string logs() const { return lines_.joined(); }

 private:
  std::unique_ptr<doubles::management::ManagementDoubleServer> server_;
  std::unique_ptr<ContractChecker> contract_;
  std::filesystem::path dir_;
  std::string tokenFile_;
  common::RealClock clock_;
  common::CapturedLines lines_;
  std::shared_ptr<common::LogSink> sink_;
  std::vector<common::Secret> secrets_;
  std::unique_ptr<http::Transport> dataPlane_;
};

int countCalls(const doubles::management::ManagementApi& api, const std::string& method);

}  // namespace dbtoken::testing
