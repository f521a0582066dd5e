// The operator's configuration: every flag, its environment variable (DBTOKEN_<FLAG>, flags
// win), its default, and the checks that turn a bad value into one clear line. Pure: parsing
// reads only the arguments and the environment it is given, so tests drive it with tables.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/status.h"
#include "influx/http_token_client.h"

namespace dbtoken::op {

struct ListenAddress {
  std::string host;  // "0.0.0.0" for ":8080"
  uint16_t port = 0;
  bool enabled = true;  // "0" turns the endpoint off
};

// The Lease of the default install; another --instance gets "<this>-<instance>".
inline constexpr const char* kDefaultLeaseName = "influxdb-token-operator";

struct Config {
  // Kubernetes
  std::string kubeconfig;
  std::string context;
  std::vector<std::string> namespaces;  // empty: every namespace
  // Client-side limit for a server without API Priority and Fairness. Set explicitly (flag or
  // environment), it holds even when the server does flow control.
  double qps = 20;
  int burst = 30;
  // One Kubernetes API request (a watch excepted): bounds how long a call holds a worker.
  std::chrono::milliseconds kubeApiTimeout{10000};
  bool kubeApiLimitsExplicit = false;
  // The Event recorder's own client budget (client-go's event broadcaster has its own too), so
  // Events never spend the one of the necessary writes. Like qps/burst it yields to the
  // server's flow control unless set (eventsLimitsExplicit): the recorder writes from one thread,
  // one request at a time, so it never floods a server that does its own fairness. Burst 25 is
  // the per-object spam filter's burst, so one object's worth of Events goes out at once; 5/s
  // (300 a minute) is far above what a healthy operator emits (one Event per external action)
  // and a quarter of the main client's default, so on a server without flow control Events add
  // at most a quarter to the load. A backlog (1,000 issues at once) waits in the recorder's
  // bounded queue and drains after the work is done.
  double eventsQps = 5;
  int eventsBurst = 25;
  bool eventsLimitsExplicit = false;

  // InfluxDB Management API
  std::string managementUrl;  // without the Dedicated account/cluster path
  influx::UrlShape shape = influx::UrlShape::kClustered;
  std::string accountId;
  std::string influxClusterId;
  std::string managementTokenFile;
  std::string caFile;
  bool allowInsecureHttp = false;
  std::chrono::milliseconds managementTimeout{10000};

  // Reconciling
  std::string clusterId;  // "": the kube-system namespace's UID
  std::string instance = "default";
  std::chrono::milliseconds resyncPeriod{10 * 60 * 1000};
  int maxConcurrentReconciles = 4;

  // Leader election
  bool leaderElect = false;
  std::string leaderElectionNamespace;  // "": the pod's namespace
  // "": influxdb-token-operator, or influxdb-token-operator-<instance> for another --instance,
  // so two installs in one namespace never share a Lease.
  std::string leaderElectionId;
  std::chrono::milliseconds leaseDuration{15000};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};

  // Endpoints, logs, shutdown
  ListenAddress metricsAddr{"0.0.0.0", 8080, true};
  ListenAddress probeAddr{"0.0.0.0", 8081, true};
  common::LogFormat logFormat = common::LogFormat::kJson;
  common::LogLevel logLevel = common::LogLevel::kInfo;
  std::chrono::milliseconds shutdownGrace{30000};

  bool showVersion = false;
  bool showHelp = false;
};

// Looks an environment variable up; nullopt when unset.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
Environment processEnvironment();

// Parses the arguments (argv without the program name) over the environment. InvalidArgument
// with one line naming the flag and the problem when anything is wrong.
common::Result<Config> parseConfig(const std::vector<std::string>& args, const Environment& env);

// The --help text.
std::string usage();

// "15s", "10m", "1h30m", "250ms" (Go's time.ParseDuration, without fractions below ms).
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);
// ":8080", "127.0.0.1:8080", "0" (off).
std::optional<ListenAddress> parseListenAddress(std::string_view text);

}  // namespace dbtoken::op
