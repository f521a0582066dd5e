// Label and field selectors as the apiserver parses and applies them (labels.Parse and
// fields.ParseSelector), with the same error texts for malformed input.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace dbtoken::kubedouble {

class LabelSelector {
 public:
  // An empty string selects everything.
  static common::Result<LabelSelector> parse(const std::string& text);
  bool matches(const nlohmann::json& labels) const;  // labels: object or null
  bool empty() const { return reqs_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> reqs_;
};

// field=value / field==value / field!=value terms, comma-separated.
class FieldSelector {
 public:
  struct Term {
    std::string field;
    bool negate = false;
    std::string value;
  };
  static common::Result<FieldSelector> parse(const std::string& text);
  const std::vector<Term>& terms() const { return terms_; }
  bool empty() const { return terms_.empty(); }
  // The value of metadata.name when the selector pins exactly one object.
  std::optional<std::string> singleName() const;

 private:
  std::vector<Term> terms_;
};

}  // namespace dbtoken::kubedouble
