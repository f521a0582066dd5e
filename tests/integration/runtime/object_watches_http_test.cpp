// InformerObjectWatches over HTTPS against the Kubernetes API double: a Secret watched by name
// for an owner enqueues that owner when it appears, changes or goes, and nothing else does.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>

#include "integration/runtime/live_kube.h"
#include "kube/object.h"
#include "runtime/object_watches.h"

using namespace dbtoken;
using nlohmann::json;

namespace {

json watchedSecret(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"data", {{"token", "eA=="}}}};
}

// The owners enqueued, in order; waits on a condition variable, never on a fixed sleep.
class Enqueued {
 public:
  void add(const kube::ObjectKey& key) {
    std::lock_guard lk(mu_);
    keys_.push_back(key.toString());
    cv_.notify_all();
  }
  // Waits until `n` keys have been enqueued (false after 10 s).
  bool waitFor(size_t n) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(10), [&] { return keys_.size() >= n; });
  }
  std::vector<std::string> keys() const {
    std::lock_guard lk(mu_);
    return keys_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> keys_;
};

}  // namespace

TEST_CASE(
    "InformerObjectWatches over HTTPS: the watched Secret's changes and deletion enqueue "
    "its owner; other Secrets do not") {
  testing::LiveKube kube;
  auto api = kube.client();
  auto writer = kube.client();
  const auto secrets = kube::resources::secrets();
  REQUIRE(writer->create(secrets, "default", watchedSecret("handmade"), {}).ok());

  Enqueued enqueued;
  runtime::InformerObjectWatchesOptions o;
  o.resource = secrets;
  o.transform = [](json s) {
    s.erase("data");
    return s;
  };
  o.enqueue = [&enqueued](const kube::ObjectKey& owner) { enqueued.add(owner); };
  runtime::InformerObjectWatches watches(*api, std::move(o));

  watches.watch({"default", "handmade"}, {"default", "writer"});
  watches.watch({"default", "handmade"}, {"default", "writer"});  // already watching: no-op
  CHECK(watches.size() == 1);
  REQUIRE(enqueued.waitFor(1));  // the first list shows it

  // Another Secret's life is not seen (the watch is field-selected), the watched one's is.
  REQUIRE(writer->create(secrets, "default", watchedSecret("unrelated"), {}).ok());
  REQUIRE(writer->remove(secrets, "default", "unrelated", {}).ok());
  REQUIRE(writer->remove(secrets, "default", "handmade", {}).ok());
  REQUIRE(writer->create(secrets, "default", watchedSecret("handmade"), {}).ok());
  // One stream delivers in order: once the re-creation is seen, so is all that came before. Had
  // the other Secret's two events been seen too, there would be five.
  REQUIRE(enqueued.waitFor(3));
  CHECK(enqueued.keys() ==
        std::vector<std::string>{"default/writer", "default/writer", "default/writer"});

  watches.forget({"default", "writer"});
  CHECK(watches.size() == 0);
  watches.forget({"default", "writer"});  // nothing left: a no-op
}
