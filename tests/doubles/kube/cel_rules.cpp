#include "kube/cel_rules.h"

#include "kube/cel.h"

namespace dbtoken::kubedouble {
namespace {

using nlohmann::json;

// How to get from a value to the values one level down in the schema.
struct Step {
  enum Kind { kProperty, kItems, kAdditional } kind;
  std::string key;  // for kProperty
};

std::string typeLabel(const json& schemaNode) {
  auto it = schemaNode.find("type");
  return it != schemaNode.end() && it->is_string() ? it->get<std::string>() : "object";
}

bool isMapList(const json& schemaNode) {
  auto it = schemaNode.find("x-kubernetes-list-type");
  return it != schemaNode.end() && it->is_string() && it->get<std::string>() == "map";
}

FieldErrorType typeForReason(const std::string& reason) {
  if (reason == "FieldValueForbidden") {
    return FieldErrorType::kForbidden;
  }
  if (reason == "FieldValueRequired") {
    return FieldErrorType::kRequired;
  }
  if (reason == "FieldValueDuplicate") {
    return FieldErrorType::kDuplicate;
  }
  return FieldErrorType::kInvalid;
}

}  // namespace

struct CompiledRules::Rule {
  std::vector<Step> path;
  std::string type;  // the schema type of the node the rule sits on, for error texts
  std::vector<std::string> listMapKeys;  // keys of the node's parent list, when it is a map list
  CelProgram program;
  std::string source;
  std::string message;
  std::string reason;
  std::string fieldPath;
  json node;  // the schema node the rule sits on (a copy: the compiled schema may move)
};

CompiledRules::CompiledRules() = default;
CompiledRules::~CompiledRules() = default;

bool CompiledRules::empty() const {
  return rules_.empty();
}

common::Result<std::unique_ptr<CompiledRules>> CompiledRules::compile(const nlohmann::json& schema,
                                                                      const std::string& fieldPath,
                                                                      FieldError* problem) {
  std::unique_ptr<CompiledRules> out(new CompiledRules());
  auto refuse = [&](FieldError e) {
    if (problem != nullptr) {
      *problem = e;
    }
    return common::Status(common::Code::kInvalidArgument, e.text());
  };
  // Depth-first over the schema, remembering how each node is reached.
  struct Frame {
    const json* node;
    std::vector<Step> path;
    std::string errorPath;
  };
  std::vector<Frame> stack{{&schema, {}, fieldPath}};
  while (!stack.empty()) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    const json& node = *f.node;
    if (!node.is_object()) {
      continue;
    }
    if (auto v = node.find("x-kubernetes-validations"); v != node.end() && v->is_array()) {
      for (size_t i = 0; i < v->size(); ++i) {
        const json& r = (*v)[i];
        std::string where = f.errorPath + ".x-kubernetes-validations[" + std::to_string(i) + "]";
        if (!r.is_object() || !r.contains("rule") || !r["rule"].is_string()) {
          return refuse({FieldErrorType::kRequired, where + ".rule", std::nullopt, ""});
        }
        std::string source = r["rule"].get<std::string>();
        auto program = CelProgram::compile(source);
        if (!program.ok()) {
          return refuse({FieldErrorType::kInvalid, where + ".rule", goQuote(source),
                         "compilation failed: " + program.status().message()});
        }
        if (r.contains("messageExpression")) {
          return refuse({FieldErrorType::kInvalid, where + ".messageExpression",
                         r["messageExpression"].dump(),
                         "compilation failed: messageExpression is not supported by the API "
                         "double"});
        }
        Rule rule{f.path,
                  typeLabel(node),
                  {},
                  std::move(program).value(),
                  source,
                  r.value("message", std::string()),
                  r.value("reason", std::string()),
                  r.value("fieldPath", std::string()),
                  node};
        out->rules_.push_back(std::move(rule));
      }
    }
    if (auto props = node.find("properties"); props != node.end() && props->is_object()) {
      for (auto it = props->begin(); it != props->end(); ++it) {
        Frame child{&it.value(), f.path, f.errorPath + ".properties[" + it.key() + "]"};
        child.path.push_back({Step::kProperty, it.key()});
        stack.push_back(std::move(child));
      }
    }
    if (auto items = node.find("items"); items != node.end() && items->is_object()) {
      Frame child{&*items, f.path, f.errorPath + ".items"};
      child.path.push_back({Step::kItems, isMapList(node) ? "map" : ""});
      stack.push_back(std::move(child));
    }
    if (auto add = node.find("additionalProperties"); add != node.end() && add->is_object()) {
      Frame child{&*add, f.path, f.errorPath + ".additionalProperties"};
      child.path.push_back({Step::kAdditional, ""});
      stack.push_back(std::move(child));
    }
  }
  return out;
}

FieldErrors CompiledRules::evaluate(const nlohmann::json& object,
                                    const nlohmann::json* oldObject) const {
  FieldErrors errs;
  for (const auto& rule : rules_) {
    // Walk to every value the rule applies to, with its old counterpart where one correlates.
    struct At {
      const json* value;
      const json* old;
      std::string path;
    };
    std::vector<At> current{{&object, oldObject, ""}};
    for (const auto& step : rule.path) {
      std::vector<At> next;
      for (const auto& at : current) {
        if (!at.value->is_object() && step.kind != Step::kItems) {
          continue;
        }
        if (step.kind == Step::kProperty) {
          auto it = at.value->find(step.key);
          if (it == at.value->end()) {
            continue;
          }
          const json* old = nullptr;
          if (at.old != nullptr && at.old->is_object()) {
            auto o = at.old->find(step.key);
            old = o != at.old->end() ? &*o : nullptr;
          }
          next.push_back({&*it, old, at.path.empty() ? step.key : at.path + "." + step.key});
        } else if (step.kind == Step::kItems) {
          if (!at.value->is_array()) {
            continue;
          }
          for (size_t i = 0; i < at.value->size(); ++i) {
            // Items of atomic lists and sets do not correlate: no oldSelf for them.
            next.push_back({&(*at.value)[i], nullptr, at.path + "[" + std::to_string(i) + "]"});
          }
        } else {
          for (auto it = at.value->begin(); it != at.value->end(); ++it) {
            const json* old = nullptr;
            if (at.old != nullptr && at.old->is_object()) {
              auto o = at.old->find(it.key());
              old = o != at.old->end() ? &*o : nullptr;
            }
            next.push_back({&it.value(), old, at.path + "[" + it.key() + "]"});
          }
        }
      }
      current = std::move(next);
    }
    for (const auto& at : current) {
      if (rule.program.isTransitionRule() && at.old == nullptr) {
        continue;  // transition rules only run on update, where an old value exists
      }
      std::string path = at.path.empty() ? "<nil>" : at.path;
      if (!rule.fieldPath.empty()) {
        path = at.path + rule.fieldPath;
      }
      auto result = rule.program.evaluate(
          *at.value, rule.program.isTransitionRule() ? at.old : nullptr, &rule.node);
      if (!result.ok()) {
        errs.push_back({FieldErrorType::kInvalid, path, goQuote(rule.type),
                        "rule evaluation failed: " + result.status().message()});
        continue;
      }
      if (!*result) {
        std::string message = rule.message.empty() ? "failed rule: " + rule.source : rule.message;
        FieldErrorType type = typeForReason(rule.reason);
        std::optional<std::string> value = goQuote(rule.type);
        errs.push_back({type, path, value, message});
      }
    }
  }
  return errs;
}

}  // namespace dbtoken::kubedouble
