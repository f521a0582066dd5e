// influxdb-token-operator: parses the configuration, sets up logging and signals, and runs the
// operator. Every failure to start is one line on stderr and a non-zero exit status.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "common/clock.h"
#include "common/log.h"
#include "http/server.h"
#include "operator/app.h"
#include "operator/config.h"
#include "runtime/shutdown.h"

namespace {

// Memory (issue 9, tests/bench/run_operator_bench.sh --memory): glibc gives each thread that
// allocates an arena of its own (up to 8 per core) and keeps what was freed in each, so the
// short allocations of many threads stayed resident after a burst. Two arenas: RSS with 1,000
// resources 62.5 -> 57.6 MiB, CPU for the burst no worse. MALLOC_ARENA_MAX still overrides.
constexpr int kMallocArenas = 2;
// cpprestsdk's shared pool starts 40 threads. Its threads only drive asio and run continuations
// that never block (callers wait on their own threads), so a few suffice.
constexpr int kHttpThreads = 4;

}  // namespace

int main(int argc, char** argv) {
  using namespace dbtoken;
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, kMallocArenas);
  }
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

  http::initializeThreadPool(kHttpThreads);
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
