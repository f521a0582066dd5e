#include <catch2/catch.hpp>

#include "common/time_format.h"

using namespace dbtoken::common;
using namespace std::chrono;

TEST_CASE("RFC 3339: times are formatted as Kubernetes writes them") {
  WallTime t = WallTime(seconds(1893456000) + microseconds(123456));  // 2030-01-01
  CHECK(formatRfc3339(t) == "2030-01-01T00:00:00Z");
  CHECK(formatRfc3339Micro(t) == "2030-01-01T00:00:00.123456Z");
  CHECK(formatRfc3339Millis(t) == "2030-01-01T00:00:00.123Z");
}

TEST_CASE("RFC 3339: the parser accepts valid date-times and refuses everything else") {
  struct Row {
    const char* input;
    bool valid;
  };
  const Row rows[] = {
      {"2030-01-01T00:00:00Z", true},
      {"2030-01-01T00:00:00.5Z", true},
      {"2030-01-01T01:00:00+01:00", true},
      {"2024-02-29T00:00:00Z", true},
      {"2023-02-29T00:00:00Z", false},
      {"2030-13-01T00:00:00Z", false},
      {"2030-01-01 00:00:00Z", false},
      {"2030-01-01T00:00:00", false},
      {"tomorrow", false},
      {"2030-01-01T00:00:00.Z", false},
      {"", false},
  };
  for (const auto& row : rows) {
    INFO(row.input);
    CHECK(parseRfc3339(row.input).has_value() == row.valid);
  }
  CHECK(parseRfc3339("2030-01-01T01:00:00+01:00") == parseRfc3339("2030-01-01T00:00:00Z"));
}

TEST_CASE("RFC 3339: MicroTime needs exactly six fraction digits") {
  CHECK(isRfc3339Micro("2030-01-01T00:00:00.000000Z"));
  CHECK_FALSE(isRfc3339Micro("2030-01-01T00:00:00Z"));
  CHECK_FALSE(isRfc3339Micro("2030-01-01T00:00:00.123Z"));
}
