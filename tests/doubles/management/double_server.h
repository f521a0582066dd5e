// ManagementDoubleServer: the Management API double as a real server on 127.0.0.1. It runs a
// ManagementApi on an in-process HTTP server and puts a FaultFront before it (TLS with a
// generated CA by default), so clients see dropped and truncated connections for real. Used by
// the management-api-double executable and by integration tests; stops everything on
// destruction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/server.h"
#include "management/management_api.h"
#include "support/fault_front.h"

namespace dbtoken::doubles::management {

struct DoubleServerOptions {
  ManagementApiOptions api;
  bool tls = true;
  std::string certDir;  // where ca.crt is written; empty: a new temporary directory
  uint16_t port = 0;    // 0: a free port
};

class ManagementDoubleServer {
 public:
  static common::Result<std::unique_ptr<ManagementDoubleServer>> start(DoubleServerOptions options);
  ~ManagementDoubleServer();
  ManagementDoubleServer(const ManagementDoubleServer&) = delete;
  ManagementDoubleServer& operator=(const ManagementDoubleServer&) = delete;

  ManagementApi& api() { return *api_; }
  std::string url() const { return front_->url(); }      // "https://127.0.0.1:PORT"
  const std::string& caFile() const { return caFile_; }  // empty with plain HTTP
  const std::string& caPem() const { return caPem_; }
  std::string clusteredBaseUrl() const { return url() + "/api/v0"; }
  std::string dedicatedBaseUrl() const;
  void stop();

 private:
  ManagementDoubleServer() = default;

  std::unique_ptr<ManagementApi> api_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<FaultFront> front_;
  std::string caFile_;
  std::string caPem_;
  std::string tempDir_;  // removed at the end when we created it
  bool stopped_ = false;
};

}  // namespace dbtoken::doubles::management
