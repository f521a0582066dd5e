// Compares what the double answered with what a real kube-apiserver answered, after the
// transcripts' normalisation: placeholders such as <rv-3>, <uid-1> and <continue-2> bind to the
// actual values on first sight and must match them afterwards; <time>, <age>, <random5> and
// <go-pointer> match any value of their shape. Also substitutes bound values into the requests
// replayed later, so a recorded "?resourceVersion=<rv-2>" becomes the double's own version.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dbtoken::replay {

using ojson = nlohmann::ordered_json;
using nlohmann::json;

class Bindings {
 public:
  // Replaces bound placeholders (and literal values bound by alias, such as recorded OpenAPI
  // hashes) in a request string; unbound <uid-N> become fresh UUIDs (bound from then on);
  // <time> becomes the current time.
  std::string substitute(const std::string& text);
  ojson substitute(const ojson& value);

  // Matches a recorded string (with placeholders) against an actual one, binding on success.
  bool matchString(const std::string& recorded, const std::string& actual, std::string& why);
  // Deep match of recorded JSON against actual JSON; why says where they differ.
  bool match(const ojson& recorded, const json& actual, const std::string& path, std::string& why);

  void alias(const std::string& recorded, const std::string& actual) {
    aliases_[recorded] = actual;
  }
  // Paths (e.g. "body.metadata.resourceVersion") compared on shape only for the next match:
  // a resourceVersion there binds when it can, and any number is accepted otherwise.
  void relax(std::set<std::string> paths) { relaxed_ = std::move(paths); }
  std::optional<std::string> bound(const std::string& placeholder) const;
  void bind(const std::string& placeholder, const std::string& actual) {
    values_[placeholder] = actual;
    reverse_[actual] = placeholder;
  }

 private:
  bool bindAll(const std::vector<std::pair<std::string, std::string>>& captures, std::string& why);
  std::map<std::string, std::string> values_;   // placeholder -> actual
  std::map<std::string, std::string> reverse_;  // actual -> placeholder (one label per value)
  std::map<std::string, std::string> aliases_;  // recorded literal -> actual literal
  std::set<std::string> relaxed_;
};

// Python's json.dumps(value) (", " and ": " separators, ASCII-only), which is how the recorder
// sent JSON bodies; some apiserver messages quote the raw body back.
std::string pythonDumps(const ojson& value);

// Removes metadata.managedFields everywhere (the transcripts dropped them).
void stripManagedFields(json& value);

}  // namespace dbtoken::replay
