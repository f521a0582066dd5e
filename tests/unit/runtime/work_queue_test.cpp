#include <catch2/catch.hpp>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "runtime/work_queue.h"

using namespace dbtoken;
using kube::ObjectKey;
using runtime::WorkQueue;
using std::chrono::milliseconds;

namespace {

std::unique_ptr<WorkQueue> queueWith(common::Clock& clock, runtime::Registry* metrics = nullptr) {
  runtime::WorkQueueOptions o;
  o.name = "test";
  o.clock = &clock;
  o.metrics = metrics;
  return std::make_unique<WorkQueue>(std::move(o));
}

// Plays a script against a queue. Steps: "add a", "after a 10" (ms), "limited a", "limited a
// 7000" (not before 7000 ms), "forget a", "done a", "get a" (expects a), "get -" (expects nothing
// ready), "tick 10" (ms), "len 2", "urgent 1" (ready urgent keys), "waiting 1", "shutdown".
// add, after and limited take a last word "urgent" or "normal": the priority given.
void play(const std::vector<std::string>& steps) {
  common::FakeClock clock;
  auto q = queueWith(clock);
  for (const auto& step : steps) {
    INFO("step: " << step);
    std::istringstream in(step);
    std::vector<std::string> words;
    for (std::string w; in >> w;) {
      words.push_back(w);
    }
    std::optional<runtime::Priority> priority;
    if (words.back() == "urgent" || words.back() == "normal") {
      priority = words.back() == "urgent" ? runtime::Priority::kUrgent : runtime::Priority::kNormal;
      words.pop_back();
    }
    const std::string op = words.at(0);
    const std::string arg = words.size() > 1 ? words[1] : "";
    const long long n = words.size() > 2 ? std::stoll(words[2]) : 0;
    ObjectKey key{"ns", arg};
    if (op == "add") {
      q->add(key, priority.value_or(runtime::Priority::kNormal));
    } else if (op == "after") {
      q->addAfter(key, milliseconds(n), priority);
    } else if (op == "limited") {
      q->addRateLimited(key, milliseconds(n), priority);
    } else if (op == "forget") {
      q->forget(key);
    } else if (op == "done") {
      q->done(key);
    } else if (op == "get") {
      auto got = q->tryGet();
      if (arg == "-") {
        CHECK_FALSE(got.has_value());
      } else {
        REQUIRE(got.has_value());
        CHECK(got->name == arg);
      }
    } else if (op == "tick") {
      clock.advance(milliseconds(std::stoll(arg)));
    } else if (op == "len") {
      CHECK(q->len() == std::stoul(arg));
    } else if (op == "urgent") {
      CHECK(q->len(runtime::Priority::kUrgent) == std::stoul(arg));
    } else if (op == "waiting") {
      CHECK(q->waiting() == std::stoul(arg));
    } else if (op == "shutdown") {
      q->shutDown();
    } else {
      FAIL("unknown step " << step);
    }
  }
}

}  // namespace

TEST_CASE("WorkQueue: client-go semantics, one sentence per script") {
  struct Row {
    const char* sentence;
    std::vector<std::string> steps;
  };
  const Row rows[] = {
      {"a key added twice before it is taken is delivered once",
       {"add a", "add a", "len 1", "get a", "get -"}},
      {"keys come out in the order they went in",
       {"add a", "add b", "add c", "get a", "get b", "get c"}},
      {"a key re-added while in progress is not handed out until done, then once more",
       {"add a", "get a", "add a", "add a", "get -", "len 0", "done a", "get a", "done a",
        "get -"}},
      {"a key done without being re-added is not queued again",
       {"add a", "get a", "done a", "get -"}},
      {"a delayed key waits for its time",
       {"after a 100", "get -", "waiting 1", "tick 99", "get -", "tick 1", "get a"}},
      {"a key delayed twice keeps the earlier time",
       {"after a 100", "after a 50", "after a 500", "waiting 1", "tick 50", "get a"}},
      {"a delayed key already queued is not queued twice",
       {"add a", "after a 10", "tick 10", "len 1", "get a", "get -"}},
      {"a zero delay adds at once", {"after a 0", "get a"}},
      {"the rate limiter doubles the wait per failure from 5 ms",
       {"limited a", "tick 4", "get -", "tick 1", "get a", "done a", "limited a", "tick 9", "get -",
        "tick 1", "get a"}},
      {"forget starts the backoff over",
       {"limited a", "tick 5", "get a", "done a", "limited a", "tick 10", "get a", "done a",
        "forget a", "limited a", "tick 5", "get a"}},
      {"after shutdown nothing is handed out and adds are ignored",
       {"add a", "shutdown", "get -", "add b", "len 1", "get -"}},
      {"a server's delay (Retry-After) is a floor on the rate limiter's backoff, which goes on",
       {"limited a 7000", "tick 6999", "get -", "tick 1", "get a", "done a", "limited a", "tick 9",
        "get -", "tick 1", "get a"}},
  };
  for (const Row& row : rows) {
    INFO(row.sentence);
    play(row.steps);
  }
}

TEST_CASE("WorkQueue: urgent keys first, one sentence per script") {
  struct Row {
    const char* sentence;
    std::vector<std::string> steps;
  };
  const Row rows[] = {
      {"an urgent key is handed out before normal keys that went in earlier",
       {"add a", "add b", "add c urgent", "urgent 1", "len 3", "get c", "get a", "get b"}},
      {"urgent keys keep their order among themselves, and so do normal ones",
       {"add a urgent", "add b", "add c urgent", "add d", "get a", "get c", "get b", "get d"}},
      {"an urgent add of a key queued as normal moves it ahead, and it is still delivered once",
       {"add a", "add b", "add c", "add b urgent", "len 3", "urgent 1", "get b", "get a", "get c",
        "get -"}},
      {"an urgent add of a key already urgent keeps its place",
       {"add a urgent", "add b urgent", "add a urgent", "get a", "get b"}},
      {"a normal add does not lower a queued urgent key",
       {"add a", "add b urgent", "add b", "urgent 1", "get b", "get a"}},
      {"a key re-added as urgent while in progress is not handed out, then comes back urgent",
       {"add a", "add b", "get a", "add a urgent", "get b", "get -", "add c", "done a", "get a",
        "get c", "done a", "get -"}},
      {"the priority is dropped when the key is taken: a later plain add is normal",
       {"add a urgent", "get a", "done a", "add b", "add a", "get b", "get a"}},
      {"a rate-limited requeue keeps the priority the key was taken at",
       {"add a urgent", "get a", "limited a", "done a", "add b", "tick 5", "get a", "get b"}},
      {"a delayed requeue keeps the priority the key was taken at",
       {"add a urgent", "get a", "after a 100", "done a", "add b", "tick 100", "get a", "get b"}},
      {"a requeue takes the priority given",
       {"add a urgent", "get a", "after a 10 normal", "done a", "add b", "tick 10", "get b",
        "get a"}},
      {"a delayed normal key is normal when it comes due",
       {"add b", "after a 10", "tick 10", "get b", "get a"}},
      {"a key delayed twice keeps the earlier time and the higher priority",
       {"after a 10", "after a 50 urgent", "add b", "waiting 1", "tick 10", "get a", "get b",
        "tick 40", "get -"}},
      {"an urgent rate-limited add of an idle key is urgent",
       {"add b", "limited a urgent", "tick 5", "get a", "get b"}},
  };
  for (const Row& row : rows) {
    INFO(row.sentence);
    play(row.steps);
  }
}

TEST_CASE("WorkQueue: never two workers on one key, and no key is lost under contention") {
  runtime::WorkQueueOptions o;
  o.name = "contended";
  WorkQueue q(std::move(o));
  constexpr int kKeys = 8;
  std::mutex mu;
  std::condition_variable changed;
  std::set<std::string> inProgress;
  bool overlap = false;
  int processed = 0;
  // Per key: the number of the last add, and the last add a worker had seen when it took the
  // key. A key re-added while in progress must be taken again, so at rest the two are equal.
  std::map<std::string, int> lastAdded;
  std::map<std::string, int> seenWhenTaken;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        {
          std::lock_guard lk(mu);
          overlap = overlap || !inProgress.insert(key->name).second;
          seenWhenTaken[key->name] = lastAdded[key->name];
        }
        std::this_thread::yield();
        {
          std::lock_guard lk(mu);  // done() under mu: the waiter below cannot miss it
          inProgress.erase(key->name);
          ++processed;
          q.done(*key);
        }
        changed.notify_all();
      }
    });
  }
  int processedBefore = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string name = "k" + std::to_string(round % kKeys);
    {
      std::lock_guard lk(mu);
      lastAdded[name] = round + 1;
    }
    q.add({"ns", name});
    if (round % kKeys == kKeys - 1) {
      // Keep adding while the workers work (not all adds before the first take), so keys are
      // re-added while in progress.
      std::unique_lock lk(mu);
      if (!changed.wait_for(lk, std::chrono::seconds(30),
                            [&] { return processed > processedBefore; })) {
        FAIL_CHECK("the workers stopped taking keys at round " << round);
        break;
      }
      processedBefore = processed;
    }
  }
  // Everything added is eventually processed: every key's last add was seen by a worker that
  // took it afterwards (a lost key never gets there: the guard runs out and the test fails).
  {
    std::unique_lock lk(mu);
    bool settled = changed.wait_for(lk, std::chrono::seconds(30), [&] {
      if (q.len() > 0 || seenWhenTaken != lastAdded) {
        return false;
      }
      for (int k = 0; k < kKeys; ++k) {
        if (q.isProcessing({"ns", "k" + std::to_string(k)})) {
          return false;
        }
      }
      return true;
    });
    CHECK(settled);
  }
  q.shutDown();
  for (auto& t : workers) {
    t.join();
  }
  std::lock_guard lk(mu);
  CHECK_FALSE(overlap);
  CHECK(seenWhenTaken.size() == kKeys);
  CHECK(processed >= kKeys);
  CHECK(q.len() == 0);
}

TEST_CASE("WorkQueue: get() blocks until a delayed key is due on the queue's clock") {
  common::FakeClock clock;
  auto q = queueWith(clock);
  q->addAfter({"ns", "a"}, milliseconds(30));
  auto got = std::async(std::launch::async, [&] { return q->get(); });
  // get() is blocked on the clock (a get() that ignored the delay would have returned).
  REQUIRE(clock.awaitWaiters(1));
  clock.advance(milliseconds(29));
  CHECK(clock.waiters() == 1);  // not due yet: still waiting
  clock.advance(milliseconds(1));
  REQUIRE(got.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto key = got.get();
  REQUIRE(key);
  CHECK(key->name == "a");
}

TEST_CASE("WorkQueue: shutDown() wakes a get() that is blocked waiting for work") {
  common::FakeClock clock;
  auto q = queueWith(clock);
  q->addAfter({"ns", "later"}, std::chrono::hours(1));
  auto got = std::async(std::launch::async, [&] { return q->get(); });
  // A waiter is blocked before shutDown(): time never moves here, so only shutDown() can end it.
  REQUIRE(clock.awaitWaiters(1));
  CHECK(got.wait_for(milliseconds(0)) == std::future_status::timeout);
  q->shutDown();
  bool woke = got.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  CHECK(woke);
  if (!woke) {
    clock.advance(std::chrono::hours(1));  // let the stuck get() return so the test can end
  }
  CHECK_FALSE(got.get().has_value());
}

TEST_CASE("WorkQueue: workqueue metrics count adds, retries and depth with the queue's name") {
  common::FakeClock clock;
  runtime::Registry registry;
  auto q = queueWith(clock, &registry);
  q->add({"ns", "a"});
  q->add({"ns", "a"});  // deduplicated: not an add
  q->add({"ns", "b"});
  q->addRateLimited({"ns", "c"});
  std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("workqueue_adds_total{name=\"test\"} 2"));
  CHECK_THAT(text, Catch::Contains("workqueue_depth{name=\"test\"} 2"));
  CHECK_THAT(text, Catch::Contains("workqueue_retries_total{name=\"test\"} 1"));
  auto a = q->tryGet();
  clock.advance(std::chrono::seconds(3));
  text = registry.render();
  CHECK_THAT(text, Catch::Contains("workqueue_longest_running_processor_seconds{name=\"test\"} 3"));
  q->done(*a);
  CHECK_THAT(registry.render(),
             Catch::Contains("workqueue_work_duration_seconds_count{name=\"test\"} 1"));
}

TEST_CASE("WorkQueue: a worker that asks for urgent keys only is a lane normal keys never take") {
  common::FakeClock clock;
  auto q = queueWith(clock);
  q->add({"ns", "issue-a"});
  q->add({"ns", "issue-b"});
  CHECK_FALSE(q->tryGet(runtime::Priority::kUrgent).has_value());  // normal keys stay queued
  CHECK(q->len(runtime::Priority::kNormal) == 2);

  // An urgent-only get() waits while normal keys are ready, and a normal key added meanwhile
  // does not end its wait: only the urgent one does.
  auto lane = std::async(std::launch::async, [&] { return q->get(runtime::Priority::kUrgent); });
  REQUIRE(clock.awaitWaiters(1));
  q->add({"ns", "issue-c"});
  q->add({"ns", "revoke"}, runtime::Priority::kUrgent);
  REQUIRE(lane.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto key = lane.get();
  REQUIRE(key);
  CHECK(key->name == "revoke");

  auto next = q->get();  // an ordinary get() takes normal keys, oldest first
  REQUIRE(next);
  CHECK(next->name == "issue-a");
}
