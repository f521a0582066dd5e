#include "support/self_signed.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

namespace dbtoken::doubles {
namespace {

using common::Code;
using common::Result;
using common::Status;

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
  void operator()(X509* c) const { X509_free(c); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using CertPtr = std::unique_ptr<X509, CertDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

KeyPtr makeKey() {
  return KeyPtr(EVP_EC_gen("P-256"));
}

bool addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return false;
  }
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

CertPtr makeCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuerKey,
                 bool isCa) {
  CertPtr cert(X509_new());
  X509_set_version(cert.get(), 2);
  std::random_device rd;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(rd() & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* iss = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(iss));
  bool ok = true;
  if (isCa) {
    ok &= addExtension(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    ok &= addExtension(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
    ok &= addExtension(cert.get(), iss, NID_subject_key_identifier, "hash");
  } else {
    ok &= addExtension(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE");
    ok &= addExtension(cert.get(), iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    ok &= addExtension(cert.get(), iss, NID_ext_key_usage, "serverAuth,clientAuth");
    ok &= addExtension(cert.get(), iss, NID_subject_alt_name,
                       "IP:127.0.0.1,DNS:localhost,IP:0:0:0:0:0:0:0:1");
  }
  if (!ok || X509_sign(cert.get(), issuerKey != nullptr ? issuerKey : key, EVP_sha256()) == 0) {
    return nullptr;
  }
  return cert;
}

std::string certPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string keyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Status writeFile(const std::string& path, const std::string& content, bool secret) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    return Status(Code::kFailedPrecondition, "cannot write " + path);
  }
  out << content;
  out.close();
  if (secret) {
    ::chmod(path.c_str(), 0600);
  }
  return Status::ok();
}

}  // namespace

Result<CertificateFiles> writeSelfSignedCertificates(const std::string& dir,
                                                     const std::string& commonName) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(Code::kFailedPrecondition, "cannot create " + dir + ": " + ec.message());
  }
  KeyPtr caKey = makeKey();
  KeyPtr serverKey = makeKey();
  if (!caKey || !serverKey) {
    return Status(Code::kInternal, "cannot generate EC keys");
  }
  CertPtr ca = makeCert(caKey.get(), commonName + "-ca", nullptr, nullptr, true);
  if (!ca) {
    return Status(Code::kInternal, "cannot create the CA certificate");
  }
  CertPtr server = makeCert(serverKey.get(), commonName, ca.get(), caKey.get(), false);
  if (!server) {
    return Status(Code::kInternal, "cannot create the server certificate");
  }
  CertificateFiles files;
  files.caCertFile = dir + "/ca.crt";
  files.serverCertFile = dir + "/server.crt";
  files.serverKeyFile = dir + "/server.key";
  files.caCertPem = certPem(ca.get());
  for (auto s : {writeFile(files.caCertFile, files.caCertPem, false),
                 writeFile(files.serverCertFile, certPem(server.get()), false),
                 writeFile(files.serverKeyFile, keyPem(serverKey.get()), true)}) {
    if (!s.isOk()) {
      return s;
    }
  }
  return files;
}

}  // namespace dbtoken::doubles
