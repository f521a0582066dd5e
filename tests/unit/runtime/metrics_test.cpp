#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "runtime/metrics.h"

using namespace dbtoken;

namespace {

// A validator of the Prometheus text exposition format 0.0.4: comment and sample grammar, label
// escapes, one TYPE per family given before its samples, samples of a family kept together,
// histogram buckets cumulative with le ascending and +Inf equal to _count. Returns the problems.
std::vector<std::string> validateExposition(const std::string& text) {
  std::vector<std::string> problems;
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$)");
  static const std::regex kType(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ([^ ]+)( -?[0-9]+)?$)");
  static const std::regex kLabel(R"(^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)\"(,|$))");
  std::map<std::string, std::string> types;
  std::set<std::string> finished;
  std::string current;
  // For histograms: series (labels without le) -> last bucket count, last le, +Inf count.
  struct Buckets {
    double lastLe = -INFINITY;
    double lastCount = -1;
    double inf = -1;
    double count = -1;
  };
  std::map<std::string, Buckets> histograms;
  if (!text.empty() && text.back() != '\n') {
    problems.push_back("the text does not end with a newline");
  }
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string where = "line " + std::to_string(n) + ": ";
    std::smatch m;
    if (line.empty()) {
      continue;
    }
    if (line[0] == '#') {
      if (std::regex_match(line, m, kType)) {
        if (types.count(m[1])) {
          problems.push_back(where + "second TYPE for " + m[1].str());
        }
        types[m[1]] = m[2];
        if (!current.empty() && current != m[1].str()) {
          finished.insert(current);
        }
        current = m[1];
      } else if (!std::regex_match(line, m, kHelp) && line.rfind("# HELP", 0) == 0) {
        problems.push_back(where + "bad HELP line");
      }
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      problems.push_back(where + "not a sample: " + line);
      continue;
    }
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s(suffix);
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
      }
    }
    if (!types.count(family)) {
      problems.push_back(where + "sample before the TYPE of " + family);
    }
    if (finished.count(family)) {
      problems.push_back(where + "samples of " + family + " are not together");
    }
    std::string labels = m[3];
    std::string le;
    std::string series;
    while (!labels.empty()) {
      std::smatch l;
      if (!std::regex_search(labels, l, kLabel)) {
        problems.push_back(where + "bad label syntax: " + labels);
        break;
      }
      if (l[1] == "le") {
        le = l[2];
      } else {
        series += l[1].str() + "=" + l[2].str() + ";";
      }
      labels = l.suffix();
    }
    double value = 0;
    std::string v = m[4];
    if (v == "+Inf") {
      value = INFINITY;
    } else if (v == "-Inf") {
      value = -INFINITY;
    } else if (v == "NaN") {
      value = NAN;
    } else {
      try {
        size_t used = 0;
        value = std::stod(v, &used);
        if (used != v.size()) {
          problems.push_back(where + "bad value " + v);
        }
      } catch (const std::exception&) {
        problems.push_back(where + "bad value " + v);
      }
    }
    if (types[family] == "histogram") {
      Buckets& b = histograms[family + "|" + series];
      if (name == family + "_bucket") {
        double bound = le == "+Inf" ? INFINITY : std::stod(le);
        if (le.empty() || bound <= b.lastLe) {
          problems.push_back(where + "le missing or not ascending");
        }
        if (value < b.lastCount) {
          problems.push_back(where + "bucket counts are not cumulative");
        }
        b.lastLe = bound;
        b.lastCount = value;
        if (le == "+Inf") {
          b.inf = value;
        }
      } else if (name == family + "_count") {
        b.count = value;
      }
    }
  }
  for (const auto& [key, b] : histograms) {
    if (b.inf < 0 || b.inf != b.count) {
      problems.push_back(key + ": the +Inf bucket is missing or differs from _count");
    }
  }
  return problems;
}

}  // namespace

TEST_CASE("Metrics: the rendered text is valid exposition format 0.0.4") {
  runtime::Registry r;
  r.counter("requests_total", "Requests.", {"code", "method"}).with({"200", "GET"}).inc(3);
  r.counter("requests_total", "Requests.", {"code", "method"}).with({"500", "POST"}).inc();
  r.counter("plain_total", "No labels.");
  r.gauge("temperature", "Help with \\ backslash\nand newline.").with({}).set(-1.5);
  auto& h = r.histogram("latency_seconds", "Latency.", {"op"}, {0.1, 1, 10}).with({"get"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(50);
  r.gauge("odd_labels", "Label values that need escaping.", {"v"})
      .with({"quote \" backslash \\ newline \n end"})
      .set(1);
  std::string text = r.render();
  INFO(text);
  CHECK(validateExposition(text).empty());
  CHECK_THAT(text, Catch::Contains("# TYPE requests_total counter\n"));
  CHECK_THAT(text, Catch::Contains("requests_total{code=\"200\",method=\"GET\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("plain_total 0\n"));
  CHECK_THAT(text, Catch::Contains("# HELP temperature Help with \\\\ backslash\\nand newline.\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{op=\"get\",le=\"0.1\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{op=\"get\",le=\"1\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_sum{op=\"get\"} 50.55\n"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_count{op=\"get\"} 3\n"));
  CHECK_THAT(text,
             Catch::Contains("odd_labels{v=\"quote \\\" backslash \\\\ newline \\n end\"} 1\n"));
}

TEST_CASE("Metrics: the validator catches what a broken renderer would produce") {
  CHECK_FALSE(validateExposition("x 1\n").empty());  // no TYPE
  CHECK_FALSE(validateExposition("# TYPE x counter\nx{a=\"b} 1\n").empty());
  CHECK_FALSE(validateExposition("# TYPE x counter\nx one\n").empty());
  CHECK_FALSE(validateExposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                 "h_bucket{le=\"+Inf\"} 1\nh_count 1\n")
                  .empty());
  CHECK_FALSE(validateExposition("# TYPE x counter\n# TYPE y counter\ny 1\nx 1\n").empty());
}

TEST_CASE("Metrics: registering a name again returns the same family") {
  runtime::Registry r;
  auto& a = r.counter("c_total", "C.", {"x"});
  auto& b = r.counter("c_total", "C.", {"x"});
  CHECK(&a == &b);
  a.with({"1"}).inc();
  CHECK(b.with({"1"}).value() == 1);
}

TEST_CASE("Metrics: values format like Prometheus' Go client") {
  CHECK(runtime::formatValue(0) == "0");
  CHECK(runtime::formatValue(3) == "3");
  CHECK(runtime::formatValue(0.005) == "0.005");
  CHECK(runtime::formatValue(1e-8) == "1e-08");
  CHECK(runtime::formatValue(INFINITY) == "+Inf");
  CHECK(runtime::formatValue(-INFINITY) == "-Inf");
  CHECK(runtime::formatValue(NAN) == "NaN");
}

TEST_CASE("Metrics: a counter never goes down; collectors run before each render") {
  runtime::Registry r;
  auto& c = r.counter("c_total", "C.").with({});
  c.inc(2);
  c.inc(-5);
  CHECK(c.value() == 2);
  int calls = 0;
  int id = r.onCollect([&] { ++calls; });
  (void)r.render();
  (void)r.render();
  r.removeCollector(id);
  (void)r.render();
  CHECK(calls == 2);
}
