// The operator's flags and environment: every row a sentence about what a user types and what
// the operator makes of it.
#include <catch2/catch.hpp>

#include <map>

#include "operator/config.h"

namespace dbtoken::op {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kRequired = {"--management-url", "https://influx.example/api/v0",
                                            "--management-token-file", "/var/run/token"};

Environment envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

common::Result<Config> parse(std::vector<std::string> args,
                             std::map<std::string, std::string> env = {},
                             bool withRequired = true) {
  if (withRequired) {
    args.insert(args.begin(), kRequired.begin(), kRequired.end());
  }
  return parseConfig(args, envOf(std::move(env)));
}

TEST_CASE("Defaults are those of the manifests and controller-runtime") {
  auto c = parse({});
  REQUIRE(c.ok());
  CHECK(c->namespaces.empty());
  CHECK(c->qps == 20);
  CHECK(c->burst == 30);
  CHECK_FALSE(c->kubeApiLimitsExplicit);  // the server's flow control may lift them
  CHECK(c->eventsQps == 5);
  CHECK(c->eventsBurst == 25);
  CHECK(c->shape == influx::UrlShape::kClustered);
  CHECK(c->managementTimeout == 10s);
  CHECK(c->kubeApiTimeout == 10s);
  CHECK(c->resyncPeriod == 10min);
  CHECK(c->maxConcurrentReconciles == 4);
  CHECK_FALSE(c->leaderElect);
  CHECK(c->leaderElectionId == "influxdb-token-operator");
  CHECK(c->instance == "default");
  CHECK(c->leaseDuration == 15s);
  CHECK(c->renewDeadline == 10s);
  CHECK(c->retryPeriod == 2s);
  CHECK(c->metricsAddr.port == 8080);
  CHECK(c->probeAddr.port == 8081);
  CHECK(c->logFormat == common::LogFormat::kJson);
  CHECK(c->logLevel == common::LogLevel::kInfo);
}

TEST_CASE("An install named with --instance gets a Lease of its own unless one is named") {
  auto named = parse({"--instance", "teamb"});
  REQUIRE(named.ok());
  CHECK(named->instance == "teamb");
  CHECK(named->leaderElectionId == "influxdb-token-operator-teamb");
  auto both = parse({"--instance", "teamb", "--leader-election-id", "my-lease"});
  REQUIRE(both.ok());
  CHECK(both->leaderElectionId == "my-lease");
  auto env = parse({}, {{"DBTOKEN_INSTANCE", "blue"}});
  REQUIRE(env.ok());
  CHECK(env->instance == "blue");
  auto bad = parse({"--instance", "Team_B"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("--instance") != std::string::npos);
}

TEST_CASE("Flags set what they name, in both spellings") {
  struct Row {
    const char* sentence;
    std::vector<std::string> args;
    std::function<bool(const Config&)> holds;
  };
  const std::vector<Row> rows = {
      {"--namespace takes a comma-separated list",
       {"--namespace", "a,b , c"},
       [](const Config& c) {
         return c.namespaces == std::vector<std::string>{"a", "b", "c"};
       }},
      {"--flag=value works like --flag value",
       {"--resync-period=90s"},
       [](const Config& c) { return c.resyncPeriod == 90s; }},
      {"a boolean flag alone means true",
       {"--leader-elect"},
       [](const Config& c) { return c.leaderElect; }},
      {"a boolean flag takes =false",
       {"--leader-elect=false"},
       [](const Config& c) { return !c.leaderElect; }},
      {"durations read as Go writes them",
       {"--management-timeout", "1m30s"},
       [](const Config& c) { return c.managementTimeout == 90s; }},
      {"the Kubernetes API timeout is a flag",
       {"--kube-api-timeout", "5s"},
       [](const Config& c) { return c.kubeApiTimeout == 5s; }},
      {"milliseconds are durations too",
       {"--leader-election-retry-period", "500ms"},
       [](const Config& c) { return c.retryPeriod == 500ms; }},
      {"--metrics-addr 0 turns metrics off",
       {"--metrics-addr", "0"},
       [](const Config& c) { return !c.metricsAddr.enabled; }},
      {"a listen address may name its host",
       {"--probe-addr", "127.0.0.1:9000"},
       [](const Config& c) { return c.probeAddr.host == "127.0.0.1" && c.probeAddr.port == 9000; }},
      {"an address without a host listens everywhere",
       {"--metrics-addr", ":9100"},
       [](const Config& c) {
         return c.metricsAddr.host == "0.0.0.0" && c.metricsAddr.port == 9100;
       }},
      {"text logs and a debug level",
       {"--log-format", "text", "--log-level", "debug"},
       [](const Config& c) {
         return c.logFormat == common::LogFormat::kText && c.logLevel == common::LogLevel::kDebug;
       }},
      {"a later flag wins over an earlier one",
       {"--max-concurrent-reconciles", "2", "--max-concurrent-reconciles", "8"},
       [](const Config& c) { return c.maxConcurrentReconciles == 8; }},
      {"--cluster-id names this cluster in the marker",
       {"--cluster-id", "prod-eu-1"},
       [](const Config& c) { return c.clusterId == "prod-eu-1"; }},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    auto c = parse(row.args);
    REQUIRE(c.ok());
    CHECK(row.holds(*c));
  }
}

TEST_CASE("A Cloud Dedicated URL is split into its base and ids") {
  auto c = parse(
      {"--management-url", "https://console.influxdata.com/api/v0/accounts/acc-1/clusters/clu-2/"},
      {}, false);
  // The token file is still required.
  CHECK_FALSE(c.ok());
  c = parse(
      {"--management-url", "https://console.influxdata.com/api/v0/accounts/acc-1/clusters/clu-2",
       "--management-token-file", "/t"},
      {}, false);
  REQUIRE(c.ok());
  CHECK(c->managementUrl == "https://console.influxdata.com/api/v0");
  CHECK(c->accountId == "acc-1");
  CHECK(c->influxClusterId == "clu-2");
  CHECK(c->shape == influx::UrlShape::kDedicated);

  INFO("the same ids given as flags agree; other ids are an error");
  CHECK(parse({"--management-url", "https://h/api/v0/accounts/a/clusters/c",
               "--management-token-file", "/t", "--account-id", "a", "--influx-cluster-id", "c"},
              {}, false)
            .ok());
  auto clash = parse({"--management-url", "https://h/api/v0/accounts/a/clusters/c",
                      "--management-token-file", "/t", "--account-id", "other"},
                     {}, false);
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.status().message().rfind("--management-url:", 0) == 0);

  INFO("the ids as flags over a plain base URL make it Cloud Dedicated");
  c = parse({"--account-id", "a", "--influx-cluster-id", "c"});
  REQUIRE(c.ok());
  CHECK(c->shape == influx::UrlShape::kDedicated);
}

TEST_CASE("The environment sets every flag as DBTOKEN_<FLAG>, and a flag wins") {
  auto c = parse({"--log-level", "warn"}, {{"DBTOKEN_RESYNC_PERIOD", "5m"},
                                           {"DBTOKEN_LOG_LEVEL", "debug"},
                                           {"DBTOKEN_NAMESPACE", "team-a"},
                                           {"DBTOKEN_LEADER_ELECT", "true"}});
  REQUIRE(c.ok());
  CHECK(c->resyncPeriod == 5min);
  CHECK(c->logLevel == common::LogLevel::kWarn);
  CHECK(c->namespaces == std::vector<std::string>{"team-a"});
  CHECK(c->leaderElect);

  auto fromEnv = parse(
      {}, {{"DBTOKEN_MANAGEMENT_URL", "https://x/api/v0"}, {"DBTOKEN_MANAGEMENT_TOKEN_FILE", "/t"}},
      false);
  REQUIRE(fromEnv.ok());
  CHECK(fromEnv->managementUrl == "https://x/api/v0");
}

TEST_CASE("A mistake is one line that names the flag") {
  struct Row {
    const char* sentence;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    bool withRequired;
    const char* startsWith;
  };
  const std::vector<Row> rows = {
      {"the management URL is required",
       {"--management-token-file", "/t"},
       {},
       false,
       "--management-url: is required"},
      {"the management token file is required",
       {"--management-url", "https://h/api/v0"},
       {},
       false,
       "--management-token-file: is required"},
      {"an unknown flag is named",
       {"--managment-url", "x"},
       {},
       true,
       "unknown flag --managment-url"},
      {"a flag without its value", {"--namespace"}, {}, true, "--namespace: needs a value"},
      {"a stray argument", {"run"}, {}, true, "unexpected argument \"run\""},
      {"a duration without a unit", {"--resync-period", "10"}, {}, true, "--resync-period:"},
      {"a negative-looking duration", {"--resync-period", "-1s"}, {}, true, "--resync-period:"},
      {"a namespace that is no DNS label", {"--namespace", "a,B_c"}, {}, true, "--namespace:"},
      {"a port out of range", {"--metrics-addr", ":70000"}, {}, true, "--metrics-addr:"},
      {"an address without a port", {"--probe-addr", "localhost"}, {}, true, "--probe-addr:"},
      {"metrics and probes on one port",
       {"--metrics-addr", ":9000", "--probe-addr", ":9000"},
       {},
       true,
       "--probe-addr: must differ"},
      {"zero workers",
       {"--max-concurrent-reconciles", "0"},
       {},
       true,
       "--max-concurrent-reconciles:"},
      {"a negative QPS", {"--kube-api-qps", "-5"}, {}, true, "--kube-api-qps:"},
      {"an unknown log format", {"--log-format", "yaml"}, {}, true, "--log-format:"},
      {"a renew deadline as long as the lease",
       {"--leader-election-renew-deadline", "15s"},
       {},
       true,
       "--leader-election-renew-deadline:"},
      {"a retry period as long as the renew deadline",
       {"--leader-election-retry-period", "10s"},
       {},
       true,
       "--leader-election-retry-period:"},
      {"half the Cloud Dedicated ids", {"--account-id", "a"}, {}, true, "--influx-cluster-id:"},
      {"a cluster id with a space", {"--cluster-id", "prod eu"}, {}, true, "--cluster-id:"},
      {"a bad value in the environment names the variable",
       {},
       {{"DBTOKEN_LOG_LEVEL", "loud"}},
       true,
       "DBTOKEN_LOG_LEVEL (--log-level:"},
  };
  for (const auto& row : rows) {
    INFO(row.sentence);
    auto c = parse(row.args, row.env, row.withRequired);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == common::Code::kInvalidArgument);
    CHECK_THAT(c.status().message(), Catch::StartsWith(row.startsWith));
    CHECK(c.status().message().find('\n') == std::string::npos);
  }
}

TEST_CASE("--help and --version need nothing else") {
  auto help = parse({"--help"}, {}, false);
  REQUIRE(help.ok());
  CHECK(help->showHelp);
  auto h = parse({"-h"}, {}, false);
  REQUIRE(h.ok());
  CHECK(h->showHelp);
  auto version = parse({"--version"}, {}, false);
  REQUIRE(version.ok());
  CHECK(version->showVersion);
}

TEST_CASE("The help text lists every flag with its default") {
  std::string text = usage();
  for (const char* flag :
       {"--kubeconfig", "--namespace", "--management-url", "--management-token-file", "--ca-file",
        "--resync-period", "--leader-elect", "--metrics-addr", "--probe-addr", "--log-format",
        "--shutdown-grace", "--cluster-id"}) {
    INFO(flag);
    CHECK(text.find(std::string("  ") + flag) != std::string::npos);
  }
  CHECK(text.find("DBTOKEN_") != std::string::npos);
}

TEST_CASE("Durations read like Go's, and nonsense is refused") {
  CHECK(parseDuration("0") == 0ms);
  CHECK(parseDuration("250ms") == 250ms);
  CHECK(parseDuration("1h30m") == 90min);
  CHECK(parseDuration("2h0m5s") == 2h + 5s);
  for (const char* bad : {"", "5", "s", "1.5s", "10x", "-1s", "1s-", "9999999999999s", "400d"}) {
    INFO(bad);
    CHECK_FALSE(parseDuration(bad).has_value());
  }
}

}  // namespace
}  // namespace dbtoken::op
