// Test PKI for the doubles: a throw-away CA and a server certificate it signs for loopback
// (IP 127.0.0.1, DNS localhost), optionally a client certificate, written as PEM files.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace dbtoken::doubles {

struct CertificateFiles {
  std::string caCertFile;      // what clients trust
  std::string serverCertFile;  // chain: server certificate
  std::string serverKeyFile;
  std::string caCertPem;
};

// Creates dir if needed and writes ca.crt, server.crt, server.key into it (0600 for keys).
common::Result<CertificateFiles> writeSelfSignedCertificates(const std::string& dir,
                                                             const std::string& commonName);

}  // namespace dbtoken::doubles
