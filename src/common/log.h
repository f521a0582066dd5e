// Structured logging: one line per record, JSON or "text" (key=value), with levels. A Logger is a
// cheap value (shared sink + fixed fields); pass it down, derive children with with().
// Every line passes through the sink's Redactor before it is written.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/secret.h"

namespace dbtoken::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kJson, kText };

bool parseLogLevel(std::string_view s, LogLevel& out);
bool parseLogFormat(std::string_view s, LogFormat& out);

using LogFields = std::vector<std::pair<std::string, nlohmann::json>>;

// Where lines go. Thread-safe. The default writes to stderr.
class LogSink {
 public:
  using Writer = std::function<void(std::string_view line)>;

  LogSink(LogLevel level, LogFormat format, const Clock& clock,
          std::shared_ptr<Redactor> redactor = std::make_shared<Redactor>(),
          Writer writer = nullptr);

  void write(LogLevel level, std::string_view logger, std::string_view msg,
             const LogFields& fields);
  bool enabled(LogLevel level) const { return level >= level_; }
  Redactor& redactor() { return *redactor_; }

 private:
  LogLevel level_;
  LogFormat format_;
  const Clock& clock_;
  std::shared_ptr<Redactor> redactor_;
  Writer writer_;
  std::mutex mu_;
};

class Logger {
 public:
  Logger() = default;  // discards everything
  explicit Logger(std::shared_ptr<LogSink> sink, std::string name = {})
      : sink_(std::move(sink)), name_(std::move(name)) {}

  Logger named(std::string_view name) const;
  Logger with(LogFields fields) const;

  void debug(std::string_view msg, const LogFields& f = {}) const { log(LogLevel::kDebug, msg, f); }
  void info(std::string_view msg, const LogFields& f = {}) const { log(LogLevel::kInfo, msg, f); }
  void warn(std::string_view msg, const LogFields& f = {}) const { log(LogLevel::kWarn, msg, f); }
  void error(std::string_view msg, const LogFields& f = {}) const { log(LogLevel::kError, msg, f); }
  void log(LogLevel level, std::string_view msg, const LogFields& fields) const;
  bool enabled(LogLevel level) const { return sink_ && sink_->enabled(level); }

 private:
  std::shared_ptr<LogSink> sink_;
  std::string name_;
  LogFields base_;
};

// Collects lines in memory; for tests that assert on what was logged.
class CapturedLines {
 public:
  LogSink::Writer writer();
  std::vector<std::string> lines() const;
  std::string joined() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace dbtoken::common
