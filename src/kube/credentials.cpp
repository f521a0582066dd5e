#include "kube/credentials.h"

namespace dbtoken::kube {

ExecTokenSource::ExecTokenSource(ExecConfig config, std::string server, const common::Clock* clock,
                                 std::shared_ptr<common::Redactor> redactor,
                                 std::chrono::milliseconds timeout)
    : config_(std::move(config)),
      server_(std::move(server)),
      clock_(clock != nullptr ? *clock : realClock_),
      redactor_(std::move(redactor)),
      timeout_(timeout) {}

common::Result<common::Secret> ExecTokenSource::token() {
  std::lock_guard lk(mu_);
  if (cached_ && (!cached_->expiry || clock_.wallNow() + kRefreshMargin < *cached_->expiry)) {
    return cached_->token;
  }
  auto cred = runExecPlugin(config_, server_, timeout_);
  if (!cred.ok()) {
    return cred.status();
  }
  if (redactor_) {
    redactor_->add(cred->token);
  }
  cached_ = std::move(cred).value();
  return cached_->token;
}

bool ExecTokenSource::invalidate() {
  std::lock_guard lk(mu_);
  cached_.reset();
  return true;
}

std::shared_ptr<TokenSource> makeTokenSource(const ClusterConfig& config,
                                             const common::Clock* clock,
                                             std::shared_ptr<common::Redactor> redactor) {
  const AuthConfig& auth = config.auth;
  if (!auth.tokenFile.empty()) {
    return std::make_shared<FileTokenSource>(auth.tokenFile, std::move(redactor));
  }
  if (!auth.token.empty()) {
    if (redactor) {
      redactor->add(auth.token);
    }
    return std::make_shared<StaticTokenSource>(auth.token);
  }
  if (auth.exec) {
    return std::make_shared<ExecTokenSource>(*auth.exec, config.server, clock, std::move(redactor));
  }
  return nullptr;
}

}  // namespace dbtoken::kube
