// influxdb-token-operator: parses the configuration, sets up logging and signals, and runs the
// operator. Every failure to start is one line on stderr and a non-zero exit status.
#include <cstdio>
#include <iostream>

#include "common/clock.h"
#include "common/log.h"
#include "operator/app.h"
#include "operator/config.h"
#include "runtime/shutdown.h"

int main(int argc, char** argv) {
  using namespace dbtoken;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = op::parseConfig(args, op::processEnvironment());
  if (!config.ok()) {
    std::fprintf(stderr, "influxdb-token-operator: %s\n", config.status().message().c_str());
    return op::kExitBadConfig;
  }
  if (config->showHelp) {
    std::cout << op::usage();
    return op::kExitOk;
  }
  if (config->showVersion) {
    std::cout << op::versionString() << "\n";
    return op::kExitOk;
  }

  common::RealClock clock;
  auto redactor = std::make_shared<common::Redactor>();
  auto sink =
      std::make_shared<common::LogSink>(config->logLevel, config->logFormat, clock, redactor);
  common::Logger logger(sink);

  auto signals = runtime::ShutdownSignals::install();
  if (!signals.ok()) {
    std::fprintf(stderr, "influxdb-token-operator: %s\n", signals.status().message().c_str());
    return op::kExitFailure;
  }
  op::RunResult result = op::runOperator(*config, logger, redactor, (*signals)->token());
  if (result.exitStatus == op::kExitBadConfig) {
    // Nothing ran yet: one plain line, as for a bad flag.
    std::fprintf(stderr, "influxdb-token-operator: %s\n", redactor->scrub(result.error).c_str());
  } else if (result.exitStatus != op::kExitOk) {
    logger.error("exiting", {{"error", result.error}, {"exitStatus", result.exitStatus}});
  }
  return result.exitStatus;
}
