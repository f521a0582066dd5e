// The shape of a row in the tokens tests' sentence tables: a sentence saying the behaviour, the
// world before (given), what happens (when; by default one reconcile of "writer"), and what must
// follow — the timeline of Kubernetes writes and Management API calls, the next step, the status,
// the events and the Secret. Each row runs in a fresh World.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "world.h"

namespace dbtoken::tokens::test {

inline constexpr const char* kDeleted = "(deleted)";
// The conditions of an Active token in steady state.
inline constexpr const char* kActive =
    "Ready=True TokenReady, Synced=True Synced, Revoked=False NotRevoked";

struct Row {
  std::string sentence{};
  std::function<void(World&)> given{};
  std::function<common::Result<runtime::Action>(World&)> when{};
  std::vector<std::string> timeline{};
  std::string next = "wait for a change";
  std::string phase{};  // status.phase afterwards, or kDeleted when the object is gone
  std::string tokenId{};
  std::string conditions{};
  std::vector<std::string> events{};
  std::string secret = "none";
  std::function<void(World&)> also{};  // further checks
  std::string secretName = kName;
};

inline common::Result<runtime::Action> reconcileOnce(World& w) {
  return w.reconcile();
}

inline void runRows(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.sentence) {
      World w;
      if (row.given) {
        row.given(w);
      }
      w.startRecording();
      auto result = row.when ? row.when(w) : reconcileOnce(w);
      w.collectGarbage();
      CHECK(w.timeline() == row.timeline);
      CHECK(outcome(result) == row.next);
      auto object = w.object();
      if (object) {
        CHECK(statusField(*object, "phase") == row.phase);
        CHECK(statusField(*object, "tokenId") == row.tokenId);
        CHECK(conditionsOf(*object) == row.conditions);
      } else {
        CHECK(kDeleted == row.phase);
      }
      CHECK(w.events.reasons() == row.events);
      CHECK(secretHolds(w, row.secretName) == row.secret);
      if (row.also) {
        row.also(w);
      }
    }
  }
}

}  // namespace dbtoken::tokens::test
