// FakeTokenClient: an in-memory influx::TokenClient for reconciler tests. Tokens live in a map;
// every call is recorded ("POST tokens", "DELETE tokens/#1"); the next calls of one kind can be
// made to fail with a chosen Status (a create can also fail after the token was made, as when
// the answer is lost). Ids and access strings are predictable (#1, #2, ... in recordings), and
// tests can change tokens behind the operator's back (revoked, deleted or edited outside
// Kubernetes) without it being recorded as a call. Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "influx/token_client.h"

namespace dbtoken::testing {

class FakeTokenClient final : public influx::TokenClient {
 public:
  enum class Op { kList, kCreate, kGet, kUpdate, kRevoke };

  struct Call {
    Op op;
    std::string id;  // get, update, revoke
    std::optional<influx::CreateRequest> create;
    std::optional<influx::UpdateRequest> update;
    common::Status result;
  };

  explicit FakeTokenClient(const common::Clock& clock) : clock_(clock) {}

  // The id the fake gives the n-th token it creates (1-based), a valid UUID v4.
  static std::string idOf(int n);
  // The access string it hands out with the n-th token.
  static std::string accessTokenOf(int n);

  common::Result<std::vector<influx::Token>> list() override;
  common::Result<influx::CreatedToken> create(const influx::CreateRequest& request) override;
  common::Result<influx::Token> get(const std::string& id) override;
  common::Result<influx::Token> update(const std::string& id,
                                       const influx::UpdateRequest& request) override;
  common::Result<influx::RevokeOutcome> revoke(const std::string& id) override;

  // The next `times` calls of `op` answer `status`. With tookEffect, a failing create still
  // makes its token first (OutcomeUnknown: the server did the work, the answer was lost).
  void failNext(Op op, common::Status status, int times = 1, bool tookEffect = false);
  // Called with the rendering of every call ("POST tokens", "PATCH tokens/#1 → Unavailable").
  void setObserver(std::function<void(const std::string&)> observer);

  // Changes made outside the operator (not recorded as calls).
  void put(influx::Token token);
  void revokeOutside(const std::string& id);
  void deleteOutside(const std::string& id);  // the API no longer knows it at all
  void editOutside(const std::string& id, const influx::UpdateRequest& change);

  std::optional<influx::Token> token(const std::string& id) const;
  std::vector<influx::Token> tokens() const;
  std::vector<Call> calls() const;
  // Every access string this fake handed out.
  std::vector<std::string> accessTokens() const;
  // "#3" for a token this fake created, the id itself otherwise.
  static std::string shortId(const std::string& id);

 private:
  struct Failure {
    common::Status status;
    bool tookEffect;
  };
  std::optional<Failure> takeFailure(Op op);
  influx::CreatedToken make(const influx::CreateRequest& request);
  void record(Call call, const std::string& rendering);

  const common::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, influx::Token> tokens_;
  std::map<Op, std::deque<Failure>> failures_;
  std::vector<Call> calls_;
  std::vector<std::string> accessTokens_;
  int created_ = 0;
  std::function<void(const std::string&)> observer_;
};

}  // namespace dbtoken::testing
