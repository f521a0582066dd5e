// The operator's Kubernetes clients as the configuration builds them: every row a sentence about
// what a user types and which limit each client then keeps.
#include <catch2/catch.hpp>

#include "operator/app.h"

namespace dbtoken::op {
namespace {

common::Result<Config> parseArgs(std::vector<std::string> args) {
  args.insert(args.begin(), {"--management-url", "https://influx.example/api/v0",
                             "--management-token-file", "/var/run/token"});
  return parseConfig(args, [](const std::string&) { return std::nullopt; });
}

}  // namespace

TEST_CASE("Operator clients: the Event recorder has a budget of its own, apart from the work's") {
  struct Row {
    const char* sentence;
    std::vector<std::string> args;
    double mainQps;
    int mainBurst;
    bool mainExplicit;
    double eventQps;
    int eventBurst;
    bool eventExplicit = false;
  };
  const Row rows[] = {
      {"by default both limits yield to the server's flow control", {}, 20, 30, false, 5, 25},
      {"--kube-api-qps set on purpose holds under flow control and leaves Events alone",
       {"--kube-api-qps", "50"},
       50,
       30,
       true,
       5,
       25},
      {"--kube-api-burst alone is explicit too", {"--kube-api-burst", "60"}, 20, 60, true, 5, 25},
      {"--events-qps and --events-burst change only the Events' client",
       {"--events-qps", "2.5", "--events-burst", "10"},
       20,
       30,
       false,
       2.5,
       10,
       true},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    auto c = parseArgs(row.args);
    REQUIRE(c.ok());
    kube::RestOptions base;
    base.userAgent = "ua";
    kube::RestOptions main = kubeClientOptions(*c, base);
    kube::RestOptions events = eventClientOptions(*c, base);
    CHECK(main.qps == row.mainQps);
    CHECK(main.burst == row.mainBurst);
    CHECK(main.limitsExplicit == row.mainExplicit);
    CHECK(events.qps == row.eventQps);
    CHECK(events.burst == row.eventBurst);
    CHECK(events.limitsExplicit == row.eventExplicit);
    CHECK(events.userAgent == "ua");
  }
}

TEST_CASE("Operator clients: a bad Events budget is refused with one line naming the flag") {
  CHECK(parseArgs({"--events-qps", "0"}).status().message().rfind("--events-qps:", 0) == 0);
  CHECK(parseArgs({"--events-burst", "0"}).status().message().rfind("--events-burst:", 0) == 0);
  CHECK(parseArgs({"--kube-api-qps", "fast"}).status().message().rfind("--kube-api-qps:", 0) == 0);
}

}  // namespace dbtoken::op
