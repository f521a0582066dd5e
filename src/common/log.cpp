#include "common/log.h"

#include <cstdio>

#include "common/time_format.h"

namespace dbtoken::common {
namespace {

const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void appendTextValue(std::string& out, const nlohmann::json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    bool quote = s.empty() || s.find_first_of(" \"=\t\n") != std::string::npos;
    out += quote ? nlohmann::json(s).dump() : s;
  } else {
    out += v.dump();
  }
}

}  // namespace

bool parseLogLevel(std::string_view s, LogLevel& out) {
  if (s == "debug") {
    out = LogLevel::kDebug;
  } else if (s == "info") {
    out = LogLevel::kInfo;
  } else if (s == "warn" || s == "warning") {
    out = LogLevel::kWarn;
  } else if (s == "error") {
    out = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

bool parseLogFormat(std::string_view s, LogFormat& out) {
  if (s == "json") {
    out = LogFormat::kJson;
  } else if (s == "text") {
    out = LogFormat::kText;
  } else {
    return false;
  }
  return true;
}

LogSink::LogSink(LogLevel level, LogFormat format, const Clock& clock,
                 std::shared_ptr<Redactor> redactor, Writer writer)
    : level_(level),
      format_(format),
      clock_(clock),
      redactor_(std::move(redactor)),
      writer_(std::move(writer)) {
  if (!writer_) {
    writer_ = [](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fputc('\n', stderr);
    };
  }
}

void LogSink::write(LogLevel level, std::string_view logger, std::string_view msg,
                    const LogFields& fields) {
  if (!enabled(level)) {
    return;
  }
  std::string ts = formatRfc3339Millis(clock_.wallNow());
  std::string line;
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = ts;
    j["level"] = levelName(level);
    if (!logger.empty()) {
      j["logger"] = logger;
    }
    j["msg"] = msg;
    for (const auto& [k, v] : fields) {
      j[k] = v;
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = ts;
    line += ' ';
    std::string lvl = levelName(level);
    for (auto& c : lvl) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    line += lvl;
    if (!logger.empty()) {
      line += ' ';
      line += logger;
    }
    line += ' ';
    line += msg;
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      appendTextValue(line, v);
    }
  }
  line = redactor_->scrub(line);
  std::lock_guard lk(mu_);
  writer_(line);
}

Logger Logger::named(std::string_view name) const {
  Logger l = *this;
  if (!l.name_.empty()) {
    l.name_ += '.';
  }
  l.name_ += name;
  return l;
}

Logger Logger::with(LogFields fields) const {
  Logger l = *this;
  for (auto& f : fields) {
    l.base_.push_back(std::move(f));
  }
  return l;
}

void Logger::log(LogLevel level, std::string_view msg, const LogFields& fields) const {
  if (!sink_ || !sink_->enabled(level)) {
    return;
  }
  if (base_.empty()) {
    sink_->write(level, name_, msg, fields);
    return;
  }
  LogFields all = base_;
  all.insert(all.end(), fields.begin(), fields.end());
  sink_->write(level, name_, msg, all);
}

LogSink::Writer CapturedLines::writer() {
  return [this](std::string_view line) {
    std::lock_guard lk(mu_);
    lines_.emplace_back(line);
  };
}

std::vector<std::string> CapturedLines::lines() const {
  std::lock_guard lk(mu_);
  return lines_;
}

std::string CapturedLines::joined() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& l : lines_) {
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace dbtoken::common
