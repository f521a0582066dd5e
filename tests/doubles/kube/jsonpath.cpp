#include "kube/jsonpath.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

struct Step {
  enum Kind { kField, kIndex, kAll, kFilter };
  Step(Kind k, std::string f = {}, long i = 0) : kind(k), field(std::move(f)), index(i) {}
  Kind kind;
  std::string field;
  long index = 0;
  std::vector<std::string> filterPath;  // @.a.b
  bool negate = false;
  json filterValue;
};

bool parse(const std::string& path, std::vector<Step>& steps) {
  size_t i = 0;
  if (path.size() >= 2 && path.front() == '{' && path.back() == '}') {
    return parse(path.substr(1, path.size() - 2), steps);
  }
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') {
        ++j;
      }
      if (j == i + 1) {
        return false;
      }
      steps.emplace_back(Step::kField, path.substr(i + 1, j - i - 1));
      i = j;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) {
        return false;
      }
      std::string inner = path.substr(i + 1, close - i - 1);
      if (inner == "*") {
        steps.emplace_back(Step::kAll);
      } else if (!inner.empty() && (inner[0] == '\'' || inner[0] == '"')) {
        steps.emplace_back(Step::kField, inner.substr(1, inner.size() - 2));
      } else if (inner.rfind("?(@", 0) == 0 && inner.back() == ')') {
        std::string expr = inner.substr(3, inner.size() - 4);  // ".type=="Ready""
        size_t op = expr.find("==");
        bool negate = false;
        if (op == std::string::npos) {
          op = expr.find("!=");
          negate = true;
        }
        if (op == std::string::npos) {
          return false;
        }
        Step s(Step::kFilter);
        s.negate = negate;
        std::string lhs = expr.substr(0, op);
        std::string rhs = expr.substr(op + 2);
        size_t p = 0;
        while (p < lhs.size()) {
          if (lhs[p] != '.') {
            return false;
          }
          size_t q = lhs.find('.', p + 1);
          s.filterPath.push_back(lhs.substr(p + 1, q == std::string::npos ? q : q - p - 1));
          p = q == std::string::npos ? lhs.size() : q;
        }
        if (rhs.size() >= 2 && (rhs[0] == '"' || rhs[0] == '\'')) {
          s.filterValue = rhs.substr(1, rhs.size() - 2);
        } else {
          s.filterValue = json::parse(rhs, nullptr, false);
          if (s.filterValue.is_discarded()) {
            return false;
          }
        }
        steps.push_back(std::move(s));
      } else {
        try {
          steps.emplace_back(Step::kIndex, "", std::stol(inner));
        } catch (const std::exception&) {
          return false;
        }
      }
      i = close + 1;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool isSupportedJsonPath(const std::string& path) {
  std::vector<Step> steps;
  return parse(path, steps);
}

std::vector<const json*> evaluateJsonPath(const json& root, const std::string& path) {
  std::vector<Step> steps;
  if (!parse(path, steps)) {
    return {};
  }
  std::vector<const json*> current{&root};
  for (const auto& step : steps) {
    std::vector<const json*> next;
    for (const json* v : current) {
      switch (step.kind) {
        case Step::kField:
          if (v->is_object()) {
            if (auto it = v->find(step.field); it != v->end()) {
              next.push_back(&*it);
            }
          }
          break;
        case Step::kIndex:
          if (v->is_array()) {
            long n = step.index < 0 ? static_cast<long>(v->size()) + step.index : step.index;
            if (n >= 0 && static_cast<size_t>(n) < v->size()) {
              next.push_back(&(*v)[static_cast<size_t>(n)]);
            }
          }
          break;
        case Step::kAll:
          if (v->is_array() || v->is_object()) {
            for (const auto& item : *v) {
              next.push_back(&item);
            }
          }
          break;
        case Step::kFilter:
          if (v->is_array()) {
            for (const auto& item : *v) {
              const json* cur = &item;
              for (const auto& f : step.filterPath) {
                if (cur == nullptr || !cur->is_object() || !cur->contains(f)) {
                  cur = nullptr;
                  break;
                }
                cur = &(*cur)[f];
              }
              bool equal = cur != nullptr && *cur == step.filterValue;
              if (equal != step.negate) {
                next.push_back(&item);
              }
            }
          }
          break;
      }
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace dbtoken::kubedouble
