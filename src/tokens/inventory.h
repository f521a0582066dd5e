// TokenInventory: what the operator knows of the InfluxDB cluster's tokens, from one
// GET /tokens at start-up, after any create whose outcome is unknown, and every resync period
// (never one call per token). No token is issued before it has loaded. It also remembers, within
// this process, the tokens just issued and the creates in flight, so neither a stale cache nor
// the orphan sweep can make the operator issue twice or revoke a token it is about to record.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "influx/token.h"

namespace dbtoken::tokens {

class TokenInventory {
 public:
  explicit TokenInventory(const common::Clock& clock) : clock_(clock), started_(clock.now()) {}

  // Called just before GET /tokens is sent: a token this process learns of after this moment
  // may be missing from the answer without being gone.
  void beginList();
  // Replaces the whole inventory with a fresh list (taken since the last beginList()). Tokens
  // this process learnt of while the list was under way are kept. `answers`: the
  // refreshesRequested() read before the list was taken (those requests it answers); all so
  // far when not given.
  void load(std::vector<influx::Token> tokens, std::optional<uint64_t> answers = std::nullopt);
  bool loaded() const;
  // When the inventory in hand was listed (steady clock); nullopt before the first load.
  std::optional<common::Clock::WallTime> loadedAt() const;
  std::optional<influx::Token> find(const std::string& id) const;
  std::vector<influx::Token> all() const;
  // Records what this process learnt about one token (created, read, patched).
  void upsert(const influx::Token& token);
  void forget(const std::string& id);
  // Records that this process revoked the token (revokedAt: now), if the inventory knows it.
  void markRevoked(const std::string& id);

  // True only when the inventory proves the token is gone or revoked: it shows it revoked, or
  // not at all although the list began after the token surely existed — after this process
  // learnt of it, or (a token it never saw made) after this process started. Clocks of the two
  // hosts are never compared, and an API that hides revoked tokens from its list is covered.
  bool knownGone(const std::string& id) const;

  // A refresh is wanted soon (after an unknown create outcome): calls the hook the refresher
  // set (it enqueues its work), if any. Until a list taken after this call has loaded,
  // refreshPending() is true and no token is issued: the list may show a token whose string
  // was lost, which the sweep must revoke first.
  void requestRefresh();
  bool refreshPending() const;
  uint64_t refreshesRequested() const;
  void setRefreshHook(std::function<void()> hook);

  // Creates in flight and tokens issued recently, per DatabaseToken uid.
  void beginCreate(const std::string& resourceUid);
  void endCreate(const std::string& resourceUid);
  void rememberIssued(const std::string& resourceUid, const std::string& tokenId);
  // Forgets an issued token that was revoked again (its Secret could not be written).
  void forgetIssued(const std::string& resourceUid, const std::string& tokenId);
  std::optional<std::string> recentlyIssued(const std::string& resourceUid) const;
  // True when the sweep must leave this resource's tokens alone for now.
  bool busy(const std::string& resourceUid, const std::string& tokenId) const;
  // Forgets issued tokens the cache now shows (or that are older than the grace period).
  void settle(const std::string& resourceUid, const std::string& tokenIdInStatus);

 private:
  const common::Clock& clock_;
  mutable std::mutex mu_;
  std::function<void()> refreshHook_;
  bool loaded_ = false;
  uint64_t refreshesRequested_ = 0;
  uint64_t refreshesAnswered_ = 0;
  common::Clock::WallTime loadedAt_{};
  common::Clock::SteadyTime started_;
  common::Clock::SteadyTime listStarted_{};                  // of the list in flight
  common::Clock::SteadyTime listedFrom_{};                   // of the list loaded
  std::map<std::string, common::Clock::SteadyTime> learnt_;  // since listedFrom_
  std::map<std::string, influx::Token> tokens_;
  std::set<std::string> creating_;
  struct Issued {
    std::string tokenId;
    common::Clock::SteadyTime at;
  };
  std::map<std::string, std::vector<Issued>> issued_;
};

}  // namespace dbtoken::tokens
