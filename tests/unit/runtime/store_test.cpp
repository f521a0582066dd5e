#include <catch2/catch.hpp>

#include "runtime/store.h"

using namespace dbtoken;
using nlohmann::json;
using runtime::ObjectPtr;

namespace {

ObjectPtr secret(const std::string& name, const std::string& ownerUid = "") {
  json o = {{"metadata", {{"name", name}, {"namespace", "ns"}}}};
  if (!ownerUid.empty()) {
    o["metadata"]["ownerReferences"] = {{{"apiVersion", "tokens.influxdb.dev/v1alpha1"},
                                         {"kind", "DatabaseToken"},
                                         {"name", "owner"},
                                         {"uid", ownerUid},
                                         {"controller", true}}};
  }
  return std::make_shared<const json>(std::move(o));
}

}  // namespace

TEST_CASE("Store: objects are found by key, by namespace and by owner UID") {
  runtime::Store store;
  CHECK_FALSE(store.synced());
  CHECK(store.upsert(secret("a", "uid-1")) == nullptr);
  CHECK(store.upsert(secret("b", "uid-1")) == nullptr);
  CHECK(store.upsert(secret("c")) == nullptr);
  CHECK(store.get({"ns", "a"}) != nullptr);
  CHECK(store.listNamespace("ns").size() == 3);
  CHECK(store.listNamespace("other").empty());
  CHECK(store.byOwner("uid-1").size() == 2);

  SECTION("an update that drops the owner reference leaves the index") {
    auto old = store.upsert(secret("a"));
    REQUIRE(old);
    CHECK(store.byOwner("uid-1").size() == 1);
  }
  SECTION("an erase leaves the index and returns the last state") {
    auto old = store.erase({"ns", "b"});
    REQUIRE(old);
    CHECK(store.byOwner("uid-1").size() == 1);
    CHECK(store.erase({"ns", "b"}) == nullptr);
  }
}

TEST_CASE("Store: replace swaps the whole content at once and hands back the old one") {
  runtime::Store store;
  store.upsert(secret("old", "uid-1"));
  ObjectPtr reader = store.get({"ns", "old"});
  runtime::ObjectMap fresh;
  fresh[{"ns", "new"}] = secret("new", "uid-2");
  auto old = store.replace(std::move(fresh));
  CHECK(store.synced());
  CHECK(old.size() == 1);
  CHECK(store.size() == 1);
  CHECK(store.byOwner("uid-1").empty());
  CHECK(store.byOwner("uid-2").size() == 1);
  CHECK((*reader)["metadata"]["name"] == "old");  // a reader keeps its snapshot
}
