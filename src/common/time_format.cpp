#include "common/time_format.h"

#include <cstdio>
#include <ctime>

namespace dbtoken::common {
namespace {

std::string format(WallTime t, int fractionDigits) {
  using namespace std::chrono;
  auto secs = time_point_cast<seconds>(t);
  if (secs > t) {
    secs -= seconds(1);  // floor for times before the epoch
  }
  auto frac = duration_cast<microseconds>(t - secs).count();
  std::time_t tt = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, static_cast<size_t>(n));
  if (fractionDigits == 6) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  } else if (fractionDigits == 3) {
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac / 1000));
    out += buf;
  }
  out += 'Z';
  return out;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
long long daysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<long long>(era) * 146097 + static_cast<long long>(doe) - 719468;
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

struct Parsed {
  WallTime time;
  int fractionDigits = 0;
};

std::optional<Parsed> parse(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0) || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  long long micros = 0;
  int fractionDigits = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 6) {
        micros = micros * 10 + (s[pos] - '0');
      }
      ++pos;
    }
    fractionDigits = static_cast<int>(pos - start);
    if (fractionDigits == 0) {
      return std::nullopt;
    }
    for (int i = fractionDigits; i < 6; ++i) {
      micros *= 10;
    }
  }
  if (pos >= s.size()) {
    return std::nullopt;
  }
  long long offsetSeconds = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offsetSeconds = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  long long days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  long long secs = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
  Parsed p;
  p.time = WallTime(std::chrono::duration_cast<WallTime::duration>(
      std::chrono::seconds(secs) + std::chrono::microseconds(micros)));
  p.fractionDigits = fractionDigits;
  return p;
}

}  // namespace

std::string formatRfc3339(WallTime t) {
  return format(t, 0);
}
std::string formatRfc3339Micro(WallTime t) {
  return format(t, 6);
}
std::string formatRfc3339Millis(WallTime t) {
  return format(t, 3);
}

std::optional<WallTime> parseRfc3339(std::string_view s) {
  auto p = parse(s);
  if (!p) {
    return std::nullopt;
  }
  return p->time;
}

bool isRfc3339Micro(std::string_view s) {
  auto p = parse(s);
  return p && p->fractionDigits == 6;
}

}  // namespace dbtoken::common
