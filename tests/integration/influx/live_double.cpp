#include "live_double.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "http/transport.h"

namespace dbtoken::testing {

LiveDouble::LiveDouble(doubles::management::Behaviour behaviour, bool tls) {
  doubles::management::DoubleServerOptions o;
  o.api.managementToken = kLiveManagementToken;
  o.api.behaviour = behaviour;
  o.tls = tls;
  auto s = doubles::management::ManagementDoubleServer::start(std::move(o));
  REQUIRE(s.ok());
  server_ = std::move(s).value();
  contract_ = std::make_unique<ContractChecker>(server_->api());
  std::string pattern = (std::filesystem::temp_directory_path() / "live-double-XXXXXX").string();
  dir_ = ::mkdtemp(pattern.data());
  tokenFile_ = (dir_ / "management-token").string();
  writeManagementToken(kLiveManagementToken);
  sink_ =
      std::make_shared<common::LogSink>(common::LogLevel::kDebug, common::LogFormat::kText, clock_,
                                        std::make_shared<common::Redactor>(), lines_.writer());
}

LiveDouble::~LiveDouble() {
  dataPlane_.reset();
  contract_.reset();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void LiveDouble::writeManagementToken(const std::string& token) const {
  std::ofstream(tokenFile_, std::ios::trunc) << token << "\n";
}

influx::HttpTokenClientOptions LiveDouble::options(influx::UrlShape shape) {
  influx::HttpTokenClientOptions o;
  o.url = server_->url();
  o.shape = shape;
  o.accountId = api().accountId();
  o.clusterId = api().clusterId();
  o.managementTokenFile = tokenFile_;
  if (!server_->caFile().empty()) {
    o.caFile = server_->caFile();
  }
  o.allowInsecureHttp = server_->caFile().empty();
  o.timeout = std::chrono::milliseconds(3000);
  o.logger = common::Logger(sink_);
  return o;
}

common::Result<std::unique_ptr<influx::HttpTokenClient>> LiveDouble::client(
    influx::UrlShape shape, const std::function<void(influx::HttpTokenClientOptions&)>& adjust) {
  auto o = options(shape);
  if (adjust) {
    adjust(o);
  }
  return influx::HttpTokenClient::make(std::move(o));
}

int LiveDouble::writeStatus(const common::Secret& accessToken, const std::string& database) {
  if (!dataPlane_) {
    http::TransportOptions t;
    t.baseUrl = server_->url();
    if (!server_->caFile().empty()) {
      t.tls.caFile = server_->caFile();
    }
    auto transport = http::makeTransport(t);
    REQUIRE(transport.ok());
    dataPlane_ = std::move(transport).value();
  }
  http::ClientRequest req;
  req.method = "POST";
  req.target = "/api/v2/write?db=" + database;
  req.headers.set("Authorization", "Bearer " + accessToken.reveal());
  req.body = "weather,location=lab temperature=21.5";
  auto answer = dataPlane_->send(req);
  REQUIRE(answer.ok());
  return answer->status;
}

bool LiveDouble::secretLeaked() const {
  std::string all = lines_.joined();
  if (all.find(kLiveManagementToken) != std::string::npos) {
    return true;
  }
  for (const auto& s : secrets_) {
    if (all.find(s.reveal()) != std::string::npos) {
      return true;
    }
  }
  return false;
}

int countCalls(const doubles::management::ManagementApi& api, const std::string& method) {
  int n = 0;
  for (const auto& c : api.calls()) {
    n += c.method == method ? 1 : 0;
  }
  return n;
}

}  // namespace dbtoken::testing
