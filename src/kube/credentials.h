// Bearer-token providers for the Kubernetes client: a literal token, a token file re-read when it
// changes (bound service account tokens rotate about hourly), or an exec plugin whose token is
// cached until shortly before it expires. Every token handed out is also given to the Redactor so
// no log line can carry it. Owns the caching; the transport asks for a token per request.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/secret.h"
#include "common/status.h"
#include "common/token_file.h"
#include "kube/cluster_config.h"
#include "kube/exec_credentials.h"

namespace dbtoken::kube {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The token for the next request (possibly cached). An empty Secret: no Authorization header.
  virtual common::Result<common::Secret> token() = 0;
  // The server refused the last token (401): the next token() fetches a fresh one if it can.
  // Answers whether a retry could help.
  virtual bool invalidate() = 0;
};

class StaticTokenSource final : public TokenSource {
 public:
  explicit StaticTokenSource(common::Secret token) : token_(std::move(token)) {}
  common::Result<common::Secret> token() override { return token_; }
  bool invalidate() override { return false; }

 private:
  common::Secret token_;
};

class FileTokenSource final : public TokenSource {
 public:
  FileTokenSource(std::string path, std::shared_ptr<common::Redactor> redactor)
      : file_(std::move(path), std::move(redactor), "token file") {}
  common::Result<common::Secret> token() override { return file_.read(); }
  // The file is re-read on change anyway; a retry helps only if it changed meanwhile.
  bool invalidate() override { return false; }

 private:
  common::TokenFile file_;
};

class ExecTokenSource final : public TokenSource {
 public:
  // A cached token is refreshed this long before its expiry.
  static constexpr std::chrono::seconds kRefreshMargin{30};

  // clock: for expiry checks; null: the real clock.
  ExecTokenSource(ExecConfig config, std::string server, const common::Clock* clock,
                  std::shared_ptr<common::Redactor> redactor,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60));
  common::Result<common::Secret> token() override;
  bool invalidate() override;

 private:
  ExecConfig config_;
  std::string server_;
  common::RealClock realClock_;
  const common::Clock& clock_;
  std::shared_ptr<common::Redactor> redactor_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;  // also keeps two requests from running the plugin at once
  std::optional<ExecCredential> cached_;
};

// The source the auth settings call for (client-go precedence); nullptr when there is none.
// clock: for exec token expiry; null: the real clock.
std::shared_ptr<TokenSource> makeTokenSource(const ClusterConfig& config,
                                             const common::Clock* clock,
                                             std::shared_ptr<common::Redactor> redactor);

}  // namespace dbtoken::kube
