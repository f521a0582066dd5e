// management-api-double: the InfluxDB 3 Management API double as a process, for scripts and
// end-to-end tests. Prints one JSON line with its URLs (and CA file) when ready; stops cleanly
// on SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "management/double_server.h"

namespace {

using dbtoken::doubles::management::applySetting;
using dbtoken::doubles::management::DoubleServerOptions;
using dbtoken::doubles::management::ManagementDoubleServer;

constexpr const char* kUsage = R"(usage: management-api-double [flags]
  --port N                       listen on 127.0.0.1:N (default: a free port)
  --plain-http                   serve plain HTTP instead of TLS
  --cert-dir DIR                 write ca.crt, server.crt, server.key there (default: a temp dir)
  --management-token TOKEN       the management token clients must send
  --management-token-file FILE   read it from a file instead
  --account-id UUID              Cloud Dedicated account id (default: random)
  --cluster-id UUID              Cloud Dedicated cluster id (default: random)
  --revoked-in-list shown|hidden           GET /tokens shows revoked tokens or hides them
  --revoked-get 200|404                    GET /tokens/{id} of a revoked token
  --second-delete 204|404                  DELETE of an already revoked token
  --revoked-patch 409|404|200              PATCH of a revoked token
  --duplicate-descriptions allowed|409     create with a description already in use
  --activation-delay MS                    new tokens answer 401 on the data plane this long
)";

int fail(const std::string& message) {
  std::cerr << "management-api-double: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  DoubleServerOptions options;
  std::string tokenFile;
  const std::pair<std::string_view, std::string_view> kSwitches[] = {
      {"--revoked-in-list", "revokedInList"},
      {"--revoked-get", "revokedGet"},
      {"--second-delete", "secondDelete"},
      {"--revoked-patch", "revokedPatch"},
      {"--duplicate-descriptions", "duplicateDescriptions"},
      {"--activation-delay", "activationDelayMs"}};
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--plain-http") {
      options.tls = false;
      continue;
    }
    if (i + 1 >= argc) {
      return fail(std::string(flag) + " needs a value (or is unknown); see --help");
    }
    std::string value = argv[++i];
    if (flag == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(value.c_str()));
    } else if (flag == "--cert-dir") {
      options.certDir = value;
    } else if (flag == "--management-token") {
      options.api.managementToken = value;
    } else if (flag == "--management-token-file") {
      tokenFile = value;
    } else if (flag == "--account-id") {
      options.api.accountId = value;
    } else if (flag == "--cluster-id") {
      options.api.clusterId = value;
    } else {
      bool known = false;
      for (const auto& [name, setting] : kSwitches) {
        if (flag == name) {
          known = true;
          if (auto s = applySetting(options.api.behaviour, setting, value); !s.isOk()) {
            return fail(s.message());
          }
        }
      }
      if (!known) {
        return fail("unknown flag " + std::string(flag) + "; see --help");
      }
    }
  }
  if (!tokenFile.empty()) {
    std::ifstream in(tokenFile);
    std::stringstream content;
    content << in.rdbuf();
    std::string token = content.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
      token.pop_back();
    }
    if (!in || token.empty()) {
      return fail("cannot read a management token from " + tokenFile);
    }
    options.api.managementToken = token;
  }
  if (options.api.managementToken.empty()) {
    return fail("a management token is required (--management-token or --management-token-file)");
  }

  // Signals are taken with sigwait on this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  dbtoken::http::initializeThreadPool(8);
  auto server = ManagementDoubleServer::start(std::move(options));
  if (!server.ok()) {
    return fail(server.status().toString());
  }
  nlohmann::json ready{{"url", (*server)->url()},
                       {"clusteredBaseUrl", (*server)->clusteredBaseUrl()},
                       {"dedicatedBaseUrl", (*server)->dedicatedBaseUrl()},
                       {"accountId", (*server)->api().accountId()},
                       {"clusterId", (*server)->api().clusterId()},
                       {"caFile", (*server)->caFile()}};
  std::cout << ready.dump() << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  (*server)->stop();
  std::cerr << "management-api-double: stopped on " << strsignal(received) << "\n";
  return 0;
}
