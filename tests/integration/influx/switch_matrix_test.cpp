// The client against the live double under every combination of the undocumented behaviours,
// in both URL shapes: whatever the API does, a revoked token is seen as revoked, a live one as
// live, revoking twice is done, and a revoked token stops working on the data plane.
#include <catch2/catch.hpp>

#include "live_double.h"

using namespace dbtoken;
using common::Code;
using doubles::management::Behaviour;
using influx::CreateRequest;
using influx::RevokeOutcome;
using influx::UpdateRequest;
using influx::UrlShape;

namespace {

std::vector<Behaviour> everyCombination() {
  std::vector<Behaviour> out;
  for (auto list : {Behaviour::RevokedInList::kShown, Behaviour::RevokedInList::kHidden}) {
    for (auto get : {Behaviour::RevokedGet::kOk, Behaviour::RevokedGet::kNotFound}) {
      for (auto del : {Behaviour::SecondDelete::kNoContent, Behaviour::SecondDelete::kNotFound}) {
        for (auto patch : {Behaviour::RevokedPatch::kConflict, Behaviour::RevokedPatch::kNotFound,
                           Behaviour::RevokedPatch::kOk}) {
          for (auto dup : {Behaviour::DuplicateDescription::kAllowed,
                           Behaviour::DuplicateDescription::kConflict}) {
            for (auto delay : {std::chrono::milliseconds(0), std::chrono::milliseconds(3600000)}) {
              Behaviour b;
              b.revokedInList = list;
              b.revokedGet = get;
              b.secondDelete = del;
              b.revokedPatch = patch;
              b.duplicateDescription = dup;
              b.activationDelay = delay;
              out.push_back(b);
            }
          }
        }
      }
    }
  }
  return out;
}

// The operator's reading of the API: 404 or revokedAt means revoked.
bool seenAsRevoked(influx::TokenClient& client, const std::string& id) {
  auto t = client.get(id);
  if (!t.ok()) {
    REQUIRE(t.status().code() == Code::kNotFound);
    return true;
  }
  return t->isRevoked();
}

}  // namespace

TEST_CASE("Switch matrix: the client is right under every combination of undocumented answers") {
  testing::LiveDouble live;
  auto clustered = live.client(UrlShape::kClustered);
  auto dedicated = live.client(UrlShape::kDedicated);
  REQUIRE(clustered.ok());
  REQUIRE(dedicated.ok());
  auto combinations = everyCombination();
  REQUIRE(combinations.size() == 96);
  int n = 0;
  for (const auto& b : combinations) {
    for (auto shape : {UrlShape::kClustered, UrlShape::kDedicated}) {
      ++n;
      INFO(doubles::management::describe(b)
           << (shape == UrlShape::kClustered ? " clustered" : " dedicated"));
      live.api().setBehaviour(b);
      influx::TokenClient& client = shape == UrlShape::kClustered ? **clustered : **dedicated;
      std::string prefix = "matrix " + std::to_string(n);

      auto a = client.create(CreateRequest{prefix + " a", {{"write", "sensors"}}, std::nullopt});
      REQUIRE(a.ok());
      live.remember(a->accessToken);
      auto duplicate =
          client.create(CreateRequest{prefix + " a", {{"write", "sensors"}}, std::nullopt});
      if (b.duplicateDescription == Behaviour::DuplicateDescription::kConflict) {
        CHECK(duplicate.status().code() == Code::kAlreadyExists);
      } else {
        REQUIRE(duplicate.ok());
        live.remember(duplicate->accessToken);
        REQUIRE(client.revoke(duplicate->token.id).ok());
      }
      auto live_ = client.create(CreateRequest{prefix + " b", {{"write", "*"}}, std::nullopt});
      REQUIRE(live_.ok());
      live.remember(live_->accessToken);

      auto revoked = client.revoke(a->token.id);
      REQUIRE(revoked.ok());
      CHECK(*revoked == RevokeOutcome::kRevoked);

      auto listed = client.list();
      REQUIRE(listed.ok());
      bool aListed = false;
      bool bListedLive = false;
      for (const auto& t : *listed) {
        if (t.id == a->token.id) {
          aListed = true;
          CHECK(t.isRevoked());
        }
        if (t.id == live_->token.id) {
          bListedLive = !t.isRevoked();
        }
      }
      CHECK(aListed == (b.revokedInList == Behaviour::RevokedInList::kShown));
      CHECK(bListedLive);

      CHECK(seenAsRevoked(client, a->token.id));
      CHECK_FALSE(seenAsRevoked(client, live_->token.id));

      auto again = client.revoke(a->token.id);
      REQUIRE(again.ok());  // 204 or 404: either way the revocation is done

      auto patched = client.update(a->token.id, UpdateRequest{prefix + " renamed", std::nullopt});
      switch (b.revokedPatch) {
        case Behaviour::RevokedPatch::kConflict:
          CHECK(patched.status().code() == Code::kConflict);
          break;
        case Behaviour::RevokedPatch::kNotFound:
          CHECK(patched.status().code() == Code::kNotFound);
          break;
        case Behaviour::RevokedPatch::kOk:
          REQUIRE(patched.ok());
          CHECK(patched->isRevoked());
          break;
      }

      CHECK(live.writeStatus(a->accessToken, "sensors") == 401);
      CHECK(live.writeStatus(live_->accessToken, "sensors") ==
            (b.activationDelay.count() == 0 ? 204 : 401));
      REQUIRE(client.revoke(live_->token.id).ok());
    }
  }
  CHECK(live.contract().violations().empty());
  CHECK(live.contract().exchanges() > 1500);
  CHECK_FALSE(live.secretLeaked());
}
