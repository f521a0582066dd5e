#include <catch2/catch.hpp>

#include "common/backoff.h"
#include "common/sleeper.h"

using namespace dbtoken::common;
using std::chrono::milliseconds;

namespace {
Backoff::Random constant(double r) {
  return [r] { return r; };
}
std::vector<long long> firstDelays(Backoff& b, int n) {
  std::vector<long long> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(b.next().count());
  }
  return out;
}
}  // namespace

TEST_CASE("Backoff: delays follow the policy") {
  struct Row {
    const char* sentence;
    BackoffPolicy policy;
    double random;
    std::vector<long long> expected;
  };
  const std::vector<Row> rows = {
      {"without jitter each delay doubles until it reaches the maximum",
       {milliseconds(100), milliseconds(1000), 2.0, 0.0},
       0.7,
       {100, 200, 400, 800, 1000, 1000}},
      {"a factor of three grows faster",
       {milliseconds(10), milliseconds(10000), 3.0, 0.0},
       0.0,
       {10, 30, 90, 270, 810}},
      {"the lowest random draw shortens every delay by the jitter fraction",
       {milliseconds(100), milliseconds(10000), 2.0, 0.5},
       0.0,
       {50, 100, 200, 400}},
      {"the highest random draw lengthens a delay but never past the maximum",
       {milliseconds(100), milliseconds(300), 2.0, 0.5},
       1.0,
       {150, 300, 300, 300}},
      {"a factor below one is treated as one: the delay stays constant",
       {milliseconds(40), milliseconds(1000), 0.5, 0.0},
       0.5,
       {40, 40, 40}},
      {"a maximum below the initial delay is raised to it",
       {milliseconds(500), milliseconds(100), 2.0, 0.0},
       0.5,
       {500, 500}},
  };
  for (const auto& row : rows) {
    SECTION(row.sentence) {
      Backoff b(row.policy, constant(row.random));
      CHECK(firstDelays(b, static_cast<int>(row.expected.size())) == row.expected);
    }
  }
}

TEST_CASE("Backoff: reset starts again from the initial delay") {
  Backoff b({milliseconds(5), milliseconds(1000), 2.0, 0.0});
  firstDelays(b, 4);
  CHECK(b.steps() == 4);
  CHECK(b.peekBase() == milliseconds(80));
  b.reset();
  CHECK(b.steps() == 0);
  CHECK(b.next() == milliseconds(5));
}

TEST_CASE("Backoff: with the default randomness every delay stays inside the jitter band") {
  Backoff b({milliseconds(1000), milliseconds(1000), 2.0, 0.2});
  for (int i = 0; i < 200; ++i) {
    auto d = b.next().count();
    CHECK(d >= 800);
    CHECK(d <= 1000);
  }
}

TEST_CASE("RecordingSleeper: records each wait and moves a fake clock instead of blocking") {
  FakeClock clock;
  auto before = clock.now();
  RecordingSleeper sleeper(&clock);
  sleeper.sleepFor(milliseconds(250));
  sleeper.sleepFor(milliseconds(750));
  CHECK(sleeper.waits() == std::vector<milliseconds>{milliseconds(250), milliseconds(750)});
  CHECK(sleeper.total() == milliseconds(1000));
  CHECK(clock.now() - before == milliseconds(1000));
}
