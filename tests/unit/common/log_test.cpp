#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/log.h"

using namespace dbtoken::common;

namespace {
struct LogFixture {
  FakeClock clock;
  CapturedLines captured;
  std::shared_ptr<Redactor> redactor = std::make_shared<Redactor>();
  Logger make(LogLevel level, LogFormat format) {
    return Logger(std::make_shared<LogSink>(level, format, clock, redactor, captured.writer()));
  }
};
}  // namespace

TEST_CASE("Logger: JSON lines carry time, level, logger name, message and fields") {
  LogFixture f;
  Logger log = f.make(LogLevel::kInfo, LogFormat::kJson).named("controller").with({{"ns", "a"}});
  log.info("reconciled", {{"name", "x"}, {"attempt", 2}});
  auto lines = f.captured.lines();
  REQUIRE(lines.size() == 1);
  auto j = nlohmann::json::parse(lines[0]);
  CHECK(j["ts"] == "2030-01-01T00:00:00.000Z");
  CHECK(j["level"] == "info");
  CHECK(j["logger"] == "controller");
  CHECK(j["msg"] == "reconciled");
  CHECK(j["ns"] == "a");
  CHECK(j["name"] == "x");
  CHECK(j["attempt"] == 2);
}

TEST_CASE("Logger: text lines are key=value with quoting where needed") {
  LogFixture f;
  f.make(LogLevel::kDebug, LogFormat::kText).warn("slow", {{"why", "two words"}, {"n", 3}});
  CHECK(f.captured.joined() == "2030-01-01T00:00:00.000Z WARN slow why=\"two words\" n=3\n");
}

TEST_CASE("Logger: records below the level are dropped") {
  LogFixture f;
  Logger log = f.make(LogLevel::kWarn, LogFormat::kText);
  log.info("hidden");
  log.debug("hidden");
  log.error("shown");
  CHECK(f.captured.lines().size() == 1);
  CHECK_FALSE(log.enabled(LogLevel::kInfo));
}

TEST_CASE("Secret: a secret cannot be printed by accident") {
  LogFixture f;
  Secret token("apiv3_very-secret-token-value");
  SECTION("as a log field it is redacted") {
    f.make(LogLevel::kInfo, LogFormat::kJson).info("issued", {{"token", token}});
    CHECK(f.captured.joined().find("very-secret") == std::string::npos);
    CHECK(f.captured.joined().find("[REDACTED]") != std::string::npos);
  }
  SECTION("registered secrets are scrubbed even from free text") {
    f.redactor->add(token);
    f.make(LogLevel::kInfo, LogFormat::kText).error("bad answer: " + token.reveal() + " end");
    CHECK(f.captured.joined().find("very-secret") == std::string::npos);
    CHECK(f.captured.joined().find("bad answer: [REDACTED] end") != std::string::npos);
  }
  SECTION("streaming prints the placeholder") {
    std::ostringstream os;
    os << token;
    CHECK(os.str() == "[REDACTED]");
  }
}

TEST_CASE("Redactor: short values are not scrubbed and longer secrets win") {
  Redactor r;
  r.add("abc");
  r.add("secret-1");
  r.add("secret-1-longer");
  CHECK(r.scrub("abc secret-1-longer secret-1") == "abc [REDACTED] [REDACTED]");
}
