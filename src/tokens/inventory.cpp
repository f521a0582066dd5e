#include "tokens/inventory.h"

#include <algorithm>

namespace dbtoken::tokens {

namespace {
// How long an issued token is remembered when the cache does not show it (a crash of the
// status write, a long cache lag). After that, the Secret annotation or the sweep decides.
constexpr auto kIssuedGrace = std::chrono::minutes(10);
}  // namespace

void TokenInventory::beginList() {
  std::lock_guard lk(mu_);
  listStarted_ = clock_.now();
}

void TokenInventory::load(std::vector<influx::Token> tokens, std::optional<uint64_t> answers) {
  std::lock_guard lk(mu_);
  refreshesAnswered_ = std::max(refreshesAnswered_, answers.value_or(refreshesRequested_));
  std::map<std::string, influx::Token> fresh;
  for (auto& t : tokens) {
    std::string id = t.id;
    fresh.emplace(std::move(id), std::move(t));
  }
  for (auto it = learnt_.begin(); it != learnt_.end();) {
    if (it->second < listStarted_) {
      it = learnt_.erase(it);  // the list covers it: present or proven gone
      continue;
    }
    if (auto known = tokens_.find(it->first); known != tokens_.end()) {
      fresh.emplace(it->first, known->second);  // too new for this list
    }
    ++it;
  }
  tokens_ = std::move(fresh);
  loaded_ = true;
  loadedAt_ = clock_.wallNow();
  listedFrom_ = listStarted_;
}

bool TokenInventory::loaded() const {
  std::lock_guard lk(mu_);
  return loaded_;
}

std::optional<common::Clock::WallTime> TokenInventory::loadedAt() const {
  std::lock_guard lk(mu_);
  if (!loaded_) {
    return std::nullopt;
  }
  return loadedAt_;
}

std::optional<influx::Token> TokenInventory::find(const std::string& id) const {
  std::lock_guard lk(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<influx::Token> TokenInventory::all() const {
  std::lock_guard lk(mu_);
  std::vector<influx::Token> out;
  out.reserve(tokens_.size());
  for (const auto& [id, t] : tokens_) {
    (void)id;
    out.push_back(t);
  }
  return out;
}

void TokenInventory::upsert(const influx::Token& token) {
  std::lock_guard lk(mu_);
  tokens_[token.id] = token;
  learnt_[token.id] = clock_.now();
}

void TokenInventory::markRevoked(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) {
    return;
  }
  it->second.revokedAt = clock_.wallNow();
  learnt_[id] = clock_.now();
}

void TokenInventory::forget(const std::string& id) {
  std::lock_guard lk(mu_);
  tokens_.erase(id);
}

bool TokenInventory::knownGone(const std::string& id) const {
  std::lock_guard lk(mu_);
  if (!loaded_) {
    return false;
  }
  auto it = tokens_.find(id);
  if (it != tokens_.end()) {
    return it->second.isRevoked();
  }
  auto learnt = learnt_.find(id);
  return listedFrom_ > (learnt != learnt_.end() ? learnt->second : started_);
}

void TokenInventory::requestRefresh() {
  std::function<void()> hook;
  {
    std::lock_guard lk(mu_);
    ++refreshesRequested_;
    hook = refreshHook_;
  }
  if (hook) {
    hook();
  }
}

bool TokenInventory::refreshPending() const {
  std::lock_guard lk(mu_);
  return refreshesAnswered_ < refreshesRequested_;
}

uint64_t TokenInventory::refreshesRequested() const {
  std::lock_guard lk(mu_);
  return refreshesRequested_;
}

void TokenInventory::setRefreshHook(std::function<void()> hook) {
  std::lock_guard lk(mu_);
  refreshHook_ = std::move(hook);
}

void TokenInventory::beginCreate(const std::string& resourceUid) {
  std::lock_guard lk(mu_);
  creating_.insert(resourceUid);
}

void TokenInventory::endCreate(const std::string& resourceUid) {
  std::lock_guard lk(mu_);
  creating_.erase(resourceUid);
}

void TokenInventory::rememberIssued(const std::string& resourceUid, const std::string& tokenId) {
  std::lock_guard lk(mu_);
  issued_[resourceUid].push_back({tokenId, clock_.now()});
}

void TokenInventory::forgetIssued(const std::string& resourceUid, const std::string& tokenId) {
  std::lock_guard lk(mu_);
  auto it = issued_.find(resourceUid);
  if (it == issued_.end()) {
    return;
  }
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const Issued& i) { return i.tokenId == tokenId; }),
             list.end());
  if (list.empty()) {
    issued_.erase(it);
  }
}

std::optional<std::string> TokenInventory::recentlyIssued(const std::string& resourceUid) const {
  std::lock_guard lk(mu_);
  auto it = issued_.find(resourceUid);
  if (it == issued_.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second.back().tokenId;
}

bool TokenInventory::busy(const std::string& resourceUid, const std::string& tokenId) const {
  std::lock_guard lk(mu_);
  if (creating_.count(resourceUid) > 0) {
    return true;
  }
  auto it = issued_.find(resourceUid);
  if (it == issued_.end()) {
    return false;
  }
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Issued& i) { return i.tokenId == tokenId; });
}

void TokenInventory::settle(const std::string& resourceUid, const std::string& tokenIdInStatus) {
  std::lock_guard lk(mu_);
  auto it = issued_.find(resourceUid);
  if (it == issued_.end()) {
    return;
  }
  auto now = clock_.now();
  auto& list = it->second;
  // Keep only what is newer than the status shows and still within the grace period.
  auto shown = std::find_if(list.begin(), list.end(),
                            [&](const Issued& i) { return i.tokenId == tokenIdInStatus; });
  if (shown != list.end()) {
    list.erase(list.begin(), shown + 1);
  }
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const Issued& i) { return now - i.at > kIssuedGrace; }),
             list.end());
  if (list.empty()) {
    issued_.erase(it);
  }
}

}  // namespace dbtoken::tokens
