#include "testing/fake_token_client.h"

#include <cstdio>

namespace dbtoken::testing {

using common::Code;
using common::Result;
using common::Status;

namespace {
constexpr const char* kIdPrefix = "00000000-0000-4000-8000-";

std::string withResult(std::string rendering, const Status& result) {
  if (!result.isOk()) {
    rendering += std::string(" → ") + common::codeName(result.code());
  }
  return rendering;
}
}  // namespace

std::string FakeTokenClient::idOf(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%012d", n);
  return kIdPrefix + std::string(buf);
}

std::string FakeTokenClient::accessTokenOf(int n) {
  return "apiv1_fake-access-string-number-" + std::to_string(n) + "-xK9q";
}

std::string FakeTokenClient::shortId(const std::string& id) {
  std::string prefix = kIdPrefix;
  if (id.size() == 36 && id.compare(0, prefix.size(), prefix) == 0) {
    return "#" + std::to_string(std::stoi(id.substr(prefix.size())));
  }
  return id;
}

std::optional<FakeTokenClient::Failure> FakeTokenClient::takeFailure(Op op) {
  auto& queue = failures_[op];
  if (queue.empty()) {
    return std::nullopt;
  }
  Failure f = queue.front();
  queue.pop_front();
  return f;
}

void FakeTokenClient::record(Call call, const std::string& rendering) {
  calls_.push_back(std::move(call));
  if (observer_) {
    observer_(withResult(rendering, calls_.back().result));
  }
}

influx::CreatedToken FakeTokenClient::make(const influx::CreateRequest& request) {
  ++created_;
  influx::Token t;
  t.id = idOf(created_);
  t.description = request.description;
  t.permissions = request.permissions;
  t.createdAt = clock_.wallNow();
  t.expiresAt = request.expiresAt;
  tokens_[t.id] = t;
  accessTokens_.push_back(accessTokenOf(created_));
  return {t, common::Secret(accessTokenOf(created_))};
}

Result<std::vector<influx::Token>> FakeTokenClient::list() {
  std::lock_guard lk(mu_);
  auto failure = takeFailure(Op::kList);
  Call call{Op::kList, "", std::nullopt, std::nullopt, failure ? failure->status : Status::ok()};
  record(call, "GET tokens");
  if (failure) {
    return failure->status;
  }
  std::vector<influx::Token> out;
  for (const auto& [id, t] : tokens_) {
    (void)id;
    out.push_back(t);
  }
  return out;
}

Result<influx::CreatedToken> FakeTokenClient::create(const influx::CreateRequest& request) {
  std::lock_guard lk(mu_);
  auto failure = takeFailure(Op::kCreate);
  Status result = failure ? failure->status : influx::validate(request);
  record({Op::kCreate, "", request, std::nullopt, result}, "POST tokens");
  if (!result.isOk()) {
    if (failure && failure->tookEffect) {
      make(request);
    }
    return result;
  }
  return make(request);
}

Result<influx::Token> FakeTokenClient::get(const std::string& id) {
  std::lock_guard lk(mu_);
  auto failure = takeFailure(Op::kGet);
  Status result = failure ? failure->status : Status::ok();
  auto it = tokens_.find(id);
  if (result.isOk() && it == tokens_.end()) {
    result = Status(Code::kNotFound, "token not found");
  }
  record({Op::kGet, id, std::nullopt, std::nullopt, result}, "GET tokens/" + shortId(id));
  if (!result.isOk()) {
    return result;
  }
  return it->second;
}

Result<influx::Token> FakeTokenClient::update(const std::string& id,
                                              const influx::UpdateRequest& request) {
  std::lock_guard lk(mu_);
  auto failure = takeFailure(Op::kUpdate);
  Status result = failure ? failure->status : influx::validate(request);
  auto it = tokens_.find(id);
  if (result.isOk() && it == tokens_.end()) {
    result = Status(Code::kNotFound, "token not found");
  }
  if (result.isOk() && it->second.isRevoked()) {
    // As the Management API double by default (its revokedPatch switch: 409).
    result = Status(Code::kConflict, "the token is revoked");
  }
  record({Op::kUpdate, id, std::nullopt, request, result}, "PATCH tokens/" + shortId(id));
  if (!result.isOk()) {
    return result;
  }
  if (request.description) {
    it->second.description = *request.description;
  }
  if (request.permissions) {
    it->second.permissions = *request.permissions;
  }
  return it->second;
}

Result<influx::RevokeOutcome> FakeTokenClient::revoke(const std::string& id) {
  std::lock_guard lk(mu_);
  auto failure = takeFailure(Op::kRevoke);
  Status result = failure ? failure->status : Status::ok();
  record({Op::kRevoke, id, std::nullopt, std::nullopt, result}, "DELETE tokens/" + shortId(id));
  if (!result.isOk()) {
    return result;
  }
  auto it = tokens_.find(id);
  if (it == tokens_.end() || it->second.isRevoked()) {
    return influx::RevokeOutcome::kAlreadyRevoked;  // the API answers 404
  }
  it->second.revokedAt = clock_.wallNow();
  return influx::RevokeOutcome::kRevoked;
}

void FakeTokenClient::failNext(Op op, Status status, int times, bool tookEffect) {
  std::lock_guard lk(mu_);
  for (int i = 0; i < times; ++i) {
    failures_[op].push_back({status, tookEffect});
  }
}

void FakeTokenClient::setObserver(std::function<void(const std::string&)> observer) {
  std::lock_guard lk(mu_);
  observer_ = std::move(observer);
}

void FakeTokenClient::put(influx::Token token) {
  std::lock_guard lk(mu_);
  std::string id = token.id;
  tokens_[id] = std::move(token);
}

void FakeTokenClient::revokeOutside(const std::string& id) {
  std::lock_guard lk(mu_);
  if (auto it = tokens_.find(id); it != tokens_.end()) {
    it->second.revokedAt = clock_.wallNow();
  }
}

void FakeTokenClient::deleteOutside(const std::string& id) {
  std::lock_guard lk(mu_);
  tokens_.erase(id);
}

void FakeTokenClient::editOutside(const std::string& id, const influx::UpdateRequest& change) {
  std::lock_guard lk(mu_);
  if (auto it = tokens_.find(id); it != tokens_.end()) {
    if (change.description) {
      it->second.description = *change.description;
    }
    if (change.permissions) {
      it->second.permissions = *change.permissions;
    }
  }
}

std::optional<influx::Token> FakeTokenClient::token(const std::string& id) const {
  std::lock_guard lk(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<influx::Token> FakeTokenClient::tokens() const {
  std::lock_guard lk(mu_);
  std::vector<influx::Token> out;
  for (const auto& [id, t] : tokens_) {
    (void)id;
    out.push_back(t);
  }
  return out;
}

std::vector<FakeTokenClient::Call> FakeTokenClient::calls() const {
  std::lock_guard lk(mu_);
  return calls_;
}

std::vector<std::string> FakeTokenClient::accessTokens() const {
  std::lock_guard lk(mu_);
  return accessTokens_;
}

}  // namespace dbtoken::testing
