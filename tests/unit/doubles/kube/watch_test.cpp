#include <catch2/catch.hpp>

#include "fixture.h"

using namespace dbtoken::kubedouble::testing;

namespace {
std::vector<std::string> types(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e["type"]);
  }
  return out;
}
}  // namespace

TEST_CASE("API double: a watch resumed from a resourceVersion misses nothing and repeats nothing") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("w");
  Reply list = d.get(Double::tokens("w"));
  std::string from = list.body["metadata"]["resourceVersion"];
  d.post(Double::tokens("w"), Double::token("w", "a"));
  d.merge(Double::tokens("w") + "/a", {{"spec", {{"description", "x"}}}});
  d.del(Double::tokens("w") + "/a");
  Reply w = d.get(Double::tokens("w") + "?watch=1&resourceVersion=" + from);
  REQUIRE(w.raw.watch);
  auto events = drain(w.raw);
  CHECK(types(events) == std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"});
  SECTION("and goes on with live events") {
    d.post(Double::tokens("w"), Double::token("w", "b"));
    CHECK(types(drain(w.raw)) == std::vector<std::string>{"ADDED"});
  }
  SECTION("resuming from the middle replays only the rest") {
    std::string middle = events[0]["object"]["metadata"]["resourceVersion"];
    Reply again = d.get(Double::tokens("w") + "?watch=1&resourceVersion=" + middle);
    CHECK(types(drain(again.raw)) == std::vector<std::string>{"MODIFIED", "DELETED"});
  }
}

TEST_CASE("API double: a version older than the kept history gets an in-band 410 ERROR") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("w");
  std::string from = d.get(Double::tokens("w")).body["metadata"]["resourceVersion"];
  d.post(Double::tokens("w"), Double::token("w", "a"));
  d.api().expireHistory();
  Reply w = d.get(Double::tokens("w") + "?watch=1&resourceVersion=" + from);
  CHECK(w.status == 200);
  auto events = drain(w.raw);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "ERROR");
  CHECK(events[0]["object"]["code"] == 410);
  CHECK(w.raw.watch->closed());
}

TEST_CASE("API double: the history limit bounds what a watch can resume from") {
  auto options = Double::quiet();
  options.historyLimit = 3;
  Double d(options);
  d.createNamespace("w");
  std::string from = d.get(Double::secrets("w")).body["metadata"]["resourceVersion"];
  for (int i = 0; i < 5; ++i) {
    d.post(Double::secrets("w"), {{"apiVersion", "v1"},
                                  {"kind", "Secret"},
                                  {"metadata", {{"name", "s" + std::to_string(i)}}}});
  }
  auto events = drain(d.get(Double::secrets("w") + "?watch=1&resourceVersion=" + from).raw);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["object"]["reason"] == "Expired");
}

TEST_CASE("API double: a label-selected watch sees objects leave as DELETED and return as ADDED") {
  Double d;
  d.installTokenCrd();
  d.createNamespace("w");
  std::string from = d.get(Double::tokens("w")).body["metadata"]["resourceVersion"];
  Reply w = d.get(Double::tokens("w") + "?watch=1&labelSelector=team%3Da&resourceVersion=" + from);
  d.post(Double::tokens("w"), Double::token("w", "sel", {{"team", "a"}}));
  d.merge(Double::tokens("w") + "/sel", {{"metadata", {{"labels", {{"team", "b"}}}}}});
  d.merge(Double::tokens("w") + "/sel", {{"metadata", {{"labels", {{"team", "a"}}}}}});
  auto events = drain(w.raw);
  CHECK(types(events) == std::vector<std::string>{"ADDED", "DELETED", "ADDED"});
  CHECK(events[1]["object"]["metadata"]["labels"]["team"] == "a");  // the old object
}

TEST_CASE("API double: bookmarks report progress and timeoutSeconds ends a watch") {
  auto options = Double::quiet();
  options.bookmarkInterval = std::chrono::milliseconds(0);
  Double d(options);
  d.createNamespace("w");
  Reply w = d.get(Double::secrets("w") + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=1");
  d.post(Double::secrets("w"),
         {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}});
  std::string rv = d.api().resourceVersion() > 0 ? std::to_string(d.api().resourceVersion()) : "";
  d.api().runControllersOnce();
  auto events = drain(w.raw);
  REQUIRE(events.size() >= 2);
  CHECK(events.back()["type"] == "BOOKMARK");
  CHECK(events.back()["object"]["metadata"]["resourceVersion"] == rv);
  SECTION("closing every watch ends this one too") {
    d.api().closeAllWatches();
    CHECK(w.raw.watch->closed());
  }
}

TEST_CASE("API double: timeoutSeconds ends a watch, with a BOOKMARK 2 s before when asked") {
  auto clock = std::make_shared<dbtoken::common::FakeClock>();
  Double d(Double::quiet(), clock);
  d.createNamespace("w");
  Reply w = d.get(Double::secrets("w") + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=5");
  clock->advance(std::chrono::milliseconds(2500));
  d.api().runControllersOnce();
  CHECK(drain(w.raw).empty());
  clock->advance(std::chrono::milliseconds(1000));
  d.api().runControllersOnce();
  auto events = drain(w.raw);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "BOOKMARK");
  CHECK_FALSE(w.raw.watch->closed());
  clock->advance(std::chrono::milliseconds(2000));
  d.api().runControllersOnce();
  CHECK(w.raw.watch->closed());
}

TEST_CASE("API double: a watch without a resourceVersion starts with the current objects") {
  Double d;
  d.createNamespace("w");
  d.post(Double::secrets("w"),
         {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}});
  auto events = drain(d.get(Double::secrets("w") + "?watch=1").raw);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "ADDED");
  CHECK(events[0]["object"]["kind"] == "Secret");
}
