#include "operator/config.h"

#include <cstdlib>
#include <regex>

namespace dbtoken::op {

using common::Code;
using common::Result;
using common::Status;

namespace {

struct Flag {
  const char* name;   // without "--"
  const char* value;  // "" for a boolean flag
  const char* help;
  std::function<Status(Config&, const std::string&)> set;
};

Status bad(const std::string& flag, const std::string& problem) {
  return Status(Code::kInvalidArgument, "--" + flag + ": " + problem);
}

std::string envName(const std::string& flag) {
  std::string out = "DBTOKEN_";
  for (char ch : flag) {
    out += ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return out;
}

Status setBool(bool& out, const std::string& flag, const std::string& v) {
  if (v == "true" || v == "1" || v.empty()) {
    out = true;
  } else if (v == "false" || v == "0") {
    out = false;
  } else {
    return bad(flag, "want true or false, got \"" + v + "\"");
  }
  return Status::ok();
}

Status setDuration(std::chrono::milliseconds& out, const std::string& flag, const std::string& v) {
  auto d = parseDuration(v);
  if (!d || d->count() <= 0) {
    return bad(flag, "want a positive duration such as 30s, 10m or 1h, got \"" + v + "\"");
  }
  out = *d;
  return Status::ok();
}

Status setInt(int& out, const std::string& flag, const std::string& v, int min, int max) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < min || n > max) {
    return bad(flag, "want a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max) + ", got \"" + v + "\"");
  }
  out = static_cast<int>(n);
  return Status::ok();
}

Status setRate(double& out, const std::string& flag, const std::string& v) {
  char* end = nullptr;
  double q = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(q > 0) || q > 100000) {
    return bad(flag, "want a positive number, got \"" + v + "\"");
  }
  out = q;
  return Status::ok();
}

Status setAddress(ListenAddress& out, const std::string& flag, const std::string& v) {
  auto a = parseListenAddress(v);
  if (!a) {
    return bad(flag, "want [host]:port (e.g. :8080) or 0 to turn it off, got \"" + v + "\"");
  }
  out = *a;
  return Status::ok();
}

std::vector<std::string> splitList(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string item =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    // "a, b" as a Helm template or a person writes it: blanks around an item don't count.
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) {
      out.push_back(item);
    }
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

bool isDns1123Label(const std::string& s) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

std::vector<Flag> flags() {
  return {
      {"kubeconfig", "path",
       "kubeconfig file (default: $KUBECONFIG, then the in-cluster service account, then "
       "~/.kube/config)",
       [](Config& c, const std::string& v) {
         c.kubeconfig = v;
         return Status::ok();
       }},
      {"context", "name", "kubeconfig context (default: its current-context)",
       [](Config& c, const std::string& v) {
         c.context = v;
         return Status::ok();
       }},
      {"namespace", "ns[,ns...]", "namespaces to watch (default: all)",
       [](Config& c, const std::string& v) {
         c.namespaces = splitList(v);
         for (const auto& ns : c.namespaces) {
           if (!isDns1123Label(ns)) {
             return bad("namespace", "\"" + ns + "\" is not a namespace name");
           }
         }
         return Status::ok();
       }},
      {"kube-api-qps", "n",
       "client-side request rate to the Kubernetes API (default 20, and only until the server "
       "shows API Priority and Fairness; set, it always applies)",
       [](Config& c, const std::string& v) {
         c.kubeApiLimitsExplicit = true;
         return setRate(c.qps, "kube-api-qps", v);
       }},
      {"kube-api-burst", "n",
       "client-side burst to the Kubernetes API (default 30; set, it always applies like "
       "--kube-api-qps)",
       [](Config& c, const std::string& v) {
         c.kubeApiLimitsExplicit = true;
         return setInt(c.burst, "kube-api-burst", v, 1, 100000);
       }},
      {"events-qps", "n",
       "request rate of the Event recorder's own Kubernetes client (default 5, and like "
       "--kube-api-qps only until the server shows API Priority and Fairness; set, it always "
       "applies); Events beyond it wait in a bounded queue, then are dropped and counted",
       [](Config& c, const std::string& v) {
         c.eventsLimitsExplicit = true;
         return setRate(c.eventsQps, "events-qps", v);
       }},
      {"events-burst", "n", "burst of the Event recorder's own Kubernetes client (default 25)",
       [](Config& c, const std::string& v) {
         c.eventsLimitsExplicit = true;
         return setInt(c.eventsBurst, "events-burst", v, 1, 100000);
       }},
      {"management-url", "url",
       "InfluxDB Management API: https://<host>/api/v0 (Clustered) or "
       "https://<host>/api/v0/accounts/<id>/clusters/<id> (Cloud Dedicated); required",
       [](Config& c, const std::string& v) {
         c.managementUrl = v;
         return Status::ok();
       }},
      {"account-id", "uuid", "Cloud Dedicated account id (with --influx-cluster-id)",
       [](Config& c, const std::string& v) {
         c.accountId = v;
         return Status::ok();
       }},
      {"influx-cluster-id", "uuid", "Cloud Dedicated cluster id (with --account-id)",
       [](Config& c, const std::string& v) {
         c.influxClusterId = v;
         return Status::ok();
       }},
      {"management-token-file", "path",
       "file holding the management token (re-read when it changes); required",
       [](Config& c, const std::string& v) {
         c.managementTokenFile = v;
         return Status::ok();
       }},
      {"ca-file", "path", "PEM CA bundle for the Management API (default: the system's)",
       [](Config& c, const std::string& v) {
         c.caFile = v;
         return Status::ok();
       }},
      {"allow-insecure-http", "", "accept a plain http:// management URL (tests only)",
       [](Config& c, const std::string& v) {
         return setBool(c.allowInsecureHttp, "allow-insecure-http", v);
       }},
      {"management-timeout", "duration",
       "the longest one Management API call may take, an immediate resend on a new connection "
       "included; retries go through the work queue (default 10s)",
       [](Config& c, const std::string& v) {
         return setDuration(c.managementTimeout, "management-timeout", v);
       }},
      {"kube-api-timeout", "duration",
       "timeout of one Kubernetes API request, watches excepted (default 10s)",
       [](Config& c, const std::string& v) {
         return setDuration(c.kubeApiTimeout, "kube-api-timeout", v);
       }},
      {"cluster-id", "id",
       "names this Kubernetes cluster in the ownership marker (default: the kube-system "
       "namespace's UID)",
       [](Config& c, const std::string& v) {
         static const std::regex re("[A-Za-z0-9._-]{1,128}");
         if (!std::regex_match(v, re)) {
           return bad("cluster-id", "want 1-128 letters, digits, '.', '_' or '-'");
         }
         c.clusterId = v;
         return Status::ok();
       }},
      {"instance", "name",
       "names this install in the ownership marker and the resources it takes on, so installs "
       "over the same namespaces never judge each other's tokens (default \"default\"; the Helm "
       "chart passes its release name)",
       [](Config& c, const std::string& v) {
         if (!isDns1123Label(v)) {
           return bad("instance",
                      "want a DNS-1123 label (lower case letters, digits, '-'), got \"" + v + "\"");
         }
         c.instance = v;
         return Status::ok();
       }},
      {"resync-period", "duration",
       "how often the token inventory is listed to find drift and orphans (default 10m)",
       [](Config& c, const std::string& v) {
         return setDuration(c.resyncPeriod, "resync-period", v);
       }},
      {"max-concurrent-reconciles", "n", "DatabaseTokens reconciled at once (default 4)",
       [](Config& c, const std::string& v) {
         return setInt(c.maxConcurrentReconciles, "max-concurrent-reconciles", v, 1, 256);
       }},
      {"leader-elect", "", "elect a leader through a Lease; only the leader reconciles",
       [](Config& c, const std::string& v) { return setBool(c.leaderElect, "leader-elect", v); }},
      {"leader-election-namespace", "ns", "namespace of the Lease (default: the pod's)",
       [](Config& c, const std::string& v) {
         if (!isDns1123Label(v)) {
           return bad("leader-election-namespace", "\"" + v + "\" is not a namespace name");
         }
         c.leaderElectionNamespace = v;
         return Status::ok();
       }},
      {"leader-election-id", "name",
       "name of the Lease (default influxdb-token-operator, or influxdb-token-operator-<instance> "
       "with another --instance)",
       [](Config& c, const std::string& v) {
         if (v.empty() || v.size() > 253) {
           return bad("leader-election-id", "want a Lease name");
         }
         c.leaderElectionId = v;
         return Status::ok();
       }},
      {"leader-election-lease-duration", "duration", "default 15s",
       [](Config& c, const std::string& v) {
         return setDuration(c.leaseDuration, "leader-election-lease-duration", v);
       }},
      {"leader-election-renew-deadline", "duration", "default 10s",
       [](Config& c, const std::string& v) {
         return setDuration(c.renewDeadline, "leader-election-renew-deadline", v);
       }},
      {"leader-election-retry-period", "duration", "default 2s",
       [](Config& c, const std::string& v) {
         return setDuration(c.retryPeriod, "leader-election-retry-period", v);
       }},
      {"metrics-addr", "addr", "where /metrics is served (default :8080; 0: off)",
       [](Config& c, const std::string& v) {
         return setAddress(c.metricsAddr, "metrics-addr", v);
       }},
      {"probe-addr", "addr", "where /healthz and /readyz are served (default :8081; 0: off)",
       [](Config& c, const std::string& v) { return setAddress(c.probeAddr, "probe-addr", v); }},
      {"log-format", "json|text", "default json",
       [](Config& c, const std::string& v) {
         if (!common::parseLogFormat(v, c.logFormat)) {
           return bad("log-format", "want json or text, got \"" + v + "\"");
         }
         return Status::ok();
       }},
      {"log-level", "debug|info|warn|error", "default info",
       [](Config& c, const std::string& v) {
         if (!common::parseLogLevel(v, c.logLevel)) {
           return bad("log-level", "want debug, info, warn or error, got \"" + v + "\"");
         }
         return Status::ok();
       }},
      {"shutdown-grace", "duration", "how long reconciles in flight may finish (default 30s)",
       [](Config& c, const std::string& v) {
         return setDuration(c.shutdownGrace, "shutdown-grace", v);
       }},
      {"version", "", "print the version and exit",
       [](Config& c, const std::string& v) { return setBool(c.showVersion, "version", v); }},
      {"help", "", "print this help and exit",
       [](Config& c, const std::string& v) { return setBool(c.showHelp, "help", v); }},
  };
}

// Splits a Dedicated URL into its base and ids; a Clustered URL is left alone.
Status normalizeManagementUrl(Config& c) {
  static const std::regex dedicated("^(.*?/api/v0)/accounts/([^/]+)/clusters/([^/]+)/?$");
  std::smatch m;
  if (std::regex_match(c.managementUrl, m, dedicated)) {
    if ((!c.accountId.empty() && c.accountId != m[2].str()) ||
        (!c.influxClusterId.empty() && c.influxClusterId != m[3].str())) {
      return bad("management-url",
                 "names another account or cluster than --account-id/--influx-cluster-id");
    }
    c.accountId = m[2].str();
    c.influxClusterId = m[3].str();
    c.managementUrl = m[1].str();
  }
  if (c.accountId.empty() != c.influxClusterId.empty()) {
    return bad(c.accountId.empty() ? "account-id" : "influx-cluster-id",
               "Cloud Dedicated needs both --account-id and --influx-cluster-id");
  }
  c.shape = c.accountId.empty() ? influx::UrlShape::kClustered : influx::UrlShape::kDedicated;
  return Status::ok();
}

}  // namespace

Environment processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) {
      return std::nullopt;
    }
    return std::string(v);
  };
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  if (text == "0") {
    return std::chrono::milliseconds(0);
  }
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    if (i == start || i - start > 12) {
      return std::nullopt;
    }
    long long n = std::stoll(std::string(text.substr(start, i - start)));
    size_t unitStart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::string_view unit = text.substr(unitStart, i - unitStart);
    long long ms = 0;
    if (unit == "ms") {
      ms = 1;
    } else if (unit == "s") {
      ms = 1000;
    } else if (unit == "m") {
      ms = 60 * 1000;
    } else if (unit == "h") {
      ms = 60 * 60 * 1000;
    } else {
      return std::nullopt;
    }
    total += n * ms;
    if (total > 366LL * 24 * 60 * 60 * 1000) {
      return std::nullopt;  // more than a year: a typo
    }
  }
  return std::chrono::milliseconds(total);
}

std::optional<ListenAddress> parseListenAddress(std::string_view text) {
  if (text == "0") {
    return ListenAddress{"", 0, false};
  }
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  std::string port(text.substr(colon + 1));
  if (host.empty()) {
    host = "0.0.0.0";
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
    return std::nullopt;
  }
  return ListenAddress{host, static_cast<uint16_t>(p), true};
}

Result<Config> parseConfig(const std::vector<std::string>& args, const Environment& env) {
  Config c;
  const std::vector<Flag> all = flags();
  auto find = [&](const std::string& name) -> const Flag* {
    for (const auto& f : all) {
      if (name == f.name) {
        return &f;
      }
    }
    return nullptr;
  };
  // The environment first, so flags win.
  for (const auto& f : all) {
    if (std::string(f.name) == "version" || std::string(f.name) == "help") {
      continue;
    }
    if (auto v = env(envName(f.name))) {
      if (Status s = f.set(c, *v); !s.isOk()) {
        return Status(Code::kInvalidArgument, envName(f.name) + " (" + s.message() + ")");
      }
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 && !(arg.size() > 1 && arg[0] == '-')) {
      return Status(Code::kInvalidArgument, "unexpected argument \"" + arg + "\"");
    }
    std::string body = arg.substr(arg.rfind("--", 0) == 0 ? 2 : 1);
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    if (body == "h") {
      body = "help";
    }
    const Flag* f = find(body);
    if (f == nullptr) {
      return Status(Code::kInvalidArgument,
                    "unknown flag --" + body + " (see --help for the flags there are)");
    }
    if (!value) {
      if (std::string(f->value).empty()) {
        value = "";  // a boolean flag alone means true
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return bad(body, "needs a value (" + std::string(f->value) + ")");
      }
    }
    if (Status s = f->set(c, *value); !s.isOk()) {
      return s;
    }
  }
  if (c.showHelp || c.showVersion) {
    return c;
  }

  if (c.managementUrl.empty()) {
    return bad("management-url", "is required (e.g. https://influxdb.example.com/api/v0)");
  }
  if (Status s = normalizeManagementUrl(c); !s.isOk()) {
    return s;
  }
  if (c.managementTokenFile.empty()) {
    return bad("management-token-file", "is required (a file holding the management token)");
  }
  if (c.renewDeadline >= c.leaseDuration) {
    return bad("leader-election-renew-deadline", "must be shorter than the lease duration");
  }
  if (c.retryPeriod >= c.renewDeadline) {
    return bad("leader-election-retry-period", "must be shorter than the renew deadline");
  }
  if (c.metricsAddr.enabled && c.probeAddr.enabled && c.metricsAddr.port == c.probeAddr.port &&
      c.metricsAddr.host == c.probeAddr.host) {
    return bad("probe-addr", "must differ from --metrics-addr");
  }
  if (c.leaderElectionId.empty()) {
    c.leaderElectionId = c.instance == "default"
                             ? std::string(kDefaultLeaseName)
                             : std::string(kDefaultLeaseName) + "-" + c.instance;
  }
  return c;
}

std::string usage() {
  std::string out =
      "Usage: influxdb-token-operator [flags]\n\n"
      "Manages InfluxDB 3 database tokens declared as DatabaseToken resources.\n"
      "Every flag can also be set through the environment as DBTOKEN_<FLAG> (e.g.\n"
      "DBTOKEN_MANAGEMENT_URL); a flag on the command line wins.\n\nFlags:\n";
  for (const auto& f : flags()) {
    std::string left = "  --" + std::string(f.name);
    if (std::string(f.value).size() > 0) {
      left += " " + std::string(f.value);
    }
    if (left.size() < 40) {
      left.resize(40, ' ');
    } else {
      left += "\n" + std::string(40, ' ');
    }
    out += left + f.help + "\n";
  }
  return out;
}

}  // namespace dbtoken::op
