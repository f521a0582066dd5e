#include "testing/prometheus_text.h"

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace dbtoken::testing {

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

}  // namespace dbtoken::testing
